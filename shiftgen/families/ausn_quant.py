"""AUSN arithmetic: the code's value (eq. 4), PreConvert, Algorithm 1, rounding, allocation.

Seed 001 (AUSN, "Approximately Uniform quantization by Adaptively
Superimposing Non-uniform distribution"), sections 4.1 to 4.4, and
``../shared/QUANTIZERS.md`` section ``ausn``. This module is the single
definition of the numbers; the family module (codebook, PE) builds on it.

The magnitude code
------------------
``fields = (B0, [B1, ..., Bn])``: a basic part of ``B0`` bits and ``n >= 0``
subdivision parts of ``B1, ..., Bn`` bits (section 4.1, Fig. 2(a)); the sign
is a separate bit (1 = negative). Part ``j`` holds a code ``q_j`` that
selects from its power basis ``{0, 2^-1, ..., 2^-(2^Bj - 1)}`` (section 4.2:
``Pow_ori`` for the basic part, ``B_i`` for the subdivision parts): code 0 is
the basis element 0 ("no term"), code ``k >= 1`` is ``2^-k``. The value is
eq. 4::

    level = sum_{t=0}^{n} prod_{j=0}^{t} v_j,   v_j = 0 if q_j == 0 else 2^-q_j

so term ``t`` is ``2^-(q_0 + ... + q_t)`` (its shift is the running sum of
the exponents) as long as ``q_0, ..., q_t`` are all non-zero. A zero part
makes every later product zero, so it ends the superposition and the parts
after it do not matter; a zero basic part gives level 0. Eq. 4 writes the
factor as ``2^-w_q[j]`` with ``w_q[j]`` the stored power; read literally,
stored power 0 would be the factor ``2^0 = 1``, but the basis of section 4.2
has the element 0 and no 1, and Algorithm 1 selects elements of that basis,
so code 0 is the factor 0 here. (Algorithm 1 agrees: it writes
``w = w_q[0] * (1 + rem_1)``, ``rem_1 = w_q[1] * (1 + rem_2)``, ..., which
unrolls to eq. 4.)

Packing: the packed magnitude code puts the basic part in the LOW bits and
each subdivision part above the previous one::

    code = q_0 | q_1 << B0 | q_2 << (B0 + B1) | ...

A full n-bit weight code (QUANTIZERS.md, "Common frame") is
``sign << (B0 + ... + Bn) | code``.

Codes whose parts after a zero part are non-zero duplicate a level (for
example every code with ``q_0 = 0`` is level 0); that redundancy is the price
of the decoder-free code. Apart from those, levels are distinct: a level's
binary expansion has exactly one bit per term, at the running sums. The
*canonical* code of a level (the one :func:`quantize` returns) has every
part after the first zero part zero, and is the smallest code of that level.

Range and resolution
--------------------
The largest level is ``1/2 + 1/4 + ... + 2^-(n+1) = 1 - 2^-(n+1)`` (all parts
code 1) and the smallest non-zero level is ``2^-(2^B0 - 1)``: the basic bits
set how far down the range reaches, the subdivision parts how finely each
octave ``[2^-k, 2^(1-k))`` is split (section 3).
"""

import itertools
import math
import numbers
from fractions import Fraction
from typing import NamedTuple

import numpy as np

__all__ = [
    "MAX_MAGNITUDE_BITS", "ROUNDINGS",
    "check_fields", "field_widths", "pack", "unpack",
    "ausn_shifts", "ausn_level", "ausn_value", "ausn_levels", "level_range",
    "magnitude_values",
    "PreConverted", "preconvert",
    "AusnQuantized", "quantize", "dequantize",
    "ausn_round", "round_terms",
    "AllocationRow", "Allocation", "candidate_fields", "allocation_errors",
    "adaptive_allocation",
]

#: Upper bound on ``B0 + B1 + ... + Bn``: :func:`ausn_levels` builds a table of
#: ``2**bits`` exact levels.
MAX_MAGNITUDE_BITS = 16

#: Rounding rules of :func:`quantize`: ``truncate`` is Algorithm 1 as printed
#: (every step takes the largest basis element not above the remainder), and
#: ``nearest`` rounds to the nearest level in the linear domain, the rounding
#: that eq. 5's ``min_p |p - w|`` assumes.
ROUNDINGS = ("truncate", "nearest")

#: :func:`ausn_round` accepts integers below this; rounding up stays at most 2**62.
_ROUND_LIMIT = 1 << 62

#: Methods of :func:`ausn_round`.
_ROUND_METHODS = ("paper", "nearest")


# --------------------------------------------------------------------------
# The code and its value (sections 4.1 and 4.2, eq. 4)
# --------------------------------------------------------------------------

def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def check_fields(fields):
    """Validate and normalize ``fields``.

    Parameters
    ----------
    fields : tuple
        ``(B0, [B1, ..., Bn])``: the basic part's bits and a sequence of the
        subdivision parts' bits (possibly empty). Every width is at least 1
        and the sum is at most :data:`MAX_MAGNITUDE_BITS`.

    Returns
    -------
    tuple
        ``(B0, (B1, ..., Bn))`` with plain ints.

    Raises
    ------
    ValueError
        If ``fields`` is not of that form.
    """
    if (not isinstance(fields, (tuple, list)) or len(fields) != 2
            or isinstance(fields[1], (str, bytes))
            or not hasattr(fields[1], "__iter__")):
        raise ValueError(f"fields must be a pair (B0, [B1, ...]), not {fields!r}")
    b0, subs = fields[0], tuple(fields[1])
    for b in (b0, *subs):
        if not _is_int(b) or b < 1:
            raise ValueError(f"field widths must be integers >= 1, not {b!r} in {fields!r}")
    total = b0 + sum(subs)
    if total > MAX_MAGNITUDE_BITS:
        raise ValueError(f"fields must have at most {MAX_MAGNITUDE_BITS} magnitude bits, "
                         f"not {total!r} in {fields!r}")
    return int(b0), tuple(int(b) for b in subs)


def field_widths(fields):
    """The part widths ``(B0, B1, ..., Bn)`` of ``fields`` ``(B0, [B1, ..., Bn])``, basic first."""
    b0, subs = check_fields(fields)
    return (b0, *subs)


def _offsets(widths):
    return tuple(itertools.accumulate((0, *widths[:-1])))


def _check_parts(parts, widths):
    if isinstance(parts, (str, bytes)) or not hasattr(parts, "__iter__"):
        raise ValueError(f"part codes must be a sequence of {len(widths)} codes, not {parts!r}")
    parts = tuple(parts)
    if len(parts) != len(widths):
        raise ValueError(f"part codes must be a sequence of {len(widths)} codes, not {parts!r}")
    for q, b in zip(parts, widths):
        if not _is_int(q) or not 0 <= q < 1 << b:
            raise ValueError(f"a {b}-bit part code must be an integer in [0, {(1 << b) - 1}], "
                             f"not {q!r}")
    return tuple(int(q) for q in parts)


def pack(parts, fields):
    """Pack per-part codes into a magnitude code, basic part in the low bits.

    Parameters
    ----------
    parts : sequence of int
        ``(q_0, q_1, ..., q_n)``, ``0 <= q_j < 2**Bj``.
    fields : tuple
        ``(B0, [B1, ..., Bn])``.

    Returns
    -------
    int
        ``q_0 | q_1 << B0 | q_2 << (B0 + B1) | ...``.
    """
    widths = field_widths(fields)
    parts = _check_parts(parts, widths)
    return sum(q << o for q, o in zip(parts, _offsets(widths)))


def unpack(code, fields):
    """Split a packed magnitude code into its part codes (inverse of :func:`pack`).

    Parameters
    ----------
    code : int or array_like of int
        Packed magnitude code(s) in ``[0, 2**(B0 + ... + Bn))``.
    fields : tuple
        ``(B0, [B1, ..., Bn])``.

    Returns
    -------
    tuple
        ``(q_0, ..., q_n)``: ints for an int code, else int64 arrays of the
        code's shape.
    """
    widths = field_widths(fields)
    total = sum(widths)
    if _is_int(code):
        if not 0 <= code < 1 << total:
            raise ValueError(f"a {total}-bit magnitude code must be in [0, {(1 << total) - 1}], "
                             f"not {code!r}")
        return tuple((int(code) >> o) & ((1 << b) - 1) for b, o in zip(widths, _offsets(widths)))
    codes = _check_codes(code, total)
    return tuple((codes >> o) & ((1 << b) - 1) for b, o in zip(widths, _offsets(widths)))


def _check_codes(codes, total):
    codes = np.asarray(codes)
    if codes.dtype.kind not in "iu":
        raise ValueError(f"codes must be integers, not an array of dtype {codes.dtype}")
    codes = codes.astype(np.int64)
    if codes.size and (codes.min() < 0 or codes.max() >= 1 << total):
        bad = codes[(codes < 0) | (codes >= 1 << total)].flat[0]
        raise ValueError(f"a {total}-bit magnitude code must be in [0, {(1 << total) - 1}], "
                         f"not {int(bad)!r}")
    return codes


def ausn_shifts(parts, fields):
    """The shifts of the terms a code superposes (eq. 4).

    Parameters
    ----------
    parts : sequence of int
        Per-part codes ``(q_0, ..., q_n)``.
    fields : tuple
        ``(B0, [B1, ..., Bn])``.

    Returns
    -------
    tuple of int
        ``(q_0, q_0 + q_1, ...)`` up to (not including) the first zero part;
        the level is ``sum(2**-s for s in shifts)``. Empty for level 0.
    """
    parts = _check_parts(parts, field_widths(fields))
    shifts, s = [], 0
    for q in parts:
        if q == 0:  # the basis element 0: this and every later product of eq. 4 is 0
            break
        s += q
        shifts.append(s)
    return tuple(shifts)


def ausn_level(parts, fields):
    """The exact level of a magnitude code given as per-part codes (eq. 4).

    ``parts`` and ``fields`` are as for :func:`ausn_shifts`.

    Returns
    -------
    fractions.Fraction
        ``sum_t prod_{j <= t} v_j`` with ``v_j = 2**-q_j``, or 0 for ``q_j = 0``.
    """
    return sum((Fraction(1, 1 << s) for s in ausn_shifts(parts, fields)), Fraction(0))


def ausn_value(parts, fields):
    """:func:`ausn_level` as a float (``0.0`` where it underflows), for the same arguments."""
    return math.fsum(math.ldexp(1.0, -s) for s in ausn_shifts(parts, fields))


def ausn_levels(fields):
    """Every packed magnitude code and its exact level (eq. 4).

    Parameters
    ----------
    fields : tuple
        ``(B0, [B1, ..., Bn])``.

    Returns
    -------
    dict
        ``{code: fractions.Fraction}`` for every code in
        ``range(2**(B0 + ... + Bn))``, in code order; the packing is that of
        :func:`pack` (basic part in the low bits).
    """
    widths = field_widths(fields)
    offsets = _offsets(widths)
    out = {}
    for code in range(1 << sum(widths)):
        level, s = Fraction(0), 0
        for b, o in zip(widths, offsets):
            q = (code >> o) & ((1 << b) - 1)
            if q == 0:
                break
            s += q
            level += Fraction(1, 1 << s)
        out[code] = level
    return out


def level_range(fields):
    """The smallest non-zero and the largest level.

    Parameters
    ----------
    fields : tuple
        ``(B0, [B1, ..., Bn])``.

    Returns
    -------
    tuple of fractions.Fraction
        ``(2**-(2**B0 - 1), 1 - 2**-(n + 1))``: basic code ``2**B0 - 1``
        alone, and every part at code 1.
    """
    b0, subs = check_fields(fields)
    return Fraction(1, 1 << ((1 << b0) - 1)), 1 - Fraction(1, 1 << (len(subs) + 1))


def magnitude_values(codes, fields):
    """Float levels of packed magnitude codes, vectorized (eq. 4).

    Parameters
    ----------
    codes : array_like of int
        Packed magnitude codes.
    fields : tuple
        ``(B0, [B1, ..., Bn])``.

    Returns
    -------
    numpy.ndarray of float64
        The levels, of the codes' shape (exact unless a term underflows).
    """
    widths = field_widths(fields)
    codes = _check_codes(codes, sum(widths))
    total = np.zeros(codes.shape, dtype=np.float64)
    shift = np.zeros(codes.shape, dtype=np.int64)
    alive = np.ones(codes.shape, dtype=bool)
    for b, o in zip(widths, _offsets(widths)):
        q = (codes >> o) & ((1 << b) - 1)
        alive &= q > 0
        shift += q
        total += np.where(alive, np.ldexp(1.0, -shift), 0.0)
    return total


# --------------------------------------------------------------------------
# PreConvert (section 4.2, eqs. 1-3)
# --------------------------------------------------------------------------

def _check_weights(weights):
    w = np.asarray(weights)
    if w.dtype.kind not in "biuf":
        raise ValueError(f"weights must be real numbers, not an array of dtype {w.dtype}")
    w = w.astype(np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be finite, not {float(w[~np.isfinite(w)].flat[0])!r}")
    return w


class PreConverted(NamedTuple):
    """Result of :func:`preconvert`.

    Members
    -------
    weights : numpy.ndarray of float64
        ``w / scale``; the largest magnitude lies in ``(1/2, 1]`` (eq. 3).
    scale : float
        ``2**power_j`` (eq. 2): ``w = scale * weights`` exactly.
    """
    weights: np.ndarray
    scale: float

    @property
    def power(self):
        """``power_j = ceil(log2(max|W_j|))`` of eq. 1."""
        return math.frexp(self.scale)[1] - 1


def preconvert(weights, fields=None):
    """PreConvert (eqs. 1-3): scale the weights so that the basis fits their range.

    Eq. 1: ``power_j = ceil(log2(max|W_j|))``. Eq. 2 shifts the basic basis:
    ``Pow_pre = Pow_ori * 2**power_j``, whose largest element is
    ``2**(power_j - 1)``, so that eq. 3 holds:
    ``max(Pow_pre) <= max|W_j| <= 2 * max(Pow_pre)``. Shifting the basis up
    is the same as shifting the weights down, which is what this returns:
    ``w / 2**power_j``, with magnitudes in ``[0, 1]`` and the largest in
    ``(1/2, 1]``, to be quantized against the unshifted ``Pow_ori``
    (Algorithm 1). Only the basic basis moves: the subdivision bases scale
    the previous term, so they are relative and stay as they are.

    Parameters
    ----------
    weights : array_like of float
        The weights ``W_j`` of one layer (or channel); not empty, finite.
    fields : tuple, optional
        ``(B0, [B1, ..., Bn])``; validated if given. Eqs. 1-3 do not depend
        on the field widths.

    Returns
    -------
    PreConverted
        ``(weights / scale, scale)`` with ``scale = 2**power_j`` (exact; all
        zero weights give ``scale = 1``).
    """
    if fields is not None:
        check_fields(fields)
    w = _check_weights(weights)
    if w.size == 0:
        raise ValueError(f"weights must not be empty, not {weights!r}")
    top = float(np.max(np.abs(w)))
    if top == 0.0:
        return PreConverted(w, 1.0)
    # Eq. 1, exactly: top = f * 2**e with f in [1/2, 1), so
    # ceil(log2(top)) is e - 1 when top is a power of two (f = 1/2), else e.
    f, e = math.frexp(top)
    power = e - 1 if f == 0.5 else e
    return PreConverted(np.ldexp(w, -power), math.ldexp(1.0, power))


# --------------------------------------------------------------------------
# Algorithm 1 (section 4.2)
# --------------------------------------------------------------------------

class AusnQuantized(NamedTuple):
    """Result of :func:`quantize`: ``w ~ scale * (-1)**signs * level(codes)``.

    Members
    -------
    codes : numpy.ndarray of int64
        Packed magnitude codes (canonical: parts after a zero part are zero).
    signs : numpy.ndarray of uint8
        1 for a negative weight with a non-zero level, else 0.
    scale : float
        The PreConvert scale ``2**power_j`` (or the ``scale`` passed in).
    """
    codes: np.ndarray
    signs: np.ndarray
    scale: float


def _algorithm1(a, widths):
    """Algorithm 1 on magnitudes ``a >= 0`` (PreConverted), vectorized and exact.

    Each step takes ``w_q[tier] = argmax B_tier[p] <= rem`` (line 3), the
    largest basis element not above the remainder, and then
    ``rem <- rem / w_q[tier] - 1`` (line 4); the loop runs while ``rem > 0``
    and ``tier <= n`` (line 2). Dividing by a power of two is exact, and
    ``rem / w_q`` lies in ``[1, 2)``, so subtracting 1 is exact too.
    """
    codes = np.zeros(a.shape, dtype=np.int64)
    rem = a.copy()
    alive = rem > 0
    for b, o in zip(widths, _offsets(widths)):
        # Largest 2**-k <= rem: rem = f * 2**e with f in [1/2, 1) gives
        # 2**(e-1) <= rem < 2**e, so k = 1 - e. A remainder >= 1 takes the
        # largest element 2**-1 (saturation at the top of the range).
        _, e = np.frexp(rem)
        k = np.maximum(1 - e.astype(np.int64), 1)
        # No non-zero element fits (rem < 2**-(2**b - 1)): line 3 picks the
        # element 0. Line 4 would divide by 0; by eq. 4 every later term is 0
        # anyway, so the superposition ends here and later parts stay 0.
        take = alive & (k <= (1 << b) - 1)
        q = np.where(take, k, 0)
        codes |= q << o
        rem = np.where(take, np.ldexp(rem, q) - 1.0, 0.0)  # line 4: rem / 2**-q - 1
        alive = take & (rem > 0)
    return codes


def _nearest(a, widths):
    """Nearest level to each magnitude (linear domain); ties go to the smaller level."""
    total = sum(widths)
    fields = (widths[0], widths[1:])
    all_codes = np.arange(1 << total, dtype=np.int64)
    levels, first = np.unique(magnitude_values(all_codes, fields), return_index=True)
    canon = all_codes[first]  # the smallest code of each level is the canonical one
    if len(levels) == 1:
        return np.full(a.shape, canon[0], dtype=np.int64)
    hi = np.clip(np.searchsorted(levels, a), 1, len(levels) - 1)
    lo = hi - 1
    pick_hi = np.abs(levels[hi] - a) < np.abs(a - levels[lo])
    return canon[np.where(pick_hi, hi, lo)]


def _check_rounding(rounding):
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}, not {rounding!r}")


def quantize(weights, fields, scale=None, rounding="truncate"):
    """Quantize weights with AUSN: PreConvert (eqs. 1-3), then Algorithm 1.

    Parameters
    ----------
    weights : array_like of float
        Finite weights.
    fields : tuple
        ``(B0, [B1, ..., Bn])``.
    scale : float, optional
        Use this positive scale instead of PreConvert's ``2**power_j``;
        magnitudes above ``scale`` saturate at the largest level.
    rounding : {"truncate", "nearest"}
        ``truncate`` (default) is Algorithm 1 as printed: greedy, each part
        the largest basis element not above the remainder, so the result is
        the largest level not above ``|w| / scale``. ``nearest`` picks the
        nearest level instead (ties to the smaller one), as eq. 5 measures.

    Returns
    -------
    AusnQuantized
        ``(codes, signs, scale)``: packed magnitude codes (basic part in the
        low bits, see :func:`pack`), sign bits, and the scale, such that
        ``w ~ scale * (-1)**signs * level(codes)``.
    """
    widths = field_widths(fields)
    _check_rounding(rounding)
    if scale is None:
        x, scale = preconvert(weights)
    else:
        if (not isinstance(scale, numbers.Real) or isinstance(scale, bool)
                or not math.isfinite(scale) or scale <= 0):
            raise ValueError(f"scale must be a positive finite number, not {scale!r}")
        scale = float(scale)
        with np.errstate(over="ignore"):
            x = _check_weights(weights) / scale
    # Anything at or above 1 takes every part's code 1 (Algorithm 1 then keeps
    # rem >= 1); clipping at 1 keeps the remainder from growing.
    a = np.minimum(np.abs(x), 1.0)
    codes = _algorithm1(a, widths) if rounding == "truncate" else _nearest(a, widths)
    # Sign bit 1 = negative (QUANTIZERS.md); level 0 (basic code 0) keeps sign 0.
    signs = ((x < 0) & ((codes & ((1 << widths[0]) - 1)) != 0)).astype(np.uint8)
    return AusnQuantized(codes, signs, scale)


def dequantize(codes, signs, scale, fields):
    """The real weights ``scale * (-1)**signs * level(codes)``.

    Parameters
    ----------
    codes : array_like of int
        Packed magnitude codes.
    signs : array_like of int
        Sign bits (1 = negative), broadcastable to ``codes``.
    scale : float
    fields : tuple
        ``(B0, [B1, ..., Bn])``.

    Returns
    -------
    numpy.ndarray of float64
    """
    signs = np.asarray(signs)
    if signs.dtype.kind not in "biu" or (signs.size and not np.isin(signs, (0, 1)).all()):
        raise ValueError(f"signs must be bits (0 or 1), not {signs!r}")
    return scale * np.where(signs == 1, -1.0, 1.0) * magnitude_values(codes, fields)


# --------------------------------------------------------------------------
# Rounding scheme (section 4.4)
# --------------------------------------------------------------------------

def _popcount(x):
    count = np.zeros(x.shape, dtype=np.int64)
    y = x.copy()
    while np.any(y):
        count += y & 1
        y >>= 1
    return count


def ausn_round(x, b_sub, method="paper"):
    """AUSN rounding (section 4.4): keep at most ``b_sub + 1`` powers of two.

    A product of AUSN numbers is a sum of more powers of two than the next
    layer accepts ("(a + b) * (c + d) = A + B + C + D"); the rounding scheme
    cuts it back to a leading term plus ``b_sub`` superposed terms (the
    worked example: ``B_sub = 1``, "single superposition", gives
    ``384 = 2^7 + 2^8``). Any non-negative integer is such a sum (its binary
    expansion); multiply fractional data by a power of two first (the scheme
    is invariant under shifting every term). How the paper's steps and
    scenarios are carried out (``method="paper"``):

    * Scenario 2 (``2^n + 2^n = 2^(n+1)``) and Step 2 are exact carries. An
      integer is already carried, so a sum with repeated terms, such as the
      paper's ``2^2 + 2^3 + 2^4 + 2^6 + 2^6 + 2^8``, is first added up
      (:func:`round_terms` does this); this never changes the value.
    * Scenario 1 and Step 1: every maximal run of consecutive terms
      ``2^n + ... + 2^m`` of length ``m - n + 1 >= b_sub + 2`` becomes
      ``2^(m+1)`` (one pass, as Step 1 is listed once). The run sum is
      ``2^(m+1) - 2^n``, so this adds ``2^n``; keeping only the run's top
      ``b_sub + 1`` terms would cost ``2^(m-b_sub) - 2^n >= 2^n``.
    * Scenarios 3 and 4 with Steps 3 and 4 (the "Principle": with
      ``2^m <= data <= 2^(m+1)``, ``Quant(data)`` is ``2^m`` or
      ``2^(m+1)``): if more than ``b_sub + 1`` terms remain, let ``2^m`` be
      the ``(b_sub + 1)``-th largest term (the last one kept) and ``data``
      be ``2^m`` plus every smaller term; ``data`` becomes ``2^m``
      (Scenario 3: the smaller terms are dropped) if those terms add up to
      less than ``2^(m-1)``, else ``2^(m+1)`` (Scenario 4's carry; a carry
      into a kept term is Scenario 2 again). That is the nearest of the two,
      ties (smaller terms exactly ``2^(m-1)``) rounding up as Scenario 1
      does at its threshold. For ``b_sub = 1`` this is exactly the paper's
      conditions with ``2^n`` the largest dropped term: ``m > n + 1`` means
      the dropped terms are below ``2^(m-1)`` (Scenario 3, round down) and
      ``m = n + 1`` means they reach it (Scenario 4). For ``b_sub > 1`` the
      paper's thresholds (``m > n + B_sub`` drop, ``m = n + B_sub`` either)
      leave gaps ``2 .. B_sub`` undecided, and Steps 3-4 with eq. 6 do not
      always reach ``b_sub + 1`` terms; the nearest rule is used instead.

    The result has at most ``b_sub + 1`` terms. Because Step 1 acts first,
    ``method="paper"`` does not always give the nearest such number (29 =
    ``2^4 + 2^3 + 2^2 + 2^0`` at ``b_sub = 1``: Step 1 makes
    ``2^5 + 2^0 = 33``, while 32 is nearer). ``method="nearest"`` skips
    Step 1 and so returns the nearest number of at most ``b_sub + 1``
    terms, ties rounding up (the paper's stated aim, "minimize the rounding
    error").

    Parameters
    ----------
    x : int or array_like of int
        Non-negative integers below ``2**62``.
    b_sub : int
        Number of terms superposed on the leading one, ``>= 0`` (the number
        of subdivision parts ``n`` of an AUSN format).
    method : {"paper", "nearest"}
        Steps 1-4 as above, or the nearest rule alone.

    Returns
    -------
    numpy.ndarray of int64
        The rounded integers, of ``x``'s shape (a 0-d array for a scalar).
    """
    if not _is_int(b_sub) or b_sub < 0:
        raise ValueError(f"b_sub must be an integer >= 0, not {b_sub!r}")
    if method not in _ROUND_METHODS:
        raise ValueError(f"method must be one of {_ROUND_METHODS}, not {method!r}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"x must be integers, not an array of dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= _ROUND_LIMIT):
        bad = arr[(arr < 0) | (arr >= _ROUND_LIMIT)].flat[0]
        raise ValueError(f"x must be integers in [0, 2**62), not {int(bad)!r}")
    y = arr.astype(np.int64)
    keep = b_sub + 1

    # Step 2 / Scenario 2 (2^n + 2^n = 2^(n+1)) has nothing left to do: an
    # integer's binary expansion repeats no term (round_terms adds repeated
    # terms up before it gets here, which is exact).

    if method == "paper":
        # Step 1 / Scenario 1. window has bit p set where bits p .. p + b_sub + 1
        # of y are all set; a maximal run of length >= b_sub + 2 starts (its
        # lowest term 2^n) where such a window has no set bit just below it.
        # Maximal runs are separated by a zero bit, so adding 2^n to every run
        # at once carries each into its own 2^(m+1) and leaves the rest alone.
        window = y.copy()
        for i in range(1, b_sub + 2):
            window &= y >> i
        y = y + (window & ~(y << 1))

    # Steps 3-4 / Scenarios 3-4: at most `keep` terms survive. top is y with
    # its lowest set bits cleared until `keep` remain; its lowest bit is the
    # last kept term 2^m, and tail = y - top are the smaller terms.
    top = y.copy()
    count = _popcount(y)
    while np.any(count > keep):
        over = count > keep
        top = np.where(over, top & (top - 1), top)
        count -= over
    tail = y - top
    last = top & -top
    # Round down (Scenario 3) when the tail is below 2^(m-1), else carry up
    # (Scenario 4); last >= 2 whenever tail > 0, so last >> 1 is 2^(m-1).
    up = (tail > 0) & (tail >= (last >> 1))
    return np.where(up, top + last, top)


def round_terms(exponents, b_sub, method="paper"):
    """:func:`ausn_round` for data written as powers of two (a multiset).

    Parameters
    ----------
    exponents : sequence of int
        ``e`` for each term ``2^e``; repeats allowed (the paper's
        ``412 = 2^2 + 2^3 + 2^4 + 2^6 + 2^6 + 2^8`` is
        ``[2, 3, 4, 6, 6, 8]``), negative exponents allowed, span below 60.
    b_sub : int
        Number of terms superposed on the leading one, ``>= 0``.
    method : {"paper", "nearest"}
        See :func:`ausn_round`.

    Returns
    -------
    tuple of int
        The exponents of the rounded sum, ascending (no repeats).
    """
    if isinstance(exponents, (str, bytes)) or not hasattr(exponents, "__iter__"):
        raise ValueError(f"exponents must be a sequence of integers, not {exponents!r}")
    exps = list(exponents)
    if not all(_is_int(e) for e in exps):
        raise ValueError(f"exponents must be a sequence of integers, not {exponents!r}")
    if not exps:
        return ()
    low = min(exps)
    if max(exps) - low >= 60:
        raise ValueError(f"exponents must span less than 60, not {max(exps) - low!r}")
    # Scenario 2 / Step 2: adding up performs every 2^n + 2^n = 2^(n+1) exactly.
    total = sum(1 << (e - low) for e in exps)
    if total >= _ROUND_LIMIT:
        raise ValueError(f"exponents must add up to less than 2**62 times the smallest term, "
                         f"not {exponents!r}")
    rounded = int(ausn_round(total, b_sub, method))
    return tuple(i + low for i in range(rounded.bit_length()) if rounded >> i & 1)


# --------------------------------------------------------------------------
# Adaptive allocation (section 4.3, eq. 5)
# --------------------------------------------------------------------------

class AllocationRow(NamedTuple):
    """Eq. 5's errors of one candidate split of the magnitude bits.

    Members
    -------
    fields : tuple
        ``(B0, (B1, ..., Bn))``.
    clipping_error : float
        ``E_b``: mean over the weights of ``|w| * (|w| - R)`` where ``|w| > R``.
    rounding_error : float
        ``E_r``: mean over the weights of ``|w| * min_p |p - |w||`` where
        ``|w| <= R``.
    error : float
        ``E_b + E_r``, the criterion.
    """
    fields: tuple
    clipping_error: float
    rounding_error: float
    error: float


class Allocation(NamedTuple):
    """Result of :func:`adaptive_allocation`.

    Members
    -------
    fields : tuple
        The chosen ``(B0, (B1, ..., Bn))``: least ``E_b + E_r``.
    table : tuple of AllocationRow
        Every candidate, in the order tried.
    """
    fields: tuple
    table: tuple


def candidate_fields(total_bits, max_parts=None):
    """Every split of ``total_bits`` magnitude bits into basic and subdivision parts.

    Parameters
    ----------
    total_bits : int
        ``B0 + B1 + ... + Bn``, from 1 to :data:`MAX_MAGNITUDE_BITS`.
    max_parts : int, optional
        Largest number ``n`` of subdivision parts (default: no limit).

    Returns
    -------
    list of tuple
        ``(B0, (B1, ..., Bn))`` with every width ``>= 1``, ordered by ``B0``
        descending, then by fewer subdivision parts, then by the widths
        descending; :func:`adaptive_allocation` breaks ties by this order.
    """
    if not _is_int(total_bits) or not 1 <= total_bits <= MAX_MAGNITUDE_BITS:
        raise ValueError(f"total_bits must be an integer in [1, {MAX_MAGNITUDE_BITS}], "
                         f"not {total_bits!r}")
    if max_parts is not None and (not _is_int(max_parts) or max_parts < 0):
        raise ValueError(f"max_parts must be an integer >= 0 or None, not {max_parts!r}")

    def compositions(m):
        if m == 0:
            yield ()
            return
        for first in range(m, 0, -1):
            for rest in compositions(m - first):
                yield (first, *rest)

    out = []
    for b0 in range(total_bits, 0, -1):
        subs = [c for c in compositions(total_bits - b0)
                if max_parts is None or len(c) <= max_parts]
        subs.sort(key=lambda c: (len(c), tuple(-b for b in c)))
        out.extend((b0, c) for c in subs)
    return out


def allocation_errors(weights, fields, rounding="nearest"):
    """Eq. 5's clipping and rounding errors of one split, for given weights.

    Eq. 5 integrates against the model density ``N(w; 0, 1)`` clipped to
    ``(-L, L)``, positive side only. For given weights the density is their
    empirical distribution of ``|w|`` (the quantizer is symmetric), so each
    integral is a mean over the weights::

        E_b = mean(|w| * (|w| - R)        if |w| > R  else 0)
        E_r = mean(|w| * min_p |p - |w||  if |w| <= R else 0)

    ``R`` is the top of the representing range, the largest level, and
    ``P`` the levels, both scaled by PreConvert (eqs. 1-3); the errors are
    in the units of ``w**2``.

    Parameters
    ----------
    weights : array_like of float
        Finite, not empty.
    fields : tuple
        ``(B0, [B1, ..., Bn])``.
    rounding : {"nearest", "truncate"}
        ``nearest`` (default) is eq. 5's ``min_p |p - w|``; ``truncate``
        measures the level Algorithm 1 gives instead.

    Returns
    -------
    tuple of float
        ``(E_b, E_r)``.
    """
    b0, subs = check_fields(fields)
    _check_rounding(rounding)
    pre = preconvert(weights)
    return _eq5(np.abs(pre.weights).ravel(), (b0, *subs), pre.scale, rounding)


def _eq5(a, widths, scale, rounding):
    fields = (widths[0], widths[1:])
    big = float(level_range(fields)[1])
    clipped = a > big
    e_b = np.sum(a[clipped] * (a[clipped] - big)) / a.size
    inner = a[~clipped]
    codes = _nearest(inner, widths) if rounding == "nearest" else _algorithm1(inner, widths)
    e_r = np.sum(inner * np.abs(magnitude_values(codes, fields) - inner)) / a.size
    return float(e_b) * scale * scale, float(e_r) * scale * scale


def adaptive_allocation(weights, total_bits, candidates=None, rounding="nearest"):
    """Choose the split of the magnitude bits from eq. 5 (section 4.3).

    Section 4.3 quantizes with an initial split, computes the clipping
    error ``E_b`` and the rounding error ``E_r`` of eq. 5, moves bits
    between the basic part (range) and the subdivision parts (resolution),
    and iterates "until an optimal allocation of bit-width is found". This
    evaluates every candidate split and keeps the one with the least
    ``E_b + E_r`` (the paper does not say how the two are weighed; their
    sum is the single integral of ``w * |Q(w) - w|``). Ties go to the
    earlier candidate (more basic bits, then fewer subdivision parts).

    Parameters
    ----------
    weights : array_like of float
        The layer's weights; finite, not empty.
    total_bits : int
        Magnitude bits ``B0 + B1 + ... + Bn`` (an n-bit weight code has
        ``n - 1``: the sign bit is not split).
    candidates : iterable of tuple, optional
        The splits ``(B0, [B1, ...])`` to compare; default
        :func:`candidate_fields` ``(total_bits)``. Each must have
        ``total_bits`` bits.
    rounding : {"nearest", "truncate"}
        Passed to :func:`allocation_errors`.

    Returns
    -------
    Allocation
        ``(fields, table)``: the chosen split and every candidate's errors.
    """
    if candidates is None:
        candidates = candidate_fields(total_bits)
    else:
        if not _is_int(total_bits) or not 1 <= total_bits <= MAX_MAGNITUDE_BITS:
            raise ValueError(f"total_bits must be an integer in [1, {MAX_MAGNITUDE_BITS}], "
                             f"not {total_bits!r}")
        candidates = [check_fields(c) for c in candidates]
        for b0, subs in candidates:
            if b0 + sum(subs) != total_bits:
                raise ValueError(f"candidates must have {total_bits} magnitude bits, "
                                 f"not {(b0, subs)!r}")
        if not candidates:
            raise ValueError(f"candidates must not be empty, not {candidates!r}")
    _check_rounding(rounding)
    pre = preconvert(weights)
    a = np.abs(pre.weights).ravel()
    table = []
    for b0, subs in candidates:
        e_b, e_r = _eq5(a, (b0, *subs), pre.scale, rounding)
        table.append(AllocationRow((b0, subs), e_b, e_r, e_b + e_r))
    best = min(range(len(table)), key=lambda i: (table[i].error, i))
    return Allocation(table[best].fields, tuple(table))
