"""``apot``: additive powers of two (compared in seed 002 Table 10).

Levels are those of the APoT authors' reference code for ``B = n - 1``
magnitude bits (``../shared/QUANTIZERS.md``, table "apot"): every sum
``a + b (+ c)`` of one option per term, each option zero or a power of two.
The reference code's division by the largest level belongs to ``alpha``, so
the multipliers are the unnormalized sums times ``2**F``.

Two encodings of the magnitude (seed 002 section 5.2 notes the decoding cost
and leaves it out of Table 10):

- ``terms``: the code is the concatenation of per-term option indices; each
  field drives its own MUX over constant-shifted copies of the activation,
  so there is no decoder.
- ``sorted``: the code is the level's rank; a decoder ROM maps it to the
  per-term indices in front of the same datapath.
"""

import itertools
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
from amaranth.hdl import Array, Const, Signal
from amaranth.lib import data

from ..codebook import Codebook, minimal_F, sign_magnitude
from ..hdl.pe import MacPE
from ..hdl.shift_mux import shift_mux
from ..spec.schema import option
from .base import Family, Quantized, sign_magnitude_codes
from .scale import fit_scale

__all__ = ["TERMS", "ApotParams", "ApotPE", "Apot"]

#: B -> per-term option exponents; ``None`` is the zero option, listed first
#: (QUANTIZERS.md, "apot"). An option's index within its term is its field value.
TERMS = {
    2: ((None, 1, 2, 3),),
    3: ((None, 1, 2, 4), (None, 3)),
    4: ((None, 1, 3, 5), (None, 2, 4, 6)),
    5: ((None, 1, 3, 6), (None, 2, 4, 7), (None, 5)),
    6: ((None, 1, 4, 7), (None, 2, 5, 8), (None, 3, 6, 9)),
}

_FIELD_NAMES = ("a", "b", "c")


@dataclass(frozen=True)
class ApotParams:
    """The ``params`` section of an ``apot`` spec.

    Members
    -------
    encoding : str
        ``terms`` (decoder-free, default) or ``sorted`` (code = level rank).
    alpha : float or None
        Scale of the quantizer (``w ~ alpha * level / max level``); fitted to
        minimize the L2 error when omitted.
    """
    encoding: str = option(str, default="terms", choices=("terms", "sorted"))
    alpha: float = option(float, default=None, above=0)


def _field_bits(options):
    return (len(options) - 1).bit_length()


def _layout(B):
    """Field name -> width of the ``terms`` magnitude code, lowest field first."""
    return {name: _field_bits(opts) for name, opts in zip(_FIELD_NAMES, TERMS[B])}


def _combinations(B):
    """Every term-index tuple in ``terms`` code order, with its level."""
    terms = TERMS[B]
    out = []
    for idx in itertools.product(*(range(len(t)) for t in terms)):
        level = sum((Fraction(1, 1 << opts[i]) for opts, i in zip(terms, idx)
                     if opts[i] is not None), Fraction(0))
        out.append((idx, level))
    # itertools.product varies the last term fastest; the code has field a lowest.
    widths = list(_layout(B).values())

    def code(idx):
        value, shift = 0, 0
        for i, w in zip(idx, widths):
            value |= i << shift
            shift += w
        return value
    return sorted(out, key=lambda item: code(item[0]))


def _magnitude_table(B, encoding):
    """Per magnitude code: (term indices, level)."""
    combos = _combinations(B)
    if encoding == "sorted":
        combos = sorted(combos, key=lambda item: item[1])
    return combos


class ApotPE(MacPE):
    """Two or three shift terms, summed, sign-corrected and accumulated.

    Each term is a MUX over copies of the activation shifted by constants
    (wires), selected by its field of the code; ``sorted`` adds a ROM that
    maps the level rank to those fields.
    """

    def __init__(self, spec, *, assertions=False):
        B = spec.pe.weight_bits - 1
        if spec.params.encoding == "terms":
            self.weight_shape = data.StructLayout({**_layout(B), "sign": 1})
        else:
            self.weight_shape = data.StructLayout({"rank": B, "sign": 1})
        super().__init__(spec, assertions=assertions)

    def product(self, m):
        B = self.spec.pe.weight_bits - 1
        terms = TERMS[B]
        F = self.spec.codebook.F
        a = self.act_as_signed()
        if self.spec.params.encoding == "terms":
            indices = [self.w[name] for name in _layout(B)]
        else:
            # Decoder ROM: level rank -> per-term option indices.
            table = _magnitude_table(B, "sorted")
            widths = list(_layout(B).values())
            offsets = [sum(widths[:k]) for k in range(len(widths))]
            rom = Array(Const(sum(i << o for i, o in zip(idx, offsets)), sum(widths))
                        for idx, _ in table)
            fields = Signal(sum(widths))
            m.d.comb += fields.eq(rom[self.w.rank])
            indices, shift = [], 0
            for w in widths:
                indices.append(fields[shift:shift + w])
                shift += w
        width = len(a) + F + len(terms)
        for options, index in zip(terms, indices):
            # Every term has 2 or 4 options and a field just wide enough, and the
            # sorted ROM holds only real term indices: no select reaches the
            # MUX's zero padding, so every code means the level the codebook says.
            self.invariant(m, index < len(options), "term select past the term's options")
        total = 0
        for field, options, index in zip(_FIELD_NAMES, terms, indices):
            total = total + shift_mux(m, a, options, index, F, width, name=f"term_{field}")
        # The magnitude signal holds the sum untruncated: no option is 2**0, so
        # each term is below |a| << F, and len(terms) bits of headroom cover the sum.
        return self.signed_sum(m, total, width, self.w.sign)


class Apot(Family):
    name = "apot"
    Params = ApotParams
    PE = ApotPE
    weight_bits = (3, 7)
    scale_rule = "L2 fit (seed 003 eqs. 8-10)"
    plot_style = ("D", "#56B4E9")

    def codebook(self, params, weight_bits):
        B = weight_bits - 1
        table = _magnitude_table(B, params.encoding)
        F = minimal_F(level for _, level in table)
        mags = [int(level * (1 << F)) for _, level in table]
        fields = {"sign": 1, **(_layout(B) if params.encoding == "terms" else {"rank": B})}
        return Codebook(family=self.name, weight_bits=weight_bits, F=F,
                        multipliers=sign_magnitude(weight_bits, mags),
                        params={"encoding": params.encoding, "alpha": params.alpha,
                                "terms": [[None if e is None else f"2^-{e}" for e in t]
                                          for t in TERMS[B]]},
                        fields=fields)

    def quantize_for_snr(self, spec, weights):
        """A spec's ``alpha`` was fitted to other weights: fitted again (L2)."""
        fitted = replace(spec, params=replace(spec.params, alpha=None))
        return self.quantize(fitted, weights), self.scale_rule

    def quantize(self, spec, weights, alpha=None):
        """Clip ``w / alpha`` to [-1, 1] and round to the nearest level, linear domain.

        Levels are normalized by the largest one (QUANTIZERS.md, "apot").
        ``alpha`` is the argument, else ``params.alpha``, else fitted to
        minimize the L2 error (:func:`~shiftgen.families.scale.fit_scale`).
        """
        cb = spec.codebook
        half = 1 << (spec.pe.weight_bits - 1)
        mags = cb.table[:half]
        top = int(mags.max())
        weights = np.asarray(weights, dtype=np.float64)
        alpha = alpha if alpha is not None else spec.params.alpha
        if alpha is None:
            alpha = fit_scale(weights, mags / top).alpha
        x = np.clip(weights / alpha, -1.0, 1.0)
        codes = sign_magnitude_codes(cb, x * top * 2.0 ** -cb.F)
        # w ~ alpha * m / top, and the codebook says w ~ alpha' * 2**-F * m.
        return Quantized(codes, alpha * 2.0 ** cb.F / top, cb)
