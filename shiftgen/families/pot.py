"""``pot``: power-of-two weights (seed 002, section 3.1).

A code is a sign bit (1 = negative) over an exponent ``e`` in
``[0, 2**(n-1) - 1]``; its level is ``2**-e`` (seed 002 eqs. 1-2). With
``zero: true`` the largest exponent code stands for zero instead (pruning,
seed 002 eq. 3), so the levels are ``2**0 .. 2**-(Emax-1)`` and 0.
"""

from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Cat, Const, Mux, Signal, signed
from amaranth.lib import data

from ..codebook import Codebook, sign_magnitude
from ..hdl.pe import MacPE
from ..spec.schema import option
from .base import Family, Quantized, sign_magnitude_codes

__all__ = ["PotParams", "PotPE", "Pot"]


@dataclass(frozen=True)
class PotParams:
    """The ``params`` section of a ``pot`` spec.

    Members
    -------
    zero : bool
        One magnitude code (the largest exponent) stands for zero.
    rounding : str
        ``log`` (round ``log2|w|``, the default, seed 002 eq. 2) or ``linear``
        (nearest level).
    """
    zero: bool = option(bool, default=False)
    rounding: str = option(str, default="log", choices=("log", "linear"))


def _exponents(weight_bits, zero):
    """(largest exponent code, F) of a PoT code."""
    e_max = (1 << (weight_bits - 1)) - 1
    return e_max, (e_max - 1 if zero else e_max)


class PotPE(MacPE):
    """Shifter PE: ``acc <- acc + (-1)**sign * (a << (F - e))``.

    The negation costs no separate negator: the activation is inverted when
    the sign is set and the low bits are filled with the sign, which gives
    ``~(a << k)``; the accumulator adds the remaining 1 as its carry-in
    (``-x = ~x + 1``). The shift is ``t >> e`` of the filled word ``t``, so
    the exponent drives the shifter directly, without inverting it.
    """

    def __init__(self, spec, *, assertions=False):
        e_bits = spec.pe.weight_bits - 1
        self.weight_shape = data.StructLayout({"exp": e_bits, "sign": 1})
        super().__init__(spec, assertions=assertions)

    def product(self, m):
        zero = self.spec.params.zero
        e_max, F = _exponents(self.spec.pe.weight_bits, zero)
        a = self.act_as_signed()
        sign = self.w.sign
        if zero:
            is_zero = self.w.exp == e_max
            sign = sign & ~is_zero
        # XOR the raw bits: signed ^ unsigned would widen and leave the top bit uninverted.
        flipped = a.as_unsigned() ^ sign.replicate(len(a))
        filled = Cat(sign.replicate(F), flipped).as_signed()
        shifted = filled >> self.w.exp
        if zero:
            shifted = Mux(is_zero, Const(0, 1), shifted)
        live = ~is_zero if zero else Const(1, 1)
        # F is the largest exponent of a non-zero code (_exponents), so the
        # right shift only drops fill bits below the activation, never one of its own.
        self.invariant(m, ~live | (self.w.exp <= F), "exponent shifts past the fill bits")
        # Ones filled below ~a make the shifted word ~(a << (F - e)), which the
        # carry-in turns into -(a << (F - e)): the carry is set exactly when the
        # addend is the inverted shifted activation.
        magnitude = Cat(Const(0, F), a).as_signed() >> self.w.exp
        self.invariant(m, shifted == Mux(sign, ~magnitude, Mux(live, magnitude, 0)),
                       "addend is not the (inverted, when carrying) shifted activation")
        if zero:
            # The pruned code (seed 002 eq. 3) adds nothing and sets no carry.
            self.invariant(m, ~is_zero | ((shifted == 0) & ~sign), "zero code adds non-zero")
        return shifted, sign


def _or_all(values):
    out = values[0]
    for v in values[1:]:
        out = out | v
    return out


class Pot(Family):
    name = "pot"
    Params = PotParams
    PE = PotPE
    weight_bits = (2, 6)
    scale_rule = "max|W| (seed 002)"
    plot_style = ("o", "#E69F00")

    def codebook(self, params, weight_bits):
        e_max, F = _exponents(weight_bits, params.zero)
        mags = [0 if params.zero and e == e_max else 1 << (F - e) for e in range(e_max + 1)]
        return Codebook(family=self.name, weight_bits=weight_bits, F=F,
                        multipliers=sign_magnitude(weight_bits, mags),
                        params={"zero": params.zero, "rounding": params.rounding},
                        fields={"sign": 1, "exp": weight_bits - 1})

    def broadcast_product(self, cell, m):
        """The shifter as AND-OR stages over the shift amount ``t = F - e = ~e`` (the low two
        bits pick one of four shifted copies, each higher bit a shift by 4, 8, ...), the
        magnitude inverted for the sign and the ``+1`` left to the column's adder: the
        form whose bits fold into the adder LUTs (issue 13's measurements)."""
        spec = cell.spec
        if spec.params.zero:  # a zero code needs its own gate: the PE's form
            return cell.product(m)
        e_max, F = _exponents(spec.pe.weight_bits, False)
        a = cell.act_as_signed()
        t = ~cell.w.exp  # F - e, as F = 2**(n-1) - 1
        width = len(a) + F
        low = min(2, len(t))
        # Each stage is only as wide as its largest shift needs, sign-extended.
        stage = len(a) + (1 << low) - 1
        value = Cat(a, a[-1].replicate(stage - len(a)))
        # Each stage is a signal: an expression used twice would be emitted twice.
        word = Signal(stage, name="shift0")
        terms = [(t[:low] == k).replicate(stage) & (value << k)[:stage] for k in range(1 << low)]
        m.d.comb += word.eq(_or_all(terms))
        for j in range(low, len(t)):
            k = 1 << j
            grown = stage + k
            ext = Cat(word, word[-1].replicate(k))
            nxt = Signal(grown, name=f"shift{j}")
            m.d.comb += nxt.eq((t[j].replicate(grown) & (ext << k)[:grown])
                               | (~t[j].replicate(grown) & ext))
            word, stage = nxt, grown
        sign = cell.w.sign
        addend = Signal(signed(width), name="addend")
        m.d.comb += addend.eq(word ^ sign.replicate(width))
        return addend, sign

    def quantize(self, spec, weights, alpha=None):
        """Scale by ``SF = max|W|`` (seed 002 section 3.1), then round.

        ``log`` rounding takes ``e = round(-log2|w/SF|)`` (decision point
        between ``2**-e`` and ``2**-(e+1)`` at ``2**-(e+0.5)``), clipped to the
        exponent range. With ``zero``, a weight below half the smallest
        non-zero level goes to zero (the nearest level in the linear domain).
        """
        n = spec.pe.weight_bits
        cb = spec.codebook
        zero = spec.params.zero
        e_max, F = _exponents(n, zero)
        weights = np.asarray(weights, dtype=np.float64)
        if alpha is None:
            peak = float(np.max(np.abs(weights))) if weights.size else 0.0
            alpha = peak if peak > 0 else 1.0
        x = np.clip(weights / alpha, -1.0, 1.0)
        if spec.params.rounding == "linear":
            return Quantized(sign_magnitude_codes(cb, x), alpha, cb)
        mag = np.abs(x)
        e_last = e_max - 1 if zero else e_max
        with np.errstate(divide="ignore"):
            e = np.floor(-np.log2(mag) + 0.5)
        mag_codes = np.clip(np.nan_to_num(e, posinf=e_last), 0, e_last).astype(np.int64)
        if zero:
            smallest = 2.0 ** -(e_max - 1)
            mag_codes = np.where(mag < smallest / 2, e_max, mag_codes)
        negative = (x < 0) & (cb.table[mag_codes] != 0)
        codes = mag_codes | (negative.astype(np.int64) << (n - 1))
        return Quantized(codes, alpha, cb)
