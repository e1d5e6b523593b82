"""ECP5 place and route of a PE: the input-register wrapper, nextpnr's figures."""

import pytest

from shiftgen.export.verilog import export
from shiftgen.spec import load_spec
from shiftgen.synth.ecp5 import ecp5_target, find_nextpnr, wrapper

from ..support import ROOT

pytestmark = pytest.mark.skipif(find_nextpnr() is None, reason="nextpnr-ecp5 not installed")


def test_wrapper_registers_every_input_but_the_clock():
    text = ("module pe(a, clk, acc);\n  input signed [7:0] a;\n  wire signed [7:0] a;\n"
            "  input clk;\n  output [15:0] acc;\n  assign acc = a;\nendmodule\n")
    out = wrapper(text, "pe")
    assert "reg [7:0] a_q;\n  always @(posedge clk) a_q <= a;" in out
    assert "clk_q" not in out and ".acc(acc)" in out and ".a(a_q)" in out


def test_pot_places_routes_and_repeats(tmp_path):
    spec = load_spec(ROOT / "specs" / "pot_4bit.yaml")
    _, verilog = export(spec, spec.elaborate(), tmp_path)
    first = ecp5_target(verilog, spec.name, seeds=(1, 2))
    again = ecp5_target(verilog, spec.name, seeds=(1, 2))
    assert first == again  # a placement seed gives the same result every time
    assert first["device"] == "LFE5U-25F-CABGA256" and set(first["seeds"]) == {"1", "2"}
    assert first["fmax_min_mhz"] <= first["fmax_mhz"] and first["fmax_mhz"] > 50
    # The PE's 16 accumulator bits and the 14 input register bits.
    assert first["cells"]["TRELLIS_FF"] == 16 + 8 + 4 + 2
    assert first["cells"]["TRELLIS_COMB"] > 0
    with pytest.raises(ValueError, match="Seeds must be positive integers"):
        ecp5_target(verilog, spec.name, seeds=())
