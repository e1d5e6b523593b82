"""The JLQ quantization-error model of seed 004, section III-A, and its Table I.

Seed 004 ("Jumping Shift", section III-A) picks the jumping step ``s`` and the
pre-shift ``i`` of Jumping Log Quantization from an estimated signal-to-noise
ratio. Its model, as implemented here:

* Reconstruction points: the signed JLQ levels ``+-2**(i - s*x)`` for the
  magnitude codes ``x`` in ``[0, 2**(W-1) - 1]`` (QUANTIZERS.md, ``jlq``; the
  paper writes ``+-2^(sx+i)`` and its section V example, 3-bit, s=2, i=-1,
  gives ``2^-1, 2^-3, 2^-5, 2^-7``). Binary sign ("weight de-zero", section
  III-B) uses every code. Ternary sign (``zero=True``) gives the *largest*
  code, i.e. the *smallest* level, to zero: the paper's section III-B example
  is ternary 3-bit ``(+-2^0, +-2^-1, +-2^-2, 0)`` against binary 3-bit
  ``(+-2^0, ..., +-2^-3)``, so zero replaces ``2^-3``, the smallest level
  (the same convention as ``pot``). Table I's ternary 3-bit row
  (s=1, i=0: 0.18 dB) reproduces with this choice; with the largest level
  given to zero instead it would be 3.06 dB.
* Decision borders: "the same strategy of Lloyd-Max quantizer". For fixed
  reconstruction points the Lloyd-Max border condition is the midpoint
  between adjacent points, so ``Q`` is the nearest-neighbour quantizer. The
  outer borders are the ends of the weight range, -1 and 1. (Borders at the
  geometric mean, i.e. rounding in the log domain, miss Table I by up to
  3.4 dB.)
* Distortion, eq. (1): ``D = sum_k integral_{b_(k-1)}^{b_k} (x - x_k)^2 f(x) dx``,
  by composite Simpson's rule on every decision cell (further split at
  ``+-3*delta``), so the integrand is smooth on every panel.
* SNR, eq. (2): ``10*log10(sigma_x^2 / D)``.

The model pdf. Section III-A says the weights lie in [-1, 1], follow
``N(0, delta^2)`` with ``delta = 0.05``, and that "for simplicity" the tails
``[-1, -3 delta)`` and ``(3 delta, 1]`` are "regarded to have a uniform
distribution". The readings tried, scored by the largest miss on the 15
Table I rows that the chosen model reproduces:

* ``tail="uniform"``, the literal reading: the Gaussian inside ``+-3 delta``
  and, outside, a constant density carrying the Gaussian's tail mass
  ``1 - erf(3/sqrt 2) = 0.27 %`` over ``3 delta < |x| <= 1`` (total mass
  exactly 1). Off by up to 5.5 dB (4.0 dB with the model variance): that
  mass, far beyond the few small levels, dominates D (the 2-bit s=1 i=-4
  row drops from 7.99 to 3.04 dB).
* A constant tail continuing the Gaussian's value at ``3 delta``,
  renormalized or not: off by more than 10 dB.
* A uniform tail of any other mass (1e-7 to 0.27 %) beside the Gaussian
  core: off by at least 0.15 dB.
* The Gaussian cut off at ``+-3 delta`` (no tail), renormalized or not: off
  by up to 0.38 dB (0.26 dB with the model variance).
* ``tail="gaussian"`` (the default): the plain ``N(0, delta^2)`` on [-1, 1],
  renormalized to mass 1 (a change of about 1e-88 at ``delta = 0.05``).
  13 rows agree to the printed digit, s=3 i=-4 is 0.005 dB and s=3 i=-2
  0.034 dB off. The three other rows miss by 0.16, 0.97 and 0.67 dB, and no
  reading fixes them without breaking others (see the tests).

So the paper's numbers were evidently computed with the plain Gaussian; the
uniform tail reads as a simplification described but not reflected in Table I.

The signal variance ``sigma_x^2`` of eq. (2) is ``delta^2`` by default
(``variance="delta"``); ``variance="model"`` uses the second moment of the
model pdf instead. For the plain Gaussian at ``delta = 0.05`` the two agree
to double precision; for the uniform tail the model variance is 1.44 dB
larger, and neither matches Table I.
"""

import math
import numbers
from typing import NamedTuple

import numpy as np

__all__ = ["TableRow", "TABLE_I", "DEFAULT_PANELS", "jlq_levels", "snr_db"]

#: Simpson panels per piece of the integration range (a decision cell, split at
#: ``+-3 delta``). At 256, doubling changes no Table I SNR (either tail, either
#: variance) by more than 1e-5 dB; 64 would be within 1e-3 dB.
DEFAULT_PANELS = 256

_TAILS = ("gaussian", "uniform")
_VARIANCES = ("delta", "model")

#: Binary exponents a level may take: every level must be a distinct positive
#: normal double, and squared errors must stay finite.
_MIN_EXP, _MAX_EXP = -1021, 500


class TableRow(NamedTuple):
    """One row of seed 004 Table I."""
    s: int
    i: int
    bits: int
    zero: bool  #: ternary sign (superscript T in the paper)
    snr_db_paper: float


# Seed 004 Table I ("ESTIMATED SIGNAL TO NOISE RATIO"), reconstructed. PDF
# extraction ran the four columns (s, i, W, SNR dB) together; the extracted
# lines and the rows read from them:
#
#   "1  0  2  0^T"            -> s=1 i=0  W=2 ternary  0 dB (printed "0")
#   "1 -2  2 -5.13"           -> s=1 i=-2 W=2          -5.13
#   "1 -3  2  2.93"           -> s=1 i=-3 W=2           2.93
#   "1 -4 -5 -2 -3  2  7.83"  -> s=1 i=-4 W=2           7.83  (-5 -2 -3 are the
#                                 i cells of the next rows, copied into this line)
#   "1 -5  2  4.69"           -> s=1 i=-5 W=2           4.69
#   "2 2 2 -2  2  2.49"       -> s=2 i=-2 W=2           2.49  (s cells run together)
#   "2 -3  2  7.90"           -> s=2 i=-3 W=2           7.90
#   "2 -4  2  8.76"           -> s=2 i=-4 W=2           8.76
#   "3 -5  2  4.72"           -> s=2 i=-5 W=2           4.72  (see below)
#   "3 -1  2 2  2.46"         -> s=3 i=-1 W=2           2.46
#   "3 -1 -2  4.23"           -> s=3 i=-2 W=2           4.23  (the -1 is a copy)
#   "3 -3  2  5.49"           -> s=3 i=-3 W=2           5.49
#   "3 -4  2  8.14"           -> s=3 i=-4 W=2           8.14
#   "1  0  3  0.18^T"         -> s=1 i=0  W=3 ternary   0.18
#   "2  0  3  8.88", "2 -1 3 9.01", "2 -2 3 9.12", "2 -3 3 8.37" -> s=2, W=3
#
# The 13 SNR values of the 2-bit block fix its row count. Every block runs i
# downwards, and the s=1 block ends at i=-5, so "3 -5 2 4.72" is read as the
# last s=2 row (s=2, i=-5) with the s cell of the next block displaced onto
# it: the s column then holds five tokens for each of s=1, 2 and 3 (one too
# many for the 4-row s=2 and s=3 blocks, like the copied i cells). The model
# agrees: s=2 i=-5 gives 4.72 dB; s=3 i=-5 gives 4.69 (also within the
# 0.05 dB tolerance of the tests, so the choice does not decide a test). The
# table footnote repeats the 3-bit rows in order, which confirms them. "T" marks
# ternary sign, every other row is binary sign (de-zero).
TABLE_I = (
    TableRow(1, 0, 2, True, 0.0),
    TableRow(1, -2, 2, False, -5.13),
    TableRow(1, -3, 2, False, 2.93),
    TableRow(1, -4, 2, False, 7.83),
    TableRow(1, -5, 2, False, 4.69),
    TableRow(2, -2, 2, False, 2.49),
    TableRow(2, -3, 2, False, 7.90),
    TableRow(2, -4, 2, False, 8.76),
    TableRow(2, -5, 2, False, 4.72),
    TableRow(3, -1, 2, False, 2.46),
    TableRow(3, -2, 2, False, 4.23),
    TableRow(3, -3, 2, False, 5.49),
    TableRow(3, -4, 2, False, 8.14),
    TableRow(1, 0, 3, True, 0.18),
    TableRow(2, 0, 3, False, 8.88),
    TableRow(2, -1, 3, False, 9.01),
    TableRow(2, -2, 3, False, 9.12),
    TableRow(2, -3, 3, False, 8.37),
)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_jlq(s, i, bits, zero):
    if not _is_int(s) or s < 1:
        raise ValueError(f"s must be a positive integer, not {s!r}")
    if not _is_int(i):
        raise ValueError(f"i must be an integer, not {i!r}")
    if not _is_int(bits) or bits < 2:
        raise ValueError(f"bits must be an integer of at least 2, not {bits!r}")
    if not isinstance(zero, (bool, np.bool_)):
        raise ValueError(f"zero must be a bool, not {zero!r}")
    s, i, bits = int(s), int(i), int(bits)
    smallest = i - s * ((1 << (bits - 1)) - 1)
    if i > _MAX_EXP or smallest < _MIN_EXP:
        raise ValueError(f"levels must stay within 2**{_MIN_EXP} .. 2**{_MAX_EXP}, not "
                         f"2**{smallest} .. 2**{i} (s={s}, i={i}, bits={bits})")
    return s, i, bits, bool(zero)


def jlq_levels(s, i, bits, zero=False):
    """All reconstruction points of a JLQ quantizer, signed and sorted.

    The magnitude code ``x`` in ``[0, 2**(bits-1) - 1]`` has the level
    ``2**(i - s*x)`` (seed 004 section III, ``+-2^(sx+i)``; QUANTIZERS.md
    ``jlq``). With ``zero`` (ternary sign) the largest code, whose level is the
    smallest, stands for zero, as in the seed 004 section III-B example
    ``(+-2^0, +-2^-1, +-2^-2, 0)``.

    Parameters
    ----------
    s : int
        Jumping step, at least 1.
    i : int
        Pre-shift: the exponent of the largest level.
    bits : int
        Weight width ``W`` including the sign bit, at least 2.
    zero : bool, optional
        Ternary sign: one magnitude code stands for zero. Default binary sign
        (de-zero, no zero level).

    Returns
    -------
    numpy.ndarray
        ``float64`` points in increasing order: ``2**bits`` of them for binary
        sign, ``2**bits - 1`` (the two signs of each level and one zero) for
        ternary sign.

    Raises
    ------
    ValueError
        If an argument is out of range or a level would leave the normal
        double range.

    Examples
    --------
    >>> jlq_levels(2, -1, 3).tolist()[4:]
    [0.0078125, 0.03125, 0.125, 0.5]
    >>> jlq_levels(1, 0, 3, zero=True).tolist()
    [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0]
    """
    s, i, bits, zero = _check_jlq(s, i, bits, zero)
    x = np.arange(1 << (bits - 1))
    if zero:
        x = x[:-1]
    magnitudes = np.ldexp(1.0, i - s * x)
    parts = [-magnitudes, magnitudes] + ([np.zeros(1)] if zero else [])
    return np.sort(np.concatenate(parts))


def _check_delta(delta):
    if (isinstance(delta, bool) or not isinstance(delta, numbers.Real)
            or not 0 < delta < 1 / 3):
        raise ValueError(f"delta must be a number in (0, 1/3), not {delta!r}")
    return float(delta)


def _simpson_weights(panels):
    w = np.ones(panels + 1)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    return w / (3 * panels)


def _pieces(points, delta, panels):
    """Integration pieces: Simpson nodes, weights and the point each piece maps to.

    The range [-1, 1] is cut at every decision border (the midpoints of
    adjacent points, Lloyd-Max for fixed points) and at ``+-3 delta``, so the
    integrand ``(x - x_k)^2 f(x)`` is smooth on every piece.
    """
    borders = (points[1:] + points[:-1]) / 2
    cuts = np.concatenate([borders, [-3 * delta, 3 * delta]])
    cuts = np.unique(np.concatenate([[-1.0, 1.0], cuts[(cuts > -1) & (cuts < 1)]]))
    a, b = cuts[:-1], cuts[1:]
    mid = (a + b) / 2
    # A piece lies inside one decision cell: cell k is (borders[k-1], borders[k]].
    target = points[np.searchsorted(borders, mid)]
    nodes = a[:, None] + (b - a)[:, None] * np.linspace(0.0, 1.0, panels + 1)
    weights = (b - a)[:, None] * _simpson_weights(panels)
    core = np.abs(mid) < 3 * delta
    return nodes, weights, target, core


def _pdf(nodes, core, delta, tail):
    """Model density at the Simpson nodes (one row per piece).

    ``gaussian``: ``N(0, delta^2)`` restricted to [-1, 1] and renormalized.
    ``uniform``: the Gaussian on the core pieces (``|x| < 3 delta``) and, on
    the tail pieces, the constant density that carries the Gaussian's tail mass
    ``1 - erf(3/sqrt(2))`` over ``3 delta <= |x| <= 1`` (total mass 1). The
    core flag is per piece, so a node at exactly ``+-3 delta`` takes the value
    of its own side.
    """
    gauss = np.exp(-0.5 * (nodes / delta) ** 2) / (delta * math.sqrt(2 * math.pi))
    if tail == "gaussian":
        return gauss / math.erf(1 / (delta * math.sqrt(2)))
    level = (1 - math.erf(3 / math.sqrt(2))) / (2 * (1 - 3 * delta))
    return np.where(core[:, None], gauss, level)


def snr_db(s, i, bits, zero=False, delta=0.05, *, tail="gaussian", variance="delta",
           panels=DEFAULT_PANELS):
    """The estimated SNR of a JLQ quantizer (seed 004 section III-A, Table I).

    ``10*log10(sigma_x^2 / D)`` (eq. 2), with the distortion ``D`` of eq. (1)
    for the reconstruction points :func:`jlq_levels` and nearest-neighbour
    (Lloyd-Max for fixed points: midpoint) decision borders on [-1, 1],
    integrated with composite Simpson's rule.

    Parameters
    ----------
    s, i, bits, zero
        The quantizer, as for :func:`jlq_levels`.
    delta : float, optional
        Standard deviation of the weight model, in (0, 1/3) so that the
        section III-A tails ``3 delta < |x| <= 1`` exist. Default 0.05, the
        paper's value.
    tail : {"gaussian", "uniform"}, optional
        Model pdf. ``gaussian`` (default, reproduces Table I): ``N(0, delta^2)``
        on [-1, 1]. ``uniform``: the literal section III-A reading, the
        Gaussian inside ``+-3 delta`` and its tail mass spread uniformly over
        ``3 delta < |x| <= 1``; see the module docstring for why it is not the
        default.
    variance : {"delta", "model"}, optional
        ``sigma_x^2`` of eq. (2): ``delta**2`` (default, as in Table I) or the
        variance of the model pdf.
    panels : int, optional
        Simpson panels per integration piece (an even integer of at least 2).

    Returns
    -------
    float
        SNR in dB.

    Raises
    ------
    ValueError
        If an argument is out of range.

    Examples
    --------
    >>> round(snr_db(2, -4, 2), 2)   # seed 004 Table I: 8.76
    8.76
    """
    points = jlq_levels(s, i, bits, zero)
    delta = _check_delta(delta)
    if tail not in _TAILS:
        raise ValueError(f"tail must be one of {_TAILS}, not {tail!r}")
    if variance not in _VARIANCES:
        raise ValueError(f"variance must be one of {_VARIANCES}, not {variance!r}")
    if not _is_int(panels) or panels < 2 or panels % 2:
        raise ValueError(f"panels must be an even integer of at least 2, not {panels!r}")
    nodes, weights, target, core = _pieces(points, delta, int(panels))
    fw = _pdf(nodes, core, delta, tail) * weights
    distortion = float(np.sum((nodes - target[:, None]) ** 2 * fw))  # eq. (1)
    sigma2 = delta ** 2 if variance == "delta" else float(np.sum(nodes ** 2 * fw))
    return 10 * math.log10(sigma2 / distortion)  # eq. (2)
