# amaranth: UnusedElaboratable=no
"""An array's standard-cell area, timing and power: its parts, summed as its LUTs are."""

import pytest
import yaml

from shiftgen.export.array import export_array
from shiftgen.reports.build_report import asic_rows
from shiftgen.spec import load_spec, parse_spec
from shiftgen.synth import array_asic
from shiftgen.synth.array import edge_contexts
from shiftgen.synth.array_asic import (CELL_METHOD, COLUMN_METHOD, NO_STA, POWER_KEYS,
                                       array_asic_target, split_assigns)
from shiftgen.synth.sta import PRE_LAYOUT, find_sta

from ..support import ROOT

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("synth.test_array_asic")

needs_sta = pytest.mark.skipif(find_sta() is None, reason="OpenSTA (sta) not installed")


def array_spec(stem, rows, cols, dataflow):
    """``specs/<stem>.yaml`` with an ``array`` section."""
    path = ROOT / "specs" / f"{stem}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["array"] = {"rows": rows, "cols": cols, "dataflow": dataflow}
    return parse_spec(yaml.safe_dump(doc), path=path)


def measured(tmp_path_factory, liberty, dataflow, clock_mhz=100.0, stem="pot_4bit"):
    spec = array_spec(stem, 4, 4, dataflow)
    out = tmp_path_factory.mktemp(f"asic-{stem}-{dataflow}")
    exported = export_array(spec, out)
    return spec, out, exported, array_asic_target(spec, out, exported, liberty=liberty,
                                                  clock_mhz=clock_mhz)


@pytest.fixture(scope="module")
def broadcast(tmp_path_factory, liberty):
    """A 4 x 4 PoT broadcast array: the top and one column, x 4."""
    return measured(tmp_path_factory, liberty, "broadcast")


@pytest.fixture(scope="module")
def systolic(tmp_path_factory, liberty):
    """A 4 x 4 PoT weight-stationary array: the top and the cell in its four edge contexts."""
    return measured(tmp_path_factory, liberty, "weight_stationary")


@pytest.fixture(params=["broadcast", "systolic"])
def result(request):
    return request.getfixturevalue(request.param)


def test_split_assigns_splits_concatenations_only():
    text = ("module m(a, b);\n  output [22:0] a;\n  wire [22:0] a;\n  input [14:0] b;\n"
            "  wire \\c.d ;\n  assign { a[22], a[1:0] } = { 1'h0, b[14:13] };\n"
            "  assign a[5] = b[0];\n  assign { a[7:6], \\c.d  } = 3'h5;\n"
            "  assign a[21:8] = b[13:0];\nendmodule\n")
    out = split_assigns(text)
    assert ("  assign a[22] = 1'b0;\n  assign a[1] = b[14];\n  assign a[0] = b[13];\n"
            in out)
    assert "  assign a[7] = 1'b1;\n  assign a[6] = 1'b0;\n  assign \\c.d  = 1'b1;\n" in out
    # Assignments OpenSTA reads stay as they were.
    assert "  assign a[5] = b[0];\n" in out and "  assign a[21:8] = b[13:0];\n" in out
    assert "{" not in out


@needs_sta
def test_keys_are_there(result):
    spec, out, exported, asic = result
    for key in ("liberty", "area_um2", "critical_path_ns", "fmax_mhz", "clock_mhz", "method",
                "conditions", "tools"):
        assert asic[key] is not None, key
    assert asic["liberty"] == "osu018_stdcells.lib"
    assert set(asic["power_mw"]) == {"vectorless"}
    assert set(asic["power_mw"]["vectorless"]) == set(POWER_KEYS)
    assert set(asic["energy_pj_per_mac"]) == {"vectorless"}
    assert asic["conditions"] == PRE_LAYOUT
    assert asic["tools"]["yosys"].startswith("Yosys ")
    assert asic["tools"]["sta"].startswith("OpenSTA")
    assert "reason" not in asic and asic["meets_clock"]
    # Every part's cell netlist is in the build directory, read by OpenSTA as written.
    for part in asic["parts"].values():
        assert (out / part["netlist"]).is_file()
        assert "{" not in "".join(line for line in (out / part["netlist"]).read_text()
                                  .splitlines() if line.lstrip().startswith("assign"))
    assert not list(out.glob(".asic-array-*")) and not list(out.glob(".sta-*"))


@needs_sta
def test_parts_are_the_dataflows_units(broadcast, systolic):
    spec, _, exported, asic = broadcast
    assert asic["method"] == COLUMN_METHOD and asic["unit"] == "column"
    assert {k: p["instances"] for k, p in asic["parts"].items()} == {"top": 1, "column": 4}
    assert asic["parts"]["column"]["module"] == exported["cell_name"]
    spec, _, _, asic = systolic
    assert asic["method"] == CELL_METHOD and asic["unit"] == "cell"
    assert {k: p["instances"] for k, p in asic["parts"].items()} == \
        {"top": 1, **edge_contexts(4, 4)}


@needs_sta
def test_top_is_its_own_logic_only(broadcast, systolic):
    # The broadcast top registers each row's activation and carries the valid
    # chain (input register and output register: two stages); the systolic top
    # holds the input skew (row r waits r edges) and the valid chain, R + C - 1.
    spec, _, _, asic = broadcast
    R, C, bits = spec.array.rows, spec.array.cols, spec.pe.act_bits
    ffs = {k: v for k, v in asic["parts"]["top"]["cells_by_type"].items() if k.startswith("DFF")}
    assert sum(ffs.values()) == R * bits + 2
    spec, _, _, asic = systolic
    ffs = {k: v for k, v in asic["parts"]["top"]["cells_by_type"].items() if k.startswith("DFF")}
    assert sum(ffs.values()) == R * (R - 1) // 2 * bits + R + C - 1


@needs_sta
def test_total_is_the_parts_summed_by_count(result):
    _, _, _, asic = result
    parts = [(p["instances"], p) for p in asic["parts"].values()]
    assert asic["area_um2"] == pytest.approx(sum(n * p["area_um2"] for n, p in parts))
    assert asic["sequential_area_um2"] == pytest.approx(
        sum(n * p["sequential_area_um2"] for n, p in parts))
    assert asic["cells"] == sum(n * p["cells"] for n, p in parts) == \
        sum(asic["cells_by_type"].values())
    for key in POWER_KEYS:
        assert asic["power_mw"]["vectorless"][key] == pytest.approx(
            sum(n * p["power_mw"][key] for n, p in parts), rel=1e-9, abs=1e-9)
    assert asic["critical_path_ns"] == max(p["critical_path_ns"] for _, p in parts)
    assert asic["parts"][asic["critical_part"]]["critical_path_ns"] == asic["critical_path_ns"]
    assert asic["fmax_mhz"] == pytest.approx(1000 / asic["critical_path_ns"], rel=1e-5)


@needs_sta
def test_energy_per_mac_is_power_over_clock_and_macs(result):
    spec, _, _, asic = result
    macs = spec.array.rows * spec.array.cols
    assert asic["macs_per_cycle"] == macs
    total = asic["power_mw"]["vectorless"]["total"]
    # mW / MHz is nJ a cycle.
    assert asic["energy_pj_per_mac"]["vectorless"] == pytest.approx(
        total / asic["clock_mhz"] * 1e3 / macs, rel=1e-6)


@needs_sta
def test_figures_are_deterministic(broadcast, liberty, tmp_path):
    spec, _, _, first = broadcast
    again = array_asic_target(spec, tmp_path, export_array(spec, tmp_path), liberty=liberty)

    def figures(asic):
        return {k: v if k != "parts" else {n: {kk: vv for kk, vv in p.items() if kk != "seconds"}
                                           for n, p in v.items()}
                for k, v in asic.items() if k != "seconds"}
    assert figures(again) == figures(first)


@needs_sta
def test_power_is_refused_at_a_clock_the_array_cannot_meet(tmp_path_factory, liberty, broadcast):
    _, _, _, fast = broadcast
    clock = 2 * fast["fmax_mhz"]
    spec, _, _, asic = measured(tmp_path_factory, liberty, "broadcast", clock_mhz=clock)
    # ABC maps for the clock (abc -D), so the netlist is sized harder; it still cannot meet it.
    assert asic["critical_path_ns"] > 1000 / clock and not asic["meets_clock"]
    assert asic["power_mw"] is None and asic["energy_pj_per_mac"] is None
    assert asic["reason"].startswith("power refused: the critical path of")
    assert f"{clock:g} MHz" in asic["reason"]
    assert all(p["power_mw"] is None for p in asic["parts"].values())
    assert asic["area_um2"] >= fast["area_um2"]
    assert ("array asic power", asic["reason"]) in asic_rows(asic, "array asic")


def test_missing_sta_is_a_reason(monkeypatch, liberty, tmp_path):
    monkeypatch.setattr(array_asic, "find_sta", lambda: None)
    spec = array_spec("pot_4bit", 2, 2, "broadcast")
    asic = array_asic_target(spec, tmp_path, export_array(spec, tmp_path), liberty=liberty)
    assert asic["area_um2"] > 0
    for key in ("critical_path_ns", "fmax_mhz", "power_mw", "energy_pj_per_mac"):
        assert asic[key] is None, key
    assert asic["reason"] == NO_STA
    assert ("array asic timing, power", NO_STA) in asic_rows(asic, "array asic")


def test_missing_liberty_is_a_reason(monkeypatch, tmp_path):
    monkeypatch.setattr(array_asic, "find_liberty", lambda: None)
    spec = array_spec("pot_4bit", 2, 2, "broadcast")
    asic = array_asic_target(spec, tmp_path, export_array(spec, tmp_path))
    assert asic["area_um2"] is None and asic["power_mw"] is None
    assert "liberty" in asic["reason"]
    assert asic_rows(asic, "array asic") == [("array asic", asic["reason"])]


def test_large_constant_array_says_why(liberty, tmp_path):
    spec = load_spec(ROOT / "specs" / "arrays" / "pot_4bit_64x64_constant.yaml")
    adders = array_asic.CONSTANT_ADDERS + 1
    asic = array_asic_target(spec, tmp_path, {}, liberty=liberty, adders=adders)
    assert asic["area_um2"] is None and asic["critical_path_ns"] is None
    assert f"of {adders} adders (above {array_asic.CONSTANT_ADDERS})" in asic["reason"]
    assert not list(tmp_path.iterdir())


@needs_sta
def test_summary_rows(broadcast):
    _, _, _, asic = broadcast
    rows = dict(asic_rows(asic, "array asic"))
    assert rows["array asic area (osu018_stdcells.lib)"] == f"{asic['area_um2']:,.1f} um^2"
    assert f"{asic['energy_pj_per_mac']['vectorless']:.3f} pJ/MAC" in \
        rows["array asic power @ 100 MHz, vectorless"]


@needs_sta
def test_constant_array_maps_in_parts_to_a_netlist_equal_to_golden(liberty, tmp_path):
    """A pipelined constant array mapped part by part: the cell netlist OpenSTA times is
    the array (gate level on Icarus against golden.matmul), about as small as whole."""
    from shiftgen.export.array import array_name
    from shiftgen.export.verilog import export
    from shiftgen.hdl.constant import ConstantArray
    from shiftgen.synth.activity import cell_models
    from shiftgen.verify.cocotb_runner import available, run_cocotb_array
    from shiftgen.verify.schedule import random_jobs

    from ..constant_support import constant_spec
    spec, _ = constant_spec(tmp_path, "pot_4bit", rows=8, cols=6, pipeline=1)
    arr = ConstantArray(spec, "shiftadd")
    top = array_name(spec)
    _, verilog = export(spec, arr, tmp_path, name=top, keep=True)
    whole_v = {"verilog": verilog, "cell": verilog, "top": verilog, "cell_name": top,
               "top_name": top}
    split = arr.graph.parts(3, pipeline=1)
    assert len(split) == 3
    parted = array_asic_target(spec, tmp_path, whole_v, liberty=liberty, partition=split)
    (tmp_path / "whole").mkdir()
    whole = array_asic_target(spec, tmp_path / "whole", whole_v, liberty=liberty)
    assert parted["method"] == array_asic.CONSTANT_METHOD
    assert "3 parts each moved into a submodule" in parted["parts"]["array"]["recipe"]
    assert "select -set" not in parted["parts"]["array"]["recipe"]
    assert abs(parted["area_um2"] - whole["area_um2"]) < 0.02 * whole["area_um2"]
    # The reset drives every flip-flop, unbuffered pre-layout: at 8 x 6 already the
    # critical path, and power at 100 MHz is refused naming it.
    assert parted["reset_is_critical"] and parted["data_path_ns"] < parted["critical_path_ns"]
    assert parted["data_fmax_mhz"] == pytest.approx(1000 / parted["data_path_ns"], rel=1e-5)
    if not parted["meets_clock"]:
        assert array_asic.RESET_NOTE in parted["reason"] and "without the reset net" in \
            parted["reason"]
    (tmp_path / "slow").mkdir()
    slow = array_asic_target(spec, tmp_path / "slow", whole_v, liberty=liberty, partition=split,
                             clock_mhz=10.0)
    assert slow["meets_clock"] and slow["power_mw"]["vectorless"]["total"] > 0
    models = cell_models(liberty)
    if models is None or not available("icarus"):
        pytest.skip("no cell models beside the liberty, or no Icarus")
    netlist = tmp_path / parted["parts"]["array"]["netlist"]
    (tmp_path / "gates.v").write_text(netlist.read_text() + "\n" + models.read_text())
    res = run_cocotb_array(spec, tmp_path / "gates.v", random_jobs(spec, 1, 16, seed=2),
                           "icarus", work_dir=tmp_path / "sim")
    assert res["result"] == "pass" and res["cases"] == 16 * 6, res
