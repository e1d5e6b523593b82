"""The processing element every family builds on: ports and accumulator.

Ports (stable; see README, "The PE interface"): ``clk``, ``rst`` (synchronous,
active high, clears ``acc``), ``en``, ``a`` (activation), ``w`` (weight code)
and ``acc``. On each rising edge with ``en`` set,
``acc <- overflow(acc + a * multiplier[w])``.
"""

from amaranth.hdl import Cat, Const, Module, Mux, signed, unsigned
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

    def __init__(self, spec):
        self.spec = spec
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

    def act_as_signed(self):
        """``a`` as a signed value (zero-extended by one bit when unsigned)."""
        if self.spec.pe.act_signed:
            return self.a.as_signed()
        return Cat(self.a, Const(0, 1)).as_signed()

    def elaborate(self, platform):
        m = Module()
        addend, carry = self.product(m)
        cfg = self.spec.pe
        total = self.acc + addend + carry
        if cfg.overflow == "saturate":
            hi = (1 << (cfg.acc_bits - 1)) - 1
            lo = -(1 << (cfg.acc_bits - 1))
            total = Mux(total > hi, hi, Mux(total < lo, lo, total))
        with m.If(self.en):
            # Assignment truncates to acc_bits: two's-complement wrap-around.
            m.d.sync += self.acc.eq(total)
        return m
