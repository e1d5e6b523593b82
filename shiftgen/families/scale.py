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

__all__ = ["ScaleFit", "SortedWeights", "fit_scale"]


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


def fit_scale(weights, points, alpha0=None, tol=1e-5, max_iter=500):
    """Fit the scale of ``points`` to ``weights`` (seed 003 eqs. 8-10).

    Parameters
    ----------
    weights : array_like of float
    points : array_like of float
        Non-negative quantization points, any order (the negative side mirrors).
    alpha0, tol, max_iter
        See :meth:`SortedWeights.fit`.

    Returns
    -------
    ScaleFit
    """
    return SortedWeights(weights).fit(np.sort(np.asarray(points, dtype=np.float64)),
                                      alpha0, tol, max_iter)
