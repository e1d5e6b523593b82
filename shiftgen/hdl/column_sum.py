"""The sum of a broadcast column: chains of adders, a balanced tree, one count of carries.

Each of the ``R`` products of a column arrives as ``(addend, carry)`` with
``product = addend + carry`` (:meth:`~shiftgen.hdl.pe.MacPE.product`: a
sign-magnitude PE inverts the magnitude and leaves the ``+1`` of the
negation to the adder). The column adds them exactly:

- every addend is made unsigned by flipping its top bit (offset binary,
  ``u = addend + 2**(w-1)``), so no adder ever sign-extends an operand;
- the rows are summed in chains of ``chain`` products. Each chain adder is
  only ``w`` bits wide, ``lo + u + carry``: the product's own carry is the
  adder's carry-in and the carry-out (weight ``2**w``) goes to one count per
  column instead of widening the sum;
- the chains' low parts are added in a balanced tree of exact widths, and
  the count of carry-outs (six bits to a group, then a tree) is added once,
  above ``w`` bits;
- the offset of ``R * 2**(w-1)`` comes off at the end: the result is the
  exact signed sum.

Every intermediate sum is a signal marked ``keep``: otherwise Yosys merges
the additions into one multi-operand sum, which it maps much worse. A chain
adder is written ``{lo, 0} - ~{u, carry}`` (``= 2 (lo + u + carry) + 1``): a
subtraction, whose ``A`` operand synthesis keeps as the carry chain's ``DI``
input, so the product's logic folds into the adder's LUTs and its carry
rides on the carry-in. These patterns come from measured Yosys runs (the
broadcast-array experiments of issue 13).

With ``pipeline = K``, a register stage follows every ``K`` levels (the
chains are level 1, each tree level one more); the count of carries is
registered in step.
"""

from amaranth.hdl import Cat, Const, Signal, signed, unsigned

from ..codebook import signed_bits

__all__ = ["ColumnSum", "keep_signal", "chain_ends"]


def keep_signal(shape, name):
    """A signal that synthesis keeps (``keep`` attribute), so a sum stays a sum."""
    return Signal(shape, name=name, attrs={"keep": 1})


def chain_ends(rows, chain, name="sum"):
    """Names of the last sum of each chain in a column of ``rows`` products.

    They are the signals :meth:`ColumnSum.build` names ``<name>_c<n>`` (the
    ``n``-th chain step, numbered from 1, the chains first), and what
    synthesis splits a column at (:mod:`shiftgen.synth.array`).
    """
    return [f"{name}_c{min(start + chain, rows)}" for start in range(0, rows, chain)]


class ColumnSum:
    """Builds the exact sum of ``(addend, carry)`` terms into a module.

    Parameters
    ----------
    width : int
        Width of the signed result (wide enough for the exact sum).
    addend_range : (int, int)
        Bounds of every addend's value: addends are cut to the signed width
        that holds that range (or to their own width when narrower), so no
        bit of the sum is wasted.
    chain : int
        Products per chain, at least 1.
    pipeline : int
        A register stage every ``pipeline`` levels; 0 for none.
    name : str
        Prefix of the signal names.

    Members
    -------
    stages : int
        Register stages the last :meth:`build` inserted (its latency in cycles).
    ends : list of Signal
        The last sum of each chain, from the last :meth:`build`
        (named as :func:`chain_ends` says).
    """

    def __init__(self, width, addend_range, *, chain, pipeline=0, name="sum"):
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"Width must be a positive integer, not {width!r}")
        if not isinstance(chain, int) or chain < 1:
            raise ValueError(f"Chain must be a positive integer, not {chain!r}")
        if not isinstance(pipeline, int) or pipeline < 0:
            raise ValueError(f"Pipeline must be a non-negative integer, not {pipeline!r}")
        self.width = width
        self.addend_bits = signed_bits(*addend_range)
        self.chain = chain
        self.pipeline = pipeline
        self.name = name
        self.stages = 0
        self._count = 0

    def _new(self, shape, what):
        self._count += 1
        return keep_signal(shape, f"{self.name}_{what}{self._count}")

    def _register(self, m, values, level, last_level):
        """Register every live value after ``level`` when the pipeline asks for it."""
        if not self.pipeline or level % self.pipeline or level >= last_level:
            return values
        self.stages += 1
        out = []
        for value, top in values:
            reg = Signal(len(value), name=f"{self.name}_p{self.stages}_{len(out)}")
            m.d.sync += reg.eq(value)
            out.append((reg, top))
        return out

    def build(self, m, terms):
        """Add the logic of the sum of ``terms`` to ``m``; returns the signed result.

        Parameters
        ----------
        m : Module
        terms : list of (Value, Value or int)
            ``(addend, carry)`` per product: a signed addend and a carry of
            one bit (or the constant 0).
        """
        if not terms:
            raise ValueError("A column sum needs at least one term")
        self.stages = 0
        self._count = 0
        self.ends = []
        # The narrower of the two bounds: the addends' own width and the range's.
        w = min(self.addend_bits, max(len(a) for a, _ in terms))
        half = 1 << (w - 1)
        lows, carries = [], []
        for start in range(0, len(terms), self.chain):
            lo = None
            for addend, carry in terms[start:start + self.chain]:
                # Offset binary: the signed addend plus 2**(w-1), unsigned, w bits:
                # the addend sign-extended to w bits with its top bit inverted.
                # (A wider addend holds a value of the range: its top bits are sign.)
                a = addend.as_signed()
                a = Cat(a, a[-1].replicate(w - len(a))) if len(a) < w else a.as_unsigned()
                u = Cat(a[:w - 1], ~a[w - 1])
                cin = carry if not isinstance(carry, int) else Const(carry, 1)
                step = self._new(unsigned(w + 1), "c")
                if lo is None:
                    m.d.comb += step.eq(u + cin)
                else:
                    z = Signal(unsigned(w + 2), name=f"{self.name}_z{self._count}")
                    m.d.comb += z.eq(Cat(Const(0, 1), lo, Const(0, 1))
                                     - (~Cat(cin, u, Const(0, 1)))[:w + 2])
                    m.d.comb += step.eq(z[1:])
                lo = step[:w]
                carries.append(step[w])
            self.ends.append(step)
            lows.append((lo, (1 << w) - 1))
        depth = (len(lows) - 1).bit_length()  # levels of the tree over the chains
        last = 1 + depth
        count = self._popcount(m, carries)
        # Level 1: the chains (and the count of their carries).
        values = self._register(m, lows + [count], 1, last)
        lows, count = values[:-1], values[-1]
        level = 1
        while len(lows) > 1:
            level += 1
            values = self._register(m, self._pairs(m, lows, "t") + [count], level, last)
            lows, count = values[:-1], values[-1]
        (low, low_top), (n, _) = lows[0], count
        # U = the sum of the offset terms; the result is U - R * 2**(w-1), exact.
        total = self._new(unsigned(max(low_top.bit_length(), w + len(n)) + 1), "u")
        m.d.comb += total.eq(low + (n << w))
        result = Signal(signed(self.width), name=f"{self.name}_exact")
        m.d.comb += result.eq(total - len(terms) * half)
        return result

    def _popcount(self, m, bits):
        """The number of set ``bits``, as ``(value, its largest value)``.

        Groups of six bits are each one expression, which maps to three
        6-input LUTs; a balanced keep tree adds the groups' counts.
        """
        values = []
        for i in range(0, len(bits), 6):
            group = bits[i:i + 6]
            s = self._new(unsigned(len(group).bit_length()), "g")
            total = group[0]
            for b in group[1:]:
                total = total + b
            m.d.comb += s.eq(total)
            values.append((s, len(group)))
        while len(values) > 1:
            values = self._pairs(m, values, "n")
        return values[0]

    def _pairs(self, m, values, what):
        """One level of a balanced tree: ``(value, its largest value)`` added in pairs."""
        out = []
        for i in range(0, len(values), 2):
            if i + 1 == len(values):
                out.append(values[i])
                continue
            (a, ta), (b, tb) = values[i], values[i + 1]
            top = ta + tb
            s = self._new(unsigned(top.bit_length()), what)
            m.d.comb += s.eq(a + b)
            out.append((s, top))
        return out
