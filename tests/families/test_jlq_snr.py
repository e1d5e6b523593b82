"""The JLQ SNR model (seed 004 section III-A, eqs. 1-2) against seed 004 Table I.

Tolerance for Table I: 0.05 dB. The paper prints two decimals (rounding error
up to 0.005 dB) and our integration is converged to better than 1e-5 dB; of the
rows that fit, 13 agree to the printed digit and the worst (s=3 i=-2, 4.23
printed, 4.196 computed) is 0.034 dB off, which is what a coarser numerical
integration on the paper's side would leave. 0.05 dB keeps that row with some
margin, while the three rows that do not fit are 0.16 dB or more off, over
three times the tolerance: they are marked xfail (strict) with the reason, not
absorbed by a looser tolerance.
"""

import math

import numpy as np
import pytest

from shiftgen.families.jlq_snr import DEFAULT_PANELS, TABLE_I, jlq_levels, snr_db

TOLERANCE_DB = 0.05

#: (s, i, bits, zero) -> why the paper's value is not reproduced.
NOT_REPRODUCED = {
    (1, -4, 2, False):
        "paper 7.83 dB, model 7.99 dB (+0.16): the other s=1 rows (i=-2, -3, -5) agree to "
        "0.005 dB, no (s, i, W <= 4, sign) gives 7.83 within 0.03 dB, and no pdf reading "
        "(uniform tail of any mass, tail cut at 3 delta, log-domain borders) fits it without "
        "moving other rows by 0.15 dB or more: an isolated numerical error in the paper",
    (2, -3, 2, False):
        "paper 7.90 dB, model 6.93 dB (-0.97): an isolated value ~1 dB above the model, "
        "whose neighbours s=2 i=-2, -4, -5 agree to 0.005 dB; no (s, i, W <= 4, sign) "
        "and no pdf reading tried comes within 0.9 dB of 7.90, so it is an error in the "
        "paper's table (this is the 2-bit set the paper goes on to use, section IV)",
    (2, -1, 3, False):
        "paper 9.01 dB, model 8.34 dB (-0.67), while its neighbours s=2 i=0, -2, -3 (3-bit) "
        "agree to 0.005 dB; 9.01 is the model's value for s=2 i=-4 W=3 (9.00 dB), so the "
        "row looks computed or entered for another i, a slip in the paper",
}


def _row_id(row):
    return f"s{row.s}_i{row.i}_W{row.bits}_{'T' if row.zero else 'B'}"


def _table_params():
    for row in TABLE_I:
        key = (row.s, row.i, row.bits, row.zero)
        marks = ()
        if key in NOT_REPRODUCED:
            marks = (pytest.mark.xfail(strict=True, reason=NOT_REPRODUCED[key]),)
        yield pytest.param(row, id=_row_id(row), marks=marks)


@pytest.mark.parametrize("row", list(_table_params()))
def test_table_i(row):
    ours = snr_db(row.s, row.i, row.bits, row.zero)
    assert ours == pytest.approx(row.snr_db_paper, abs=TOLERANCE_DB)


def test_table_i_shape():
    assert len(TABLE_I) == 18
    assert [r.bits for r in TABLE_I].count(2) == 13
    assert [(r.s, r.i, r.bits) for r in TABLE_I if r.zero] == [(1, 0, 2), (1, 0, 3)]
    assert set(NOT_REPRODUCED) <= {(r.s, r.i, r.bits, r.zero) for r in TABLE_I}


def test_most_rows_agree_to_the_printed_digit():
    exact = [r for r in TABLE_I if round(snr_db(r.s, r.i, r.bits, r.zero), 2) == r.snr_db_paper]
    assert len(exact) == 13


# --- levels -----------------------------------------------------------------

def test_levels_paper_example():
    # seed 004 section V: 3-bit, s=2, i=-1 -> +-2^-1, +-2^-3, +-2^-5, +-2^-7
    mags = [2.0 ** -1, 2.0 ** -3, 2.0 ** -5, 2.0 ** -7]
    assert jlq_levels(2, -1, 3).tolist() == sorted([-m for m in mags] + mags)


def test_levels_ternary_example():
    # seed 004 section III-B: ternary 3-bit (+-2^0, +-2^-1, +-2^-2, 0),
    # binary 3-bit (+-2^0, +-2^-1, +-2^-2, +-2^-3): zero replaces the smallest level.
    assert jlq_levels(1, 0, 3, zero=True).tolist() == [-1, -0.5, -0.25, 0, 0.25, 0.5, 1]
    assert jlq_levels(1, 0, 3).tolist() == [-1, -0.5, -0.25, -0.125, 0.125, 0.25, 0.5, 1]


@pytest.mark.parametrize("bits", [2, 3, 4, 6])
@pytest.mark.parametrize("zero", [False, True])
def test_levels_count_and_symmetry(bits, zero):
    points = jlq_levels(3, -2, bits, zero)
    assert points.dtype == np.float64
    assert len(points) == 2 ** bits - zero
    assert np.all(np.diff(points) > 0)
    assert np.array_equal(points, -points[::-1])
    assert points.max() == 2.0 ** -2
    assert (0.0 in points) == zero


def test_levels_accept_numpy_integers():
    assert jlq_levels(np.int64(2), np.int32(-1), np.int8(3), np.bool_(False)).tolist() \
        == jlq_levels(2, -1, 3).tolist()


# --- numerics -----------------------------------------------------------------

@pytest.mark.parametrize("tail", ["gaussian", "uniform"])
@pytest.mark.parametrize("row", TABLE_I, ids=_row_id)
def test_simpson_converged(row, tail):
    coarse = snr_db(row.s, row.i, row.bits, row.zero, tail=tail)
    fine = snr_db(row.s, row.i, row.bits, row.zero, tail=tail, panels=2 * DEFAULT_PANELS)
    assert abs(fine - coarse) < 1e-3


def _closed_form_snr(points, delta):
    """Eq. (1)-(2) for N(0, delta^2) on [-1, 1] with erf: no Simpson at all."""
    def cdf(x):
        return 0.5 * math.erf(x / (delta * math.sqrt(2)))

    def pdf(x):
        return math.exp(-0.5 * (x / delta) ** 2) / (delta * math.sqrt(2 * math.pi))

    edges = [-1.0] + [(a + b) / 2 for a, b in zip(points[:-1], points[1:])] + [1.0]
    d = 0.0
    for q, a, b in zip(points, edges[:-1], edges[1:]):
        a, b = max(a, -1.0), min(b, 1.0)
        if a >= b:
            continue
        p0 = cdf(b) - cdf(a)                                   # int f
        p1 = delta ** 2 * (pdf(a) - pdf(b))                    # int x f
        p2 = delta ** 2 * p0 + delta ** 2 * (a * pdf(a) - b * pdf(b))  # int x^2 f
        d += p2 - 2 * q * p1 + q * q * p0
    d /= 2 * cdf(1.0)  # renormalized to [-1, 1]
    return 10 * math.log10(delta ** 2 / d)


@pytest.mark.parametrize("row", TABLE_I, ids=_row_id)
def test_simpson_matches_closed_form(row):
    points = jlq_levels(row.s, row.i, row.bits, row.zero).tolist()
    assert snr_db(row.s, row.i, row.bits, row.zero) == pytest.approx(
        _closed_form_snr(points, 0.05), abs=1e-4)


@pytest.mark.parametrize("delta", [0.01, 0.09, 0.3])
def test_simpson_matches_closed_form_other_delta(delta):
    for s, i, bits, zero in [(1, 0, 2, True), (2, -3, 3, False), (3, -1, 4, True)]:
        points = jlq_levels(s, i, bits, zero).tolist()
        assert snr_db(s, i, bits, zero, delta=delta) == pytest.approx(
            _closed_form_snr(points, delta), abs=1e-3)


# --- properties -----------------------------------------------------------------

@pytest.mark.parametrize("zero", [False, True])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_more_bits_never_lowers_snr(s, zero):
    # One more bit keeps every level of the same (s, i) and adds smaller ones;
    # with nearest-neighbour borders a superset of points cannot add distortion.
    for i in range(0, -7, -1):
        snrs = [snr_db(s, i, bits, zero) for bits in range(2, 7)]
        assert all(b >= a - 1e-9 for a, b in zip(snrs, snrs[1:])), (i, snrs)


def test_ternary_with_one_more_bit_never_below_binary():
    # Ternary W+1 bits keeps all binary W-bit levels of the same (s, i) and adds
    # smaller ones and zero: a superset, so again no more distortion.
    for s in (1, 2, 3):
        for i in range(0, -7, -1):
            for bits in (2, 3, 4):
                assert snr_db(s, i, bits + 1, True) >= snr_db(s, i, bits) - 1e-9


def test_s2_is_optimal_for_2_bit():
    # seed 004 section III-C: "among all the jumping parameter sets, s=2 is
    # optimal in theory". Over Table I's 2-bit rows, the best SNR has s=2, in
    # the model and in the paper's own numbers.
    rows = [r for r in TABLE_I if r.bits == 2]
    ours = max(rows, key=lambda r: snr_db(r.s, r.i, r.bits, r.zero))
    paper = max(rows, key=lambda r: r.snr_db_paper)
    assert (ours.s, ours.i) == (2, -4)
    assert (paper.s, paper.i) == (2, -4)


def test_s2_is_optimal_for_2_bit_over_a_wider_sweep():
    # Not just the table's rows: best over i in [0, -8] for each s in 1..4.
    best = {s: max(snr_db(s, i, 2) for i in range(0, -9, -1)) for s in (1, 2, 3, 4)}
    assert max(best, key=best.get) == 2


# --- modelling choices (see the module docstring) ---------------------------------

def test_variance_choice_irrelevant_for_gaussian():
    for row in TABLE_I:
        a = snr_db(row.s, row.i, row.bits, row.zero)
        b = snr_db(row.s, row.i, row.bits, row.zero, variance="model")
        assert a == pytest.approx(b, abs=1e-6)


def test_uniform_tail_reading_does_not_reproduce_table_i():
    # The literal reading of section III-A (the Gaussian's 0.27 % tail mass spread
    # uniformly over 3 delta < |x| <= 1) misses rows the Gaussian fits by dB.
    row = (1, -4, 2, False)
    assert snr_db(*row, tail="uniform") == pytest.approx(3.04, abs=0.01)
    worst = max(abs(snr_db(r.s, r.i, r.bits, r.zero, tail="uniform", variance=v)
                    - r.snr_db_paper)
                for r in TABLE_I if (r.s, r.i, r.bits, r.zero) not in NOT_REPRODUCED
                for v in ("delta", "model"))
    assert worst > 4


def test_uniform_tail_pdf_has_unit_mass_and_larger_variance():
    # variance="model" over "delta": 10 log10(var / delta^2) is the model's variance excess.
    excess = (snr_db(2, -4, 2, tail="uniform", variance="model")
              - snr_db(2, -4, 2, tail="uniform"))
    tail_mass = 1 - math.erf(3 / math.sqrt(2))
    # tail: mass m uniform on 0.15..1 -> E[x^2] = (1 - 0.15^3) / (3 * 0.85)
    core = 0.05 ** 2 * (math.erf(3 / math.sqrt(2))
                        - 6 * math.exp(-4.5) / math.sqrt(2 * math.pi))
    var = core + tail_mass * (1 - 0.15 ** 3) / (3 * 0.85)
    assert excess == pytest.approx(10 * math.log10(var / 0.05 ** 2), abs=1e-4)


# --- argument validation -------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    (dict(s=0), r"^s must be a positive integer, not 0$"),
    (dict(s=-1), r"^s must be a positive integer, not -1$"),
    (dict(s=1.5), r"^s must be a positive integer, not 1\.5$"),
    (dict(s=True), r"^s must be a positive integer, not True$"),
    (dict(i=0.5), r"^i must be an integer, not 0\.5$"),
    (dict(i="-1"), r"^i must be an integer, not '-1'$"),
    (dict(bits=1), r"^bits must be an integer of at least 2, not 1$"),
    (dict(bits=3.0), r"^bits must be an integer of at least 2, not 3\.0$"),
    (dict(zero=1), r"^zero must be a bool, not 1$"),
    (dict(zero="yes"), r"^zero must be a bool, not 'yes'$"),
    (dict(bits=12),
     r"^levels must stay within 2\*\*-1021 \.\. 2\*\*500, not 2\*\*-4097 \.\. 2\*\*-3 "),
    (dict(i=501), r"^levels must stay within .*, not 2\*\*499 \.\. 2\*\*501 "),
    (dict(delta=0), r"^delta must be a number in \(0, 1/3\), not 0$"),
    (dict(delta=-0.05), r"^delta must be a number in \(0, 1/3\), not -0\.05$"),
    (dict(delta=0.4), r"^delta must be a number in \(0, 1/3\), not 0\.4$"),
    (dict(delta=float("nan")), r"^delta must be a number in \(0, 1/3\), not nan$"),
    (dict(delta="0.05"), r"^delta must be a number in \(0, 1/3\), not '0\.05'$"),
    (dict(tail="normal"), r"^tail must be one of \('gaussian', 'uniform'\), not 'normal'$"),
    (dict(variance="true"), r"^variance must be one of \('delta', 'model'\), not 'true'$"),
    (dict(panels=3), r"^panels must be an even integer of at least 2, not 3$"),
    (dict(panels=0), r"^panels must be an even integer of at least 2, not 0$"),
    (dict(panels=64.0), r"^panels must be an even integer of at least 2, not 64\.0$"),
])
def test_snr_db_validation(kwargs, message):
    args = dict(s=2, i=-3, bits=2) | kwargs
    with pytest.raises(ValueError, match=message):
        snr_db(**args)


def test_levels_validation():
    with pytest.raises(ValueError, match=r"^s must be a positive integer, not 0$"):
        jlq_levels(0, -1, 3)
    with pytest.raises(ValueError, match=r"^bits must be an integer of at least 2, not None$"):
        jlq_levels(2, -1, None)
