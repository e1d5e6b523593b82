"""Every shipped spec (and a small array per family) exports the bytes the golden
manifest holds: a change meant to keep hardware as it is keeps them.

Rewrite the manifest only when a change is meant to alter hardware:
``python -m tests.golden.exports --update`` (the diff names the designs).
"""

import pytest

from .golden import exports

DESIGNS = exports.designs()
MANIFEST = exports.load()


def _params():
    for name, spec in DESIGNS.items():
        marks = [pytest.mark.slow] if exports.is_large(spec) else []
        yield pytest.param(name, id=name, marks=marks)


def test_manifest_lists_every_design():
    assert sorted(MANIFEST) == sorted(DESIGNS)
    for name, files in MANIFEST.items():
        kinds = {f.rsplit(".", 1)[-1] for f in files}
        assert {"v", "il", "json"} <= kinds, name


@pytest.mark.parametrize("name", _params())
def test_exports_match_the_manifest(name, golden_export):
    got = golden_export(DESIGNS[name])
    assert got == MANIFEST[name]
