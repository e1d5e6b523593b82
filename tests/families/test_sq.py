# amaranth: UnusedElaboratable=no
"""SQ: codebooks of the three decoder modes, spec checks, reload, proofs, quantizer."""

import numpy as np
import pytest

from shiftgen.errors import SpecError
from shiftgen.export.verilog import export
from shiftgen.verify.formal import prove
from shiftgen.golden import mac_run
from shiftgen.verify.amaranth_sim import simulate_pe as simulate
from shiftgen.verify.stimulus import random_stimulus
from shiftgen.spec import load_spec, parse_spec


def sq(points="[0.25, 0.5, 1.0, 1.25]", bits=3, qps="fixed", extra=""):
    text = (f"family: sq\npe: {{act_bits: 8, weight_bits: {bits}, acc_bits: 16}}\n"
            f"params: {{qps: {qps}, points: {points}{extra}}}\n")
    return parse_spec(text, path="sq.yaml")


def test_fixed_codebook_is_the_points_times_2_to_the_F():
    cb = sq().codebook
    # Universal set 5 reaches 2**-4, so F = 4: 0.25 -> 4, 1.25 -> 20.
    assert cb.F == 4
    assert cb.multipliers == (4, 8, 16, 20, -4, -8, -16, -20)
    assert not cb.setup


def test_points_are_sorted_into_codes():
    assert sq("[1.25, 0.25, 1.0, 0.5]").codebook.multipliers[:4] == (4, 8, 16, 20)


def test_programmable_setup_writes_the_mux_selects():
    cb = sq(qps="programmable").codebook
    # Option 5: A = (1, 1/2, 1/8, 0), B = (1, 1/4, 1/16, 0); sel_a in bits 1:0.
    # 0.25 = A[3] + B[1] -> 3 | 1 << 2 = 7 ; 0.5 = A[1] + B[3] -> 1 | 3 << 2 = 13 ;
    # 1.0 = A[0] + B[3] -> 0 | 3 << 2 = 12 ; 1.25 = A[0] + B[1] -> 0 | 1 << 2 = 4.
    assert [w["qps_data"] for w in cb.setup] == [7, 13, 12, 4]
    assert [w["qps_addr"] for w in cb.setup] == [0, 1, 2, 3]


def test_external_codebook_covers_every_select_pair():
    spec = parse_spec("family: sq\npe: {act_bits: 8, weight_bits: 5, acc_bits: 16}\n"
                      "params: {qps: external}\n", path="e.yaml")
    cb = spec.codebook
    # code = sign << 4 | sel_b << 2 | sel_a ; sel_a = 1 (1/2), sel_b = 2 (1/16): 9/16 -> 9.
    assert cb.multipliers[1 | 2 << 2] == 9
    assert cb.multipliers[16 | 1 | 2 << 2] == -9
    assert sorted(set(cb.multipliers[:16])) == [0, 1, 2, 3, 4, 6, 8, 9, 12, 16, 17, 18, 20, 24,
                                                 32]


@pytest.mark.parametrize("points, bits, qps, field, fragment", [
    ("[0.25, 0.5, 1.0]", 3, "fixed", "params.points", "must list 4 points"),
    ("[0.25, 0.5, 1.0, 0.3]", 3, "fixed", "params.points", "0.3 is not in universal set 5"),
    ("[0.25, 0.5, 1.0, 1.0]", 3, "fixed", "params.points", "must be distinct"),
    ("[0.25, 0.5]", 3, "external", "pe.weight_bits", "must be 5 with qps: external"),
    ("[" + ", ".join(["1.0"] * 16) + "]", 5, "fixed", "pe.weight_bits", "needs 16 points"),
])
def test_bad_sq_params_are_spec_errors(points, bits, qps, field, fragment):
    with pytest.raises(SpecError) as info:
        sq(points, bits, qps)
    assert info.value.field == field
    assert fragment in info.value.message


def test_reload_between_two_accumulations():
    spec = sq("[0.0625, 0.5, 1.0, 2.0]", qps="programmable")
    first = random_stimulus(spec, 400, seed=1, p_rst=0)
    second = random_stimulus(spec, 400, seed=2, p_rst=0)
    second.rst[0] = False
    setup, reloaded = spec.codebook.reloaded()
    assert reloaded.multipliers[:4] == (32, 16, 8, 1)
    rtl = simulate(spec, first, setup, second)
    ref1 = mac_run(spec.codebook, spec.pe, first.a, first.w, first.en, first.rst)
    ref2 = mac_run(reloaded, spec.pe, second.a, second.w, second.en, second.rst,
                   acc0=int(ref1[-1]))
    assert np.array_equal(rtl, np.concatenate([ref1, ref2]))
    # Without the reload the second half would differ: the test can fail.
    stale = mac_run(spec.codebook, spec.pe, second.a, second.w, second.en, second.rst,
                    acc0=int(ref1[-1]))
    assert not np.array_equal(stale, ref2)


def test_programmable_proof_covers_the_write_port(tmp_path):
    spec = sq(qps="programmable")
    _, verilog = export(spec, spec.elaborate(), tmp_path)
    assert prove(spec, verilog)["result"] == "proved"
    text = verilog.read_text()
    # Break the register file: entry 1 also takes writes meant for entry 3.
    assert "qps_sel1" in text
    mutant = tmp_path / "mutant.v"
    mutant.write_text(text.replace("qps_addr == 2'h1", "qps_addr[0]", 1))
    assert mutant.read_text() != text
    assert prove(spec, mutant)["result"] == "failed"


def test_quantizer_rounds_to_nearest_scaled_point():
    spec = sq(extra=", alpha: 0.1")
    # Scaled points: .025, .05, .1, .125 ; midpoints .0375, .075, .1125.
    w = [0.03, -0.04, 0.2, 0.074, 0.0, -0.1125]
    q = spec.family.quantize(spec, w)
    assert q.codes.tolist() == [0, 5, 3, 1, 0, 6]
    assert np.allclose(q.dequantize(), [0.025, -0.05, 0.125, 0.05, 0.025, -0.1])


@pytest.mark.parametrize("bits", [2, 3, 4])
def test_shipped_spec_points_are_the_fit_of_its_weights(bits):
    from scripts.make_sq_specs import conv_weights
    spec = load_spec(f"specs/sq_{bits}bit.yaml")
    updates, summary = spec.family.fit(spec, conv_weights())
    assert tuple(updates["points"]) == spec.params.points
    assert updates["alpha"] == pytest.approx(spec.params.alpha)
