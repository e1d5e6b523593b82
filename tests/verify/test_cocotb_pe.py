# amaranth: UnusedElaboratable=no
"""cocotb (hdl_tests/test_pe.py) on the exported Verilog, with Icarus and Verilator."""

import pytest

from shiftgen.verify.cocotb_runner import available, run_cocotb

from ..support import ROOT, all_spec_params, shipped_spec

SIMULATORS = [pytest.param(s, marks=pytest.mark.skipif(not available(s),
                                                       reason=f"{s} not installed"))
              for s in ("icarus", "verilator")]

# Verilator compiles C++ for every design (about 10 s each), so the default run
# covers one configuration per family and PE style on it; 'pytest -m slow' runs
# every configuration. Icarus runs every configuration by default.
VERILATOR_DEFAULT = {"pot_4bit", "uniform_4x8", "apot_4bit_sorted", "sq_3bit", "sq_external",
                     "jlq_3bit", "jlq_2bit_shifter", "ausn_8x4", "ausn_8x4_decoder",
                     "pot_zero_saturate"}


def _simulator_params():
    out = []
    for param in all_spec_params():
        spec = param.values[0]
        name = spec if isinstance(spec, str) else spec.name
        for sim in SIMULATORS:
            marks = list(sim.marks)
            if sim.values[0] == "verilator" and name not in VERILATOR_DEFAULT:
                marks.append(pytest.mark.slow)
            out.append(pytest.param(spec, sim.values[0], marks=marks,
                                    id=f"{param.id}-{sim.values[0]}"))
    return out


@pytest.mark.parametrize("any_spec, simulator", _simulator_params(), indirect=["any_spec"])
def test_cocotb_matches_golden_model(any_spec, simulator, exported, tmp_path):
    verilog, codebook = exported(any_spec)
    result = run_cocotb(any_spec, verilog, codebook, simulator, work_dir=tmp_path,
                        random_steps=3000, test_module="test_pe",
                        test_dir=ROOT / "hdl_tests")
    assert result["failed_tests"] == 0
    assert result["mismatches"] == 0
    expected_tests = {"exhaustive", "random"} | ({"reload"} if any_spec.codebook.setup else set())
    assert set(result["tests"]) == expected_tests
    pairs = 1 << (any_spec.pe.act_bits + any_spec.pe.weight_bits)
    assert result["tests"]["exhaustive"]["cases"] == pairs + 1
    assert result["result"] == "pass"


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_cocotb_catches_a_broken_design(simulator, exported, tmp_path):
    spec = shipped_spec("pot_4bit")
    verilog, codebook = exported(spec)
    broken = tmp_path / "broken.v"
    broken.write_text(verilog.read_text().replace(">>> w[2:0]", ">>> {w[2:1], 1'b0}"))
    result = run_cocotb(spec, broken, codebook, simulator, work_dir=tmp_path,
                        random_steps=500, test_module="test_pe", test_dir=ROOT / "hdl_tests")
    assert result["result"] == "fail"
    assert result["failed_tests"] == 2
    assert result["mismatches"] > 0
