"""Scale fitting for a symmetric set of quantization points (seed 003 eqs. 8-10).

Given non-negative points ``p`` (mirrored for negative weights), alternate
nearest-point assignment (eq. 8) and the least-squares scale
``alpha = sum(w*q) / sum(q*q)`` (eq. 10) until ``alpha`` stops changing. The
assignment depends on ``|w|`` only through the thresholds
``alpha * (p[j] + p[j+1]) / 2``, so with ``|w|`` sorted once and prefix sums
of ``|w|`` and ``|w|**2``, each iteration costs ``O(N log n)`` instead of
``O(n)``; FINDBESTQPS (seed 003 Algorithm 1) reuses one :class:`SortedWeights`
for every subset.
"""

from typing import NamedTuple

import numpy as np

__all__ = ["ScaleFit", "SortedWeights", "fit_scale", "grid_start", "fit_two_starts"]

#: Bound on subsets * grid points * points evaluated at once by :func:`grid_start`.
_GRID_BLOCK = 1 << 21

#: Points of the fine scale grid, spanning one coarse step either side of the
#: best coarse point (see :func:`grid_start`).
_FINE = 64



class ScaleFit(NamedTuple):
    """Result of :func:`fit_scale`.

    Members
    -------
    alpha : float
        The scale: ``w ~ alpha * sign(w) * p[j]``.
    loss : float
        The L2 error ``sum((w - alpha * q)**2)`` at ``alpha`` (eq. 9).
    iterations : int
        Scale updates made.
    converged : bool
        Whether ``alpha`` settled within the tolerance.
    """
    alpha: float
    loss: float
    iterations: int
    converged: bool


class SortedWeights:
    """``|w|`` sorted, with prefix sums for bucket statistics.

    Parameters
    ----------
    weights : array_like of float
    """
    def __init__(self, weights):
        mags = np.sort(np.abs(np.asarray(weights, dtype=np.float64)).ravel())
        self.mags = mags
        self.count = len(mags)
        self.s1 = np.concatenate([[0.0], np.cumsum(mags)])
        self.s2 = np.concatenate([[0.0], np.cumsum(mags * mags)])
        self.peak = float(mags[-1]) if len(mags) else 0.0

    def buckets(self, points, alpha):
        """Per point: (count, sum |w|, sum |w|**2) of the weights nearest to it.

        ``points`` (ascending) may be a 2-D array, one row per point set. A
        weight exactly between two points goes to the smaller one.
        """
        points = np.asarray(points, dtype=np.float64)
        alpha = np.asarray(alpha, dtype=np.float64)
        mids = alpha[..., None] * (points[..., :-1] + points[..., 1:]) / 2
        edges = np.searchsorted(self.mags, mids, side="right")
        shape = edges.shape[:-1]
        lo = np.concatenate([np.zeros(shape + (1,), dtype=np.int64), edges], axis=-1)
        hi = np.concatenate([edges, np.full(shape + (1,), self.count, dtype=np.int64)], axis=-1)
        return hi - lo, self.s1[hi] - self.s1[lo], self.s2[hi] - self.s2[lo]

    def loss(self, points, alpha):
        """L2 error of nearest-point quantization at scale ``alpha``."""
        n, s1, s2 = self.buckets(points, alpha)
        a = np.asarray(alpha, dtype=np.float64)[..., None]
        p = np.asarray(points, dtype=np.float64)
        return np.sum(s2 - 2 * a * p * s1 + a * a * p * p * n, axis=-1)

    def fit(self, points, alpha0=None, tol=1e-5, max_iter=500):
        """Iterate eqs. 8-10 for one or many point sets at once.

        Parameters
        ----------
        points : array_like of float, shape (N,) or (S, N)
            Ascending non-negative points (normalized; any scale).
        alpha0 : float or array_like, optional
            Start; default ``max|w| / max(points)``, so that the largest point
            meets the largest weight.
        tol : float
            Stop when ``|alpha_new - alpha| <= tol * alpha``.
        max_iter : int

        Returns
        -------
        ScaleFit
            Arrays over the point sets when ``points`` is 2-D.
        """
        p = np.asarray(points, dtype=np.float64)
        top = p[..., -1]
        if alpha0 is None:
            alpha0 = np.where(top > 0, self.peak / np.where(top > 0, top, 1), 1.0)
        alpha = np.broadcast_to(np.asarray(alpha0, dtype=np.float64), top.shape).copy()
        done = np.zeros(top.shape, dtype=bool)
        iterations = np.zeros(top.shape, dtype=np.int64)
        for _ in range(max_iter):
            n, s1, _ = self.buckets(p, alpha)
            num = np.sum(p * s1, axis=-1)
            den = np.sum(p * p * n, axis=-1)
            new = np.where(den > 0, num / np.where(den > 0, den, 1), alpha)
            settled = np.abs(new - alpha) <= tol * np.abs(alpha)
            alpha = np.where(done, alpha, new)
            iterations = iterations + ~done
            done |= settled
            if done.all():
                break
        loss = self.loss(p, alpha)
        if alpha.ndim == 0:
            return ScaleFit(float(alpha), float(loss), int(iterations), bool(done))
        return ScaleFit(alpha, loss, iterations, done)


def grid_start(sw, points, grid):
    """Per subset, the scale with the least loss on a two-level geometric grid.

    Coarse: ``grid`` scales from ``max|w| / max(S) / 20`` (the top point far
    below the largest weight) to ``2 max|w| / min(S > 0)`` (every point but
    the smallest beyond the largest weight). Fine: ``_FINE`` scales spanning
    one coarse step either side of the best coarse one.
    """
    top = points[:, -1]
    small = np.min(np.where(points > 0, points, np.inf), axis=1)
    if sw.peak == 0 or not np.all(top > 0):  # all-zero weights or the subset {0}
        return None
    log_lo = np.log(sw.peak / top / 20)
    log_hi = np.log(2 * sw.peak / small)
    step = (log_hi - log_lo) / (grid - 1)
    start = np.empty(len(points))
    block = max(1, _GRID_BLOCK // (max(grid, _FINE) * points.shape[1]))
    for i in range(0, len(points), block):
        p, lo, st = points[i:i + block, None, :], log_lo[i:i + block], step[i:i + block]
        rows = np.arange(len(p))
        alphas = np.exp(lo[:, None] + st[:, None] * np.arange(grid))
        best = alphas[rows, np.argmin(sw.loss(p, alphas), axis=1)]
        alphas = best[:, None] * np.exp(st[:, None] * np.linspace(-1, 1, _FINE))
        start[i:i + block] = alphas[rows, np.argmin(sw.loss(p, alphas), axis=1)]
    return start


def fit_two_starts(sw, points, tol, max_iter, grid):
    """Eqs. 8-10 for every row of ``points``: the better of two starts.

    One start is the default of :meth:`SortedWeights.fit`, the other the
    :func:`grid_start`; each row keeps the fit with the lower loss, so the
    result is never worse than the single start.

    Returns
    -------
    ScaleFit
        Arrays over the rows of ``points``.
    """
    fit = sw.fit(points, tol=tol, max_iter=max_iter)
    start = grid_start(sw, points, grid) if grid else None
    if start is None:
        return fit
    other = sw.fit(points, alpha0=start, tol=tol, max_iter=max_iter)
    better = other.loss < fit.loss
    return ScaleFit(*(np.where(better, o, f) for o, f in zip(other, fit)))


def fit_scale(weights, points, alpha0=None, tol=1e-5, max_iter=500, grid=128):
    """Fit the scale of ``points`` to ``weights`` (seed 003 eqs. 8-10).

    Parameters
    ----------
    weights : array_like of float
    points : array_like of float
        Non-negative quantization points, any order (the negative side mirrors).
    alpha0, tol, max_iter
        See :meth:`SortedWeights.fit`. With ``alpha0`` the iteration runs from
        there alone.
    grid : int
        Also iterate from the best scale of a grid of this many points and
        keep the better fixed point (:func:`fit_two_starts`); 0 for the
        paper's single start. The loss is piecewise quadratic in alpha and a
        single start can stop in a local minimum.

    Returns
    -------
    ScaleFit
    """
    sw = SortedWeights(weights)
    p = np.sort(np.asarray(points, dtype=np.float64))
    if alpha0 is not None or not grid:
        return sw.fit(p, alpha0, tol, max_iter)
    fit = fit_two_starts(sw, p[None, :], tol, max_iter, grid)
    return ScaleFit(float(fit.alpha[0]), float(fit.loss[0]), int(fit.iterations[0]),
                    bool(fit.converged[0]))
