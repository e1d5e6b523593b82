"""OpenSTA timing and power against figures computed by hand from the liberty's own tables."""

import numpy as np
import pytest

from shiftgen.errors import ToolError
from shiftgen.synth.liberty import find_liberty
from shiftgen.synth.sta import find_sta, strip_signed, timing_and_power

LIBERTY = find_liberty()
pytestmark = pytest.mark.skipif(find_sta() is None or LIBERTY is None,
                                reason="OpenSTA or the OSU 0.18 um liberty not installed")

# A flip-flop, an inverter, a flip-flop; the input d goes straight to the first.
CHAIN = """module chain(clk, d, q);
  input clk;
  input d;
  output q;
  wire n1, n2;
  DFFPOSX1 r1 (.CLK(clk), .D(d), .Q(n1));
  INVX1 i1 (.A(n1), .Y(n2));
  DFFPOSX1 r2 (.CLK(clk), .D(n2), .Q(q));
endmodule
"""


class Lib:
    """The few liberty tables the chain's paths need, looked up as NLDM does."""

    def __init__(self, path):
        from liberty.parser import parse_liberty
        self.lib = parse_liberty(path.read_text())
        self.templates = {t.args[0]: t for t in self.lib.get_groups("lu_table_template")}

    def cell(self, name):
        return self.lib.get_group("cell", name)

    def cap(self, cell, pin):
        return float(self.cell(cell).get_group("pin", pin)["capacitance"])

    def arc(self, cell, pin, related, kind=None):
        for t in self.cell(cell).get_group("pin", pin).get_groups("timing"):
            if str(t["related_pin"]).strip('"') == related and \
                    (kind is None or str(t["timing_type"]) == kind):
                return t
        raise KeyError((cell, pin, related, kind))

    def lookup(self, table, **x):
        """Bilinear interpolation (linear extrapolation) in ``table`` at the named variables."""
        tpl = self.templates[table.args[0]]
        names = [str(tpl["variable_1"]), str(tpl["variable_2"])]
        axes = [np.ravel(table.get_array("index_1")), np.ravel(table.get_array("index_2"))]
        values = np.asarray(table.get_array("values"), dtype=float)
        point = [x[n] for n in names]

        def bracket(axis, v):
            i = int(np.clip(np.searchsorted(axis, v) - 1, 0, len(axis) - 2))
            return i, (v - axis[i]) / (axis[i + 1] - axis[i])

        (i, u), (j, t) = bracket(axes[0], point[0]), bracket(axes[1], point[1])
        return ((1 - u) * (1 - t) * values[i, j] + u * (1 - t) * values[i + 1, j]
                + (1 - u) * t * values[i, j + 1] + u * t * values[i + 1, j + 1])


def _delay(lib, arc, edge, slew, load):
    """(delay, output slew) of one arc for an output ``edge`` (rise or fall)."""
    x = {"input_net_transition": slew, "total_output_net_capacitance": load}
    return (lib.lookup(arc.get_group(f"cell_{edge}"), **x),
            lib.lookup(arc.get_group(f"{edge}_transition"), **x))


def _hand_paths(lib):
    """reg2reg and in2reg of CHAIN, worst over both edges, from the tables."""
    clock_to_q = lib.arc("DFFPOSX1", "Q", "CLK")
    inverter = lib.arc("INVX1", "Y", "A")
    setup = lib.arc("DFFPOSX1", "D", "CLK", "setup_rising")

    def setup_time(edge, slew):
        return lib.lookup(setup.get_group(f"{edge}_constraint"), related_pin_transition=0.0,
                          constrained_pin_transition=slew)

    flip = {"rise": "fall", "fall": "rise"}
    reg2reg, in2reg = [], []
    for q_edge in ("rise", "fall"):
        # The ideal clock has no slew.
        d1, s1 = _delay(lib, clock_to_q, q_edge, 0.0, lib.cap("INVX1", "A"))
        d2, s2 = _delay(lib, inverter, flip[q_edge], s1, lib.cap("DFFPOSX1", "D"))
        reg2reg.append(d1 + d2 + setup_time(flip[q_edge], s2))
        # The input is driven by the library's flip-flop: as SDC's set_driving_cell
        # says, its delay at the port's load less its delay at no load, and its slew.
        d0, s0 = _delay(lib, clock_to_q, q_edge, 0.0, lib.cap("DFFPOSX1", "D"))
        unloaded, _ = _delay(lib, clock_to_q, q_edge, 0.0, 0.0)
        in2reg.append(d0 - unloaded + setup_time(q_edge, s0))
    return max(reg2reg), max(in2reg)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    work = tmp_path_factory.mktemp("sta")
    netlist = work / "chain.v"
    netlist.write_text(CHAIN)
    return netlist, timing_and_power(netlist, "chain", LIBERTY, clock_mhz=100.0)


def test_paths_are_the_liberty_tables_summed(chain):
    _, res = chain
    reg2reg, in2reg = _hand_paths(Lib(LIBERTY))
    assert res["paths_ns"]["reg2reg"] == pytest.approx(reg2reg, rel=0.01)
    assert res["paths_ns"]["in2reg"] == pytest.approx(in2reg, rel=0.01)
    assert res["paths_ns"]["in2out"] is None  # q comes from a register
    assert res["critical_path_ns"] == max(v for v in res["paths_ns"].values() if v is not None)
    assert res["fmax_mhz"] == pytest.approx(1000 / res["critical_path_ns"], rel=1e-6)
    assert res["meets_clock"] and res["conditions"].startswith("pre-layout")


def test_the_reset_is_its_own_path_group(chain, tmp_path):
    """``rst`` to a register is ``rst2reg``, not ``in2reg``; the critical path counts both."""
    assert chain[1]["paths_ns"]["rst2reg"] is None  # CHAIN has no rst
    # rst clears the first flip-flop through an inverter and a NOR: a longer path than d's.
    text = CHAIN.replace("module chain(clk, d, q);\n  input clk;",
                         "module chain(clk, rst, d, q);\n  input clk;\n  input rst;") \
                .replace("wire n1, n2;", "wire n1, n2, nr, nd;\n  INVX1 i0 (.A(rst), .Y(nr));\n"
                         "  INVX1 i2 (.A(d), .Y(nd));\n  NOR2X1 g0 (.A(nd), .B(rst), .Y(dd));") \
                .replace(".D(d)", ".D(dd)")
    netlist = tmp_path / "chain.v"
    netlist.write_text(text.replace("wire n1, n2, nr, nd;", "wire n1, n2, nr, nd, dd;"))
    res = timing_and_power(netlist, "chain", LIBERTY, clock_mhz=100.0)
    paths = res["paths_ns"]
    assert paths["rst2reg"] is not None and paths["in2reg"] is not None
    assert paths["in2reg"] > paths["rst2reg"]  # d passes one gate more than rst
    assert res["critical_path_ns"] == max(v for v in paths.values() if v is not None)


def test_switching_power_is_half_c_v_squared_f_alpha(chain):
    netlist, res = chain
    lib = Lib(LIBERTY)
    volts = float(lib.lib["nom_voltage"])
    # Switching power is 0.5 C V^2 f alpha summed over the nets an instance drives
    # (power is an instance's: the net of input d is driven from outside), with
    # C the pin loads (no wire load): n1 drives the inverter, n2 the second
    # flip-flop; q drives nothing. The clock net toggles at its own rate
    # whatever the activity, so two activities differ by the data nets alone.
    loads_pf = {"n1": lib.cap("INVX1", "A"), "n2": lib.cap("DFFPOSX1", "D")}
    half = timing_and_power(netlist, "chain", LIBERTY, clock_mhz=100.0, activity=0.25,
                            work_dir=netlist.parent / "quarter")
    measured = res["power_mw"]["switching"] - half["power_mw"]["switching"]
    f_hz = 100e6
    expected_w = sum(0.5 * c * 1e-12 * volts ** 2 * f_hz * 0.25 for c in loads_pf.values())
    assert measured == pytest.approx(expected_w * 1e3, rel=0.05)
    p = res["power_mw"]
    assert p["total"] == pytest.approx(p["internal"] + p["switching"] + p["leakage"], rel=1e-6)


def test_signed_ports_are_read_and_bad_netlists_fail(tmp_path):
    text = "module m(clk, a, y);\n  input clk;\n  input signed [1:0] a;\n" \
           "  wire signed [1:0] a;\n  output y;\n  DFFPOSX1 r (.CLK(clk), .D(a[0]), .Q(y));\n" \
           "endmodule\n"
    assert "input [1:0] a;" in strip_signed(text) and "signed" not in strip_signed(text)
    good = tmp_path / "m.v"
    good.write_text(text)
    assert timing_and_power(good, "m", LIBERTY)["paths_ns"]["reg2reg"] is None
    bad = tmp_path / "bad.v"
    bad.write_text(text.replace("DFFPOSX1", "NOSUCHCELL"))
    with pytest.raises(ToolError, match="OpenSTA on bad.v"):
        timing_and_power(bad, "m", LIBERTY)
    with pytest.raises(ValueError, match="Clock must be a positive number of MHz, not 0"):
        timing_and_power(good, "m", LIBERTY, clock_mhz=0)


def test_asic_target_is_deterministic_and_says_why_without_sta(tmp_path, monkeypatch):
    from shiftgen.export.verilog import export
    from shiftgen.spec import load_spec
    from shiftgen.synth import sta
    from shiftgen.synth.asic import asic_target

    from ..support import ROOT
    spec = load_spec(ROOT / "specs" / "pot_4bit.yaml")
    _, verilog = export(spec, spec.elaborate(), tmp_path)
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        out.mkdir()
        runs.append((asic_target(verilog, spec.name, out),
                     (out / f"{spec.name}.asic.v").read_bytes()))
    assert runs[0] == runs[1]
    assert runs[0][0]["power_mw"]["vectorless"]["total"] > 0
    monkeypatch.setattr(sta, "find_sta", lambda: None)
    res = asic_target(verilog, spec.name, tmp_path / "run0")
    assert res["area_um2"] == runs[0][0]["area_um2"] and res["critical_path_ns"] is None
    assert "OpenSTA (sta) not installed" in res["reason"]
