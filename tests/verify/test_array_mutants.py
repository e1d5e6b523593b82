# amaranth: UnusedElaboratable=no
"""An array of any size with one wrong cell fails the array check (issue 13).

Each mutant (:func:`shiftgen.verify.array_mutants.make_array_mutant`) makes
one cell's product wrong in an exported 16 x 16 array (64 x 64 in the slow
set), in both dataflows and two families, and runs the check the build
runs on an array (:func:`~shiftgen.verify.cocotb_runner.run_cocotb_array`
on Icarus, with the jobs of ``shiftgen.flows.build._array_stage``): the
unmutated array passes, the mutant fails, and every wrong output is in the
mutated cell's column. Zeroing the mutated cell's row of activations makes
the mutant pass again, so the wrong product is that one cell's.
"""

import re

import numpy as np
import pytest
import yaml

from shiftgen.export.array import array_name, export_array
from shiftgen.spec import load_spec
from shiftgen.verify.amaranth_sim import ARRAY_VECTORS
from shiftgen.verify.array_mutants import ARRAY_KINDS, make_array_mutant, unit_instance
from shiftgen.verify.cocotb_runner import available, run_cocotb_array
from shiftgen.verify.formal_array import prove_array
from shiftgen.verify.schedule import random_jobs

from ..support import ROOT

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("verify.test_array_mutants")

needs_icarus = pytest.mark.skipif(not available("icarus"), reason="Icarus Verilog not installed")

STEMS = ["pot_4bit", "ausn_8x4"]
FLOWS = ["weight_stationary", "broadcast"]
SIZE = 16
# The interior, the far corner (the last cell of both a row and a column: the
# longest path in a weight-stationary array) and the origin (row 0: the first
# cell of a column's weight chain and of a broadcast column's sum).
CELLS = {"interior": (7, 9), "far-corner": (SIZE - 1, SIZE - 1), "origin": (0, 0)}
# The kinds each unit's product has: a broadcast column decodes its shifts as
# AND-OR selects (no shifter, no multiplexer); the PoT cell shifts by the code.
UNIT_KINDS = {
    ("pot_4bit", "weight_stationary"): {"sign", "shift"},
    ("pot_4bit", "broadcast"): {"sign", "select"},
    ("ausn_8x4", "weight_stationary"): {"sign", "shift", "mux", "select"},
    ("ausn_8x4", "broadcast"): {"sign", "select"},
}
OTHER_KINDS = [pytest.param(stem, flow, kind, id=f"{stem}-{flow}-{kind}")
               for (stem, flow), kinds in UNIT_KINDS.items()
               for kind in ARRAY_KINDS if kind in kinds and kind != "sign"]


def build_jobs(spec):
    """The jobs ``shiftgen build`` checks an array with (``_array_stage``)."""
    return random_jobs(spec, 2, ARRAY_VECTORS, seed=2)


def array_spec_file(stem, flow, size, out):
    """``specs/<stem>.yaml`` with a ``size`` x ``size`` array, written to ``out``
    (the cocotb process loads the spec from its file)."""
    doc = yaml.safe_load((ROOT / "specs" / f"{stem}.yaml").read_text())
    doc["array"] = {"rows": size, "cols": size, "dataflow": flow}
    path = out / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_spec(path)


@pytest.fixture(scope="module")
def array(tmp_path_factory):
    """``get(stem, flow, size)``: ``(spec, Verilog)`` of the exported array, once a module;
    ``stem`` may also be a shipped array spec's path."""
    cache = {}

    def get(stem, flow=None, size=SIZE):
        key = (stem, flow, size)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"array-{getattr(stem, 'stem', stem)}-{flow}")
            spec = load_spec(stem) if flow is None else array_spec_file(stem, flow, size, out)
            cache[key] = spec, export_array(spec, out)["verilog"]
        return cache[key]
    return get


@pytest.fixture(scope="module")
def baseline(array, tmp_path_factory):
    """``get(*key)``: the array check on the unmutated array, run once a module."""
    cache = {}

    def get(*key):
        if key not in cache:
            spec, verilog = array(*key)
            work = tmp_path_factory.mktemp("baseline")
            cache[key] = run_cocotb_array(spec, verilog, build_jobs(spec), "icarus",
                                          work_dir=work)
        return cache[key]
    return get


@pytest.fixture(scope="module")
def mutant(array, tmp_path_factory):
    """``get(stem, flow, row, col, kind, size=SIZE)``: ``make_array_mutant``'s result,
    made once a module."""
    cache = {}

    def get(stem, flow, row, col, kind, size=SIZE):
        key = (stem, flow, row, col, kind, size)
        if key not in cache:
            spec, verilog = array(stem, flow, size)
            out = tmp_path_factory.mktemp(f"mutant-{kind}")
            cache[key] = make_array_mutant(spec, verilog, out, row, col, kind)
        return cache[key]
    return get


def check_passes(result):
    assert result["result"] == "pass", result
    assert result["mismatches"] == 0 and result["failed_tests"] == 0
    assert all("columns" not in job for job in result["jobs"])


def check_caught(result, col, what):
    """The check failed, on matched outputs, and only column ``col``'s are wrong."""
    assert result["result"] == "fail", what
    assert result["failed_tests"] == 1 and "error" not in result, (what, result)
    assert result["mismatches"] > 0, what
    columns = [job.get("columns", {}) for job in result["jobs"]]
    assert {int(c) for cols in columns for c in cols} == {col}, (what, columns)
    assert sum(n for cols in columns for n in cols.values()) == result["mismatches"]


def run_mutant(spec, made, tmp_path, jobs=None):
    path, _ = made
    return run_cocotb_array(spec, path, jobs or build_jobs(spec), "icarus",
                            work_dir=tmp_path)


@needs_icarus
@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("stem", STEMS)
def test_unmutated_array_passes(stem, flow, baseline):
    check_passes(baseline(stem, flow, SIZE))


@needs_icarus
# The interior in CI; the far corner and the origin under -m slow.
@pytest.mark.parametrize("where", [w if w == "interior" else
                                   pytest.param(w, marks=pytest.mark.slow) for w in CELLS])
@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("stem", STEMS)
def test_one_wrong_sign_fails_the_array_check(stem, flow, where, array, baseline, mutant,
                                              tmp_path):
    spec, _ = array(stem, flow, SIZE)
    row, col = CELLS[where]
    made = mutant(stem, flow, row, col, "sign")
    check_passes(baseline(stem, flow, SIZE))  # so this test can fail
    check_caught(run_mutant(spec, made, tmp_path), col, made[1])


@needs_icarus
@pytest.mark.parametrize("stem, flow, kind", OTHER_KINDS)
def test_every_kind_of_wrong_product_fails(stem, flow, kind, array, baseline, mutant, tmp_path):
    spec, _ = array(stem, flow, SIZE)
    row, col = CELLS["interior"]
    made = mutant(stem, flow, row, col, kind)
    check_passes(baseline(stem, flow, SIZE))
    check_caught(run_mutant(spec, made, tmp_path), col, made[1])


@needs_icarus
@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("stem", STEMS)
def test_only_the_mutated_cell_is_wrong(stem, flow, array, mutant, tmp_path):
    """With row ``r``'s activations zero, cell ``(r, c)``'s product is zero either way,
    and the mutant passes: every other product of the column is right."""
    spec, _ = array(stem, flow, SIZE)
    row, col = CELLS["interior"]
    made = mutant(stem, flow, row, col, "sign")
    inputs, values = spec.codebook.act_table(spec.pe.act_bits, spec.pe.act_signed)
    zero = inputs[np.flatnonzero(np.asarray(values) == 0)[0]]
    jobs = []
    for w, x in build_jobs(spec):
        x = x.copy()
        x[:, row] = zero
        jobs.append((w, x))
    check_passes(run_mutant(spec, made, tmp_path, jobs))


@pytest.mark.parametrize("stem, flow", [pytest.param(*key, id="-".join(key))
                                        for key in UNIT_KINDS])
def test_each_unit_has_its_kinds(stem, flow, mutant):
    row, col = CELLS["interior"]
    made = {kind for kind in ARRAY_KINDS if mutant(stem, flow, row, col, kind) is not None}
    assert made == UNIT_KINDS[stem, flow]


@pytest.mark.parametrize("flow", FLOWS)
def test_mutant_keeps_the_top_and_changes_one_instance(flow, array, mutant):
    spec, verilog = array("pot_4bit", flow, SIZE)
    row, col = CELLS["interior"]
    path, what = mutant("pot_4bit", flow, row, col, "sign")
    unit = f"pot_4bit_{'cell' if flow == 'weight_stationary' else 'column'}"
    original, text = verilog.read_text(), path.read_text()
    top = array_name(spec)

    def module(source, name):
        return re.search(rf"^module {name}\(.*?^endmodule", source, re.M | re.S).group(0)

    # The unit and the top's ports as they were; one instance uses the copy.
    assert module(text, unit) == module(original, unit)
    instance = unit_instance(spec, row, col)
    assert module(text, top) == module(original, top).replace(
        f"{unit} {instance} (", f"{unit}_mutant {instance} (")
    assert len(re.findall(rf"^\s*{unit}_mutant \w+ \(", text, re.M)) == 1
    assert re.search(rf"^module {unit}_mutant\(", text, re.M)
    assert f"cell ({row}, {col}), in {instance}" in what and "sign bit inverted" in what


@pytest.mark.parametrize("flow", FLOWS)
def test_formal_array_proof_fails_on_the_mutant(flow, tmp_path):
    """The mutant runs unchanged through the bounded proof of a small array too
    (the unmutated 2 x 2 arrays are proved in ``test_formal_array``)."""
    spec = array_spec_file("pot_4bit", flow, 2, tmp_path)
    verilog = export_array(spec, tmp_path / "export")["verilog"]
    path, what = make_array_mutant(spec, verilog, tmp_path / "mutant", 1, 0, "sign")
    assert prove_array(spec, path)["result"] == "failed", what


def test_bad_arguments(array, tmp_path):
    spec, verilog = array("pot_4bit", "weight_stationary", SIZE)
    with pytest.raises(ValueError, match=r"Mutant kind must be one of sign, shift, mux, "
                                         r"select, not 'carry'"):
        make_array_mutant(spec, verilog, tmp_path, 0, 0, "carry")
    with pytest.raises(ValueError, match=r"within the 16 x 16 array, not \(16, 0\)"):
        make_array_mutant(spec, verilog, tmp_path, SIZE, 0)
    with pytest.raises(ValueError, match="array section"):
        make_array_mutant(load_spec(ROOT / "specs" / "pot_4bit.yaml"), verilog, tmp_path, 0, 0)
    unit_only = tmp_path / "unit_only.v"
    unit_only.write_text("module pot_4bit_cell(a);\n  input a;\nendmodule\n")
    with pytest.raises(ValueError, match="must instantiate pot_4bit_cell as cell_0_0"):
        make_array_mutant(spec, unit_only, tmp_path, 0, 0)


SHIPPED_64 = ["pot_4bit_64x64", "pot_4bit_64x64_broadcast", "ausn_8x4_64x64",
              "ausn_8x4_64x64_broadcast"]


@pytest.mark.slow
@needs_icarus
@pytest.mark.parametrize("name", SHIPPED_64)
def test_64x64_wrong_far_corner_fails(name, array, baseline, tmp_path):
    """The shipped 64 x 64 arrays: the build's check passes them and fails the one cell."""
    key = (ROOT / "specs" / "arrays" / f"{name}.yaml",)
    spec, verilog = array(*key)
    assert spec.array.rows == spec.array.cols == 64
    made = make_array_mutant(spec, verilog, tmp_path / "mutant", 63, 63, "sign")
    check_passes(baseline(*key))
    check_caught(run_mutant(spec, made, tmp_path / "sim"), 63, made[1])
