"""``shiftgen build`` of a spec with an array section: outputs, report, checks."""

import json

import pytest

from ..support import ROOT, shiftgen

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("flows.test_build")


@pytest.fixture(scope="module")
def array_build(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("array-cli")
    proc = shiftgen("build", str(ROOT / "specs" / "arrays" / "pot_4bit_8x8.yaml"), "--part",
                    "xc7a100tcsg324-1", cwd=cwd)
    return proc, cwd / "build" / "pot_4bit_8x8"


def test_array_build_writes_the_array_files(array_build):
    proc, out = array_build
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in out.iterdir()}
    assert {"pot_4bit_8x8_array.v", "pot_4bit_8x8_cell.v", "pot_4bit_8x8_array.core",
            "array_vivado_ooc.tcl", "array_cell_yosys_xilinx7.ys",
            "array_top_yosys_xilinx7.ys"} <= names
    assert "-part xc7a100tcsg324-1" in (out / "array_vivado_ooc.tcl").read_text()
    assert "array LUT / FF / CARRY4" in proc.stdout


def test_array_report_sums_the_cells(array_build):
    _, out = array_build
    arr = json.loads((out / "report.json").read_text())["array"]
    assert (arr["rows"], arr["cols"], arr["decoder"]) == (8, 8, "pe")
    assert arr["verification"]["amaranth_sim"] == {
        "result": "pass", "cases": 128, "mismatches": 0, "jobs": 2}
    x = arr["targets"]["xilinx7"]
    assert x["instances"] == 64
    # Edge contexts: 49 interior cells, 7 in row 0, 7 in the last column, 1 corner.
    ctx = x["contexts"]
    assert sorted(c["instances"] for c in ctx.values()) == [1, 7, 7, 49]
    for key in ("LUT", "FF", "CARRY4"):
        assert x["totals"][key] == x["top"][key] + sum(
            c["instances"] * c[key] for c in ctx.values())
        assert x["uniform_totals"][key] == x["top"][key] + 64 * x["cell"][key]
        assert x["totals"][key] <= x["uniform_totals"][key]
    # Each cell registers its activation, weight code and partial sum.
    assert x["cell"]["FF"] == 8 + 4 + arr["psum_bits"]
    assert "edge contexts" in arr["targets"]["method"]
    assert "## Array 8 x 8" in (out / "report.md").read_text()


def test_bad_part_exits_2(tmp_path):
    proc = shiftgen("build", str(ROOT / "specs" / "arrays" / "pot_4bit_8x8.yaml"), "--part",
                    "xc7 a100t", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --part must be") and "Traceback" not in proc.stderr
    assert not (tmp_path / "build").exists()
