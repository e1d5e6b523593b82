"""The processing element every family builds on: ports and accumulator.

Ports (stable; see README, "The PE interface"): ``clk``, ``rst`` (synchronous,
active high, clears ``acc``), ``en``, ``a`` (activation), ``w`` (weight code)
and ``acc``. On each rising edge with ``en`` set,
``acc <- overflow(acc + a * multiplier[w])``.

With ``assertions=True`` the PE also carries Amaranth ``Assert`` statements
stating its invariants (the product's range, and each family's structural
facts); :func:`shiftgen.verify.invariants.prove_invariants` proves them. They are
off by default, so the exported Verilog and the synthesis figures never see
them.
"""

from amaranth.hdl import Assert, Cat, Const, Module, Mux, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["MacPE"]


class MacPE(wiring.Component):
    """Base class of a multiply-accumulate PE.

    A family subclasses it, sets :attr:`weight_shape` (usually a
    ``data.StructLayout`` naming the code's fields), optionally
    :attr:`act_shape` (for a coded activation), and implements
    :meth:`product`. The base adds the product to the accumulator with
    wrap-around or saturation, as the spec asks.

    Parameters
    ----------
    spec : Spec
        The validated spec; the PE reads ``spec.pe``, ``spec.params`` and
        ``spec.codebook``.
    assertions : bool
        Add the invariant ``Assert`` statements (:meth:`invariant`); only for
        proofs and simulation, never for export.

    Members
    -------
    en : In(1)
        Accumulate on this edge.
    a : In(signed(act_bits)) or In(unsigned(act_bits))
        Activation.
    w : In(weight_shape)
        Weight code, sign bit included.
    acc : Out(signed(acc_bits))
        The accumulator register.
    """
    weight_shape = None
    act_shape = None

    def __init__(self, spec, *, assertions=False):
        self.spec = spec
        self.assertions = bool(assertions)
        cfg = spec.pe
        act_shape = self.act_shape if self.act_shape is not None else \
            signed(cfg.act_bits) if cfg.act_signed else unsigned(cfg.act_bits)
        weight_shape = self.weight_shape if self.weight_shape is not None \
            else unsigned(cfg.weight_bits)
        super().__init__(self.members(act_shape, weight_shape))

    def members(self, act_shape, weight_shape):
        """The signature members: the foundation's ports and :meth:`extra_members`.

        An array cell (:mod:`shiftgen.hdl.array`) overrides it and reuses
        :meth:`product` unchanged.
        """
        return {
            "en": In(1),
            "a": In(act_shape),
            "w": In(weight_shape),
            "acc": Out(signed(self.spec.pe.acc_bits)),
            **self.extra_members(),
        }

    def extra_members(self):
        """Ports a family adds to the foundation's (e.g. a decoder write port)."""
        return {}

    def product(self, m):
        """The signed product of ``a`` and the weight, as ``(addend, carry)``.

        The accumulator adds ``addend + carry``; ``carry`` (one bit or 0) lets a
        sign-magnitude PE negate by inverting the addend and adding one in
        the accumulator's carry-in, instead of a separate negator.

        Parameters
        ----------
        m : Module
            Module to add combinational logic to.
        """
        raise NotImplementedError  # pragma: no cover

    def invariant(self, m, test, message, *, src_loc_at=1):
        """State an invariant of the PE: ``Assert(test, message)``, with assertions on.

        Without assertions nothing is added to ``m``, so the design is exactly
        the one exported. ``test`` may be built unconditionally: an expression
        that no statement uses leaves no trace in the netlist.

        Parameters
        ----------
        m : Module
        test : Value
            Must hold on every cycle, for every input and reachable state.
        message : str
            What is violated, for the proof log and the simulator.
        """
        if self.assertions:
            # Checked at the clock edge, when the logic has settled. A comb-domain
            # Assert runs in the same simulator process as the assignments it
            # reads and sees their previous values for a delta cycle, so it
            # fires on glitches. The proof loses nothing: the inputs are free on
            # every step. src_loc_at: the log points at the caller's line.
            m.d.sync += Assert(test, f"{type(self).__name__}: {message}",
                               src_loc_at=src_loc_at)

    def signed_sum(self, m, total, width, sign):
        """:func:`~shiftgen.hdl.sign.signed_sum` of a sum of shifted terms, checked.

        States the two invariants every sign-magnitude PE relies on: the
        signal of ``width`` bits holds ``total`` untruncated (the family sized
        it with headroom for its terms), and the carry is set exactly when the
        addend is the inverted sum (``negate_if``), so ``addend + carry`` is
        the signed product.

        Returns
        -------
        (Value, Value)
            ``(addend, carry)``, as :meth:`product` returns them.
        """
        from .sign import signed_sum
        lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        self.invariant(m, (total >= lo) & (total <= hi), f"term sum overflows {width} bits",
                       src_loc_at=2)
        addend, carry = signed_sum(m, total, width, sign)
        self.invariant(m, addend == Mux(carry, -1 - total, total),
                       "carry set without an inverted addend", src_loc_at=2)
        return addend, carry

    def act_as_signed(self):
        """``a`` as a signed value (zero-extended by one bit when unsigned)."""
        if self.spec.pe.act_signed:
            return self.a.as_signed()
        return Cat(self.a, Const(0, 1)).as_signed()

    def elaborate(self, platform):
        m = Module()
        addend, carry = self.product(m)
        cfg = self.spec.pe
        # The width of addend + carry grows by one bit, so the checks below see
        # the true product, not a wrapped one.
        product = addend + carry
        p_lo, p_hi = self.spec.family.product_range(self.spec)
        # product() forms a * multiplier[w], and product_range is the extreme
        # of that over every activation and code (for a programmable decoder,
        # over every point the register can hold): array psum widths and the
        # spec's acc_bits check rest on it.
        self.invariant(m, (product >= p_lo) & (product <= p_hi),
                       f"product outside the product range [{p_lo}, {p_hi}]")
        # The spec check makes acc_bits hold one product, so a single step
        # overflows only through the accumulated sum, never the product itself.
        acc_lo, acc_hi = -(1 << (cfg.acc_bits - 1)), (1 << (cfg.acc_bits - 1)) - 1
        self.invariant(m, (product >= acc_lo) & (product <= acc_hi),
                       f"product does not fit acc_bits = {cfg.acc_bits}")
        total = self.acc + addend + carry
        if cfg.overflow == "saturate":
            hi = (1 << (cfg.acc_bits - 1)) - 1
            lo = -(1 << (cfg.acc_bits - 1))
            total = Mux(total > hi, hi, Mux(total < lo, lo, total))
        with m.If(self.en):
            # Assignment truncates to acc_bits: two's-complement wrap-around.
            m.d.sync += self.acc.eq(total)
        return m
