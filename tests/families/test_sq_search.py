"""Subset quantization search: universal sets (seed 003 Table 1) and FINDBESTQPS (Algorithm 1)."""

import itertools
from fractions import Fraction as F
from math import comb

import numpy as np
import pytest

from shiftgen.families.scale import fit_scale
from shiftgen.families.sq_search import (OPTIONS, QpsFit, decompose, find_best_qps,
                                         universal_set)

# --- slow, independent references -------------------------------------------------


def argmin_loss(mags, points, alphas):
    """Eq. 9 for point sets (..., N) at scales (..., G), by plain argmin over |w| vs levels."""
    p = np.asarray(points, dtype=np.float64)
    alphas = np.asarray(alphas, dtype=np.float64)
    levels = alphas[..., :, None] * p[..., None, :]                        # (..., G, N)
    j = np.argmin(np.abs(mags[:, None] - levels[..., None, :]), axis=-1)  # (..., G, M)
    q = np.take_along_axis(levels, j, axis=-1)
    return np.sum((mags - q) ** 2, axis=-1)


def exact_min_over_alpha(mags, points):
    """Global minimum over alpha > 0 of eq. 9, by enumerating every assignment.

    The loss is ``sum(m**2) - 2 a A + a**2 B`` between consecutive scales at
    which some |w| crosses the midpoint of two points (``A = sum m q``,
    ``B = sum q**2`` fixed there). A local minimum is never at a crossing (the
    kinks are concave), so the global one is the best in-piece ``A / B``.
    """
    p = np.asarray(points, dtype=np.float64)
    if p[-1] == 0:
        return float(np.sum(mags ** 2))
    mids = (p[:-1] + p[1:]) / 2
    crossings = (mags[:, None] / mids[None, :]).ravel()
    order = np.argsort(crossings)
    i, j = np.divmod(order, len(mids))   # weight i moves from point j + 1 down to j
    # Below every crossing, every weight is nearest the top point.
    A = np.concatenate([[np.sum(mags) * p[-1]],
                        np.sum(mags) * p[-1] + np.cumsum(mags[i] * (p[j] - p[j + 1]))])
    B = np.concatenate([[len(mags) * p[-1] ** 2],
                        len(mags) * p[-1] ** 2 + np.cumsum(p[j] ** 2 - p[j + 1] ** 2)])
    lo = np.concatenate([[0.0], crossings[order]])
    hi = np.concatenate([crossings[order], [np.inf]])
    with np.errstate(divide="ignore", invalid="ignore"):
        a = A / B
    inside = (B > 0) & (a > 0) & (a >= lo) & (a <= hi)
    return float(np.min(np.sum(mags ** 2) - 2 * a[inside] * A[inside]
                        + a[inside] ** 2 * B[inside]))


def dense_grid_min(mags, subsets, steps, chunk=16):
    """Per subset, the least argmin-loss on a dense geometric grid of scales,
    refined by golden-section search around the three best grid scales."""
    p = np.array(subsets, dtype=np.float64)                                   # (S, N)
    positive = np.where(p > 0, p, np.nan)
    lo = mags.max() / np.nanmax(positive, axis=1) / 50
    hi = 4 * mags.max() / np.nanmin(positive, axis=1)
    grid = np.exp(np.linspace(np.log(lo), np.log(hi), steps, axis=1))         # (S, G)
    losses = np.concatenate([argmin_loss(mags, p[k:k + chunk, None, :], grid[k:k + chunk, None, :])
                             [:, 0] for k in range(0, len(p), chunk)])
    k = np.argsort(losses, axis=1)[:, :3]                                     # (S, 3)
    a = np.take_along_axis(grid, np.maximum(k - 1, 0), axis=1)
    b = np.take_along_axis(grid, np.minimum(k + 1, steps - 1), axis=1)
    for _ in range(60):
        c, d = b - 0.618 * (b - a), a + 0.618 * (b - a)
        left = argmin_loss(mags, p[:, None, :], c[..., None])[..., 0] <= \
            argmin_loss(mags, p[:, None, :], d[..., None])[..., 0]
        a, b = np.where(left, a, c), np.where(left, d, b)
    refined = argmin_loss(mags, p[:, None, :], ((a + b) / 2)[..., None])[..., 0]
    return np.minimum(losses.min(axis=1), refined.min(axis=1))


def values(exponents):
    return [F(0) if e is None else F(1, 2 ** e) for e in exponents]


# --- universal sets (seed 003 Table 1) --------------------------------------------


@pytest.mark.parametrize("option, size", [(1, 12), (2, 16), (3, 17), (4, 23), (5, 15)])
def test_universal_set_sizes(option, size):
    # The paper says 17 and 23 for options 3 and 4, and 16 for option 5 because
    # it counts 1 + 0 and 0 + 1 twice (QUANTIZERS.md: 15 distinct).
    s = universal_set(option)
    assert len(s) == size
    assert all(isinstance(x, F) for x in s)
    assert list(s) == sorted(set(s))


def test_option_5_values_by_hand():
    # A = {1, 1/2, 1/8, 0}, B = {1, 1/4, 1/16, 0}:
    #   1 + B:   2, 5/4, 17/16, 1      1/2 + B: 3/2, 3/4, 9/16, 1/2
    #   1/8 + B: 9/8, 3/8, 3/16, 1/8   0 + B:   1, 1/4, 1/16, 0
    assert universal_set(5) == (
        F(0), F(1, 16), F(1, 8), F(3, 16), F(1, 4), F(3, 8), F(1, 2), F(9, 16),
        F(3, 4), F(1), F(17, 16), F(9, 8), F(5, 4), F(3, 2), F(2))
    assert universal_set() == universal_set(5)


@pytest.mark.parametrize("option, top", [(1, F(1)), (2, F(3, 2)), (3, F(2)), (4, F(2)),
                                         (5, F(2))])
def test_largest_value_and_zero(option, top):
    assert universal_set(option)[-1] == top
    assert universal_set(option)[0] == 0


def test_options_follow_table_1():
    assert values(OPTIONS[5][0]) == [1, F(1, 2), F(1, 8), 0]
    assert values(OPTIONS[5][1]) == [1, F(1, 4), F(1, 16), 0]
    assert values(OPTIONS[2][1]) == [F(1, 2), F(1, 8), F(1, 32), 0]
    for a, b in OPTIONS.values():
        assert a[-1] is None and b[-1] is None   # the zero option is listed last


# --- decompose ---------------------------------------------------------------------


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_decompose_round_trips_with_the_smallest_selects(option):
    a, b = (values(t) for t in OPTIONS[option])
    for v in universal_set(option):
        ia, ib = decompose(option, v)
        assert a[ia] + b[ib] == v
        pairs = [(i, j) for i in range(len(a)) for j in range(len(b)) if a[i] + b[j] == v]
        assert (ia, ib) == min(pairs)


def test_decompose_tie_rule_for_option_5():
    # 1 = A[0] + B[3] = 1 + 0 = A[3] + B[0] = 0 + 1; (0, 3) < (3, 0).
    assert decompose(5, F(1)) == (0, 3)
    assert decompose(5, 0) == (3, 3)
    assert decompose(5, 2) == (0, 0)
    assert decompose(5, 0.5625) == (1, 2)   # 9/16 = 1/2 + 1/16, floats are exact here


@pytest.mark.parametrize("value", [F(5, 16), F(3), -1, 0.3, float("nan"), "1/2"])
def test_decompose_rejects_values_outside_the_set(value):
    with pytest.raises(ValueError, match=r"option 5 universal set \{0, 1/16, .*17/16.*, 2\}"):
        decompose(5, value)


@pytest.mark.parametrize("option", [0, 6, "5", 5.0, True, None])
def test_bad_option(option):
    with pytest.raises(ValueError, match="Option must be one of"):
        universal_set(option)
    with pytest.raises(ValueError, match="Option must be one of"):
        decompose(option, 1)
    with pytest.raises(ValueError, match="Option must be one of"):
        find_best_qps([1.0], 1, option=option)


# --- scale on analytically known cases ------------------------------------------


def no_scaled_twin(qps, option=5):
    """True if no other subset of the universal set is c * qps."""
    u = set(universal_set(option))
    return all(c == 1 or not {c * q for q in qps} <= u for c in {x / qps[-1] for x in u if x})


@pytest.mark.parametrize("grid", [0, 128])
def test_weights_on_a_known_qps_recover_it_and_its_scale(grid):
    qps = (F(1, 16), F(3, 8), F(9, 8), F(2))
    assert no_scaled_twin(qps)
    rng = np.random.default_rng(3)
    q = np.array([float(x) for x in qps])[rng.permutation(np.arange(400) % 4)]
    w = 0.3 * q * rng.choice([-1.0, 1.0], 400)
    fit = find_best_qps(w, 4, grid=grid)
    assert isinstance(fit, QpsFit)
    assert fit.points == qps
    assert fit.alpha == pytest.approx(0.3, rel=1e-12)
    assert fit.loss == pytest.approx(0.0, abs=1e-24)
    assert fit.subsets == comb(15, 4) and fit.converged


@pytest.mark.parametrize("grid", [0, 128])
def test_equivalent_subsets_tie_to_the_first_in_combinations_order(grid):
    # {1/4, 1/2, 1, 2} at 0.3 equals {1/8, 1/4, 1/2, 1} at 0.6 and
    # {1/16, 1/8, 1/4, 1/2} at 1.2; the last comes first in combinations order.
    rng = np.random.default_rng(4)
    q = np.array([0.25, 0.5, 1.0, 2.0])[rng.permutation(np.arange(200) % 4)]
    fit = find_best_qps(-0.3 * q, 4, grid=grid)
    assert fit.points == (F(1, 16), F(1, 8), F(1, 4), F(1, 2))
    assert fit.alpha == pytest.approx(1.2, rel=1e-12)
    assert fit.loss == pytest.approx(0.0, abs=1e-24)


def test_one_point_gives_the_mean_magnitude():
    # One non-zero point: every weight maps to it and eq. 10 gives alpha * q = mean|w|.
    # Every non-zero single point ties; the first, 1/16, wins ({0} is worse).
    w = np.array([0.5, -1.0, 2.0, -2.5, 1.5])
    fit = find_best_qps(w, 1)
    assert fit.points == (F(1, 16),)
    assert fit.alpha == pytest.approx(16 * 1.5)
    assert fit.loss == pytest.approx(np.sum((np.abs(w) - 1.5) ** 2))
    assert fit.subsets == 15


def test_all_zero_weights():
    fit = find_best_qps(np.zeros(10), 2)
    assert fit.loss == 0.0 and fit.points == (F(0), F(1, 16)) and fit.converged


# --- FINDBESTQPS against brute force ----------------------------------------------


@pytest.mark.parametrize("n_points, seed, steps", [(2, 11, 2000), (3, 12, 400)])
def test_find_best_qps_matches_brute_force(n_points, seed, steps):
    rng = np.random.default_rng(seed)
    w = rng.laplace(0, 0.02, 240)
    mags = np.abs(w)
    u = universal_set(5)
    subsets = list(itertools.combinations(u, n_points))
    exact = np.array([exact_min_over_alpha(mags, s) for s in subsets])
    # Ties (e.g. {1/4, 1} and {1/8, 1/2}) go to the first subset.
    best = int(np.argmax(exact <= exact.min() * (1 + 1e-9)))
    runner_up = np.min(exact[exact > exact.min() * (1 + 1e-9)])
    assert runner_up > exact.min() * (1 + 1e-5)   # the case is not a near-tie
    # The plain-argmin grid agrees with the enumeration (and never beats it).
    grid = dense_grid_min(mags, subsets, steps)
    assert np.all(grid >= exact * (1 - 1e-9))
    assert grid[best] == pytest.approx(exact[best], rel=1e-6)
    assert int(np.argmin(grid)) in np.flatnonzero(exact <= exact.min() * (1 + 1e-9))

    fit = find_best_qps(w, n_points)  # the default grid start
    assert fit.points == subsets[best]
    assert fit.loss == pytest.approx(exact[best], rel=1e-6)
    assert fit.loss == pytest.approx(argmin_loss(mags, fit.points, [fit.alpha])[0], rel=1e-12)
    assert fit.subsets == len(subsets) and fit.converged
    # The paper's single start alone (grid=0) is never better.
    paper = find_best_qps(w, n_points, grid=0)
    assert paper.loss >= fit.loss * (1 - 1e-12)


def test_single_start_misses_the_optimum_on_small_layers():
    # Documents why find_best_qps starts from a grid by default: from max|w| / max(S)
    # alone (grid=0), the eq. 8-10 iteration often stops at a local minimum over alpha.
    misses = 0
    for seed in range(10):
        w = np.random.default_rng(seed).laplace(0, 0.02, 200)
        full, paper = find_best_qps(w, 2), find_best_qps(w, 2, grid=0)
        assert paper.loss >= full.loss * (1 - 1e-12)
        misses += paper.loss > full.loss * (1 + 1e-6)
    assert misses >= 2


def test_other_option_and_iteration_cap():
    w = np.random.default_rng(5).laplace(0, 1.0, 500)
    fit = find_best_qps(w, 2, option=3)
    assert fit.subsets == comb(17, 2)
    assert set(fit.points) <= set(universal_set(3))
    assert not find_best_qps(w, 3, max_iter=1, grid=0).converged


# --- per-channel scales --------------------------------------------------------


def test_per_channel_scales_follow_channel_scales():
    base = np.random.default_rng(6).laplace(0, 1.0, 300)
    scales = np.array([0.01, 0.03, 0.1, 0.2])
    w = scales[:, None] * base[None, :]
    fit = find_best_qps(w, 4, per_channel_axis=0, grid=128)
    one = find_best_qps(base, 4, grid=128)
    assert fit.points == one.points
    assert fit.alpha.shape == (4,)
    np.testing.assert_allclose(fit.alpha, scales * one.alpha, rtol=1e-9)
    assert fit.loss == pytest.approx(np.sum(scales ** 2) * one.loss, rel=1e-9)


def test_per_channel_loss_is_the_sum_and_beats_per_layer():
    rng = np.random.default_rng(7)
    w = rng.laplace(0, 1.0, (300, 5)) * np.array([0.005, 0.01, 0.02, 0.04, 0.08])
    fit = find_best_qps(w, 4, per_channel_axis=1)
    assert len(set(np.round(fit.alpha, 12))) == 5   # one scale per channel, all different
    per_channel = [argmin_loss(np.abs(w[:, c]), fit.points, [fit.alpha[c]])[0] for c in range(5)]
    assert fit.loss == pytest.approx(sum(per_channel), rel=1e-12)
    # Same QPS with one scale for the whole layer (its global best scale) is worse,
    # and so is the best per-layer QPS.
    assert fit.loss <= exact_min_over_alpha(np.abs(w).ravel(), fit.points)
    assert fit.loss <= find_best_qps(w, 4).loss
    # The axis can be given from the end, and moving it gives the same answer.
    moved = find_best_qps(w.T.copy(), 4, per_channel_axis=0)
    back = find_best_qps(w, 4, per_channel_axis=-1)
    for other in (moved, back):
        assert other.points == fit.points
        np.testing.assert_array_equal(other.alpha, fit.alpha)


def test_fit_scale_is_reused_for_the_first_start():
    # By default the search is Algorithm 1 over SortedWeights.fit from its default start.
    w = np.random.default_rng(8).laplace(0, 0.02, 1000)
    fit = find_best_qps(w, 4)
    same = fit_scale(w, [float(x) for x in fit.points])
    assert fit.alpha == pytest.approx(same.alpha, rel=1e-12)
    assert fit.loss == pytest.approx(same.loss, rel=1e-9)


# --- input validation ----------------------------------------------------------


@pytest.mark.parametrize("weights, match", [
    ([], "non-empty"),
    (np.zeros((3, 0)), "non-empty"),
    ([1.0, np.nan], "finite"),
    ([1.0, np.inf], "finite"),
    ([1 + 1j], "real"),
    (["a"], "real"),
    ([True, False], "real"),
    ([[1.0, 2.0], [3.0]], "real"),
])
def test_bad_weights(weights, match):
    with pytest.raises(ValueError, match=f"Weights must be .*{match}"):
        find_best_qps(weights, 2)


@pytest.mark.parametrize("n_points", [0, 16, -1, 2.0, True, None])
def test_bad_n_points(n_points):
    with pytest.raises(ValueError, match=r"Number of points must be an integer from 1 to 15"):
        find_best_qps([1.0, 2.0], n_points)


@pytest.mark.parametrize("kwargs, match", [
    ({"per_channel_axis": 2}, "Per-channel axis"),
    ({"per_channel_axis": -3}, "Per-channel axis"),
    ({"per_channel_axis": 0.0}, "Per-channel axis"),
    ({"tol": 0}, "Tolerance"),
    ({"tol": float("nan")}, "Tolerance"),
    ({"max_iter": 0}, "Maximum iterations"),
    ({"max_iter": 1.5}, "Maximum iterations"),
    ({"grid": 1}, "Grid"),
    ({"grid": -4}, "Grid"),
])
def test_bad_keywords(kwargs, match):
    with pytest.raises(ValueError, match=match):
        find_best_qps(np.ones((2, 3)), 2, **kwargs)


def test_integer_weights_and_numpy_integers_are_accepted():
    fit = find_best_qps(np.array([1, -2, 3, -4]), np.int64(2), option=np.int8(5),
                        per_channel_axis=np.int32(0))
    assert fit.alpha.shape == (4,)
