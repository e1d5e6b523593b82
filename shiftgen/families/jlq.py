"""``jlq``: jumping log quantization (seed 004).

A code is a sign bit over a magnitude code ``x`` in ``[0, 2**(n-1) - 1]``
whose level is ``2**(i - s*x)`` (seed 004 section III; its example, 3-bit,
``s = 2``, ``i = -1``, gives ``2**-1, 2**-3, 2**-5, 2**-7``). The default is
binary sign, "weight de-zero" (section III-B): every code is a power of two.
With ``zero: true`` (ternary sign) the largest ``x`` stands for zero, as in
the paper's ternary example ``(+-2**0, +-2**-1, +-2**-2, 0)``.

PE styles (section V, Table VIII):

- ``jumping``: one barrel-shifter stage per bit of ``x``, stage ``j``
  shifting by ``s * 2**j``; the constant pre-shift is wiring; no zero MUX
  under de-zero; the sign is folded into the accumulator's carry-in.
- ``shifter``: the traditional shifter-based PE: the shift amount ``s*x`` as
  a binary number into a full barrel shifter, a zero MUX and a separate
  negation.
"""

import math
from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Cat, Const, Mux, Signal, signed
from amaranth.lib import data

from ..codebook import Codebook, sign_magnitude
from ..hdl.pe import MacPE
from ..spec.schema import option
from .base import Family, Quantized

__all__ = ["JlqParams", "JlqPE", "Jlq"]


@dataclass(frozen=True)
class JlqParams:
    """The ``params`` section of a ``jlq`` spec.

    Members
    -------
    s : int
        Jumping step (seed 004 section III).
    i : int
        Scaling exponent (the pre-shift): the largest level is ``2**i``.
    zero : bool
        Ternary sign: the largest ``x`` is zero (default false, de-zero).
    style : str
        ``jumping`` (the JLQ PE, default) or ``shifter`` (the traditional
        shifter-based PE of Table VIII).
    alpha : float
        Scale of the weights (default 1: seed 004 takes weights in [-1, 1]).
    """
    s: int = option(int, min=1, max=8)
    i: int = option(int, min=-24, max=8)
    zero: bool = option(bool, default=False)
    style: str = option(str, default="jumping", choices=("jumping", "shifter"))
    alpha: float = option(float, default=1.0, above=0)


def _layout(params, weight_bits):
    """(largest x, F, shift of code x = F + i - s*x at x = 0)."""
    x_max = (1 << (weight_bits - 1)) - 1
    x_last = x_max - 1 if params.zero else x_max  # last code with a non-zero level
    F = max(0, params.s * x_last - params.i)
    return x_max, x_last, F


class JlqPE(MacPE):
    """JLQ PE: jumping barrel shifter or the traditional shifter baseline."""

    def __init__(self, spec, *, assertions=False):
        self.weight_shape = data.StructLayout({"x": spec.pe.weight_bits - 1, "sign": 1})
        super().__init__(spec, assertions=assertions)

    def product(self, m):
        p = self.spec.params
        x_max, x_last, F = _layout(p, self.spec.pe.weight_bits)
        top = F + p.i  # shift of code x = 0: top - s*x >= 0 for every non-zero code
        a = self.act_as_signed()
        x, sign = self.w.x, self.w.sign
        is_zero = (x == x_max) if p.zero else Const(0, 1)
        # (a << top) >> s*x is a << (top - s*x) exactly, as top >= s*x for every
        # non-zero code; the checks below compare the shifters against it.
        reference = Cat(Const(0, top), a).as_signed() >> (p.s * x)
        if p.style == "jumping":
            # Shift left by s * (x_last - x) = s * ~x when x spans its full range; the
            # stages take the bits of x_last - x, and the remaining pre-shift
            # top - s * x_last is wiring. The activation is inverted when negative and
            # ones are shifted in, which gives ~(a << k); the carry-in adds the 1.
            distance = Signal(len(x))
            m.d.comb += distance.eq(x_last - x)
            negative = sign & ~is_zero
            t = (a.as_unsigned() ^ negative.replicate(len(a))).as_signed()
            for j in range(len(x)):
                k = p.s << j
                shifted = Cat(negative.replicate(k), t).as_signed()
                stage = Signal(signed(len(shifted)), name=f"stage{j}")
                m.d.comb += stage.eq(Mux(distance[j], shifted, t))
                t = stage
            pre = top - p.s * x_last
            product = Cat(negative.replicate(pre), t).as_signed() if pre else t
            if p.zero:
                product = Mux(is_zero, 0, product)
            # x_last is the largest non-zero code, so the jump distance x_last - x
            # never goes negative (only the zero code wraps it, and the zero MUX
            # discards that); the stages then shift by s * (x_last - x) in all.
            self.invariant(m, is_zero | (distance == x_last - x),
                           "jump distance x_last - x out of range")
            # Stages plus pre-shift give a << (top - s*x), inverted with ones shifted
            # in when negative: the carry is set exactly when the addend is ~(a << k).
            self.invariant(m, product == Mux(negative, ~reference, Mux(is_zero, 0, reference)),
                           "jumping shifter does not form (the inverse of) a << (top - s*x)")
            return product, negative
        # Traditional shifter PE: amount as a number, full barrel shifter, zero MUX, negation.
        amount = Signal(range(top + 1))
        m.d.comb += amount.eq(top - p.s * x)
        # F (hence top) is chosen so that top - s*x >= 0 for every non-zero code:
        # the amount register never wraps; the zero code's amount is discarded.
        self.invariant(m, is_zero | (amount == top - p.s * x),
                       "shift amount top - s*x negative or truncated")
        magnitude = Signal(signed(len(a) + top))
        m.d.comb += magnitude.eq(Mux(is_zero, 0, a << amount))
        # amount <= top, so len(a) + top bits hold the shifted activation untruncated.
        self.invariant(m, magnitude == Mux(is_zero, 0, reference),
                       "barrel shifter output truncated")
        return Mux(sign, -magnitude, magnitude), 0


#: Scale search for the SNR axis: log2(alpha) steps per octave, and the octaves
#: searched below the start (one above).
SNR_STEPS, SNR_OCTAVES = 32, 8


def _snr_command(args):
    """``shiftgen jlq-snr``: the SNR estimate of seed 004 section III-A (Table I)."""
    import json

    from ..errors import InputError
    from .jlq_snr import snr_db
    try:
        value = snr_db(args.s, args.i, args.bits, zero=args.zero)
    except ValueError as e:
        raise InputError(f"jlq-snr: {e}") from None
    if args.json:
        print(json.dumps({"snr_db": value}))
    else:
        sign = "ternary" if args.zero else "binary"
        print(f"JLQ s={args.s} i={args.i} {args.bits}-bit {sign} sign: SNR {value:.2f} dB "
              f"(Gaussian weights, delta = 0.05; seed 004 section III-A)")
    return 0


class Jlq(Family):
    name = "jlq"
    Params = JlqParams
    PE = JlqPE
    weight_bits = (2, 5)
    scale_rule = "params.alpha (1: weights in [-1, 1], seed 004)"
    plot_style = ("^", "#D55E00")

    def add_commands(self, subparsers, parents):
        p = subparsers.add_parser("jlq-snr", parents=[parents["json"]],
                                  help="the SNR estimate of seed 004 section III-A for JLQ "
                                       "levels 2^(i - s*x)")
        p.add_argument("--s", type=int, required=True, help="jumping step")
        p.add_argument("--i", type=int, required=True, help="scaling exponent")
        p.add_argument("--bits", type=int, required=True, help="weight bits, sign included")
        p.add_argument("--zero", action="store_true", help="ternary sign (a zero level)")
        p.set_defaults(func=_snr_command)

    def quantize_for_snr(self, spec, weights):
        """``alpha`` is a fixed normalization (1), not a fit: the ``alpha`` of least
        squared error on a grid of :data:`SNR_STEPS` points per octave is taken instead."""
        weights = np.asarray(weights, dtype=np.float64)
        peak = float(np.max(np.abs(weights))) if weights.size else 1.0
        top = 2.0 ** spec.params.i  # the largest level at alpha = 1
        start = math.log2(peak / top) if peak > 0 else 0.0
        best = None
        for k in range(-SNR_OCTAVES * SNR_STEPS, SNR_STEPS + 1):
            alpha = 2.0 ** (start + k / SNR_STEPS)
            q = self.quantize(spec, weights, alpha=alpha)
            err = float(np.sum((weights - q.dequantize()) ** 2))
            if best is None or err < best[0]:
                best = (err, q)
        return best[1], f"least-squares alpha ({SNR_STEPS} steps per octave)"

    def codebook(self, params, weight_bits):
        x_max, x_last, F = _layout(params, weight_bits)
        mags = [0 if x > x_last else 1 << (F + params.i - params.s * x)
                for x in range(x_max + 1)]
        return Codebook(family=self.name, weight_bits=weight_bits, F=F,
                        multipliers=sign_magnitude(weight_bits, mags),
                        params={"s": params.s, "i": params.i, "zero": params.zero,
                                "style": params.style},
                        fields={"x": weight_bits - 1, "sign": 1})

    def quantize(self, spec, weights, alpha=None):
        """Clip to the level range and round in the log domain.

        ``x = round((i - log2|w / alpha|) / s)``, clipped to the codes. JLQ is
        built on DeepShift-Q (seed 004 section IV), which rounds exponents,
        and its levels are spaced by factors of ``2**s``: a log-domain decision
        point (the geometric mean of two levels) keeps the relative error
        symmetric across a jump. With ``zero``, a weight below half the
        smallest level goes to zero.
        """
        p = spec.params
        cb = spec.codebook
        n = spec.pe.weight_bits
        x_max, x_last, F = _layout(p, n)
        alpha = p.alpha if alpha is None else alpha
        w = np.asarray(weights, dtype=np.float64) / alpha
        mag = np.abs(w)
        with np.errstate(divide="ignore"):
            x = np.floor((p.i - np.log2(mag)) / p.s + 0.5)
        x = np.clip(np.nan_to_num(x, posinf=x_last), 0, x_last).astype(np.int64)
        if p.zero:
            x = np.where(mag < 2.0 ** (p.i - p.s * x_last) / 2, x_max, x)
        negative = (w < 0) & (cb.table[x] != 0)
        return Quantized(x | (negative.astype(np.int64) << (n - 1)), alpha, cb)
