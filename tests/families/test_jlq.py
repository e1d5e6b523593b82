"""JLQ: levels 2**(i - s*x), de-zero and ternary codebooks, the log-domain quantizer."""

import numpy as np
import pytest

from shiftgen.spec import parse_spec


def jlq(bits=3, s=2, i=-1, extra=""):
    return parse_spec(f"family: jlq\npe: {{act_bits: 8, weight_bits: {bits}, acc_bits: 16}}\n"
                      f"params: {{s: {s}, i: {i}{extra}}}\n", path="jlq.yaml")


def test_paper_example_levels():
    # seed 004 section III: 3-bit, s = 2, i = -1 -> 2^-1, 2^-3, 2^-5, 2^-7 (F = 7).
    cb = jlq().codebook
    assert cb.F == 7
    assert cb.multipliers == (64, 16, 4, 1, -64, -16, -4, -1)
    assert list(cb.levels) == [-0.5, -0.125, -2 ** -5, -2 ** -7, 2 ** -7, 2 ** -5, 0.125, 0.5]


def test_two_bit_levels():
    # Table VIII 2-bit: s = 2, i = -3 -> 2^-3, 2^-5.
    assert jlq(2, 2, -3).codebook.multipliers == (4, 1, -4, -1)


def test_ternary_replaces_the_smallest_level_by_zero():
    # The paper's ternary example (s = 1, i = 0): +-2^0, +-2^-1, +-2^-2, 0.
    cb = jlq(3, 1, 0, ", zero: true").codebook
    assert cb.F == 2
    assert cb.multipliers == (4, 2, 1, 0, -4, -2, -1, 0)
    # A 2-bit ternary code is {-1, 0, +1} * 2^i.
    assert jlq(2, 2, -3, ", zero: true").codebook.multipliers == (1, 0, -1, 0)


def test_positive_i_scales_up():
    # s = 1, i = 2: levels 4, 2, 1, 1/2 -> F = 1, multipliers 8, 4, 2, 1.
    cb = jlq(3, 1, 2).codebook
    assert cb.F == 1 and cb.multipliers[:4] == (8, 4, 2, 1)


def test_quantizer_rounds_in_the_log_domain():
    spec = jlq()  # levels .5, .125, 2^-5, 2^-7
    # Decision point between 2^-1 and 2^-3 is 2^-2 (geometric mean): 0.26 -> x = 0, 0.24 -> 1.
    w = [0.26, 0.24, -0.9, 0.02, 2.0, 0.0, -1e-6, 0.004]
    # 0.02: log2 = -5.64 -> (-1 + 5.64) / 2 = 2.32 -> x = 2 ; 0.004: log2 = -7.97 -> 3.48 -> 3.
    q = spec.family.quantize(spec, w)
    assert q.codes.tolist() == [0, 1, 4, 2, 0, 3, 7, 3]
    assert np.allclose(q.dequantize(), [0.5, 0.125, -0.5, 2 ** -5, 0.5, 2 ** -7, -2 ** -7, 2 ** -7])


def test_ternary_quantizer_sends_small_weights_to_zero():
    spec = jlq(extra=", zero: true")  # levels .5, .125, 2^-5 and 0 (code 3)
    q = spec.family.quantize(spec, [0.0, 0.01, 0.02, -0.01])
    # Half the smallest level is 2^-6 = 0.0156: 0.01 -> 0, 0.02 -> 2^-5.
    assert q.codes.tolist() == [3, 3, 2, 3]


@pytest.mark.parametrize("style", ["jumping", "shifter"])
def test_styles_share_the_codebook(style):
    assert jlq(extra=f", style: {style}").codebook.multipliers == jlq().codebook.multipliers
