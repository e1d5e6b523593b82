"""``ausn``: approximately uniform quantization by superposing powers of two (seed 001).

A code has a sign bit, a basic part of ``B0`` bits and subdivision parts of
``B1, B2, ...`` bits (section 4.1), packed with the basic part lowest. Part
``j`` selects ``v_j`` from ``{0, 2**-1, ..., 2**-(2**Bj - 1)}`` (code 0 is the
0 entry) and the level is ``sum_t prod_{j <= t} v_j`` (eq. 4): each superposed
term is the previous one scaled down again, so a zero part ends the sum.

PE styles (Table 4):

- ``superposition``: decoder-free. The parts drive shifters whose amounts are
  the running sums of the exponents; the terms are added, signed and
  accumulated.
- ``decoder``: the "shifter & adder, needs decoder" baseline: the code is the
  rank of the level among the distinct levels, and a decoder ROM maps it to
  the parts in front of the same datapath.

AUSN x AUSN (Appendix B.2): with ``act_basic`` set, the activation is an AUSN
code too (sign, basic part, ``act_sub`` parts). The product of an activation
term ``2**-Ea`` and a weight term ``2**-Ew`` is ``2**-(Ea + Ew)``, so
multiplying becomes adding the running exponent sums; each sum drives a
one-hot decoder and the one-hot terms are added. The codebook's
``activations`` table gives each activation code's integer value, so the
golden model, the simulators and the proof read the same numbers.
"""

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
from amaranth.hdl import Array, Cat, Const, Mux, Signal, signed
from amaranth.lib import data

from ..codebook import Codebook, minimal_F, sign_magnitude
from ..hdl.pe import MacPE
from ..spec.schema import FieldError, option
from .ausn_quant import adaptive_allocation, ausn_levels, candidate_fields, quantize, unpack
from .base import Family, Quantized

__all__ = ["AusnParams", "AusnPE", "Ausn"]


@dataclass(frozen=True)
class AusnParams:
    """The ``params`` section of an ``ausn`` spec.

    Members
    -------
    basic : int
        ``B0``, bits of the basic part.
    sub : list of int
        ``B1, B2, ...``, bits of each subdivision part.
    style : str
        ``superposition`` (default, decoder-free) or ``decoder`` (baseline).
    """
    basic: int = option(int, min=1, max=4)
    sub: tuple = option(list, default=(1,), min=1, max=3)
    style: str = option(str, default="superposition", choices=("superposition", "decoder"))
    act_basic: int = option(int, default=0, min=0, max=4)
    act_sub: tuple = option(list, default=(), min=1, max=3)


def _act_fields(params):
    """``(B0, [B1, ...])`` of a coded activation, or None for an integer one."""
    return (params.act_basic, list(params.act_sub)) if params.act_basic else None


def _terms(parts):
    """Running exponent sums and "all parts so far non-zero" flags (eq. 4)."""
    running, alive, out = 0, Const(1, 1), []
    for q in parts:
        running = running + q
        alive = alive & (q != 0)
        out.append((running, alive))
    return out


def _widths(params):
    return (params.basic, *params.sub)


def _fields(params):
    return (params.basic, list(params.sub))


def _magnitude_table(params):
    """Per magnitude code: (part codes, level), from eq. 4 (:func:`.ausn_quant.ausn_levels`)."""
    fields = _fields(params)
    table = [(tuple(unpack(code, fields)), level)
             for code, level in sorted(ausn_levels(fields).items())]
    if params.style == "superposition":
        return table
    # Decoder baseline: dense rank code over the distinct levels; spare codes are 0.
    first = {}
    for parts, level in table:
        first.setdefault(level, parts)
    ranked = sorted(first.items())
    zero = tuple(0 for _ in _widths(params))
    ranked += [(Fraction(0), zero)] * (len(table) - len(ranked))
    return [(parts, level) for level, parts in ranked]


def _rank_of_superposition(params):
    """Per superposition magnitude code: the decoder baseline's rank code of its level."""
    levels = [level for _, level in _magnitude_table(replace(params, style="superposition"))]
    rank = {}
    for code, (_, level) in enumerate(_magnitude_table(params)):
        rank.setdefault(level, code)
    return np.array([rank[level] for level in levels], dtype=np.int64)


def _signed_act(a, spec):
    """The activation port's value as a signed value."""
    return a.as_signed() if spec.pe.act_signed else Cat(a, Const(0, 1)).as_signed()


def _or(values):
    out = values[0]
    for v in values[1:]:
        out = out | v
    return out


class AusnPE(MacPE):
    """Superposition adder: one shifter per part, amounts are running exponent sums."""

    def __init__(self, spec, *, assertions=False):
        widths = _widths(spec.params)
        if spec.params.style == "superposition":
            self.weight_shape = data.StructLayout(
                {"basic": widths[0], **{f"sub{k + 1}": w for k, w in enumerate(widths[1:])},
                 "sign": 1})
        else:
            self.weight_shape = data.StructLayout({"rank": sum(widths), "sign": 1})
        act = _act_fields(spec.params)
        if act is not None:
            self.act_shape = data.StructLayout(
                {"basic": act[0], **{f"sub{k + 1}": w for k, w in enumerate(act[1])},
                 "sign": 1})
        super().__init__(spec, assertions=assertions)

    def _ausn_product(self, m, w_parts):
        """AUSN x AUSN (Appendix B.2): add exponents, decode one-hot, sum."""
        cb = self.spec.codebook
        top = cb.act_F + cb.F  # exponent sums never exceed it (both F are minimal)
        a_parts = [self.a.basic] + [self.a[f"sub{k + 1}"]
                                    for k in range(len(self.spec.params.act_sub))]
        terms = []
        for s, (ea, alive_a) in enumerate(_terms(a_parts)):
            for t, (ew, alive_w) in enumerate(_terms(w_parts)):
                exponent = Signal(range(top + 1), name=f"exp_a{s}_w{t}")
                m.d.comb += exponent.eq(ea + ew)
                # Each F is minimal over a set that includes 2**-(sum of all part
                # maxima) (Ausn.codebook), so no running sum exceeds its F and
                # the exponent register never wraps.
                self.invariant(m, ea + ew <= top, f"exponent sum exceeds {top}")
                term = Signal(top + 1, name=f"term_a{s}_w{t}")
                m.d.comb += term.eq(Mux(alive_a & alive_w, Const(1 << top, top + 1) >> exponent,
                                        0))
                # The decoder is one-hot for a live term (2**(top - exponent), and
                # exponent <= top keeps the bit inside) and zero for a dead one.
                at_most_one = (term & (term - 1)[:len(term)]) == 0
                self.invariant(m, at_most_one & ((term != 0) == (alive_a & alive_w)),
                               "one-hot decoder output not one-hot (live) or zero (dead)")
                terms.append(term)
        width = top + 1 + (len(terms) - 1).bit_length() + 1
        return self.signed_sum(m, sum(terms), width, self.a.sign ^ self.w.sign)

    def product(self, m):
        p = self.spec.params
        widths = _widths(p)
        F = self.spec.codebook.F
        a = self.act_as_signed()
        if p.style == "superposition":
            parts = [self.w.basic] + [self.w[f"sub{k + 1}"] for k in range(len(widths) - 1)]
        else:
            table = _magnitude_table(p)
            offsets = [sum(widths[:k]) for k in range(len(widths))]
            rom = Array(Const(sum(q << o for q, o in zip(parts, offsets)), sum(widths))
                        for parts, _ in table)
            fields = Signal(sum(widths))
            m.d.comb += fields.eq(rom[self.w.rank])
            parts = [fields[o:o + w] for o, w in zip(offsets, widths)]
            # The ROM holds the lowest code of each level, and parts sit lowest
            # first, so a zero part (which ends the sum, eq. 4) has only zero
            # parts after it: the decoder never emits a redundant code.
            for k in range(len(parts) - 1):
                later = Cat(*parts[k + 1:])
                self.invariant(m, (parts[k] != 0) | (later == 0),
                               f"decoder ROM sets a part after zero part {k}")
        if _act_fields(p) is not None:
            return self._ausn_product(m, parts)
        width = len(a) + F + 1
        wide = Signal(signed(len(a) + F))
        m.d.comb += wide.eq(a << F)  # the pre-shift is wiring
        total, running, alive = 0, 0, Const(1, 1)
        for k, q in enumerate(parts):
            running = running + q  # shift of term k: q_0 + ... + q_k (<= F)
            alive = alive & (q != 0)
            amount = Signal(range(F + 1), name=f"shift{k}")
            m.d.comb += amount.eq(running)
            # F is minimal over a set that includes 2**-(sum of all part maxima)
            # (Ausn.codebook), so the running sum never exceeds F: the shift
            # register never wraps and the shifter never runs past the pre-shift.
            self.invariant(m, running <= F, f"shift amount of term {k} exceeds F = {F}")
            term = Signal(signed(width), name=f"term{k}")
            m.d.comb += term.eq(Mux(alive, wide >> amount, 0))
            total = total + term
        return self.signed_sum(m, total, width + len(parts), self.w.sign)


def _mantissas(params):
    """Per packed subdivision code: ``1 + v1 + v1 v2 + ...``, the level over ``v0`` (eq. 4).

    The level factors as ``v0 * mantissa``: the basic part's power of two
    times a mantissa the subdivision parts alone choose.
    """
    out = []
    for code in range(1 << sum(params.sub)):
        mantissa, term, shift = Fraction(1), Fraction(1), 0
        for width in params.sub:
            q = (code >> shift) & ((1 << width) - 1)
            shift += width
            if q == 0:  # a zero part ends the sum
                break
            term /= 1 << q
            mantissa += term
        out.append(mantissa)
    return out


def _row_scales(params):
    """``(M, scales)``: each mantissa times ``2**M`` is the integer scale of ``a`` a row forms."""
    mantissas = _mantissas(params)
    M = minimal_F(mantissas)
    return M, [int(m * (1 << M)) for m in mantissas]


class Ausn(Family):
    name = "ausn"
    Params = AusnParams
    PE = AusnPE
    weight_bits = (2, 9)
    scale_rule = "PreConvert (seed 001 eqs. 1-3); Algorithm 1 rounds down"
    plot_style = ("v", "#CC79A7")

    def check(self, params, pe):
        need = 1 + sum(_widths(params))
        if pe.weight_bits != need:
            raise FieldError("pe.weight_bits", f"must be {need} (sign + basic {params.basic} "
                             f"+ sub {list(params.sub)}), not {pe.weight_bits}")
        if not params.sub:
            raise FieldError("params.sub", "must list at least one subdivision part")
        act = _act_fields(params)
        if act is None:
            if params.act_sub:
                raise FieldError("params.act_sub", "needs params.act_basic (the activation's "
                                 "basic part) to code the activation in AUSN")
            return
        need = 1 + act[0] + sum(act[1])
        if pe.act_bits != need:
            raise FieldError("pe.act_bits", f"must be {need} (sign + act_basic {act[0]} "
                             f"+ act_sub {act[1]}), not {pe.act_bits}")
        if pe.act_signed:
            raise FieldError("pe.act_signed", "must be false when params.act_basic is set: "
                             "the activation is a sign-magnitude AUSN code, not true")

    def codebook(self, params, weight_bits):
        table = _magnitude_table(params)
        widths = _widths(params)
        F = minimal_F([Fraction(1, 1 << sum((1 << w) - 1 for w in widths))] +
                      [level for _, level in table])
        mags = [int(level * (1 << F)) for _, level in table]
        fields = {"basic": params.basic, "sub": list(params.sub)}
        act = {}
        if _act_fields(params) is not None:
            act_levels = ausn_levels(_act_fields(params))  # code -> level (eq. 4)
            act_widths = (params.act_basic, *params.act_sub)
            act_F = minimal_F([Fraction(1, 1 << sum((1 << w) - 1 for w in act_widths))] +
                              list(act_levels.values()))
            act_bits = 1 + sum(act_widths)
            act = {"activations": sign_magnitude(
                       act_bits, [int(act_levels[c] * (1 << act_F))
                                  for c in range(1 << (act_bits - 1))]),
                   "act_F": act_F,
                   "act_fields": {"basic": params.act_basic, "sub": list(params.act_sub)}}
        return Codebook(family=self.name, weight_bits=weight_bits, F=F,
                        multipliers=sign_magnitude(weight_bits, mags),
                        params={"style": params.style}, fields=fields, **act)

    def _broadcast_form(self, spec):
        """Whether the broadcast product below applies: superposition codes, integer activations."""
        return spec.params.style == "superposition" and _act_fields(spec.params) is None

    def row_terms(self, spec):
        """``k * a`` for each integer scale ``k`` of the mantissas that is no power of two
        (8/4: ``3a = a + 2a``): one adder per row instead of one per cell."""
        if not self._broadcast_form(spec):
            return {}
        M, scales = _row_scales(spec.params)
        bits = spec.pe.act_bits + (0 if spec.pe.act_signed else 1)
        out = {}
        for k in sorted(set(scales)):
            if k & (k - 1):  # a power of two is wiring, formed in the cell
                out[f"x{k}"] = (signed(bits + k.bit_length()),
                                lambda a, k=k: _signed_act(a, spec) * k)
        return out

    def broadcast_product(self, cell, m):
        """``x = k(sub) * a`` (a row term or a shift), inverted for the sign, then shifted by
        the basic part: an AND-OR of the shifted copies whose bits fold into the column's
        adder LUTs, the sign's ``+1`` on the adder's carry-in (issue 13's measurements)."""
        spec = cell.spec
        if not self._broadcast_form(spec):
            return cell.product(m)
        p = spec.params
        M, scales = _row_scales(p)
        F = spec.codebook.F
        a = cell.act_as_signed()
        sub = Cat(*(cell.w[f"sub{j + 1}"] for j in range(len(p.sub))))
        width = len(a) + max(scales).bit_length()
        choices = []
        for code, k in enumerate(scales):
            value = cell.term(f"x{k}") if k & (k - 1) else a << (k.bit_length() - 1)
            choices.append((sub == code).replicate(width) & value.as_signed()[:width]
                           if len(value) >= width else
                           (sub == code).replicate(width) & Cat(value, value[-1].replicate(
                               width - len(value))))
        sign = cell.w.sign
        x = Signal(width, name="x", attrs={"keep": 1})  # the pre-select, kept (measured best)
        m.d.comb += x.eq(_or(choices) ^ sign.replicate(width))
        shifted = []
        top = F - M - 1  # the shift of basic code 1
        for b in range(1, 1 << p.basic):
            k = F - M - b
            word = Cat(sign.replicate(k), x, x[-1].replicate(top - k))
            shifted.append((cell.w.basic == b).replicate(len(word)) & word)
        addend = Signal(signed(width + top), name="addend")
        m.d.comb += addend.eq(_or(shifted))
        # Canonical codes: a zero level is code 0, so basic code 0 needs no sign.
        return addend, sign

    def quantize(self, spec, weights, alpha=None):
        """PreConvert (eqs. 1-3) and Algorithm 1 (seed 001 section 4.2).

        Algorithm 1 takes the largest basis value not above the remainder at
        each step, so it rounds the magnitude down to a level. Both styles
        quantize alike: the ``decoder`` baseline stands for the same levels
        as its superposition PE, so its code is the rank of the level that
        Algorithm 1 picks (the code its decoder ROM maps back to the parts).
        """
        fields = _fields(spec.params)
        q = quantize(weights, fields, scale=alpha)
        n = sum(_widths(spec.params))
        mags = np.asarray(q.codes, dtype=np.int64)
        if spec.params.style != "superposition":
            mags = _rank_of_superposition(spec.params)[mags]
        codes = mags | (np.asarray(q.signs, dtype=np.int64) << n)
        return Quantized(codes, q.scale, spec.codebook)

    def fit(self, spec, weights, per_channel_axis=None):
        """The basic/subdivision split of section 4.3 for these weights (eq. 5)."""
        from ..errors import InputError
        if per_channel_axis is not None:
            raise InputError("ausn fit chooses one split per layer; --per-channel does not apply")
        # Splits the spec accepts: at least one subdivision part and B0 <= 4.
        total = spec.pe.weight_bits - 1
        candidates = [(b0, subs) for b0, subs in candidate_fields(total)
                      if subs and b0 <= 4 and len(subs) <= 3]
        if not candidates:
            raise InputError(f"{spec.path}: {total} magnitude bits leave no basic/subdivision "
                             f"split to choose")
        result = adaptive_allocation(weights, total, candidates=candidates)
        basic, sub = result.fields
        table = [{"basic": row.fields[0], "sub": list(row.fields[1]),
                  "clipping_error": float(row.clipping_error),
                  "rounding_error": float(row.rounding_error), "error": float(row.error)}
                 for row in result.table]
        best = min(table, key=lambda r: r["error"])
        return ({"basic": int(basic), "sub": [int(b) for b in sub]},
                {"basic": int(basic), "sub": [int(b) for b in sub], "loss": best["error"],
                 "candidates": table})
