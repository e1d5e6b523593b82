"""Broadcast MAC array: one registered activation per row drives every column at once.

``R x C`` cells. Each row's activation is registered once (``x`` -> ``a_r``)
and reaches every column in the same cycle; a row also forms, once, the
values its family's cells would each form alike (:meth:`Family.row_terms
<shiftgen.families.base.Family.row_terms>`: AUSN's ``3a``), from the input,
into a register beside ``a_r``. Column ``c``
holds the weight codes ``W[r][c]`` in a shift chain loaded as in every
dataflow (``w_load``, ``w_in``: rows ``R-1`` to 0), forms each product with
the family's cell logic (:meth:`Family.broadcast_product
<shiftgen.families.base.Family.broadcast_product>`) and sums the column
exactly (:class:`~shiftgen.hdl.column_sum.ColumnSum`: chains of ``chain``
products, a balanced tree, ``pipeline`` register stages), into a registered
output. The architecture follows FINN's MVAU and hls4ml's dense layers: one
input slice broadcast to all outputs, an adder tree per output.

A vector presented with ``x_valid`` before edge ``t`` gives every ``y[c]`` in
the cycle after edge ``t + latency - 1``, flagged by the one ``y_valid``:
``latency = 2 + stages`` (the input register, the pipeline stages, the
output register). Weights may be reloaded as soon as the last result is out.
"""

from amaranth.hdl import Instance, ClockSignal, Module, ResetSignal, Signal, Value, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .column_sum import ColumnSum
from .load_path import LoadPath

__all__ = ["pipeline_stages", "broadcast_cell_class", "BroadcastColumn", "BroadcastArray"]


def pipeline_stages(rows, chain, pipeline):
    """Register stages inside a column sum of ``rows`` products (see :class:`ColumnSum`)."""
    levels = 1 + (-(-rows // chain) - 1).bit_length()
    return 0 if not pipeline else (levels - 1) // pipeline


_CELLS = {}


def broadcast_cell_class(pe_class):
    """The broadcast cell class of a family's PE class (made once, then cached).

    A subclass of the PE: same weight and activation layouts and
    :meth:`product`, the PE's extra ports (a PE-level decoder), plus one
    input per row term. It is never elaborated on its own: the column calls
    its family's :meth:`broadcast_product` on it inside the column's module.
    """
    if pe_class in _CELLS:
        return _CELLS[pe_class]

    class BroadcastCell(pe_class):
        def __init__(self, spec, row_terms):
            self.row_terms = dict(row_terms)
            super().__init__(spec)

        def members(self, act_shape, weight_shape):
            return {"a": In(act_shape), "w": In(weight_shape),
                    **{f"term_{name}": In(shape) for name, (shape, _) in self.row_terms.items()},
                    **self.extra_members()}

        def term(self, name):
            """The row-shared value ``name`` (:meth:`Family.row_terms`)."""
            return getattr(self, f"term_{name}")

    BroadcastCell.__name__ = BroadcastCell.__qualname__ = f"{pe_class.__name__}BroadcastCell"
    _CELLS[pe_class] = BroadcastCell
    return BroadcastCell


class BroadcastColumn(wiring.Component):
    """One column: its weight chain, its ``R`` cells and its exact sum, registered.

    Parameters
    ----------
    spec : Spec
        The array's spec.
    cell_spec : Spec
        The spec its cells are built from (decoder-free with a shared decoder).
    psum_bits : int

    Members
    -------
    a : In(ArrayLayout(act_shape, R))
        The registered activations of every row.
    term_<name> : In(ArrayLayout(shape, R))
        Each row term of every row.
    w_load : In(1)
    w_in : In(weight_shape)
        The column's code of the row being loaded.
    y : Out(signed(psum_bits))
        The column's sum, registered.
    """

    def __init__(self, spec, cell_spec, psum_bits):
        self.spec = spec
        self.cell_spec = cell_spec
        self.psum_bits = psum_bits
        self.row_terms = spec.family.row_terms(cell_spec)
        self.cell_class = broadcast_cell_class(spec.family.PE)
        sample = self.cell_class(cell_spec, self.row_terms)
        sample._MustUse__silence = True  # read for its signature only
        members = dict(sample.signature.members.items())
        R = spec.array.rows
        self.extra = {name: members[name] for name in sample.extra_members()}
        super().__init__({
            "a": In(data.ArrayLayout(members["a"].shape, R)),
            **{f"term_{name}": In(data.ArrayLayout(shape, R))
               for name, (shape, _) in self.row_terms.items()},
            "w_load": In(1),
            "w_in": In(members["w"].shape),
            **self.extra,
            "y": Out(signed(psum_bits)),
        })

    def extra_members(self):
        """The PE-level decoder's ports its cells share (the array's extra ports)."""
        return self.extra

    def elaborate(self, platform):
        m = Module()
        cfg = self.spec.array
        R = cfg.rows
        family = self.spec.family
        weights = []
        above = self.w_in
        for r in range(R):
            w = Signal.like(self.w_in, name=f"w_{r}")
            with m.If(self.w_load):
                m.d.sync += w.eq(above)
            weights.append(w)
            above = w
        products = []
        for r in range(R):
            cell = self.cell_class(self.cell_spec, self.row_terms)
            cell._MustUse__silence = True  # its logic goes into this module
            m.d.comb += [Value.cast(cell.a).eq(Value.cast(self.a[r])),
                         Value.cast(cell.w).eq(Value.cast(weights[r]))]
            for name in self.row_terms:
                m.d.comb += Value.cast(cell.term(name)).eq(
                    Value.cast(getattr(self, f"term_{name}")[r]))
            for name in self.extra:
                m.d.comb += getattr(cell, name).eq(getattr(self, name))
            products.append(family.broadcast_product(cell, m))
        # addend + carry is the product, and the carry is 1 only for an inverted
        # (so non-positive) addend: every addend lies in [lo - 1, hi].
        lo, hi = family.product_range(self.cell_spec)
        total = ColumnSum(self.psum_bits, (lo - 1, hi), chain=cfg.chain,
                          pipeline=cfg.pipeline).build(m, products)
        m.d.sync += self.y.eq(total)
        return m


class BroadcastArray(wiring.Component):
    """An ``R x C`` broadcast array computing ``Y = X . W``.

    Parameters
    ----------
    spec : Spec
        A spec whose ``array`` section has ``dataflow: broadcast``.
    cells : str
        ``inline`` (columns are Amaranth submodules: for simulation) or
        ``instance`` (columns are instances of the module ``column_name``,
        exported once: for Verilog and per-column synthesis).
    column_name : str, optional
        Module name of the column with ``cells="instance"``; default
        ``<spec name>_column``.

    Members
    -------
    x : In(ArrayLayout(act_shape, R))
        One activation vector, row 0 in the low bits.
    x_valid : In(1)
    w_load : In(1)
    w_in : In(unsigned(C * weight_bits))
        One row of weight codes, column 0 in the low bits (a line of
        ``weights.hex``). Feed rows ``R-1, ..., 0``, one per edge.
    y : Out(ArrayLayout(signed(psum_bits), C))
    y_valid : Out(1)
        ``y`` holds the results of one vector in this cycle.
    column : BroadcastColumn
        The column (with ``cells="instance"``, the module to export beside the top).
    """

    def __init__(self, spec, *, cells="inline", column_name=None):
        from .array import psum_bits
        if spec.array is None or spec.array.dataflow != "broadcast":
            raise ValueError(f"Spec must have an array section with dataflow: broadcast, "
                             f"not {spec.array!r}")
        if cells not in ("inline", "instance"):
            raise ValueError(f"Cells must be 'inline' or 'instance', not {cells!r}")
        self.spec = spec
        self.mode = cells
        self.column_name = column_name or f"{spec.name}_column"
        self.psum_bits = psum_bits(spec)
        self.load = LoadPath(spec, lambda cell_spec: BroadcastColumn(spec, cell_spec,
                                                                     self.psum_bits))
        self.column = self.load.cell
        cfg = spec.array
        self.stages = pipeline_stages(cfg.rows, cfg.chain, cfg.pipeline)
        act = self.column.signature.members["a"].shape.elem_shape
        super().__init__({
            "x": In(data.ArrayLayout(act, cfg.rows)),
            "x_valid": In(1),
            **self.load.port(),
            "y": Out(data.ArrayLayout(signed(self.psum_bits), cfg.cols)),
            "y_valid": Out(1),
            **self.load.extra,
        })

    def _canonical(self, m, code, column):
        """``code`` mapped to the lowest code of its multiplier, once per column on the
        load path (a negative zero becomes zero), so the cells see canonical codes only."""
        table = self.spec.codebook.canonical_codes()
        if table == tuple(range(len(table))):
            return code
        out = Signal(len(code), name=f"load_code{column}")
        with m.Switch(code):
            for value, canonical in enumerate(table):
                with m.Case(value):
                    m.d.comb += out.eq(canonical)
        return out

    @property
    def latency(self):
        """Edges from a vector to its results: the input register, the stages, the output."""
        return 2 + self.stages

    def elaborate(self, platform):
        m = Module()
        cfg = self.spec.array
        R, C = cfg.rows, cfg.cols
        a = Signal.like(self.x, name="a")
        m.d.sync += a.eq(self.x)
        # A row term is formed from the input and registered beside ``a``: the
        # columns then start at registers, so a flattened synthesis cannot fold
        # the term's adder into every cell's select (it mapped AUSN 8/4 columns
        # 17-20 % larger that way), and the adder is off the columns' paths.
        terms = {}
        for name, (shape, form) in self.column.row_terms.items():
            rows = Signal(data.ArrayLayout(shape, R), name=f"term_{name}")
            for r in range(R):
                m.d.sync += Value.cast(rows[r]).eq(form(Value.cast(self.x[r])))
            terms[name] = rows
        valid = [self.x_valid]
        for k in range(self.latency):
            reg = Signal(name=f"valid{k + 1}")
            m.d.sync += reg.eq(valid[-1])
            valid.append(reg)
        m.d.comb += self.y_valid.eq(valid[-1])
        codes = self.load.column_codes(m, self)
        # A decoder the array shares decodes codes itself, and one with a write
        # port (a programmable table) may give two codes other multipliers later.
        if not self.load.decoders and not self.load.extra:
            codes = [self._canonical(m, code, c) for c, code in enumerate(codes)]
        pe_ports = () if self.load.decoders else tuple(self.load.extra)
        for c in range(C):
            ins = {"a": a, "w_load": self.w_load, "w_in": codes[c],
                   **{f"term_{name}": rows for name, rows in terms.items()},
                   **{name: getattr(self, name) for name in pe_ports}}
            if self.mode == "instance":
                m.submodules[f"column_{c}"] = Instance(
                    self.column_name, i_clk=ClockSignal(), i_rst=ResetSignal(),
                    **{f"i_{k}": Value.cast(v) for k, v in ins.items()},
                    o_y=Value.cast(self.y[c]))
            else:
                column = self.column if c == 0 else \
                    BroadcastColumn(self.spec, self.load.cell_spec, self.psum_bits)
                m.submodules[f"column_{c}"] = column
                for k, v in ins.items():
                    m.d.comb += Value.cast(getattr(column, k)).eq(Value.cast(v))
                m.d.comb += Value.cast(self.y[c]).eq(column.y)
        return m
