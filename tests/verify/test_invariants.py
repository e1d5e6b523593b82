# amaranth: UnusedElaboratable=no
"""The PEs' invariant assertions: proved by SymbiYosys + Yices, checked in simulation,
and absent from everything exported."""

import numpy as np
import pytest
from amaranth.back import rtlil

from shiftgen.verify import invariants
from shiftgen.errors import ToolError
from shiftgen.families.pot import PotPE
from shiftgen.hdl.array import cell_class
from shiftgen.verify.invariants import prove_invariants
from shiftgen.verify.amaranth_sim import simulate_pe as simulate
from shiftgen.verify.stimulus import exhaustive_stimulus

from ..support import all_spec_params, shipped_spec, shipped_specs

# Every family, PE style and decoder once, through the configurations that
# exercise the most structure (zero code, unsigned activations, saturation,
# decoder ROMs, AUSN activations); the rest run with -m slow. pot_4bit is
# proved by the negative test below.
QUICK = ["pot_zero_saturate", "uniform_unsigned_saturate", "apot_7bit_sorted_unsigned",
         "sq_4bit", "sq_4bit_fixed_option3", "sq_external", "jlq_ternary_jumping",
         "jlq_4bit_shifter_dezero", "ausn_8x4", "ausn_8x4_decoder",
         "ausn_ausn_decoder_saturate"]


def _params(names):
    by_id = {p.id: p for p in all_spec_params()}
    return [by_id[n] for n in names]


def _slow_rest():
    return [pytest.param(*p.values, id=p.id, marks=pytest.mark.slow)
            for p in all_spec_params() if p.id not in QUICK]


@pytest.mark.parametrize("any_spec", _params(QUICK) + _slow_rest(), indirect=True)
def test_invariants_proved(any_spec, tmp_path):
    report = prove_invariants(any_spec, tmp_path)
    assert report["result"] == "proved", report
    # The two product checks of MacPE at least, and the family's own.
    assert report["asserts"] >= 2 + (any_spec.family.name != "uniform")
    assert report["failed"] == []


class _WrongRangePE(PotPE):
    """A PoT PE that claims its product never reaches the codebook's maximum."""

    def product(self, m):
        addend, carry = super().product(m)
        _, hi = self.spec.family.product_range(self.spec)
        self.invariant(m, addend + carry < hi, "product below the largest product")
        return addend, carry


def test_violated_assertion_is_reported_failed(tmp_path):
    spec = shipped_spec("pot_4bit")
    report = prove_invariants(spec, tmp_path, pe=_WrongRangePE(spec, assertions=True))
    assert report["result"] == "failed"
    # Named by its message and the line that states it.
    [failed] = report["failed"]
    assert failed.startswith("_WrongRangePE: product below the largest product "
                             "(test_invariants.py:")
    # The PE's real invariants are proved alongside: only the wrong one is named.
    real = invariants._assert_messages(rtlil.convert(spec.family.pe(spec, assertions=True)))
    assert report["asserts"] == len(real) + 1 >= 5


def test_missing_tool_is_one_line_tool_error(monkeypatch):
    monkeypatch.setitem(invariants._YOWASP, "sby", "no-such-sby-binary")
    with pytest.raises(ToolError, match="no-such-sby-binary not found") as info:
        prove_invariants(shipped_spec("pot_4bit"))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("spec", shipped_specs())
def test_exported_design_has_no_assertion(spec):
    """What export sees (spec.elaborate()) carries no $check cell; the proof's PE does."""
    exported = rtlil.convert(spec.elaborate(), name=spec.name, emit_src=False)
    assert "$check" not in exported
    plain = rtlil.convert(spec.family.pe(spec), name=spec.name, emit_src=False)
    assert plain == exported
    checked = rtlil.convert(spec.family.pe(spec, assertions=True), name=spec.name,
                            emit_src=False)
    assert "$check" in checked


def test_array_cell_has_no_assertion():
    spec = shipped_spec("ausn_8x4")
    cell = cell_class(spec.family.PE)(spec, 20)
    assert cell.assertions is False
    assert "$check" not in rtlil.convert(cell, name="cell", emit_src=False)


@pytest.mark.parametrize("name", ["pot_4bit", "jlq_2bit_shifter", "ausn_8x4_decoder",
                                  "ausn_ausn_6x6", "apot_4bit_sorted"])
def test_exported_verilog_has_no_assertion(name, exported):
    verilog, _ = exported(shipped_spec(name))
    text = verilog.read_text()
    assert "assert" not in text and "$check" not in text


@pytest.mark.parametrize("name", ["pot_4bit", "apot_4bit_sorted", "sq_3bit", "jlq_3bit",
                                  "ausn_ausn_6x6"])
def test_assertions_hold_in_simulation(name, monkeypatch):
    """The Amaranth simulator checks every Assert on each edge of an exhaustive run."""
    spec = shipped_spec(name)
    monkeypatch.setattr(type(spec), "elaborate",
                        lambda self: self.family.pe(self, assertions=True))
    stimulus = exhaustive_stimulus(spec)
    assert np.array_equal(simulate(spec, stimulus), stimulus.expected(spec))


def test_simulator_reports_a_violated_assertion(monkeypatch):
    spec = shipped_spec("pot_4bit")
    monkeypatch.setattr(type(spec), "elaborate", lambda self: _WrongRangePE(self, assertions=True))
    with pytest.raises(AssertionError, match="product below the largest product"):
        simulate(spec, exhaustive_stimulus(spec))


def test_cli_verify_invariants(capsys):
    from shiftgen.cli import main

    from ..support import ROOT
    spec = str(ROOT / "specs" / "jlq_2bit.yaml")
    assert main(["verify", spec, "--invariants", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"result": "proved"' in out
    assert main(["verify", spec, "--invariants", "--rtl", "x.v"]) == 2
    assert "does not apply to --rtl" in capsys.readouterr().err
