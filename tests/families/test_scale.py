"""Scale fitting (seed 003 eqs. 8-10)."""

import numpy as np
import pytest

from shiftgen.families.scale import SortedWeights, fit_scale


def brute_loss(w, points, alpha):
    mags = np.abs(w)
    q = np.asarray(points)[np.argmin(np.abs(mags[:, None] - alpha * np.asarray(points)), axis=1)]
    return float(np.sum((mags - alpha * q) ** 2))


def test_weights_on_the_points_give_their_scale_and_zero_loss():
    w = np.array([0.75, -1.5, 3.0, 3.0, -0.75])
    fit = fit_scale(w, [0.25, 0.5, 1.0])
    assert fit.alpha == pytest.approx(3.0) and fit.loss == pytest.approx(0.0)
    assert fit.converged


def test_single_point_optimum_is_the_mean_magnitude():
    # With one non-zero point every weight maps to it, so eq. 10 gives mean|w| at once.
    w = np.array([1.0, -2.0, 4.0, -5.0])
    fit = fit_scale(w, [1.0])
    assert fit.alpha == pytest.approx(3.0)
    assert fit.loss == pytest.approx(4 + 1 + 1 + 4)


def test_loss_matches_brute_force_and_alpha_is_a_fixed_point():
    rng = np.random.default_rng(0)
    w = rng.laplace(0, 0.05, 20000)
    points = [0.0, 0.0625, 0.25, 0.5, 1.0, 1.25]
    fit = fit_scale(w, points)
    assert fit.converged
    assert fit.loss == pytest.approx(brute_loss(w, points, fit.alpha), rel=1e-9)
    # At convergence alpha = sum(w q) / sum(q^2) for the current assignment (eq. 10).
    mags = np.abs(w)
    q = np.asarray(points)[np.argmin(np.abs(mags[:, None] - fit.alpha * np.asarray(points)),
                                     axis=1)]
    assert fit.alpha == pytest.approx(np.sum(mags * q) / np.sum(q * q), rel=1e-4)
    # Locally optimal: nudging alpha does not reduce the loss.
    for factor in (0.98, 1.02):
        assert brute_loss(w, points, fit.alpha * factor) >= fit.loss


def test_many_point_sets_at_once_match_one_at_a_time():
    rng = np.random.default_rng(1)
    w = rng.normal(0, 1, 5000)
    sets = np.array([[0, 0.25, 0.5, 1.0], [0.125, 0.25, 1.0, 1.5], [0, 0.5, 1.0, 2.0]])
    sw = SortedWeights(w)
    batch = sw.fit(sets)
    for k, points in enumerate(sets):
        one = sw.fit(points)
        assert batch.alpha[k] == pytest.approx(one.alpha)
        assert batch.loss[k] == pytest.approx(one.loss)
