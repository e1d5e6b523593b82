"""The house rules the package keeps: family knowledge lives in ``shiftgen/families/``,
and no module imports another module's private names."""

import re
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "shiftgen"
#: The six shipped families.
NAMES = ("uniform", "pot", "apot", "sq", "jlq", "ausn")
_WORD = re.compile(r"\b(" + "|".join(NAMES) + r")\b")


def _modules_outside_families():
    return sorted(p for p in PACKAGE.rglob("*.py") if "families" not in p.relative_to(PACKAGE).parts)


def _family_mentions(path):
    """``(line, token)`` of each name or string (docstrings included) naming a family."""
    found = []
    with open(path, "rb") as f:
        for tok in tokenize.tokenize(f.readline):
            if tok.type == tokenize.NAME and tok.string in NAMES:
                found.append((tok.start[0], tok.string))
            elif tok.type == tokenize.STRING and _WORD.search(tok.string):
                found.append((tok.start[0], _WORD.search(tok.string).group(0)))
    return found


def test_the_families_are_the_six():
    from shiftgen.families import FAMILIES
    assert set(NAMES) <= set(FAMILIES)


@pytest.mark.parametrize("path", _modules_outside_families(),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_outside_families_names_a_family(path):
    assert _family_mentions(path) == []


def test_the_check_finds_a_family_name(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""Fits the QPS of sq."""\nif family.name == "jlq":\n    pass\n')
    assert _family_mentions(bad) == [(1, "sq"), (2, "jlq")]
    good = tmp_path / "good.py"
    good.write_text('"""A jlq_3bit spec; uniform_totals; PoT and AUSN."""\n# a comment on sq\n')
    assert _family_mentions(good) == []


def _private_imports(text):
    out = []
    for m in re.finditer(r"^\s*from\s+(\.+[\w.]*|shiftgen[\w.]*)\s+import\s+(\([^)]*\)|[^\n]*)",
                         text, re.M):
        names = [n.strip().split(" as ")[0] for n in m.group(2).strip("()").split(",")]
        out += [f"{m.group(1)}.{n}" for n in names if n.startswith("_") and n != "__version__"]
    return out


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_private_names(path):
    assert _private_imports(path.read_text()) == []


def test_the_check_finds_a_private_import():
    assert _private_imports("from .synth import _best, netlist_name\n"
                            "from ..spec import (\n    _Loader,\n    parse_spec)\n") == \
        [".synth._best", "..spec._Loader"]
