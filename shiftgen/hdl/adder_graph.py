"""A shift-add graph of a constant matrix-vector product, and its logic.

``Y = X . M`` with a constant integer matrix ``M`` (``R x C``) is a graph of
two-input adders over the inputs ``x_r``: every node adds or subtracts two
earlier values, each shifted by a constant (wiring). Two back ends make such
graphs (:func:`column_trees` here, one tree per column from the signed
digits of each constant; :mod:`shiftgen.hdl.da4ml_graph`, da4ml's solution
with subexpressions shared across columns) and one writer turns any of them
into Amaranth logic (:meth:`AdderGraph.build`).

A value in the graph is a :class:`Term`: ``(-1)**negative * node * 2**shift``.
Each node's stored integer is the sum of its two terms normalized so that
the node needs no sign and no trailing zero bits: two negative terms are
added and the node stored negated (the sign moves to the node's own terms),
and bits that are zero for every input are dropped into the term's shift.
So every sign is a subtraction and every shift is wiring; only an output
whose sign remains negative costs a negation.

The graph tracks each node's exact coefficients over the inputs
(:meth:`AdderGraph.coefficients`), so its width is exact for the inputs'
range and :meth:`AdderGraph.matrix` gives back the matrix it computes: a
back end's graph is checked against ``M`` before any logic is written.
"""

import heapq
from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Cat, Const, Signal, unsigned

from ..codebook import signed_bits
from .column_sum import keep_signal

__all__ = ["Term", "Pipeline", "AdderGraph", "signed_digits", "column_trees"]


@dataclass(frozen=True)
class Term:
    """``(-1)**negative * value(node) * 2**shift``."""
    node: int
    shift: int = 0
    negative: bool = False

    def scaled(self, shift=0, negative=False):
        """This term times ``(-1)**negative * 2**shift``."""
        return Term(self.node, self.shift + shift, self.negative != bool(negative))


class Pipeline:
    """Where the register stages of a pipelined :class:`AdderGraph` go.

    Node ``n`` at adder depth ``level(n)`` (an input is at depth 0, a node
    one deeper than its deeper operand) is computed in stage
    ``(level(n) - 1) // every``: a register stage follows every ``every``
    levels, and none follows the last level (the array's output register
    does). An input is in stage 0. An operand from stage ``s`` read in
    stage ``t > s`` goes through ``t - s`` delay registers, and an output
    from stage ``s`` through ``stages - s``: so every path from an input to
    an output crosses exactly :attr:`stages` registers, however shallow its
    part of the graph is.

    Parameters
    ----------
    graph : AdderGraph
    every : int
        ``K``: adder levels per stage; 0 is no register stage.

    Members
    -------
    stage : list of int
        Per node (inputs first), the stage it is computed in.
    stages : int
        Register stages between the inputs and the outputs.
    """

    def __init__(self, graph, every):
        if not isinstance(every, int) or isinstance(every, bool) or every < 0:
            raise ValueError(f"Pipeline stage depth must be a non-negative integer, "
                             f"not {every!r}")
        self.every = every
        level = graph.levels()
        self.stage = [0 if not every or lv == 0 else (lv - 1) // every for lv in level]
        outs = [t.node for t in graph.outputs if t is not None]
        self.stages = max((self.stage[n] for n in outs), default=0)

    def delays(self, graph):
        """``{node: d}``: the longest delay line each node needs (only those with one)."""
        need = {}
        for k, (a, b) in enumerate(graph.ops):
            here = self.stage[graph.rows + k]
            for t in (a, b):
                d = here - self.stage[t.node]
                if d < 0:  # cannot happen for depth levels: an operand is shallower
                    raise ValueError(f"Node {graph.rows + k} reads node {t.node} of a later stage")
                if d:
                    need[t.node] = max(need.get(t.node, 0), d)
        for t in graph.outputs:
            if t is not None and self.stages > self.stage[t.node]:
                need[t.node] = max(need.get(t.node, 0), self.stages - self.stage[t.node])
        return need


def signed_digits(value):
    """``value`` as ``[(negative, shift)]`` in non-adjacent form: the fewest nonzero digits.

    A power of two (a PoT weight's multiplier) is one digit: its product is wiring.
    """
    digits, k = [], 0
    value = int(value)
    while value:
        if value & 1:
            d = 2 - (value & 3)  # +1 or -1
            digits.append((d < 0, k))
            value -= d
        value >>= 1
        k += 1
    return digits


def _trailing_zeros(coeffs):
    nz = coeffs[coeffs != 0]
    if not nz.size:
        return 0
    g = int(np.bitwise_or.reduce(np.abs(nz)))
    return (g & -g).bit_length() - 1


class AdderGraph:
    """Two-input adders over ``rows`` inputs, each input in ``[lo, hi]``.

    Parameters
    ----------
    rows : int
    act_range : (int, int)
        Every input's smallest and largest value.

    Members
    -------
    ops : list of (Term, Term)
        Node ``rows + k`` stores ``value(a) + value(b)`` of ``ops[k]``, up to
        its normalization (at most one of the two is negative, and the node's
        lowest coefficient bit is bit 0).
    outputs : list of Term or None
        Column ``c`` is ``value(outputs[c])``; ``None`` is the constant 0.
    """

    def __init__(self, rows, act_range):
        self.rows = rows
        self.act_range = tuple(int(v) for v in act_range)
        self.ops = []
        self.outputs = []
        eye = np.eye(rows, dtype=np.int64)
        self._coeffs = [eye[r] for r in range(rows)]

    def input(self, r):
        """The term of input ``r``."""
        return Term(r)

    def coefficients(self, node):
        """The node's stored value as integer coefficients over the inputs (``int64``)."""
        return self._coeffs[node]

    def add(self, a, b):
        """A node for ``value(a) + value(b)``; returns the term that equals that sum.

        ``None`` stands for zero (the other term is returned).
        """
        if a is None or b is None:
            return b if a is None else a
        if a.negative and b.negative:  # -(|a| + |b|): the sign goes to the result term
            a, b, neg = a.scaled(negative=True), b.scaled(negative=True), True
        else:
            neg = False
        low = min(a.shift, b.shift)
        coeffs = sum(((-1) ** t.negative) * (self._coeffs[t.node] << (t.shift - low))
                     for t in (a, b))
        if not coeffs.any():
            return None  # the two cancel
        drop = _trailing_zeros(coeffs)
        # Stored relative to the node: shifts from 0, both terms at once.
        self.ops.append((a.scaled(-low - drop), b.scaled(-low - drop)))
        coeffs = coeffs >> drop
        if int(np.abs(coeffs).max()) >= 1 << 40:  # int64 products with the inputs stay exact
            raise ValueError("Adder graph coefficients must stay below 2**40")
        self._coeffs.append(coeffs)
        return Term(len(self._coeffs) - 1, low + drop, neg)

    def sum(self, terms):
        """A tree adding ``terms``, the two smallest in magnitude first; the result term.

        Adding the smallest first keeps every adder as narrow as it can be
        (a Huffman tree over the terms' magnitudes); terms of equal size keep
        their order, so the graph is deterministic.
        """
        heap = [(self._magnitude(t), k, t) for k, t in enumerate(terms) if t is not None]
        heapq.heapify(heap)
        count = len(heap)
        while len(heap) > 1:
            _, _, a = heapq.heappop(heap)
            _, _, b = heapq.heappop(heap)
            t = self.add(a, b)
            if t is not None:
                heapq.heappush(heap, (self._magnitude(t), count, t))
                count += 1
        return heap[0][2] if heap else None

    def _magnitude(self, term):
        """The largest ``|value(term)|``, rounded down to an integer."""
        lo, hi = self.range(term.node)
        peak = max(abs(lo), abs(hi))
        return peak << term.shift if term.shift >= 0 else peak >> -term.shift

    def range(self, node):
        """The smallest and largest stored value of ``node`` over every input."""
        c = self._coeffs[node]
        lo, hi = self.act_range
        return (int(np.minimum(c * lo, c * hi).sum()), int(np.maximum(c * lo, c * hi).sum()))

    def width(self, node):
        """Bits of the node's signal (signed)."""
        return signed_bits(*self.range(node))

    def matrix(self):
        """The ``(rows, cols)`` integer matrix the outputs compute."""
        out = np.zeros((self.rows, len(self.outputs)), dtype=np.int64)
        for c, t in enumerate(self.outputs):
            if t is None:
                continue
            if t.shift < 0:
                raise ValueError(f"Output {c} is not an integer combination (shift {t.shift})")
            out[:, c] = ((-1) ** t.negative) * (self._coeffs[t.node] << t.shift)
        return out

    def adder_bits(self):
        """Bits of adder logic the graph needs: each node's width less its wired low bits."""
        total = 0
        for k, (a, b) in enumerate(self.ops):
            node = self.rows + k
            total += self.width(node) - self._wired_bits(a, b)
        return total

    @staticmethod
    def _wired_bits(a, b):
        """Low bits of ``a + b`` that are one operand's bits, wired through."""
        first, second = (a, b) if not a.negative else (b, a)  # the one added, not subtracted
        if second.shift > first.shift:
            return second.shift - first.shift
        if first.shift > second.shift and not second.negative:
            return first.shift - second.shift
        return 0

    def parts(self, count, name="n", pipeline=0):
        """The output nodes' signal names in about ``count`` groups of columns, for synthesis
        to map one by one (:func:`~shiftgen.synth.recipes.partition_commands`).

        A part is the input cone of its wires less the earlier parts'; a group
        whose cone the earlier ones already cover joins the next, so every part
        holds logic of its own. ``None`` when the graph has no adder to split.

        A pipelined graph (``pipeline`` levels per stage, :class:`Pipeline`)
        names every node of a group's cone, not only its outputs: a cone
        stops at registers, so the outputs alone would reach back only to
        the last stage.
        """
        outs = [t.node for t in self.outputs if t is not None and t.node >= self.rows]
        if count < 2 or len(outs) < 2:
            return None
        size = -(-len(outs) // count)
        seen, parts, pending = set(), [], []
        for start in range(0, len(outs), size):
            pending += outs[start:start + size]
            cone = self._cone(pending) - seen
            if cone:
                seen |= cone
                wires = dict.fromkeys(pending)
                if pipeline:
                    wires.update(dict.fromkeys(sorted(cone)))
                parts.append([f"{name}{n}" for n in wires])
                pending = []
        if pending and parts:
            parts[-1] += [f"{name}{n}" for n in dict.fromkeys(pending)
                          if f"{name}{n}" not in parts[-1]]
        return parts if len(parts) > 1 else None

    def _cone(self, nodes):
        """The op nodes ``nodes`` depend on, themselves included."""
        out, stack = set(), [n for n in nodes if n >= self.rows]
        while stack:
            n = stack.pop()
            if n in out:
                continue
            out.add(n)
            a, b = self.ops[n - self.rows]
            stack += [t.node for t in (a, b) if t.node >= self.rows]
        return out

    def levels(self):
        """Per node (inputs first), the adders on its longest path from an input."""
        level = [0] * self.rows
        for a, b in self.ops:
            level.append(1 + max(level[a.node], level[b.node]))
        return level

    def depth(self):
        """Adders on the longest path from an input to an output."""
        level = self.levels()
        return max((level[t.node] for t in self.outputs if t is not None), default=0)

    def build(self, m, inputs, name="n", pipeline=0):
        """Add the graph's logic to ``m``; returns the outputs as signed values.

        Every node is an unsigned signal ``u = value + offset`` with a
        constant ``offset`` that makes it non-negative (offset binary, as
        :mod:`shiftgen.hdl.column_sum` adds): an input is its activation
        with the sign bit inverted (``+ 2**(A-1)``), a sum adds the offsets
        of its terms, a difference adds the complement ``~u`` of what it
        subtracts (``2**w - 1 - u``: the inversion folds into the adder's
        LUT). So no adder sign-extends an operand: above the narrower term
        the carry runs through the chain alone, with no LUT. Each output takes
        its column's offset off once, a constant. The low bits of a term
        shifted past the other are wired through.

        Parameters
        ----------
        m : Module
        inputs : list of Value
            The ``rows`` inputs, each a signed value.
        name : str
            Prefix of the node signals, each marked ``keep`` (so Yosys keeps
            every adder an adder instead of merging them into one
            multi-operand sum, which it maps worse: issue 15's measurements).
        pipeline : int or Pipeline
            A register stage every ``pipeline`` adder levels (0: none, the
            graph is combinational), or the :class:`Pipeline` itself. A
            node's delayed copies are ``<name><node>_d<k>`` (``k`` edges
            late), one line per node that every later reader shares.

        Returns
        -------
        list of Value or None
            Per output, its value (``None`` for the constant zero), every
            one :attr:`Pipeline.stages` edges after the inputs.
        """
        pipe = pipeline if isinstance(pipeline, Pipeline) else Pipeline(self, pipeline)
        sig, offset = [], []
        lines = {}  # node -> its signal and its delayed copies, made as readers need them

        def late(node, edges):
            # The node's signal ``edges`` registers late: the offset stays the node's.
            line = lines.setdefault(node, [sig[node]])
            while len(line) <= edges:
                reg = Signal(line[0].shape(), name=f"{name}{node}_d{len(line)}")
                m.d.sync += reg.eq(line[-1])
                line.append(reg)
            return line[edges]

        for v in inputs:
            v = v.as_signed()
            sig.append(Cat(v[:-1], ~v[-1]))  # v + 2**(len-1), unsigned
            offset.append(1 << (len(v) - 1))
        for k, (a, b) in enumerate(self.ops):
            node = self.rows + k
            if a.negative:
                a, b = b, a  # the added term first
            here = pipe.stage[node]
            x = late(a.node, here - pipe.stage[a.node])
            y = late(b.node, here - pipe.stage[b.node])
            sub = b.negative
            low = min(a.shift, b.shift)  # -(bits dropped), at most 0
            ka, kb = a.shift - low, b.shift - low
            if sub:  # x - y = x + ~y - (2**w - 1): ~y is non-negative too
                y_off = (1 << len(y)) - 1 - offset[b.node]
                y = ~y
            else:
                y_off = offset[b.node]
            off = (offset[a.node] << ka) + (y_off << kb)
            if kb > 0:    # y shifted: x's low bits are the sum's
                full = Cat(x[:kb], (x >> kb) + y)
            elif ka > 0:  # x shifted: y's low bits are the sum's
                full = Cat(y[:ka], x + (y >> ka))
            else:
                full = x + y
            # value has -low zero bits at the bottom: u's are the offset's, constant.
            drop = -low
            lo, hi = self.range(node)
            out = keep_signal(unsigned((hi + (off >> drop)).bit_length() or 1), f"{name}{node}")
            m.d.comb += out.eq(full[drop:])
            sig.append(out)
            offset.append(off >> drop)
        values = []
        for t in self.outputs:
            if t is None:
                values.append(None)
                continue
            # value = u - off (signed: u gains a zero sign bit); the output is
            # (-1)**negative * value * 2**shift.
            u = Cat(late(t.node, pipe.stages - pipe.stage[t.node]), Const(0, 1)).as_signed()
            off = offset[t.node]
            v = off - u if t.negative else u - off
            # Cut to the value's exact width: the sign bits above are copies, not adder bits.
            lo, hi = self.range(t.node)
            v = v[:signed_bits(-hi, -lo) if t.negative else signed_bits(lo, hi)].as_signed()
            values.append(v << t.shift)
        return values


def column_trees(matrix, act_range):
    """The graph of one adder tree per column, nothing shared between columns.

    Each product ``x_r * M[r][c]`` is the signed digits of the constant
    (:func:`signed_digits`): one shifted input for a power of two, so a
    PoT column is adders only; the column's terms are summed smallest
    first (:meth:`AdderGraph.sum`).

    Parameters
    ----------
    matrix : numpy.ndarray of int
        ``(R, C)``.
    act_range : (int, int)
    """
    matrix = np.asarray(matrix, dtype=np.int64)
    rows, cols = matrix.shape
    graph = AdderGraph(rows, act_range)
    for c in range(cols):
        terms = [Term(r, k, neg) for r in range(rows) for neg, k in signed_digits(matrix[r, c])]
        graph.outputs.append(graph.sum(terms))
    return graph
