"""shiftgen build of a constant-weight array: both back ends side by side, the smaller kept."""

import json

import pytest

from shiftgen.flows.build import build
from shiftgen.hdl.da4ml_graph import da4ml_available
from shiftgen.spec import load_spec

from ..constant_support import constant_spec
from ..support import ROOT


@pytest.mark.skipif(not da4ml_available(), reason="da4ml is not installed")
def test_build_synthesizes_both_back_ends_and_keeps_the_smaller(tmp_path):
    spec, codes = constant_spec(tmp_path, "pot_4bit", rows=6, cols=5, backend="auto")
    report, out, _ = build(spec, tmp_path / "build")
    arr = report["array"]
    assert arr["dataflow"] == "constant" and set(arr["backends"]) == {"shiftadd", "da4ml"}
    luts = {b: v["targets"]["xilinx7"]["LUT"] for b, v in arr["backends"].items()}
    assert arr["backend"] == min(luts, key=lambda b: (luts[b], b != "shiftadd"))
    x = arr["targets"]["xilinx7"]
    assert x["totals"]["LUT"] == luts[arr["backend"]] and x["backend"] == arr["backend"]
    assert set(x["backends"]) == {"shiftadd", "da4ml"}
    assert arr["weights"]["sha256"] and arr["weights"]["spec"] == "pot_4bit"
    for b in arr["backends"].values():
        assert all(c["result"] == "pass" for c in b["verification"].values()), b
    assert (out / arr["verilog"]).read_text() == \
        (out / arr["backends"][arr["backend"]]["verilog"]).read_text()
    assert "w_load" not in (out / arr["verilog"]).read_text()
    md = (out / "report.md").read_text()
    assert "constant weights" in md and "da4ml" in md and "shiftadd" in md
    assert json.loads((out / "report.json").read_text())["array"]["backend"] == arr["backend"]


def test_build_without_synthesis_uses_the_named_back_end(tmp_path):
    spec, _ = constant_spec(tmp_path, "apot_4bit", rows=3, cols=2, backend="shiftadd")
    report, out, _ = build(spec, tmp_path / "build", synth=False)
    arr = report["array"]
    assert arr["backend"] == "shiftadd" and "targets" not in arr
    assert arr["verification"]["amaranth_sim"]["result"] == "pass"


def test_pipelined_build_reports_its_latency(tmp_path):
    spec, _ = constant_spec(tmp_path, "pot_4bit", rows=8, cols=4, backend="shiftadd",
                            pipeline=1)
    report, out, _ = build(spec, tmp_path / "build", synth=False)
    arr = report["array"]
    graph = arr["backends"]["shiftadd"]["graph"]
    stages = graph["depth"] - 1
    assert arr["pipeline"] == 1 and graph["pipeline_stages"] == stages > 0
    assert graph["latency"] == 2 + stages
    assert arr["latency"].startswith(f"{2 + stages} cycles for every column (input register, "
                                     f"{stages} pipeline stages of 1 adder level, output register)")
    assert arr["verification"]["amaranth_sim"]["result"] == "pass"
    assert "_d1" in (out / arr["verilog"]).read_text()  # delay registers in the graph


def test_pipelined_graph_synthesizes_in_parts_with_its_registers(tmp_path):
    """A pipelined graph mapped part by part: every adder in a part, the registers counted."""
    from shiftgen.export.array import array_name
    from shiftgen.export.verilog import export
    from shiftgen.hdl.constant import ConstantArray
    from shiftgen.synth.constant import parts, synthesize_backends
    figures = {}
    for pipeline in (0, 2):
        spec, _ = constant_spec(tmp_path / str(pipeline), "pot_4bit", rows=16, cols=16,
                                pipeline=pipeline)
        arr = ConstantArray(spec, "shiftadd")
        split = parts(arr.graph, pipeline)
        assert split is not None and len(split) > 1
        (tmp_path / f"v{pipeline}").mkdir()
        _, path = export(spec, arr, tmp_path / f"v{pipeline}", name=array_name(spec), keep=True)
        figures[pipeline] = synthesize_backends({"shiftadd": path}, array_name(spec),
                                                ("xilinx7",), partitions={"shiftadd": split}
                                                )["shiftadd"]["xilinx7"]
    # Input (16 x 8) and output (16 x psum) registers, the valid chain, and in the
    # pipelined array its stage and delay registers.
    assert figures[2]["FF"] > figures[0]["FF"] + 16 * 8
    assert abs(figures[2]["LUT"] - figures[0]["LUT"]) < 0.1 * figures[0]["LUT"]


CONSTANT_SPECS = sorted((ROOT / "specs" / "arrays").glob("*_constant.yaml"))


@pytest.mark.parametrize("path", CONSTANT_SPECS, ids=lambda p: p.stem)
def test_shipped_spec_loads_with_its_weights(path):
    from shiftgen.weights.constant import constant_weights
    spec = load_spec(path)
    cw = constant_weights(spec)
    assert cw.codes.shape == (64, 64) and f"{cw.doc['spec']}_64x64_constant" == spec.name


@pytest.mark.parametrize("path", CONSTANT_SPECS, ids=lambda p: p.stem)
def test_shipped_weights_are_what_the_script_makes(path):
    """scripts/make_constant_weights.py regenerates the shipped codes bit for bit."""
    import numpy as np
    from scripts.make_constant_weights import layer_weights
    from shiftgen.weights.constant import constant_weights
    from shiftgen.weights.quantize import quantize_matrix
    shipped = constant_weights(load_spec(path))
    pe = load_spec(ROOT / "specs" / f"{shipped.doc['spec']}.yaml")
    assert np.array_equal(quantize_matrix(pe, layer_weights()).codes, shipped.codes)


@pytest.mark.slow
def test_pot_64x64_build(tmp_path):
    """The shipped 64 x 64 PoT constant array, built as a user would (minutes)."""
    spec = load_spec(ROOT / "specs" / "arrays" / "pot_4bit_64x64_constant.yaml")
    report, _, _ = build(spec, tmp_path / "build")
    arr = report["array"]
    assert all(c["result"] == "pass" for c in arr["verification"].values())
    assert arr["backend"] == "da4ml"
    # Issue 15: at most 25000 LUT, below da4ml's own writer (25684 on this matrix).
    assert arr["targets"]["xilinx7"]["totals"]["LUT"] <= 25000
