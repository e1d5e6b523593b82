"""Universal sets and FINDBESTQPS for subset quantization (seed 003 sections 3.2-3.4).

A universal set is ``S_U = {a + b | a in A, b in B}`` with ``A`` and ``B``
from seed 003 Table 1; a quantization point set (QPS) is any ``N``-element
subset of it (eq. 7), mirrored for negative weights, and a weight quantizes to
the nearest scaled point (eq. 3): ``w ~ alpha * sign(w) * q``, ``q`` in the QPS.
Values stay in universal-set units (the largest of option 5 is 2, not 1): the
normalization of section 3.4 belongs to ``alpha``.

:func:`find_best_qps` is Algorithm 1 (FINDBESTQPS): every ``N``-subset gets the
iterative scale of eqs. 8-10 (:class:`.scale.SortedWeights`, vectorized over
subsets) and the subset with the least L2 error (eq. 9) wins.
"""

import itertools
import math
import numbers
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .scale import SortedWeights, fit_two_starts

__all__ = ["OPTIONS", "QpsFit", "universal_set", "decompose", "find_best_qps"]

#: Option number -> (A, B), each a tuple of exponents ``e`` meaning ``2**-e``
#: and ``None`` for the zero option, in the order of seed 003 Table 1. The
#: index within a tuple is the hardware MUX select (seed 003 Fig. 4).
OPTIONS = {
    1: ((1, 2, 3, None), (1, 2, 4, None)),
    2: ((0, 2, 4, None), (1, 3, 5, None)),
    3: ((0, 1, 2, 3, 4, None), (0, 1, 2, 3, 4, None)),
    4: ((0, 1, 2, 3, 4, 5, None), (0, 1, 2, 3, 4, 5, None)),
    5: ((0, 1, 3, None), (0, 2, 4, None)),  # chosen by the paper; the default
}

#: Subsets fitted at once; bounds the (S, N) work arrays whatever the weight count.
_CHUNK = 2048

#: Two subset losses closer than this times ``sum(w**2)`` count as tied. The
#: prefix-sum loss of :meth:`SortedWeights.loss` is ``s2 - 2 a p s1 + a^2 p^2 n``,
#: which cancels catastrophically near zero loss; without a tolerance, exactly
#: equivalent subsets (e.g. a QPS and its half, see :func:`find_best_qps`)
#: would be ordered by rounding noise.
_TIE_RTOL = 1e-12


def _check_option(option):
    if (isinstance(option, bool) or not isinstance(option, numbers.Integral)
            or int(option) not in OPTIONS):
        raise ValueError(f"Option must be one of {sorted(OPTIONS)}, not {option!r}")
    return int(option)


def _term_values(exponents):
    return tuple(Fraction(0) if e is None else Fraction(1, 1 << e) for e in exponents)


@lru_cache(maxsize=None)
def _terms(option):
    a, b = OPTIONS[option]
    return _term_values(a), _term_values(b)


@lru_cache(maxsize=None)
def universal_set(option=5):
    """The distinct values ``a + b`` of a Table 1 option, ascending (seed 003 Table 1).

    Parameters
    ----------
    option : int
        1 to 5; 5 is the paper's choice.

    Returns
    -------
    tuple of Fraction
        Sizes: 12, 16, 17, 23 and 15 for options 1 to 5. (The paper's 16 for
        option 5 counts ``1 + 0`` and ``0 + 1`` twice.)
    """
    option = _check_option(option)
    a, b = _terms(option)
    return tuple(sorted({x + y for x in a for y in b}))


def decompose(option, value):
    """The MUX selects ``(ia, ib)`` with ``A[ia] + B[ib] == value``.

    Parameters
    ----------
    option : int
        1 to 5 (seed 003 Table 1).
    value : Fraction, int or float (not str or bool)
        A member of :func:`universal_set(option) <universal_set>`.

    Returns
    -------
    tuple of int
        The lexicographically smallest ``(ia, ib)`` when several pairs give
        ``value`` (option 5: ``1 = A[0] + B[3]`` wins over ``A[3] + B[0]``).

    Raises
    ------
    ValueError
        If ``value`` is not in the universal set of ``option``.
    """
    option = _check_option(option)
    allowed = universal_set(option)
    v = None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            v = Fraction(value)
        except (ValueError, OverflowError):  # NaN, infinity
            pass
    a, b = _terms(option)
    if v is not None:
        for ia, x in enumerate(a):
            for ib, y in enumerate(b):
                if x + y == v:
                    return ia, ib
    raise ValueError(f"Value must be in the option {option} universal set "
                     f"{{{', '.join(str(x) for x in allowed)}}}, not {value!r}")


class QpsFit(NamedTuple):
    """Result of :func:`find_best_qps`.

    Members
    -------
    points : tuple of Fraction
        The chosen QPS, ascending, in universal-set units.
    alpha : float or numpy.ndarray
        The scale (``w ~ alpha * sign(w) * q``); one per channel, in channel
        order, when fitted per channel.
    loss : float
        Total L2 error ``sum((w - alpha * sign(w) * q)**2)`` (eq. 9), summed
        over channels.
    subsets : int
        Number of subsets searched.
    converged : bool
        Whether the scale iteration kept for each subset (and channel)
        converged, for every subset searched, not only for the chosen one.
    """
    points: tuple
    alpha: object
    loss: float
    subsets: int
    converged: bool


def _check_weights(weights):
    try:
        w = np.asarray(weights)
    except Exception:  # ragged nesting and the like
        w = None
    if w is None or w.dtype.kind not in "iuf":
        raise ValueError(f"Weights must be a real (integer or float) array, not {weights!r}")
    w = w.astype(np.float64)
    if w.size == 0:
        raise ValueError(f"Weights must be non-empty, not {weights!r}")
    if not np.all(np.isfinite(w)):
        raise ValueError("Weights must be finite, not an array with "
                         f"{int(np.sum(~np.isfinite(w)))} NaN or infinite values")
    return w


def _is_int(x):
    return not isinstance(x, bool) and isinstance(x, numbers.Integral)


def _direct_loss(w, points, alpha):
    """Eq. 9 summed directly over the weights (nearest point, eq. 8)."""
    mags = np.abs(w).ravel()
    p = np.asarray(points, dtype=np.float64)
    # Same rule as SortedWeights.buckets: a weight exactly between two points
    # goes to the smaller one.
    idx = np.searchsorted(alpha * (p[:-1] + p[1:]) / 2, mags, side="left")
    return float(np.sum((mags - alpha * p[idx]) ** 2))


def find_best_qps(weights, n_points, option=5, per_channel_axis=None, tol=1e-5, max_iter=500,
                  grid=128):
    """FINDBESTQPS: the ``n_points``-subset of the universal set with least L2 error.

    Seed 003 Algorithm 1: for every ``n_points``-element subset ``S`` of the
    universal set, fit ``alpha`` by iterating eqs. 8-10 (nearest-point
    assignment, then ``alpha = sum(|w| q) / sum(q**2)``), score eq. 9 at that
    ``alpha``, keep the least.

    Parameters
    ----------
    weights : array_like of float
        The layer's weights, any shape; non-empty and finite.
    n_points : int
        QPS size ``N`` (``2**(k-1)`` for ``k``-bit sign-magnitude weights),
        1 to the universal-set size.
    option : int
        Universal set of seed 003 Table 1, 1 to 5 (default 5).
    per_channel_axis : int, optional
        If given, one QPS for the whole layer but one ``alpha`` per slice of
        ``weights`` along this axis (e.g. the output-channel axis); the loss
        of a subset is the sum of its per-channel losses.
    tol, max_iter
        Scale convergence tolerance and iteration cap, see
        :meth:`.scale.SortedWeights.fit` (seed 003 section 3.3 uses 1e-5).
    grid : int
        At least 2 (default 128): besides the paper's start, also iterate
        from the best of a scale grid of this many coarse points and keep the
        better fixed point (see Notes). The eq. 8-10 iteration alone stops in
        local minima of the piecewise-quadratic loss and picks a worse QPS on
        small layers; the grid start is never worse. 0: the paper's single
        start only.

    Returns
    -------
    QpsFit

    Notes
    -----
    The iteration of eqs. 8-10 stops at a fixed point, which is a local
    minimum of the loss over ``alpha`` and often not the global one: the loss
    is piecewise quadratic in ``alpha`` with a kink wherever a weight changes
    its nearest point. The paper starts at ``alpha = 1`` (section 3.3) and
    keeps that fixed point; here the single start is
    ``alpha0 = max|w| / max(S)`` (the default of
    :meth:`.scale.SortedWeights.fit`: the largest point on the largest
    weight). With ``grid >= 2`` each subset's iteration also runs from the
    best scale of a geometric grid (``grid`` coarse points, refined on 64
    points around the best), and the lower loss is kept, so the result is
    never worse than with ``grid=0``. On random Laplace layers of 100 to 500
    weights (N = 2 and 3) it matched an exhaustive search over ``alpha`` and
    subsets in every trial, where the single start alone missed the optimum
    by more than 1e-6 relative in 40-50 % of them; at 1000 weights it missed
    in a few percent of trials, by at most 4e-6 relative. It is not a proof
    of global optimality.

    Subsets are visited in :func:`itertools.combinations` order over the
    ascending universal set. Subset losses within ``1e-12 * sum(w**2)`` of the
    least count as tied, and the first such subset wins. This matters for
    exactly equivalent subsets: ``{1/4, 1/2, 1, 2}`` at ``alpha`` and
    ``{1/8, 1/4, 1/2, 1}`` at ``2 * alpha`` quantize identically, and the
    smaller one (earlier in combinations order) is returned.

    The reported ``loss`` is recomputed directly over the weights for the
    chosen subset (the search ranks with prefix sums, which lose precision
    when the loss is tiny against ``sum(w**2)``).
    """
    option = _check_option(option)
    w = _check_weights(weights)
    universe = universal_set(option)
    if not _is_int(n_points) or not 1 <= n_points <= len(universe):
        raise ValueError(f"Number of points must be an integer from 1 to {len(universe)} "
                         f"(option {option}), not {n_points!r}")
    n_points = int(n_points)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not (
            math.isfinite(tol) and tol > 0):
        raise ValueError(f"Tolerance must be a positive finite number, not {tol!r}")
    if not _is_int(max_iter) or max_iter < 1:
        raise ValueError(f"Maximum iterations must be a positive integer, not {max_iter!r}")
    if not _is_int(grid) or not (grid == 0 or grid >= 2):
        raise ValueError(f"Grid must be 0 or an integer of at least 2, not {grid!r}")

    if per_channel_axis is None:
        channels = w.reshape(1, -1)
    else:
        if not _is_int(per_channel_axis) or not -w.ndim <= per_channel_axis < w.ndim:
            raise ValueError(f"Per-channel axis must be an integer axis of the "
                             f"{w.ndim}-D weights, not {per_channel_axis!r}")
        channels = np.moveaxis(w, int(per_channel_axis), 0).reshape(w.shape[per_channel_axis], -1)
        if channels.shape[1] == 0:
            raise ValueError(f"Weights must be non-empty in every channel, not shape {w.shape}")

    # Each subset is ascending because combinations() keeps the order of the
    # ascending universal set (section 3.3, "Finding the Best Subset").
    index_sets = np.array(list(itertools.combinations(range(len(universe)), n_points)),
                          dtype=np.int64).reshape(-1, n_points)
    points = np.array([float(x) for x in universe])[index_sets]
    n_subsets = len(points)

    sorted_channels = [SortedWeights(c) for c in channels]  # sorted once per channel
    alphas = np.empty((len(channels), n_subsets))
    losses = np.zeros(n_subsets)
    converged = True
    for start in range(0, n_subsets, _CHUNK):
        chunk = points[start:start + _CHUNK]
        for c, sw in enumerate(sorted_channels):
            fit = fit_two_starts(sw, chunk, tol, max_iter, grid)  # eqs. 8-10
            alpha, loss, done = fit.alpha, fit.loss, fit.converged
            alphas[c, start:start + _CHUNK] = alpha
            losses[start:start + _CHUNK] += loss  # eq. 9, summed over channels
            converged = converged and bool(np.all(done))

    # Algorithm 1, lines 4-6: keep the least loss (first of near-ties, see Notes).
    energy = float(np.sum(w * w))
    best = int(np.argmax(losses <= losses.min() + _TIE_RTOL * energy))
    alpha = alphas[:, best]
    loss = sum(_direct_loss(ch, points[best], a) for ch, a in zip(channels, alpha))
    return QpsFit(
        points=tuple(universe[i] for i in index_sets[best]),
        alpha=float(alpha[0]) if per_channel_axis is None else alpha.copy(),
        loss=float(loss),
        subsets=n_subsets,
        converged=converged,
    )
