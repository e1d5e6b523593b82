"""A constant-weight array checked on the weights it was built for: cocotb on Icarus and a proof.

An array built from other codes than the spec (and so the report) names
fails each check.
"""

import pytest

from shiftgen.export.array import array_name, export_array
from shiftgen.export.verilog import export
from shiftgen.hdl.constant import ConstantArray, constant_latency
from shiftgen.hdl.da4ml_graph import da4ml_available
from shiftgen.verify.cocotb_runner import available, run_cocotb_array
from shiftgen.verify.constant_mutants import graph_registers, make_register_mutant
from shiftgen.verify.formal_array import prove_array
from shiftgen.verify.schedule import random_jobs

from ..constant_support import constant_spec, other_codes

pytestmark = pytest.mark.xdist_group("formal_array")
needs_icarus = pytest.mark.skipif(not available("icarus"), reason="icarus not installed")
BACKENDS = ["shiftadd", pytest.param("da4ml", marks=pytest.mark.skipif(
    not da4ml_available(), reason="da4ml is not installed"))]


def _export(spec, out, codes=None, backend="shiftadd", pipeline=None):
    arr = ConstantArray(spec, backend, codes=codes, pipeline=pipeline)
    out.mkdir(parents=True, exist_ok=True)
    _, path = export(spec, arr, out, name=array_name(spec), keep=True)
    return path


@needs_icarus
@pytest.mark.parametrize("pipeline", [0, 1, 2])
@pytest.mark.parametrize("backend", BACKENDS)
def test_cocotb_icarus_passes_on_its_weights(tmp_path, backend, pipeline):
    spec, _ = constant_spec(tmp_path, "ausn_8x4", rows=8, cols=5, backend=backend,
                            pipeline=pipeline)
    verilog = _export(spec, tmp_path / "v", backend=backend)
    res = run_cocotb_array(spec, verilog, random_jobs(spec, 1, 16), "icarus",
                           work_dir=tmp_path / "sim")
    assert res["result"] == "pass" and res["mismatches"] == 0 and res["cases"] == 16 * 5


@needs_icarus
def test_cocotb_icarus_fails_an_array_of_other_weights(tmp_path):
    spec, codes = constant_spec(tmp_path, "pot_4bit", rows=8, cols=5)
    verilog = _export(spec, tmp_path / "v", codes=other_codes(spec, codes))
    res = run_cocotb_array(spec, verilog, random_jobs(spec, 1, 16), "icarus",
                           work_dir=tmp_path / "sim")
    assert res["result"] == "fail" and res["mismatches"] > 0


@pytest.mark.parametrize("pipeline", [0, 1, 2])
@pytest.mark.parametrize("backend", BACKENDS)
def test_small_constant_array_is_proved(tmp_path, backend, pipeline):
    spec, _ = constant_spec(tmp_path, "pot_4bit", rows=4, cols=4, backend=backend,
                            pipeline=pipeline)
    res = prove_array(spec, export_array(spec, tmp_path / "v")["verilog"],
                      evidence_dir=tmp_path)
    assert res["result"] == "proved", res
    latency = constant_latency(spec, backend)
    assert res["steps"] == latency + 1 and (latency > 2) == (pipeline > 0)
    assert "w_load" not in (tmp_path / "reference.v").read_text()


def test_proof_fails_an_array_of_other_weights(tmp_path):
    spec, codes = constant_spec(tmp_path, "pot_4bit", rows=3, cols=2)
    verilog = _export(spec, tmp_path / "v", codes=other_codes(spec, codes))
    assert prove_array(spec, verilog)["result"] == "failed"


@pytest.mark.slow
@pytest.mark.parametrize("stem", ["apot_4bit", "uniform_4x8", "jlq_3bit", "sq_4bit"])
def test_constant_arrays_of_other_families_are_proved(tmp_path, stem):
    spec, _ = constant_spec(tmp_path, stem, rows=2, cols=2)
    assert prove_array(spec, export_array(spec, tmp_path / "v")["verilog"])["result"] == "proved"


# A pipelined array is right only with every path crossing the same registers.

def _pipelined(tmp_path, rows=4, cols=4):
    spec, _ = constant_spec(tmp_path, "pot_4bit", rows=rows, cols=cols, pipeline=1)
    verilog = _export(spec, tmp_path / "v")
    return spec, verilog


def test_register_mutant_is_one_delay_register_short(tmp_path):
    import json
    spec, verilog = _pipelined(tmp_path)
    path, what = make_register_mutant(spec, verilog, tmp_path / "m")
    assert "made a wire" in what and path.exists()
    before = graph_registers(json.loads((tmp_path / "m" / "design.json").read_text())
                             ["modules"][array_name(spec)])
    assert len(before) > 1
    with pytest.raises(ValueError, match="Register index must be below"):
        make_register_mutant(spec, verilog, tmp_path / "m2", index=len(before))


def test_proof_fails_a_mis_balanced_array(tmp_path):
    spec, verilog = _pipelined(tmp_path)
    assert prove_array(spec, verilog)["result"] == "proved"
    mutant, _ = make_register_mutant(spec, verilog, tmp_path / "m")
    assert prove_array(spec, mutant)["result"] == "failed"


@needs_icarus
def test_cocotb_icarus_fails_a_mis_balanced_array(tmp_path):
    spec, verilog = _pipelined(tmp_path, rows=8, cols=5)
    mutant, _ = make_register_mutant(spec, verilog, tmp_path / "m")
    res = run_cocotb_array(spec, mutant, random_jobs(spec, 1, 16), "icarus",
                           work_dir=tmp_path / "sim")
    assert res["result"] == "fail" and res["mismatches"] > 0


def test_proof_fails_an_array_of_another_latency(tmp_path):
    """The reported latency is the array's: one with other pipeline stages fails the proof,
    though its own y_valid flags each result when it comes."""
    spec, _ = constant_spec(tmp_path, "pot_4bit", rows=4, cols=4, pipeline=1)
    assert constant_latency(spec) > 2
    assert prove_array(spec, _export(spec, tmp_path / "v", pipeline=0))["result"] == "failed"


def test_proof_fails_a_pipelined_array_of_other_weights(tmp_path):
    spec, codes = constant_spec(tmp_path, "pot_4bit", rows=4, cols=4, pipeline=1)
    verilog = _export(spec, tmp_path / "v", codes=other_codes(spec, codes))
    assert prove_array(spec, verilog)["result"] == "failed"
