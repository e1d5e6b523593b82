"""``sq``: subset quantization (seed 003).

A quantization point set (QPS) of ``N = 2**(n-1)`` magnitudes is chosen from
a universal set ``{a + b | a in A, b in B}`` (seed 003 Table 1); the negative
side mirrors it (section 3.1). The PE (Fig. 4, section 3.5) has two MUXes
over copies of the activation shifted by constants (wires), one adder, sign
correction and the accumulator. Its "decoder" maps a magnitude code to the
two MUX selects:

- ``qps: fixed``: the decoder is a constant table from the spec's points;
- ``qps: programmable``: the decoder is a QPS register of ``N`` entries,
  written at run time through ``qps_we``, ``qps_addr`` (the magnitude code)
  and ``qps_data`` (``sel_b`` above ``sel_a``), read through an N:1 MUX;
- ``qps: external``: no decoder; ``w`` carries the sign and both selects, as
  when one decoder is shared by a whole layer or array column (section 3.5).
  This is the PE "without its decoder".
"""

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
from amaranth.hdl import Array, Const, Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..codebook import Codebook, minimal_F, sign_magnitude, signed_bits
from ..hdl.pe import MacPE
from ..hdl.shift_mux import shift_mux
from ..spec.schema import FieldError, option
from .base import Family, Quantized, SharedDecoder, sign_magnitude_codes
from .scale import fit_scale
from .sq_search import OPTIONS, decompose, find_best_qps, universal_set

__all__ = ["SqParams", "SqPE", "SqLoadDecoder", "SqSharedDecoder", "Sq", "select_bits",
           "no_decoder_spec"]


@dataclass(frozen=True)
class SqParams:
    """The ``params`` section of an ``sq`` spec.

    Members
    -------
    universal_set : int
        Option 1 to 5 of seed 003 Table 1 (default 5).
    qps : str
        Decoder: ``fixed``, ``programmable`` or ``external`` (see module doc).
    points : list of float
        The QPS: ``2**(weight_bits-1)`` distinct values of the universal set,
        in its units (e.g. 1.25 = 1 + 2**-2). Written by ``shiftgen fit``.
        With ``programmable`` they are the QPS the tests load; ``external``
        takes none.
    alpha : float or None
        Quantizer scale; fitted (eq. 10) when omitted.
    """
    universal_set: int = option(int, default=5, min=1, max=5)
    qps: str = option(str, default="fixed", choices=("fixed", "programmable", "external"))
    points: tuple = option(list, default=(), item=float)
    alpha: float = option(float, default=None, above=0)


def select_bits(options):
    """Width of a MUX select over ``options``."""
    return (len(options) - 1).bit_length()


def _values(exponents):
    return [Fraction(0) if e is None else Fraction(1, 1 << e) for e in exponents]


def _F(option_number):
    A, B = OPTIONS[option_number]
    return minimal_F(_values(A) + _values(B))


def _qps_selects(params):
    """Per magnitude code: the (sel_a, sel_b) of its point (points ascending)."""
    return [decompose(params.universal_set, Fraction(p)) for p in sorted(params.points)]


class SqPE(MacPE):
    """Two MUXes over constant shifts, an adder, sign correction (seed 003 Fig. 4)."""

    def __init__(self, spec, *, assertions=False):
        p = spec.params
        A, B = OPTIONS[p.universal_set]
        self._bits_a, self._bits_b = select_bits(A), select_bits(B)
        n_mag = spec.pe.weight_bits - 1
        self.spec = spec  # extra_members() reads it during MacPE.__init__
        if p.qps == "external":
            self.weight_shape = data.StructLayout(
                {"sel_a": self._bits_a, "sel_b": self._bits_b, "sign": 1})
        else:
            self.weight_shape = data.StructLayout({"mag": n_mag, "sign": 1})
        super().__init__(spec, assertions=assertions)

    def extra_members(self):
        if self.spec.params.qps != "programmable":
            return {}
        # Added ports; the foundation's ports are unchanged.
        return {"qps_we": In(1), "qps_addr": In(self.spec.pe.weight_bits - 1),
                "qps_data": In(self._bits_a + self._bits_b)}

    def product(self, m):
        p = self.spec.params
        A, B = OPTIONS[p.universal_set]
        F = _F(p.universal_set)
        a = self.act_as_signed()
        ba, bb = self._bits_a, self._bits_b
        if p.qps == "external":
            sel_a, sel_b = self.w.sel_a, self.w.sel_b
        else:
            table = _qps_table(m, self.spec, self)
            sel = Signal(ba + bb)
            m.d.comb += sel.eq(table[self.w.mag])
            sel_a, sel_b = sel[:ba], sel[ba:]
        if p.qps == "fixed":
            # The constant decoder holds decompose() of QPS points, which the spec
            # check keeps inside the universal set: a code never selects the
            # MUX's zero padding (options 3 and 4 have 6 and 7 of 8 entries).
            # A programmable register or an external code may hold any select.
            self.invariant(m, (sel_a < len(A)) & (sel_b < len(B)),
                           "decoded select outside the universal set")
        width = len(a) + F + 1
        total = (shift_mux(m, a, A, sel_a, F, width, name="term_a") +
                 shift_mux(m, a, B, sel_b, F, width, name="term_b"))
        # No option exceeds 2**0, so |total| <= 2 * |a| << F: one bit of headroom.
        return self.signed_sum(m, total, width, self.w.sign)


def _qps_table(m, spec, owner):
    """The magnitude code -> selects table: constants, or the QPS register file."""
    p = spec.params
    A, B = OPTIONS[p.universal_set]
    ba, bb = select_bits(A), select_bits(B)
    n = 1 << (spec.pe.weight_bits - 1)
    if p.qps == "fixed":
        return Array(Const(ia | ib << ba, ba + bb) for ia, ib in _qps_selects(p))
    # The QPS register: configuration, so rst (which clears acc) leaves it.
    table = Array(Signal(ba + bb, name=f"qps_sel{i}", reset_less=True) for i in range(n))
    with m.If(owner.qps_we):
        m.d.sync += table[owner.qps_addr].eq(owner.qps_data)
    return table


class SqLoadDecoder(wiring.Component):
    """A decoder on an array's weight-load path, shared by the cells below it.

    Seed 003 section 3.5: the PE without its decoder takes the two MUX
    selects; one decoder serves a column (``array.decoder: column``) or, with
    one read port per column, the whole array (``array``). Weights are
    stationary, so decoding once on load is enough.

    Parameters
    ----------
    spec : Spec
        An ``sq`` spec with ``qps: fixed`` or ``programmable``.
    ports : int
        Read ports (codes decoded per edge).

    Members
    -------
    code : In(ArrayLayout(StructLayout({"mag", "sign"}), ports))
    decoded : Out(ArrayLayout(StructLayout({"sel_a", "sel_b", "sign"}), ports))
        The weight word of the decoder-free cell.
    qps_we, qps_addr, qps_data : In
        The QPS register's write port (``programmable`` only), as on the PE.
    """

    def __init__(self, spec, ports):
        if not isinstance(ports, int) or ports < 1:
            raise ValueError(f"Read ports must be a positive integer, not {ports!r}")
        self.spec = spec
        A, B = OPTIONS[spec.params.universal_set]
        self._bits_a, self._bits_b = select_bits(A), select_bits(B)
        code = data.StructLayout({"mag": spec.pe.weight_bits - 1, "sign": 1})
        word = data.StructLayout({"sel_a": self._bits_a, "sel_b": self._bits_b, "sign": 1})
        members = {"code": In(data.ArrayLayout(code, ports)),
                   "decoded": Out(data.ArrayLayout(word, ports))}
        if spec.params.qps == "programmable":
            members.update({"qps_we": In(1), "qps_addr": In(spec.pe.weight_bits - 1),
                            "qps_data": In(self._bits_a + self._bits_b)})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        table = _qps_table(m, self.spec, self)
        ba = self._bits_a
        for k in range(len(self.code)):
            sel = Signal(ba + self._bits_b, name=f"sel{k}")
            m.d.comb += [sel.eq(table[self.code[k].mag]),
                         self.decoded[k].sel_a.eq(sel[:ba]),
                         self.decoded[k].sel_b.eq(sel[ba:]),
                         self.decoded[k].sign.eq(self.code[k].sign)]
        return m


class SqSharedDecoder(SharedDecoder):
    """The QPS decoder on the array's load path (seed 003 section 3.5), one per column
    (``decoder: column``, each column its own table through ``qps_col``) or one for
    the array."""
    write_enable = "qps_we"
    column_address = "qps_col"

    def cell_spec(self, spec):
        return no_decoder_spec(spec)

    def component(self, spec, ports):
        return SqLoadDecoder(spec, ports)


def no_decoder_spec(spec):
    """The PE of ``spec`` without its decoder: ``w`` carries the sign and both selects."""
    A, B = OPTIONS[spec.params.universal_set]
    pe = replace(spec.pe, weight_bits=1 + select_bits(A) + select_bits(B))
    params = replace(spec.params, qps="external", points=(), alpha=None)
    return replace(spec, name=f"{spec.name}_no_decoder", pe=pe, params=params)


class Sq(Family):
    name = "sq"
    Params = SqParams
    PE = SqPE
    weight_bits = (2, 7)
    scale_rule = "L2 fit (seed 003 eqs. 8-10)"
    plot_style = ("P", "#009E73")
    shared_decoder = SqSharedDecoder()

    def check(self, params, pe):
        A, B = OPTIONS[params.universal_set]
        if params.qps == "programmable":
            # The register may be loaded with any point, so acc must hold a * max(U).
            from ..codebook import act_range
            top = int(max(universal_set(params.universal_set)) * (1 << _F(params.universal_set)))
            lo, hi = act_range(pe.act_bits, pe.act_signed)
            need = signed_bits(min(lo * top, -hi * top), max(hi * top, -lo * top))
            if pe.acc_bits < need:
                raise FieldError("pe.acc_bits", f"{pe.acc_bits} is too narrow for a "
                                 f"programmable QPS: a * {top} needs {need} bits; "
                                 f"must be at least {need}")
        if params.qps == "external":
            need = 1 + select_bits(A) + select_bits(B)
            if pe.weight_bits != need:
                raise FieldError("pe.weight_bits", f"must be {need} with qps: external "
                                 f"(sign + both MUX selects of universal set "
                                 f"{params.universal_set}), not {pe.weight_bits}")
            if params.points:
                raise FieldError("params.points", "must be empty with qps: external "
                                 "(the code carries the selects)")
            return
        n = 1 << (pe.weight_bits - 1)
        allowed = universal_set(params.universal_set)
        if len(params.points) != n:
            raise FieldError("params.points", f"must list {n} points for {pe.weight_bits}-bit "
                             f"weights, not {len(params.points)} "
                             f"({list(params.points)!r}); run 'shiftgen fit'")
        if n > len(allowed):
            raise FieldError("pe.weight_bits", f"{pe.weight_bits} needs {n} points but "
                             f"universal set {params.universal_set} has {len(allowed)}")
        for p in params.points:
            if Fraction(p) not in allowed:
                raise FieldError("params.points", f"{p!r} is not in universal set "
                                 f"{params.universal_set}: allowed "
                                 f"{', '.join(str(float(v)) for v in allowed)}")
        if len(set(params.points)) != len(params.points):
            raise FieldError("params.points", f"must be distinct, not {list(params.points)!r}")

    def codebook(self, params, weight_bits):
        A, B = OPTIONS[params.universal_set]
        F = _F(params.universal_set)
        common = {"universal_set": params.universal_set, "qps": params.qps,
                  "A": [None if e is None else f"2^-{e}" for e in A],
                  "B": [None if e is None else f"2^-{e}" for e in B]}
        if params.qps == "external":
            ba, bb = select_bits(A), select_bits(B)
            va = _values(A) + [Fraction(0)] * ((1 << ba) - len(A))
            vb = _values(B) + [Fraction(0)] * ((1 << bb) - len(B))
            mags = [int((va[c & ((1 << ba) - 1)] + vb[c >> ba]) * (1 << F))
                    for c in range(1 << (ba + bb))]
            return Codebook(family=self.name, weight_bits=weight_bits, F=F,
                            multipliers=sign_magnitude(weight_bits, mags), params=common,
                            fields={"sel_a": ba, "sel_b": bb, "sign": 1})
        points = sorted(Fraction(p) for p in params.points)
        mags = [int(p * (1 << F)) for p in points]
        setup = ()
        if params.qps == "programmable":
            ba = select_bits(A)
            setup = tuple({"qps_we": 1, "qps_addr": code, "qps_data": ia | ib << ba}
                          for code, (ia, ib) in enumerate(_qps_selects(params)))
        return Codebook(family=self.name, weight_bits=weight_bits, F=F,
                        multipliers=sign_magnitude(weight_bits, mags),
                        params={**common, "points": [float(p) for p in points]},
                        fields={"mag": weight_bits - 1, "sign": 1}, setup=setup)

    def formal_reference(self, spec):
        """For ``programmable``: the QPS register and the universal-set tables.

        ``m = +-(A[sel_a] + B[sel_b]) * 2**F`` with the selects read from a
        register file written through the same ports; the register entries
        (``qps_sel<k>``) are proved equal in both designs alongside ``acc``.
        This covers every QPS the register can hold, not only the spec's.
        """
        p = spec.params
        if p.qps != "programmable":
            return super().formal_reference(spec)
        from ..verify.formal import Reference, multiplier_bits
        A, B = OPTIONS[p.universal_set]
        F = _F(p.universal_set)
        ba, bb = select_bits(A), select_bits(B)
        S, W = ba + bb, spec.pe.weight_bits
        n = 1 << (W - 1)
        M = max(multiplier_bits(spec), signed_bits(-2 << F, 2 << F))
        regs = [f"qps_sel{k}" for k in range(n)]
        ports = (("qps_we", "qps_we"), ("qps_addr", f"[{W - 2}:0] qps_addr"),
                 ("qps_data", f"[{S - 1}:0] qps_data"))

        def table(var, exps, bits, lo):
            rows = "\n".join(f"      {bits}'d{i}: {var} = {M}'sd{int(v * (1 << F))};"
                             for i, v in enumerate(_values(exps)))
            return (f"  always @* begin\n    case (sel[{lo + bits - 1}:{lo}])\n{rows}\n"
                    f"      default: {var} = {M}'sd0;\n    endcase\n  end")
        writes = "\n".join(f"        {W - 1}'d{k}: {r} <= qps_data;" for k, r in enumerate(regs))
        reads = "\n".join(f"      {W - 1}'d{k}: sel = {r};" for k, r in enumerate(regs))
        logic = f"""\
  reg [{S - 1}:0] {", ".join(regs)};
  reg [{S - 1}:0] sel;
  reg signed [{M - 1}:0] va, vb;
  always @(posedge clk)
    if (qps_we)
      case (qps_addr)
{writes}
      endcase
  always @* begin
    case (w[{W - 2}:0])
{reads}
      default: sel = {S}'d0;
    endcase
  end
{table("va", A, ba, 0)}
{table("vb", B, bb, ba)}
  always @* m = w[{W - 1}] ? -(va + vb) : (va + vb);"""
        return Reference(logic=logic, m_bits=M, ports=ports, registers=tuple(regs))

    def fit(self, spec, weights, per_channel_axis=None):
        """FINDBESTQPS (seed 003 Algorithm 1): the QPS and alpha of least L2 error."""
        from ..errors import InputError
        if spec.params.qps == "external":
            raise InputError(f"{spec.path}: qps: external has no QPS to fit")
        n = 1 << (spec.pe.weight_bits - 1)
        result = find_best_qps(weights, n, option=spec.params.universal_set,
                               per_channel_axis=per_channel_axis)
        points = [float(p) for p in result.points]
        alpha = np.asarray(result.alpha)
        updates = {"points": points}
        if alpha.ndim == 0:
            updates["alpha"] = float(alpha)
        summary = {"qps": points, "alpha": alpha.tolist(), "loss": float(result.loss),
                   "subsets": result.subsets, "converged": bool(result.converged)}
        return updates, summary

    def variants(self, spec):
        """The programmable PE is also reported without its decoder (seed 003 section 3.5)."""
        if spec.params.qps != "programmable":
            return {}
        return {"no_decoder": no_decoder_spec(spec)}

    def check_array(self, params, pe, array):
        if array.decoder != "pe" and params.qps == "external":
            raise FieldError("array.decoder", f"must be 'pe' with qps: external (the codes "
                             f"carry the selects; there is no decoder to share), "
                             f"not {array.decoder!r}")

    def product_range(self, spec):
        """A programmable QPS may hold any point: ``a * (+-max(U))`` bounds the product."""
        if spec.params.qps != "programmable":
            return super().product_range(spec)
        from ..codebook import act_range
        top = int(max(universal_set(spec.params.universal_set)) *
                  (1 << _F(spec.params.universal_set)))
        lo, hi = act_range(spec.pe.act_bits, spec.pe.act_signed)
        return min(lo * top, -hi * top), max(hi * top, -lo * top)

    def quantize_for_snr(self, spec, weights):
        """A spec's ``alpha`` was fitted to other weights: fitted again (eqs. 8-10)."""
        fitted = replace(spec, params=replace(spec.params, alpha=None))
        return self.quantize(fitted, weights), self.scale_rule

    def sweep_fitted(self, params, pe):
        """A point without ``points`` (``fixed`` or ``programmable``) has its QPS fitted by
        FINDBESTQPS when it runs; it is checked with the largest points of its universal
        set, so ``acc_bits`` must hold a product by the largest of them."""
        wb = pe.get("weight_bits")
        if "points" in params or params.get("qps", "fixed") not in ("fixed", "programmable") \
                or not isinstance(wb, int) or isinstance(wb, bool):
            return (), params
        try:
            allowed = sorted(universal_set(params.get("universal_set", 5)))
        except Exception:  # noqa: BLE001 - a bad option: the spec check names it
            return (), params
        n = 1 << (wb - 1)
        points = [float(p) for p in allowed[-n:]] if n <= len(allowed) else [0.0] * n
        return ("points",), {**params, "points": points}

    def quantize(self, spec, weights, alpha=None):
        """Nearest point of ``alpha * QPS`` (seed 003 eq. 3); alpha fitted by eqs. 8-10."""
        if spec.params.qps == "external":
            raise ValueError("Quantizing needs a QPS; qps: external has none")
        cb = spec.codebook
        half = 1 << (spec.pe.weight_bits - 1)
        points = cb.table[:half] * 2.0 ** -cb.F
        weights = np.asarray(weights, dtype=np.float64)
        alpha = alpha if alpha is not None else spec.params.alpha
        if alpha is None:
            alpha = fit_scale(weights, points).alpha
        return Quantized(sign_magnitude_codes(cb, weights / alpha), alpha, cb)
