"""The same spec gives byte-identical .v, .il and codebook.json: across runs,
across output and working directories, and across Python hash seeds (set and
dict order of strings changes with the seed)."""

import os
import subprocess
import sys

import pytest

from ..support import ROOT

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("export.test_determinism")

# One spec per family and style the PE is built in, plus two arrays (one with
# the SQ load-path decoder).
SPECS = ["uniform_4x8", "pot_4bit", "apot_4bit_sorted", "sq_4bit", "jlq_3bit",
         "jlq_3bit_shifter", "ausn_8x4", "ausn_8x4_decoder", "ausn_ausn_6x6",
         "arrays/pot_4bit_8x8"]

EXPORT = """
import sys
from pathlib import Path
from shiftgen.export.array import export_array
from shiftgen.export.verilog import export
from shiftgen.spec import load_spec

root, out = Path(sys.argv[1]), Path(sys.argv[2])
for stem in sys.argv[3:]:
    spec = load_spec(root / "specs" / f"{stem}.yaml")
    d = out / stem.replace("/", "_")
    d.mkdir(parents=True)
    export(spec, spec.elaborate(), d)
    (d / "codebook.json").write_text(spec.codebook.to_json())
    for suffix, variant in spec.family.variants(spec).items():
        export(variant, variant.elaborate(), d)
    if spec.array is not None:
        export_array(spec, d / "array")
"""


def export_all(cwd, out, hash_seed):
    cwd.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    proc = subprocess.run([sys.executable, "-c", EXPORT, str(ROOT), str(out), *SPECS],
                          cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {str(p.relative_to(out)): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("determinism")
    first = export_all(base / "a", base / "a" / "out", hash_seed=1)
    second = export_all(base / "b" / "deeper", base / "elsewhere" / "build", hash_seed=2)
    return first, second


def test_every_output_kind_is_there(two_runs):
    first, _ = two_runs
    kinds = {name.rsplit(".", 1)[-1] for name in first}
    assert {"v", "il", "json"} <= kinds
    for stem in SPECS:
        d = stem.replace("/", "_")
        assert f"{d}/codebook.json" in first
        assert any(n.startswith(f"{d}/") and n.endswith(".il") for n in first)
    assert any(n.startswith("arrays_pot_4bit_8x8/array/") and n.endswith("_array.v")
               for n in first)


def test_same_spec_gives_byte_identical_files(two_runs):
    first, second = two_runs
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert differ == []


def test_no_output_names_where_it_was_made(two_runs):
    first, _ = two_runs
    for name, data in first.items():
        assert b"/tmp/" not in data and str(ROOT).encode() not in data, name
