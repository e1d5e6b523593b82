"""The combinational datapath of a PE: its product and accumulator adder, no registers.

Seed 002 (section 5, Fig. 4) reports area and power of "only the
combinational part" of each MAC unit: the product and the accumulation of
its intermediate value into the accumulator, without the accumulator
register. :class:`MacDatapath` is that part of the spec's PE, built from
the PE's own :meth:`~shiftgen.hdl.pe.MacPE.product` and overflow rule, so
it computes exactly what one PE step adds.
"""

from amaranth.hdl import Module, Mux, Value, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["MacDatapath"]


class MacDatapath(wiring.Component):
    """``acc_out = overflow(acc_in + a * multiplier[w])``, combinationally.

    Parameters
    ----------
    spec : Spec

    Members
    -------
    a, w : In
        As on the PE (and its extra ports: a decoder's write port, if any).
    acc_in : In(signed(acc_bits))
    acc_out : Out(signed(acc_bits))
    """

    def __init__(self, spec):
        self.spec = spec
        self.pe = spec.elaborate()
        self.pe._MustUse__silence = True  # its product goes into this module
        members = self.pe.signature.members
        extra = {name: members[name] for name in self.pe.extra_members()}
        acc = signed(spec.pe.acc_bits)
        super().__init__({"a": In(members["a"].shape), "w": In(members["w"].shape), **extra,
                          "acc_in": In(acc), "acc_out": Out(acc)})
        self._extra = tuple(extra)

    def elaborate(self, platform):
        m = Module()
        pe, cfg = self.pe, self.spec.pe
        m.d.comb += [Value.cast(pe.a).eq(Value.cast(self.a)),
                     Value.cast(pe.w).eq(Value.cast(self.w))]
        for name in self._extra:
            m.d.comb += getattr(pe, name).eq(getattr(self, name))
        addend, carry = pe.product(m)
        total = self.acc_in + addend + carry
        if cfg.overflow == "saturate":
            hi, lo = (1 << (cfg.acc_bits - 1)) - 1, -(1 << (cfg.acc_bits - 1))
            total = Mux(total > hi, hi, Mux(total < lo, lo, total))
        m.d.comb += self.acc_out.eq(total)
        return m
