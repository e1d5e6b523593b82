"""The bounded proof of a small array against the codebook's integer matmul."""

import re

import pytest

from shiftgen.export.array import export_array
from shiftgen.verify.formal_array import MAX_CELLS, array_reference_verilog, prove_array

from ..hdl.test_broadcast import broadcast_spec
from ..hdl.test_array import array_spec
from ..support import ROOT

pytestmark = pytest.mark.xdist_group("formal_array")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    spec = broadcast_spec(ROOT / "specs" / "pot_4bit.yaml", 2, 2)
    out = tmp_path_factory.mktemp("formal_array")
    return spec, export_array(spec, out)


def test_broadcast_2x2_is_proved(exported):
    spec, ex = exported
    assert prove_array(spec, ex["verilog"])["result"] == "proved"


def test_a_wrong_cell_fails_the_proof(exported, tmp_path):
    spec, ex = exported
    text = ex["verilog"].read_text()
    # One cell of the column reads its exponent uninverted (shift amount wrong).
    mutant = re.sub(r"(assign _\d+_ = )~ (w\[2:0\];)", r"\1\2", text, count=1)
    assert mutant != text
    path = tmp_path / "mutant.v"
    path.write_text(mutant)
    assert prove_array(spec, path)["result"] == "failed"


def test_reference_is_from_the_codebook():
    spec = array_spec("pot_4bit", 2, 2)
    text = array_reference_verilog(spec)
    assert "prod(wrow1[3:0]" in text and "<<< 7" in text


def test_large_arrays_are_refused():
    spec = array_spec("pot_4bit", 8, 8)
    with pytest.raises(ValueError, match=f"at most {MAX_CELLS} cells"):
        prove_array(spec, ROOT / "nonexistent.v")


@pytest.mark.slow
@pytest.mark.parametrize("stem", ["pot_4bit", "ausn_8x4", "uniform_8x8", "apot_4bit", "jlq_3bit",
                                  "sq_4bit"])
@pytest.mark.parametrize("flow", ["broadcast", "weight_stationary"])
def test_every_family_small_array_is_proved(stem, flow, tmp_path):
    path = ROOT / "specs" / f"{stem}.yaml"
    spec = broadcast_spec(path, 2, 2) if flow == "broadcast" else array_spec(stem, 2, 2)
    ex = export_array(spec, tmp_path)
    assert prove_array(spec, ex["verilog"])["result"] == "proved"
