"""Power at simulated activity: the gate-level run, its toggle counts, the interpolation."""

import pytest

from shiftgen.export.verilog import export
from shiftgen.spec import load_spec
from shiftgen.synth import activity
from shiftgen.synth.asic import asic_target
from shiftgen.synth.liberty import find_liberty
from shiftgen.synth.sta import find_sta, strip_signed

from ..support import ROOT

LIBERTY = find_liberty()
pytestmark = [pytest.mark.skipif(find_sta() is None or LIBERTY is None,
                                 reason="OpenSTA or the OSU 0.18 um liberty not installed"),
              pytest.mark.xdist_group("synth.test_activity")]


@pytest.fixture(scope="module")
def pot(tmp_path_factory):
    out = tmp_path_factory.mktemp("activity")
    spec = load_spec(ROOT / "specs" / "pot_4bit.yaml")
    _, verilog = export(spec, spec.elaborate(), out)
    res = asic_target(verilog, spec.name, out, spec=spec)
    return spec, out / res["netlist"], res


def test_gate_level_run_matches_the_golden_model(pot):
    _, _, res = pot
    assert res["gate_level"] == {"cases": 2000, "mismatches": 0}
    sim, vec = res["power_mw"]["simulated"], res["power_mw"]["vectorless"]
    assert 0 < sim["total"] < vec["total"]  # a random stream toggles under 0.5 a period
    assert sim["leakage"] == pytest.approx(vec["leakage"])  # activity does not change it
    assert res["energy_pj_per_mac"]["simulated"] == pytest.approx(sim["total"] * 10, rel=1e-4)


def test_a_wrong_cell_is_a_mismatch(pot, tmp_path):
    spec, netlist, _ = pot
    text = netlist.read_text()
    assert "XOR2X1" in text
    bad = tmp_path / netlist.name
    bad.write_text(text.replace("XOR2X1", "XNOR2X1", 1))
    res = activity.simulated_power(spec, bad, LIBERTY, clock_mhz=100.0, work_dir=tmp_path)
    assert res["mismatches"] > 0


def test_interpolation_at_one_rate_is_the_vectorless_figure(pot, tmp_path):
    """Power is linear in the toggle rate: every net at 0.5 gives OpenSTA's own 0.5 figure."""
    spec, netlist, res = pot
    sta = find_sta()
    readable = tmp_path / "n.v"
    readable.write_text(strip_signed(netlist.read_text()))
    idle = activity._instance_power(sta, LIBERTY, readable, spec.name, 10.0, 0, tmp_path)
    busy = activity._instance_power(sta, LIBERTY, readable, spec.name, 10.0, 1, tmp_path)
    instances = activity._instances(netlist.read_text(),
                                    activity.output_pins(LIBERTY.read_text()))
    rates = {net: 0.5 for _, nets in instances.values() for net in nets}
    power, mean = activity.interpolate(instances, idle, busy, rates)
    assert mean == 0.5
    for key, value in res["power_mw"]["vectorless"].items():
        assert power[key] == pytest.approx(value, rel=1e-4), key


def test_toggle_rates_from_a_vcd():
    vcd = """$timescale 1ps $end
$scope module tb $end
$var reg 1 ! clk $end
$scope module dut $end
$var wire 2 " v [1:0] $end
$var wire 1 # s $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
$dumpvars
b00 "
x#
0!
$end
#10
b01 "
0#
#20
b10 "
1#
#30
b10 "
0#
"""
    rates = activity.toggle_rates(vcd, cycles=4)
    # v[0]: 0 -> 1 -> 0; v[1]: 0 -> 1; s: x -> 0 (not counted) -> 1 -> 0; clk is the testbench's.
    assert rates == {"v[0]": 0.5, "v[1]": 0.25, "s": 0.5}


def test_output_pins_of_the_liberty():
    pins = activity.output_pins(LIBERTY.read_text())
    assert pins["DFFPOSX1"] == ["Q"] and pins["INVX1"] == ["Y"]
    assert sorted(pins["FAX1"]) == ["YC", "YS"]
