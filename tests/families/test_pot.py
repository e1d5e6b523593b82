"""pot quantizer against hand-computed codes (specs/pot_4bit.yaml: F = 7, levels 2**-e).

Code = sign bit 8 (negative) | e. Log rounding: e = round(-log2(|w| / SF)), clipped to
[0, 7]; the decision point between 2**-k and 2**-(k+1) is 2**-(k+0.5).
"""

from pathlib import Path

import numpy as np
import pytest

from shiftgen.spec import load_spec, parse_spec

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("families.test_pot")

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture(scope="module")
def pot4():
    return load_spec(SPECS / "pot_4bit.yaml")


def pot_spec(params):
    return parse_spec("family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16}\n"
                      f"params: {{{params}}}\n", path="p.yaml")


def quantize(spec, weights, alpha=None):
    return spec.family.quantize(spec, np.array(weights, dtype=np.float64), alpha=alpha)


def test_log_rounding_hand_cases(pot4):
    w = [1.0, -0.5, 0.3, 0.25, -0.1, 0.0, 0.7, 0.001]
    # SF = max|W| = 1.0
    #  1.0   -log2 = 0                      -> e=0           code 0
    # -0.5   -log2 = 1                      -> e=1, negative code 9
    #  0.3   -log2 = 1.737 -> round 2       -> e=2           code 2
    #  0.25  -log2 = 2                      -> e=2           code 2
    # -0.1   -log2 = 3.322 -> round 3       -> e=3, negative code 11
    #  0.0   -log2 = inf   -> clip 7        -> e=7           code 7 (no zero level)
    #  0.7   -log2 = 0.515 -> round 1       -> e=1           code 1
    #  0.001 -log2 = 9.97  -> 10 -> clip 7  -> e=7           code 7
    q = quantize(pot4, w)
    assert q.alpha == 1.0
    assert q.codes.tolist() == [0, 9, 2, 2, 11, 7, 1, 7]
    assert q.dequantize().tolist() == [1.0, -0.5, 0.25, 0.25, -0.125, 0.0078125, 0.5,
                                       0.0078125]


def test_scale_is_max_abs(pot4):
    # SF = 3.0 (from -3.0): -3/3 = -1 -> code 8; 1.5/3 = 0.5 -> code 1; 0.9/3 = 0.3 -> code 2
    q = quantize(pot4, [-3.0, 1.5, 0.9])
    assert q.alpha == 3.0
    assert q.codes.tolist() == [8, 1, 2]
    assert q.dequantize().tolist() == [-3.0, 1.5, 0.75]


@pytest.mark.parametrize("above, below, k", [
    (0.71, 0.70, 0),      # 2**-0.5 = 0.7071
    (0.36, 0.35, 1),      # 2**-1.5 = 0.3536
    (0.18, 0.17, 2),      # 2**-2.5 = 0.1768
    (0.09, 0.088, 3),     # 2**-3.5 = 0.0884
    (0.045, 0.044, 4),    # 2**-4.5 = 0.0442
    (0.0225, 0.022, 5),   # 2**-5.5 = 0.0221
    (0.0111, 0.011, 6),   # 2**-6.5 = 0.01105
], ids=lambda v: str(v))
def test_log_decision_points(pot4, above, below, k):
    q = quantize(pot4, [1.0, above, below, -above, -below])
    assert q.codes.tolist() == [0, k, k + 1, 8 | k, 8 | (k + 1)]


def test_explicit_alpha_and_clipping(pot4):
    # alpha = 2: 1/2 = 0.5 -> e=1; -0.5/2 = -0.25 -> e=2, negative; 3/2 clips to 1 -> e=0;
    # -5/2 clips to -1 -> e=0, negative
    q = quantize(pot4, [1.0, -0.5, 3.0, -5.0], alpha=2.0)
    assert q.alpha == 2.0
    assert q.codes.tolist() == [1, 10, 0, 8]
    assert q.dequantize().tolist() == [1.0, -0.5, 2.0, -2.0]


def test_all_zero_weights(pot4):
    # No scale to take: alpha falls back to 1; every weight gets the smallest level.
    q = quantize(pot4, [0.0, 0.0, 0.0])
    assert q.alpha == 1.0
    assert q.codes.tolist() == [7, 7, 7]


def test_shape_kept(pot4):
    q = quantize(pot4, [[1.0, -0.5], [0.25, -0.125]])
    assert q.codes.shape == (2, 2)
    assert q.codes.tolist() == [[0, 9], [2, 11]]
    assert q.dequantize().tolist() == [[1.0, -0.5], [0.25, -0.125]]


def test_linear_rounding_differs_from_log():
    log = pot_spec("rounding: log")
    lin = pot_spec("rounding: linear")
    w = [1.0, 0.74, 0.36, -0.74, 0.38, 0.75, -0.75, 0.0071, 0.003]
    # linear: nearest of the levels {1, 1/2, 1/4, ..., 1/128}; a tie goes to the smaller
    #  0.74  -> 0.5   (|0.74-0.5| = 0.24 < 0.26)          code 1   log: -log2 = 0.434 -> 0
    #  0.36  -> 0.25  (0.11 < 0.14)                       code 2   log: 1.474 -> 1
    # -0.74  -> -0.5                                      code 9   log: code 8
    #  0.38  -> 0.5   (0.12 < 0.13)                       code 1   log: 1.396 -> 1
    #  0.75  -> tie 0.5 / 1 -> 0.5                        code 1   log: 0.415 -> 0
    # -0.75  -> -0.5                                      code 9   log: code 8
    #  0.0071 -> 1/128 (0.0007 < 0.0085)                  code 7   log: 7.138 -> 7
    #  0.003 -> below the smallest level -> 1/128         code 7   log: 8.38 -> clip 7
    assert quantize(lin, w).codes.tolist() == [0, 1, 2, 9, 1, 1, 9, 7, 7]
    assert quantize(log, w).codes.tolist() == [0, 0, 1, 8, 1, 0, 8, 7, 7]
    assert quantize(lin, w).dequantize().tolist() == [1.0, 0.5, 0.25, -0.5, 0.5, 0.5, -0.5,
                                                      0.0078125, 0.0078125]


def test_linear_rounding_zero_weight_is_not_negative():
    # Without a zero level, 0 is equally far from +1/128 and -1/128; log rounding gives
    # code 7 (+1/128). A weight that is not negative must not get the sign bit.
    q = quantize(pot_spec("rounding: linear"), [1.0, 0.0])
    assert q.codes.tolist() == [0, 7]


def test_zero_code_log():
    spec = pot_spec("zero: true")
    # zero=true: F = 6, levels 1 .. 2**-6 (codes 0..6), code 7 = 0; threshold 2**-7 = 0.0078125
    #  1.0    -> code 0
    #  0.004  < 0.0078125 -> zero, code 7
    # -0.004  -> zero, no sign: code 7
    #  0.0079 >= threshold: -log2 = 6.98 -> 7 -> clip to 6      code 6
    #  0.009  -log2 = 6.80 -> 7 -> clip 6                       code 6
    # -0.02   -log2 = 5.64 -> 6, negative                        code 14
    #  0.0    -> code 7
    #  0.6    -log2 = 0.737 -> 1                                 code 1
    q = quantize(spec, [1.0, 0.004, -0.004, 0.0079, 0.009, -0.02, 0.0, 0.6])
    assert q.codes.tolist() == [0, 7, 7, 6, 6, 14, 7, 1]
    assert q.dequantize().tolist() == [1.0, 0.0, 0.0, 0.015625, 0.015625, -0.015625, 0.0, 0.5]


def test_zero_threshold_exactly_half_smallest_level():
    # 1/128 is half of 2**-6: not *below* it, so log rounding keeps a level
    # (-log2 = 7 -> clip 6); linear rounding sees a tie and takes the smaller magnitude, 0.
    w = [1.0, 2.0 ** -7, -(2.0 ** -7)]
    assert quantize(pot_spec("zero: true"), w).codes.tolist() == [0, 6, 14]
    assert quantize(pot_spec("zero: true, rounding: linear"), w).codes.tolist() == [0, 7, 7]


def test_zero_code_linear():
    spec = pot_spec("zero: true, rounding: linear")
    # levels 1 .. 1/64 and 0; midpoint of 0 and 1/64 is 1/128
    #  0.005 -> 0 (code 7); 0.012 -> 1/64 (code 6); -0.74 -> -0.5 (code 9); 0.0 -> code 7
    #  -0.005 -> 0 without sign (code 7)
    q = quantize(spec, [1.0, 0.005, 0.012, -0.74, 0.0, -0.005])
    assert q.codes.tolist() == [0, 7, 6, 9, 7, 7]


def test_zero_code_explicit_alpha():
    spec = pot_spec("zero: true")
    # alpha = 0.5 (not max|W| = 2): 0.003/0.5 = 0.006 < 1/128 -> code 7; 0.5/0.5 = 1 -> 0;
    # 0.25/0.5 = 0.5 -> 1; -2/0.5 clips to -1 -> 8
    q = quantize(spec, [0.003, 0.5, 0.25, -2.0], alpha=0.5)
    assert q.alpha == 0.5
    assert q.codes.tolist() == [7, 0, 1, 8]
    assert q.dequantize().tolist() == [0.0, 0.5, 0.25, -0.5]


def test_codes_in_range_random(pot4):
    rng = np.random.default_rng(0)
    w = rng.normal(size=1000)
    q = quantize(pot4, w)
    assert q.codes.min() >= 0 and q.codes.max() < 16
    # Sign bit set exactly for negative weights (no zero level here).
    assert ((q.codes >> 3) == 1).tolist() == (w < 0).tolist()
    # Log rounding: every weight is within a factor sqrt(2) of its level, unless clipped.
    x = np.abs(w) / q.alpha
    level = np.abs(q.dequantize()) / q.alpha
    ok = (x >= 2.0 ** -7.5)
    ratio = x[ok] / level[ok]
    assert np.all(ratio <= 2 ** 0.5 + 1e-12) and np.all(ratio >= 2 ** -0.5 - 1e-12)
