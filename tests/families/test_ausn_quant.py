"""AUSN arithmetic (seed 001, 4.1-4.4): eq. 4, PreConvert, Algorithm 1, eq. 5, rounding."""

from fractions import Fraction as Fr

import numpy as np
import pytest

from shiftgen.families.ausn_quant import (
    adaptive_allocation, allocation_errors, ausn_level, ausn_levels, ausn_round, ausn_shifts,
    ausn_value, candidate_fields, check_fields, dequantize, field_widths, level_range,
    magnitude_values, pack, preconvert, quantize, round_terms, unpack)

FIELDS = [(1, []), (3, []), (2, [1]), (2, [2]), (3, [2]), (2, [1, 1]), (1, [2, 1]), (2, [2, 2])]


# ---------------------------------------------------------------- eq. 4 and packing

def test_levels_b0_2_b1_1_by_hand():
    # Basic basis {0, 1/2, 1/4, 1/8} (code = low 2 bits), subdivision {0, 1/2} (bit 2).
    # code 5 = q0 1, q1 1: 1/2 + 1/2*1/2 = 3/4; code 4 = q0 0: no term at all.
    assert ausn_levels((2, [1])) == {
        0: 0, 1: Fr(1, 2), 2: Fr(1, 4), 3: Fr(1, 8),
        4: 0, 5: Fr(3, 4), 6: Fr(3, 8), 7: Fr(3, 16)}


def test_levels_b0_2_b1_2_by_hand():
    # level = 2^-q0 * (1 + 2^-q1) for q0, q1 > 0; 2^-q0 for q1 = 0; 0 for q0 = 0.
    # Code = q0 | q1 << 2, so each row below is one q1, columns q0 = 0..3.
    expected = [0, Fr(1, 2), Fr(1, 4), Fr(1, 8),          # q1 = 0
                0, Fr(3, 4), Fr(3, 8), Fr(3, 16),         # q1 = 1: (1 + 1/2)
                0, Fr(5, 8), Fr(5, 16), Fr(5, 32),        # q1 = 2: (1 + 1/4)
                0, Fr(9, 16), Fr(9, 32), Fr(9, 64)]       # q1 = 3: (1 + 1/8)
    assert ausn_levels((2, [2])) == dict(enumerate(expected))


def test_three_parts_shift_by_running_sums():
    fields = (2, [2, 2])
    # Term shifts are 1, 1 + 2, 1 + 2 + 3.
    assert ausn_shifts((1, 2, 3), fields) == (1, 3, 6)
    assert ausn_level((1, 2, 3), fields) == Fr(1, 2) + Fr(1, 8) + Fr(1, 64)
    assert ausn_value((1, 2, 3), fields) == 0.5 + 0.125 + 2 ** -6
    # A zero subdivision part ends the superposition: the third part is ignored.
    assert ausn_shifts((1, 0, 3), fields) == (1,)
    assert ausn_level((1, 0, 3), fields) == Fr(1, 2)
    # A zero basic part is level 0 whatever follows.
    assert ausn_level((0, 3, 3), fields) == 0
    assert ausn_value((0, 3, 3), fields) == 0.0
    assert ausn_levels(fields)[pack((1, 2, 3), fields)] == Fr(41, 64)


def test_packing_puts_the_basic_part_low():
    fields = (2, [2, 1])
    assert pack((1, 2, 1), fields) == 1 | 2 << 2 | 1 << 4 == 25
    assert unpack(25, fields) == (1, 2, 1)
    q0, q1, q2 = unpack(np.array([[25, 0], [31, 4]]), fields)
    assert q0.tolist() == [[1, 0], [3, 0]]
    assert q1.tolist() == [[2, 0], [3, 1]]
    assert q2.tolist() == [[1, 0], [1, 0]]
    assert field_widths(fields) == (2, 2, 1)
    assert check_fields([2, (2, 1)]) == (2, (2, 1))


@pytest.mark.parametrize("fields", FIELDS)
def test_levels_are_distinct_up_to_the_ignored_parts(fields):
    widths = field_widths(fields)
    levels = ausn_levels(fields)
    assert len(levels) == 1 << sum(widths)
    # Distinct levels: 0 plus, for every prefix of non-zero parts, all its codes.
    distinct, run = 1, 1
    for b in widths:
        run *= (1 << b) - 1
        distinct += run
    assert len(set(levels.values())) == distinct
    # The float path and the exact path agree on every code.
    codes = np.arange(len(levels))
    assert magnitude_values(codes, fields).tolist() == [float(v) for v in levels.values()]
    # Largest and smallest non-zero level.
    small, big = level_range(fields)
    assert big == max(levels.values())
    assert small == min(v for v in levels.values() if v)


def test_level_range_by_hand():
    assert level_range((3, [])) == (Fr(1, 128), Fr(1, 2))
    assert level_range((3, [2])) == (Fr(1, 128), Fr(3, 4))
    assert level_range((2, [1, 1])) == (Fr(1, 8), Fr(7, 8))


# ---------------------------------------------------------------- PreConvert, eqs. 1-3

def test_preconvert_by_hand():
    # max|W| = 3: power = ceil(log2 3) = 2, scale 4.
    pre = preconvert([3.0, -1.0, 0.5], (2, [1]))
    assert pre.scale == 4.0 and pre.power == 2
    assert pre.weights.tolist() == [0.75, -0.25, 0.125]
    # A power of two: ceil(log2 2) = 1, so the largest weight becomes exactly 1.
    pre = preconvert([-2.0, 1.0])
    assert (pre.scale, pre.power, pre.weights.tolist()) == (2.0, 1, [-1.0, 0.5])
    # Below 1: ceil(log2 0.3) = -1.
    pre = preconvert(np.array([[0.3], [-0.1]]))
    assert pre.scale == 0.5 and pre.power == -1 and pre.weights.shape == (2, 1)
    assert preconvert([0.0, -0.0]).scale == 1.0


def test_preconvert_satisfies_eq3():
    rng = np.random.default_rng(0)
    for spread in (1e-3, 0.7, 1.0, 5.0, 1e4):
        w = rng.normal(0, spread, 257)
        pre = preconvert(w)
        top = np.max(np.abs(pre.weights))
        # max(Pow_pre) = scale / 2 <= max|W| <= scale = 2 max(Pow_pre).
        assert 0.5 < top <= 1.0
        assert np.array_equal(pre.weights * pre.scale, w)


# ---------------------------------------------------------------- Algorithm 1

def test_algorithm1_by_hand_b0_2_b1_1():
    # max|w| = 1: power 0, scale 1. Basic basis {0, 1/2, 1/4, 1/8}, subdivision {0, 1/2}.
    #  1.0: q0 = 1 (1/2), rem = 1/(1/2) - 1 = 1, q1 = 1 -> 3/4 (saturates), code 1 | 1 << 2 = 5
    #  0.8: q0 = 1, rem = 0.6, q1 = 1 (1/2 <= 0.6) -> 3/4, code 5
    # -0.3: q0 = 2 (1/4), rem = 0.2 < 1/2, q1 = 0 -> 1/4, code 2, negative
    #  0.1: below 1/8, q0 = 0 -> 0, code 0
    #  0.7: q0 = 1, rem = 0.4 < 1/2 -> 1/2, code 1
    # -0.0 and 0: code 0, sign 0.
    codes, signs, scale = quantize([1.0, 0.8, -0.3, 0.1, 0.0, 0.7, -0.0], (2, [1]))
    assert scale == 1.0
    assert codes.tolist() == [5, 5, 2, 0, 0, 1, 0]
    assert signs.tolist() == [0, 0, 1, 0, 0, 0, 0]


def test_algorithm1_by_hand_b0_2_b1_2_with_scale():
    # max|w| = 3: scale 4, PreConverted 0.75, 0.625, 0.275, -0.15.
    #  0.75:  q0 = 1, rem = 0.5,   q1 = 1 (1/2)  -> 3/4,  code 1 | 1 << 2 = 5
    #  0.625: q0 = 1, rem = 0.25,  q1 = 2 (1/4)  -> 5/8,  code 1 | 2 << 2 = 9
    #  0.275: q0 = 2, rem = 0.1 < 1/8, q1 = 0    -> 1/4,  code 2
    # -0.15:  q0 = 3 (1/8), rem = 0.2, q1 = 3 (1/8) -> 9/64, code 3 | 3 << 2 = 15
    fields = (2, [2])
    q = quantize([3.0, 2.5, 1.1, -0.6], fields)
    assert q.scale == 4.0
    assert q.codes.tolist() == [5, 9, 2, 15]
    assert q.signs.tolist() == [0, 0, 0, 1]
    assert dequantize(q.codes, q.signs, q.scale, fields).tolist() == [3.0, 2.5, 1.0, -0.5625]


def test_algorithm1_three_parts_by_hand():
    # 0.9: q0 = 1, rem = 0.8; q1 = 1, rem = 0.8/0.5 - 1 = 0.6; q2 = 1 -> 7/8,
    # code 1 | 1 << 2 | 1 << 3 = 13. 0.3 with scale 1: q0 = 2, rem 0.2, q1 = 0 -> code 2.
    assert quantize([0.9, 0.3], (2, [1, 1])).codes.tolist() == [13, 2]


@pytest.mark.parametrize("fields", FIELDS)
def test_truncate_is_the_largest_level_below_and_nearest_the_nearest(fields):
    rng = np.random.default_rng(1)
    a = np.concatenate([rng.random(3000), [0.0, 1.0, 0.5, 0.25, 1e-300]])
    levels = np.unique([float(v) for v in ausn_levels(fields).values()])
    q = quantize(a, fields, scale=1.0)
    floor = levels[np.searchsorted(levels, a, side="right") - 1]
    assert np.array_equal(magnitude_values(q.codes, fields), floor)
    q = quantize(a, fields, scale=1.0, rounding="nearest")
    best = np.min(np.abs(levels[None, :] - a[:, None]), axis=1)
    assert np.array_equal(np.abs(magnitude_values(q.codes, fields) - a), best)
    # Both return canonical codes: nothing set after a zero part.
    for rounding in ("truncate", "nearest"):
        codes = quantize(a, fields, scale=1.0, rounding=rounding).codes
        parts = unpack(codes, fields)
        dead = np.zeros(a.shape, dtype=bool)
        for p in parts:
            assert not np.any(dead & (p != 0))
            dead |= p == 0


def test_levels_times_scale_come_back_exactly():
    fields = (3, [2])
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 1 << 5, 400)
    signs = rng.integers(0, 2, 400)
    w = dequantize(codes, signs, 8.0, fields)
    w[0] = 8 * 0.75  # pin the maximum so PreConvert's scale is 8
    for rounding in ("truncate", "nearest"):
        q = quantize(w, fields, rounding=rounding)
        assert q.scale == 8.0
        assert np.array_equal(dequantize(q.codes, q.signs, q.scale, fields), w)


def test_error_falls_as_subdivision_bits_are_added():
    rng = np.random.default_rng(3)
    w = rng.normal(0, 0.05, 5000)
    ladder = [(3, []), (3, [1]), (3, [2]), (3, [3]), (3, [3, 1]), (3, [3, 3])]
    for rounding in ("truncate", "nearest"):
        errors = []
        for fields in ladder:
            q = quantize(w, fields, rounding=rounding)
            errors.append(np.mean((dequantize(q.codes, q.signs, q.scale, fields) - w) ** 2))
        assert all(b < a for a, b in zip(errors, errors[1:])), errors
    # Nearest is never worse than truncation.
    for fields in ladder:
        t, n = (quantize(w, fields, rounding=r) for r in ("truncate", "nearest"))
        assert np.all(np.abs(dequantize(*n, fields) - w) <= np.abs(dequantize(*t, fields) - w))


def test_explicit_scale_saturates():
    # With scale 1, 5.0 is far above the range: every part takes code 1 (3/4).
    q = quantize([5.0, -5.0, 0.3], (2, [1]), scale=1.0)
    assert q.codes.tolist() == [5, 5, 2] and q.signs.tolist() == [0, 1, 0]
    assert q.scale == 1.0


# ---------------------------------------------------------------- rounding, section 4.4

def test_paper_worked_example_412_to_384():
    # Section 4.4: 412 = 2^2 + 2^3 + 2^4 + 2^6 + 2^6 + 2^8 with B_sub = 1 gives
    # 384 = 2^7 + 2^8. Here: 412 = 2^8 + 2^7 + 2^4 + 2^3 + 2^2 once carried;
    # Step 1 merges the run 2^2 + 2^3 + 2^4 into 2^5 (416 = 2^8 + 2^7 + 2^5), and
    # 2^5 < 2^(7-1) is then dropped (Scenario 3), as in the paper's last step.
    assert ausn_round(412, 1) == 384
    assert round_terms([2, 3, 4, 6, 6, 8], 1) == (7, 8)
    assert ausn_round(412, 1, "nearest") == 384


def test_scenario_1_long_run_rounds_up():
    # 2^2 + 2^3 + 2^4 = 28: a run of 3 >= B_sub + 2 terms -> 2^5.
    assert ausn_round(28, 1) == 32
    # B_sub = 2 needs a run of 4: 2^2 + ... + 2^5 = 60 -> 64; the run of 3 in
    # 28 is already short enough (3 terms are allowed) and stays.
    assert ausn_round(60, 2) == 64
    assert ausn_round(28, 2) == 28
    # Step 1 acts before the term count is looked at: 29 = 2^4 + 2^3 + 2^2 + 2^0
    # -> 2^5 + 2^0 = 33 (two terms, done); the nearest two-term number is 32.
    assert ausn_round(29, 1) == 33
    assert ausn_round(29, 1, "nearest") == 32


def test_scenario_2_equal_terms_carry():
    # 2^6 + 2^6 = 2^7 exactly, and a chain of carries: 4 * 2^3 = 2^5.
    assert round_terms([6, 6], 1) == (7,)
    assert round_terms([3, 3, 3, 3], 0) == (5,)
    assert round_terms([6, 6, 1], 1) == (1, 7)


def test_scenario_3_far_term_is_dropped():
    # B_sub = 1: 2^8 + 2^5 + 2^2 = 292 has one term too many; the last kept
    # term is 2^5 and 2^2 lies more than B_sub below it (m = 5 > n + 1 = 3),
    # so 2^2 + 2^5 ~ 2^5: 288.
    assert ausn_round(292, 1) == 288
    assert round_terms([8, 5, 2], 1) == (5, 8)
    # Several dropped at once: 2^10 + 2^8 + 2^6 + 2^4 + 2^2 -> 2^10 + 2^8.
    assert ausn_round(1024 + 256 + 64 + 16 + 4, 1) == 1280


def test_scenario_4_adjacent_term_carries():
    # B_sub = 1: 2^8 + 2^5 + 2^4 = 304. m = 5 = n + B_sub with n = 4: 2^4 + 2^5
    # is 2^5 or 2^6; the dropped part 2^4 is half of 2^5 (a tie), which rounds
    # up: 2^8 + 2^6 = 320. A little more below makes it a clear carry.
    assert ausn_round(304, 1) == 320
    assert ausn_round(305, 1) == 320
    # The carry can run into a kept term (Scenario 2 again): 2^6 + 2^5 + 2^4
    # is a run of 3 (Scenario 1) -> 2^7; with 2^7 kept too it carries to 2^8.
    assert ausn_round(128 + 64 + 32 + 16, 1) == 256


def test_b_sub_2_uses_the_nearest_rule():
    # 2^9 + 2^7 + 2^5 + 2^3 keeps 3 terms; the dropped 2^3 is below 2^(5-1).
    assert ausn_round(512 + 128 + 32 + 8, 2) == 512 + 128 + 32
    # 2^9 + 2^7 + 2^5 + 2^4: the dropped 2^4 is half of 2^5 -> carry to 2^6.
    assert ausn_round(512 + 128 + 32 + 16, 2) == 512 + 128 + 64


@pytest.mark.parametrize("b_sub", [0, 1, 2, 3])
def test_rounding_bounds_terms_and_nearest_is_optimal(b_sub):
    x = np.arange(1 << 11)
    keep = b_sub + 1
    allowed = np.array([v for v in range(1 << 12) if bin(v).count("1") <= keep])
    i = np.searchsorted(allowed, x)
    best = np.minimum(np.abs(allowed[np.maximum(i - 1, 0)] - x), np.abs(allowed[i] - x))
    for method in ("paper", "nearest"):
        r = ausn_round(x, b_sub, method)
        assert r.shape == x.shape and r.dtype == np.int64
        assert max(bin(int(v)).count("1") for v in r) <= keep
        # Numbers that already fit are left alone.
        fits = np.isin(x, allowed)
        assert np.array_equal(r[fits], x[fits])
    assert np.array_equal(np.abs(ausn_round(x, b_sub, "nearest") - x), best)


def test_rounding_keeps_shape_and_handles_fractions():
    x = np.array([[412, 29], [0, 1]], dtype=np.uint16)
    assert ausn_round(x, 1).tolist() == [[384, 33], [0, 1]]
    # 2^-3 + 2^-2 + 2^-1 + 2^0 = 15/8: a run of 4 -> 2^1.
    assert round_terms([-3, -2, -1, 0], 1) == (1,)
    assert round_terms([], 1) == ()


# ---------------------------------------------------------------- eq. 5 and section 4.3

def test_eq5_errors_by_hand():
    # fields (1, []): levels {0, 1/2}, R = 1/2; scale 1.
    # E_b = (1/2) * 1.0 * (1.0 - 0.5) = 0.25; E_r = (1/2) * 0.3 * min(0.3, 0.2) = 0.03.
    e_b, e_r = allocation_errors([1.0, 0.3], (1, []))
    assert e_b == pytest.approx(0.25) and e_r == pytest.approx(0.03)
    # The same weights times 4 (scale 4): errors in w**2 units, times 16.
    e_b, e_r = allocation_errors([4.0, -1.2], (1, []))
    assert e_b == pytest.approx(4.0) and e_r == pytest.approx(0.48)
    # Truncation measures Algorithm 1's level instead: 0.3 -> 0, error 0.3.
    assert allocation_errors([1.0, 0.3], (1, []), "truncate")[1] == pytest.approx(0.045)


def test_candidates_in_order():
    assert candidate_fields(3) == [(3, ()), (2, (1,)), (1, (2,)), (1, (1, 1))]
    assert candidate_fields(4, max_parts=1) == [(4, ()), (3, (1,)), (2, (2,)), (1, (3,))]
    assert len(candidate_fields(6)) == 2 ** 5
    assert candidate_fields(1) == [(1, ())]


def test_allocation_small_weights_buy_basic_bits():
    # One weight at the top and 1000 at 0.03 (scale 1); every n > 0 has R = 3/4 or more.
    # (4, []):  R = 1/2, E_b = 0.5/1001; 0.03 -> 2^-5, E_r = 1000*0.03*0.00125/1001
    #           = 0.0375/1001; total 0.5375/1001.
    # (3, [1]): R = 3/4, E_b = 0.25/1001; 0.03 -> 2^-5 again; total 0.2875/1001.
    # (2, [2]): R = 3/4, E_b = 0.25/1001; smallest level 1/8, so 0.03 -> 0,
    #           E_r = 1000*0.03*0.03/1001 = 0.9/1001; total 1.15/1001.
    w = np.array([1.0] + [0.03] * 1000)
    alloc = adaptive_allocation(w, 4)
    assert alloc.fields == (3, (1,))
    rows = {row.fields: row for row in alloc.table}
    assert rows[(4, ())].error == pytest.approx(0.5375 / 1001)
    assert rows[(3, (1,))].error == pytest.approx(0.2875 / 1001)
    assert rows[(2, (2,))].error == pytest.approx(1.15 / 1001)
    assert rows[(3, (1,))].clipping_error == pytest.approx(0.25 / 1001)


def test_allocation_narrow_weights_buy_subdivision_bits():
    # One weight at 1 and 1000 at 0.6: no range is needed below 1/2, so B0 = 1.
    # (1, [2, 1]): levels 1/2 (1 + v1 (1 + v2)), v1 in {0, 1/2, 1/4, 1/8},
    #   v2 in {0, 1/2}; 0.6 -> 19/32 (error 0.00625), R = 7/8:
    #   total (1 * 1/8 + 1000 * 0.6 * 0.00625) / 1001 = 3.875/1001.
    # (3, [1]): 0.6 -> 1/2 (error 0.1): total (0.25 + 60)/1001.
    w = np.array([1.0] + [0.6] * 1000)
    alloc = adaptive_allocation(w, 4)
    assert alloc.fields == (1, (2, 1))
    rows = {row.fields: row for row in alloc.table}
    assert rows[(1, (2, 1))].error == pytest.approx(3.875 / 1001)
    assert rows[(3, (1,))].error == pytest.approx(60.25 / 1001)


def test_allocation_wide_versus_narrow_distributions():
    rng = np.random.default_rng(4)
    narrow = rng.uniform(-1, 1, 4000)
    wide = rng.choice([-1, 1], 4000) * np.exp(rng.normal(0, 2, 4000))
    for bits in (4, 5):
        n, w = adaptive_allocation(narrow, bits), adaptive_allocation(wide, bits)
        assert w.fields[0] > n.fields[0]
        assert sum(n.fields[1]) > sum(w.fields[1])
        for alloc in (n, w):
            assert [row.fields for row in alloc.table] == candidate_fields(bits)
            best = min(alloc.table, key=lambda row: row.error)
            assert alloc.fields == best.fields
            assert all(row.error == row.clipping_error + row.rounding_error for row in alloc.table)


def test_allocation_with_given_candidates_and_ties():
    # All weights zero: every candidate has zero error, the first one wins.
    alloc = adaptive_allocation(np.zeros(5), 3, candidates=[(1, [2]), (3, [])])
    assert alloc.fields == (1, (2,))
    assert [row.error for row in alloc.table] == [0.0, 0.0]


# ---------------------------------------------------------------- argument validation

@pytest.mark.parametrize("fields, message", [
    ((3, 2), "fields must be a pair (B0, [B1, ...]), not (3, 2)"),
    ([3], "fields must be a pair"),
    ((3, "12"), "fields must be a pair"),
    ((0, []), "field widths must be integers >= 1, not 0"),
    ((2, [1, 0]), "field widths must be integers >= 1, not 0"),
    ((2.0, []), "field widths must be integers >= 1, not 2.0"),
    ((True, []), "field widths must be integers >= 1, not True"),
    ((10, [7]), "fields must have at most 16 magnitude bits, not 17"),
])
def test_bad_fields(fields, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        ausn_levels(fields)


def test_bad_codes_and_parts():
    with pytest.raises(ValueError,
                       match=r"a 2-bit part code must be an integer in \[0, 3\], not 4"):
        ausn_level((4, 0), (2, [1]))
    with pytest.raises(ValueError, match="part codes must be a sequence of 2 codes, not 5"):
        ausn_value(5, (2, [1]))
    with pytest.raises(ValueError, match="part codes must be a sequence of 2 codes, not"):
        pack((1,), (2, [1]))
    with pytest.raises(ValueError, match=r"a 3-bit magnitude code must be in \[0, 7\], not 8"):
        unpack(8, (2, [1]))
    with pytest.raises(ValueError, match=r"a 3-bit magnitude code must be in \[0, 7\], not -1"):
        magnitude_values([1, -1], (2, [1]))
    with pytest.raises(ValueError, match="codes must be integers, not an array of dtype float64"):
        magnitude_values([1.0], (2, [1]))
    with pytest.raises(ValueError, match="signs must be bits"):
        dequantize([1], [2], 1.0, (2, [1]))


def test_bad_weights_and_options():
    with pytest.raises(ValueError, match="weights must be finite, not nan"):
        quantize([1.0, np.nan], (2, [1]))
    with pytest.raises(ValueError, match="weights must not be empty"):
        preconvert([])
    with pytest.raises(ValueError, match="weights must be real numbers"):
        preconvert(["a"])
    with pytest.raises(ValueError, match="scale must be a positive finite number, not 0"):
        quantize([1.0], (2, [1]), scale=0)
    with pytest.raises(ValueError, match="rounding must be one of"):
        quantize([1.0], (2, [1]), rounding="up")
    with pytest.raises(ValueError, match="fields must be a pair"):
        preconvert([1.0], fields=3)


def test_bad_rounding_arguments():
    with pytest.raises(ValueError, match="b_sub must be an integer >= 0, not -1"):
        ausn_round(5, -1)
    with pytest.raises(ValueError, match="b_sub must be an integer >= 0, not 1.0"):
        ausn_round(5, 1.0)
    with pytest.raises(ValueError, match="x must be integers, not an array of dtype float64"):
        ausn_round(5.0, 1)
    with pytest.raises(ValueError, match=r"x must be integers in \[0, 2\*\*62\), not -3"):
        ausn_round([1, -3], 1)
    with pytest.raises(ValueError, match="method must be one of"):
        ausn_round(5, 1, "floor")
    with pytest.raises(ValueError, match="exponents must be a sequence of integers"):
        round_terms([1.5], 1)
    with pytest.raises(ValueError, match="exponents must span less than 60, not 60"):
        round_terms([0, 60], 1)
    with pytest.raises(ValueError, match=r"exponents must add up to less than 2\*\*62 times"):
        round_terms([0] + [59] * 8, 1)


def test_bad_allocation_arguments():
    with pytest.raises(ValueError, match=r"total_bits must be an integer in \[1, 16\], not 0"):
        adaptive_allocation([1.0], 0)
    with pytest.raises(ValueError, match=r"total_bits must be an integer in \[1, 16\], not 17"):
        candidate_fields(17)
    with pytest.raises(ValueError, match="max_parts must be an integer >= 0 or None, not -1"):
        candidate_fields(3, max_parts=-1)
    with pytest.raises(ValueError,
                       match=r"candidates must have 3 magnitude bits, not \(2, \(2,\)\)"):
        adaptive_allocation([1.0], 3, candidates=[(2, [2])])
    with pytest.raises(ValueError, match="candidates must not be empty"):
        adaptive_allocation([1.0], 3, candidates=[])
