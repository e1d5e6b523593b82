"""The bounded proof of a small array against the codebook's integer matmul."""

import re

import pytest
import yaml

from shiftgen.export.array import export_array
from shiftgen.spec import parse_spec
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


def proof_spec(stem, flow, n):
    """An ``n x n`` array of a shipped PE spec; a programmable decoder made a fixed table
    of the same points (a write port's table has no codebook reference to prove against)."""
    path = ROOT / "specs" / f"{stem}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["array"] = {"rows": n, "cols": n, "dataflow": flow}
    if doc.get("params", {}).get("qps") == "programmable":
        doc["params"]["qps"] = "fixed"
    return parse_spec(yaml.safe_dump(doc, sort_keys=False), path=path)


@pytest.mark.slow
# Broadcast 4 x 4 of every shift family (about a minute each). The systolic
# arrays and the multiplier baseline at 2 x 2: a 4 x 4 weight-stationary PoT
# proof (12 edges, its latencies R + c) and a 4 x 4 broadcast uniform 8x8 one
# (SAT hardly proves a multiplier equal to a table of constant products) did
# not finish in 20 minutes each.
@pytest.mark.parametrize("stem,flow,n", [
    *((stem, "broadcast", 4) for stem in ("pot_4bit", "ausn_8x4", "apot_4bit", "jlq_3bit",
                                          "sq_4bit")),
    ("uniform_8x8", "broadcast", 2),
    *((stem, "weight_stationary", 2) for stem in ("pot_4bit", "ausn_8x4", "apot_4bit",
                                                  "jlq_3bit", "sq_4bit", "uniform_8x8"))])
def test_every_family_small_array_is_proved(stem, flow, n, tmp_path):
    spec = proof_spec(stem, flow, n)
    ex = export_array(spec, tmp_path)
    assert prove_array(spec, ex["verilog"])["result"] == "proved"


def test_a_programmable_decoder_is_refused(tmp_path):
    spec = array_spec("sq_4bit", 2, 2)
    with pytest.raises(ValueError, match="decoder write ports"):
        prove_array(spec, tmp_path / "unused.v")
