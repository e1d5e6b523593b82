"""A constant-weight array checked on the weights it was built for: cocotb on Icarus and a proof.

An array built from other codes than the spec (and so the report) names
fails each check.
"""

import pytest

from shiftgen.export.array import array_name, export_array
from shiftgen.export.verilog import export
from shiftgen.hdl.constant import ConstantArray
from shiftgen.hdl.da4ml_graph import da4ml_available
from shiftgen.verify.cocotb_runner import available, run_cocotb_array
from shiftgen.verify.formal_array import prove_array
from shiftgen.verify.schedule import random_jobs

from ..constant_support import constant_spec, other_codes

pytestmark = pytest.mark.xdist_group("formal_array")
needs_icarus = pytest.mark.skipif(not available("icarus"), reason="icarus not installed")
BACKENDS = ["shiftadd", pytest.param("da4ml", marks=pytest.mark.skipif(
    not da4ml_available(), reason="da4ml is not installed"))]


def _export(spec, out, codes=None, backend="shiftadd"):
    arr = ConstantArray(spec, backend, codes=codes)
    out.mkdir(parents=True, exist_ok=True)
    _, path = export(spec, arr, out, name=array_name(spec), keep=True)
    return path


@needs_icarus
@pytest.mark.parametrize("backend", BACKENDS)
def test_cocotb_icarus_passes_on_its_weights(tmp_path, backend):
    spec, _ = constant_spec(tmp_path, "ausn_8x4", rows=8, cols=5, backend=backend)
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


@pytest.mark.parametrize("backend", BACKENDS)
def test_small_constant_array_is_proved(tmp_path, backend):
    spec, _ = constant_spec(tmp_path, "pot_4bit", rows=3, cols=2, backend=backend)
    res = prove_array(spec, export_array(spec, tmp_path / "v")["verilog"],
                      evidence_dir=tmp_path)
    assert res["result"] == "proved", res
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
