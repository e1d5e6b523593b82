"""Golden model: overflow helpers, one MAC step, and whole sequences against a plain loop."""

from pathlib import Path

import numpy as np
import pytest

from shiftgen.codebook import act_range
from shiftgen.golden import mac_run, mac_step, products, saturate, wrap
from shiftgen.spec import load_spec, parse_spec

SPECS = Path(__file__).resolve().parent.parent / "specs"
SPEC_PATHS = sorted(SPECS.glob("*.yaml"))


def spec_from(text, name="t"):
    return parse_spec(text, path=f"{name}.yaml")


UNIFORM_4x8 = "family: uniform\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16}\n"
POT_4BIT = "family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16}\n"
POT_4BIT_SAT = ("family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16, "
                "overflow: saturate}\n")

EXTRA_SPECS = {
    "pot_zero_saturate": "family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16, "
                         "overflow: saturate}\nparams: {zero: true}\n",
    "uniform_unsigned_saturate": "family: uniform\npe: {act_bits: 5, weight_bits: 3, "
                                 "acc_bits: 8, act_signed: false, overflow: saturate}\n",
    "pot_unsigned_wrap": "family: pot\npe: {act_bits: 6, weight_bits: 3, acc_bits: 12, "
                         "act_signed: false}\n",
    "pot_6bit_acc48_saturate": "family: pot\npe: {act_bits: 16, weight_bits: 6, "
                               "acc_bits: 48, overflow: saturate}\n",
}


@pytest.mark.parametrize("x, bits, expected", [
    (32767, 16, 32767),
    (32768, 16, -32768),
    (-32768, 16, -32768),
    (-32769, 16, 32767),
    (65536, 16, 0),
    (65537, 16, 1),
    (-1, 16, -1),
    (2, 2, -2),
    (5, 2, 1),
    (-3, 2, 1),
    (128, 8, -128),
    (255, 8, -1),
    (-129, 8, 127),
    (2 ** 47, 48, -(2 ** 47)),
    (2 ** 48 + 3, 48, 3),
    (-(2 ** 47) - 1, 48, 2 ** 47 - 1),
    (2 ** 62 + 5, 48, 5),
], ids=lambda v: str(v))
def test_wrap(x, bits, expected):
    assert int(wrap(x, bits)) == expected


@pytest.mark.parametrize("x, bits, expected", [
    (40000, 16, 32767),
    (-40000, 16, -32768),
    (32767, 16, 32767),
    (32768, 16, 32767),
    (-32768, 16, -32768),
    (-32769, 16, -32768),
    (123, 16, 123),
    (2, 2, 1),
    (-3, 2, -2),
    (200, 8, 127),
    (2 ** 50, 48, 2 ** 47 - 1),
    (-(2 ** 50), 48, -(2 ** 47)),
], ids=lambda v: str(v))
def test_saturate(x, bits, expected):
    assert int(saturate(x, bits)) == expected


@pytest.mark.parametrize("bits", [2, 8, 16, 24, 33, 48])
def test_wrap_saturate_arrays_match_python(bits):
    rng = np.random.default_rng(bits)
    x = rng.integers(-(2 ** 60), 2 ** 60, size=2000)
    half = 1 << (bits - 1)
    want_wrap = [(int(v) + half) % (2 * half) - half for v in x]
    want_sat = [min(max(int(v), -half), half - 1) for v in x]
    got_wrap, got_sat = wrap(x, bits), saturate(x, bits)
    assert got_wrap.dtype == np.int64 and got_sat.dtype == np.int64
    assert got_wrap.tolist() == want_wrap
    assert got_sat.tolist() == want_sat


def test_products():
    cb = spec_from(POT_4BIT).codebook
    # code 0 -> 128, code 9 -> -64, code 7 -> 1, code 15 -> -1
    assert products(cb, [3, -2, 127, -128], [0, 9, 7, 15]).tolist() == [384, 128, 127, 128]


def test_mac_step():
    spec = spec_from(UNIFORM_4x8)
    cb, pe = spec.codebook, spec.pe
    # code 8 -> -8, code 13 -> -3, code 7 -> 7
    assert int(mac_step(cb, pe, 100, -128, 8)) == 100 + 1024
    assert int(mac_step(cb, pe, 0, 5, 13)) == -15
    assert mac_step(cb, pe, [1, 2, 3], [1, 1, 1], [7, 13, 0]).tolist() == [8, -1, 3]


def test_mac_step_overflow():
    spec = spec_from(POT_4BIT)
    sat = spec_from(POT_4BIT_SAT)
    # -128 * multiplier[8] = -128 * -128 = 16384
    assert int(mac_step(spec.codebook, spec.pe, 16384, -128, 8)) == -32768
    assert int(mac_step(sat.codebook, sat.pe, 16384, -128, 8)) == 32767
    # 127 * 128 = 16256 pushed down from -32768
    assert int(mac_step(spec.codebook, spec.pe, -32768, -127, 0)) == 16512
    assert int(mac_step(sat.codebook, sat.pe, -32768, -127, 0)) == -32768


def test_mac_run_en_rst():
    spec = spec_from(UNIFORM_4x8)
    a = [3, 5, 7, 2, 4, 1, 1]
    w = [2, 15, 3, 1, 1, 7, 7]        # multipliers 2, -1, 3, 1, 1, 7, 7
    en = [1, 1, 0, 1, 1, 0, 1]
    rst = [0, 0, 0, 1, 0, 1, 0]
    # 0+6=6; 6-5=1; hold 1; reset (en=1 loses) 0; 0+4=4; reset (en=0) 0; 0+7=7
    expected = [6, 1, 1, 0, 4, 0, 7]
    assert mac_run(spec.codebook, spec.pe, a, w, en, rst).tolist() == expected
    sat = spec_from(UNIFORM_4x8.replace("acc_bits: 16", "acc_bits: 16, overflow: saturate"))
    assert mac_run(sat.codebook, sat.pe, a, w, en, rst).tolist() == expected


def test_mac_run_defaults_and_acc0():
    spec = spec_from(UNIFORM_4x8)
    # en defaults to 1 and rst to 0: running sum 10+2, +(-3), +0
    out = mac_run(spec.codebook, spec.pe, [1, 1, 9], [2, 13, 0], acc0=10)
    assert out.dtype == np.int64
    assert out.tolist() == [12, 9, 9]
    # acc0 is forgotten after a reset
    out = mac_run(spec.codebook, spec.pe, [1, 1, 1], [2, 2, 2], rst=[0, 1, 0], acc0=10)
    assert out.tolist() == [12, 0, 2]
    # en=0 from the start holds acc0
    out = mac_run(spec.codebook, spec.pe, [1, 1], [2, 2], en=[0, 0], acc0=-7)
    assert out.tolist() == [-7, -7]


def test_mac_run_empty():
    spec = spec_from(UNIFORM_4x8)
    assert mac_run(spec.codebook, spec.pe, [], []).tolist() == []


def test_mac_run_wraps_around():
    spec = spec_from(POT_4BIT)
    # -128 * multiplier[8] (-128) = +16384 per step
    out = mac_run(spec.codebook, spec.pe, [-128] * 5, [8] * 5)
    assert out.tolist() == [16384, -32768, -16384, 0, 16384]


def test_mac_run_saturates():
    spec = spec_from(POT_4BIT_SAT)
    # +16384 three times, then 127 * multiplier[8] = -16256 twice, then en=0 holds
    a = [-128, -128, -128, 127, 127, 127]
    w = [8] * 6
    en = [1, 1, 1, 1, 1, 0]
    out = mac_run(spec.codebook, spec.pe, a, w, en)
    assert out.tolist() == [16384, 32767, 32767, 16511, 255, 255]


def reference_run(multipliers, pe, a, w, en, rst, acc0, activations=()):
    """Plain Python ints; returns (acc after each edge, whether any sum overflowed).

    ``activations`` maps a coded activation to its value (empty: ``a`` is the value).
    """
    modulus = 1 << pe.acc_bits
    half = modulus >> 1
    acc, out, overflowed = acc0, [], False
    for a_t, w_t, en_t, rst_t in zip(a, w, en, rst):
        if rst_t:
            acc = 0
        elif en_t:
            s = acc + (activations[a_t] if activations else a_t) * multipliers[w_t]
            if not -half <= s < half:
                overflowed = True
            if pe.overflow == "wrap":
                acc = (s + half) % modulus - half
            else:
                acc = min(max(s, -half), half - 1)
        out.append(acc)
    return out, overflowed


def random_sequence(spec, n, seed):
    """Random inputs that start with a run of the largest positive product, so it overflows."""
    pe, mults = spec.pe, spec.codebook.multipliers
    rng = np.random.default_rng(seed)
    acts = spec.codebook.activations
    if acts:  # coded activation: inputs are codes
        a_lo, a_hi = 0, len(acts) - 1
        value = acts.__getitem__
    else:
        a_lo, a_hi = act_range(pe.act_bits, pe.act_signed)
        value = int
    a = rng.integers(a_lo, a_hi + 1, size=n)
    w = rng.integers(0, len(mults), size=n)
    # The input and weight code of the largest product.
    best_a, best_w = max(((x, c) for x in range(a_lo, a_hi + 1) for c in range(len(mults))),
                         key=lambda xc: value(xc[0]) * mults[xc[1]])
    run = n // 3
    a[:run], w[:run] = best_a, best_w
    en = rng.random(n) < 0.8
    rst = rng.random(n) < 0.005
    rst[:run] = False
    half = 1 << (pe.acc_bits - 1)
    acc0 = int(rng.integers(-half, half))
    return [int(v) for v in a], [int(v) for v in w], en.tolist(), rst.tolist(), acc0


def check_against_reference(spec, n, seed):
    a, w, en, rst, acc0 = random_sequence(spec, n, seed)
    want, overflowed = reference_run(spec.codebook.multipliers, spec.pe, a, w, en, rst, acc0,
                                     spec.codebook.activations)
    got = mac_run(spec.codebook, spec.pe, np.array(a), np.array(w), np.array(en),
                  np.array(rst), acc0=acc0)
    assert got.dtype == np.int64
    assert got.tolist() == want
    assert overflowed, "sequence never overflowed the accumulator; test too weak"
    assert any(rst) and not all(en)


@pytest.mark.parametrize("path", SPEC_PATHS, ids=lambda p: p.stem)
def test_mac_run_matches_reference_shipped(path):
    check_against_reference(load_spec(path), 5000, seed=len(path.stem))


@pytest.mark.parametrize("name", list(EXTRA_SPECS))
def test_mac_run_matches_reference_variants(name):
    spec = spec_from(EXTRA_SPECS[name], name)
    check_against_reference(spec, 5000, seed=len(name))


def test_mac_run_matches_reference_when_int64_cumsum_wraps():
    # pot 6-bit: F = 31, (-32768) * multiplier[32] (-2**31) = 2**46, the largest product
    # that fits acc_bits = 48. 140000 of them sum past 2**63, so the int64 running sum
    # wraps; wrap-around at 48 bits must not notice.
    spec = spec_from("family: pot\npe: {act_bits: 16, weight_bits: 6, acc_bits: 48}\n")
    assert spec.codebook.multipliers[32] == -(2 ** 31)
    n, run = 150_000, 140_000
    rng = np.random.default_rng(48)
    a = rng.integers(-32768, 32768, size=n)
    w = rng.integers(0, 64, size=n)
    a[:run], w[:run] = -32768, 32
    en = np.ones(n, dtype=bool)
    rst = np.zeros(n, dtype=bool)
    rst[run + 5000] = True
    a_l, w_l = [int(v) for v in a], [int(v) for v in w]
    total = sum(x * spec.codebook.multipliers[c] for x, c in zip(a_l, w_l))
    assert total > 2 ** 63
    want, _ = reference_run(spec.codebook.multipliers, spec.pe, a_l, w_l, en.tolist(),
                            rst.tolist(), 0)
    got = mac_run(spec.codebook, spec.pe, a, w, en, rst)
    assert got.tolist() == want


def test_mac_run_saturate_acc48_large_products():
    spec = spec_from("family: pot\npe: {act_bits: 16, weight_bits: 6, acc_bits: 48, "
                     "overflow: saturate}\n")
    out = mac_run(spec.codebook, spec.pe, [-32768] * 4, [32] * 4)
    # 2**46, 2**47 -> saturates at 2**47 - 1, stays there
    assert out.tolist() == [2 ** 46, 2 ** 47 - 1, 2 ** 47 - 1, 2 ** 47 - 1]
