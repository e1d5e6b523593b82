"""Weight-stationary systolic MAC array built from any family's PE.

``R x C`` cells; cell ``(r, c)`` holds the weight code ``W[r][c]`` and forms
its product with the family's own :meth:`~shiftgen.hdl.pe.MacPE.product`, so
the array multiplies exactly as the PE does. Per clock edge:

- activations move one cell right (``a -> a_out``);
- partial sums move one cell down: ``psum_out <= psum_in + a * m(w)``, with
  ``psum_in = 0`` in row 0;
- while ``w_load`` is high, weight codes shift one cell down each column
  (``w_in`` of row 0 is the column's slice of the array's ``w_in``).

The array skews its input itself (row ``r`` of the vector waits ``r``
edges), so a user presents whole vectors. Vector ``x_t`` presented with
``x_valid`` before edge ``t`` leaves column ``c`` as ``y[c]`` in the cycle
after edge ``t + R - 1 + c``, flagged by ``y_valid[c]``: the latency of
column ``c`` is ``R + c`` cycles. See README, "The MAC array".
"""

from amaranth.hdl import ClockSignal, Const, Instance, Module, ResetSignal, Signal, Value, signed
from amaranth.hdl import unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..codebook import signed_bits
from .load_path import LoadPath

__all__ = ["psum_bits", "cell_class", "WeightStationaryArray"]


def psum_bits(spec):
    """Width of every partial sum: exact for any ``R`` products.

    ``signed_bits(R * lo, R * hi)`` for the PE's product range ``[lo, hi]``,
    which is at most ``product_bits + ceil(log2 R)``. Every row uses it, so
    all cells are one module.
    """
    lo, hi = spec.family.product_range(spec)
    rows = spec.array.rows
    return signed_bits(rows * lo, rows * hi)


_CELLS = {}


def cell_class(pe_class):
    """The array cell class of a family's PE class (made once, then cached).

    The cell is a subclass of the PE: same weight and activation layouts,
    same :meth:`product`, same extra ports (a PE-level decoder's write port),
    but a pipeline register for the partial sum instead of an accumulator.

    Members
    -------
    a : In(act_shape)
        Activation from the left neighbour.
    a_out : Out(act_shape)
        ``a``, registered, to the right neighbour.
    w_load : In(1)
        Shift the weight chain on this edge.
    w_in : In(weight_shape)
        Weight code from the cell above (row 0: the array's load port).
    w : Out(weight_shape)
        The stored weight code; also ``w_in`` of the cell below.
    psum_in : In(signed(psum_bits))
        Partial sum from the cell above (row 0: 0).
    psum_out : Out(signed(psum_bits))
        ``psum_in + a * m(w)``, registered.
    """
    if pe_class in _CELLS:
        return _CELLS[pe_class]

    class Cell(pe_class):
        def __init__(self, spec, psum_bits):
            if not isinstance(psum_bits, int) or psum_bits < 2:
                raise ValueError(f"Partial sum width must be an integer of at least 2, "
                                 f"not {psum_bits!r}")
            self.psum_bits = psum_bits
            super().__init__(spec)

        def members(self, act_shape, weight_shape):
            return {
                "a": In(act_shape),
                "a_out": Out(act_shape),
                "w_load": In(1),
                "w_in": In(weight_shape),
                "w": Out(weight_shape),
                "psum_in": In(signed(self.psum_bits)),
                "psum_out": Out(signed(self.psum_bits)),
                **self.extra_members(),
            }

        def elaborate(self, platform):
            m = Module()
            addend, carry = self.product(m)
            # psum_bits holds the exact sum, so truncating the wider addend is exact.
            m.d.sync += [self.psum_out.eq(self.psum_in + addend + carry),
                         self.a_out.eq(self.a)]
            with m.If(self.w_load):
                m.d.sync += self.w.eq(self.w_in)
            return m

    Cell.__name__ = Cell.__qualname__ = f"{pe_class.__name__}Cell"
    _CELLS[pe_class] = Cell
    return Cell


class WeightStationaryArray(wiring.Component):
    """An ``R x C`` weight-stationary systolic array computing ``Y = X . W``.

    Parameters
    ----------
    spec : Spec
        A spec with an ``array`` section.
    cells : str
        ``inline`` (cells are Amaranth submodules: for simulation) or
        ``instance`` (cells are instances of the module ``cell_name``,
        exported once: for Verilog and hierarchical synthesis).
    cell_name : str, optional
        Module name of the cell with ``cells="instance"``; default
        ``<spec name>_cell``.

    Members
    -------
    x : In(ArrayLayout(act_shape, R))
        One activation vector, row 0 in the low bits.
    x_valid : In(1)
        ``x`` holds a vector on this edge.
    w_load : In(1)
        Shift one word of weight codes in on this edge.
    w_in : In(unsigned(C * weight_bits))
        One row of weight codes, column 0 in the low bits (a line of
        ``weights.hex``). Feed rows ``R-1, ..., 0``, one per edge.
    y : Out(ArrayLayout(signed(psum_bits), C))
        Column outputs, column 0 in the low bits.
    y_valid : Out(C)
        ``y_valid[c]``: ``y[c]`` holds a result in this cycle.
    cell : Elaboratable
        The cell (made for every spec; with ``cells="instance"`` it is the
        module to export beside the array).

    Raises
    ------
    ValueError
        If ``spec`` has no ``array`` section or ``cells`` is unknown.
    """

    def __init__(self, spec, *, cells="inline", cell_name=None):
        if spec.array is None:
            raise ValueError(f"Spec must have an array section, not {spec.array!r}")
        if cells not in ("inline", "instance"):
            raise ValueError(f"Cells must be 'inline' or 'instance', not {cells!r}")
        self.spec = spec
        self.mode = cells
        self.cell_name = cell_name or f"{spec.name}_cell"
        cfg = spec.array
        self.psum_bits = psum_bits(spec)
        self.cell_class = cell_class(spec.family.PE)
        self.load = LoadPath(spec, lambda cell_spec: self.cell_class(cell_spec, self.psum_bits))
        self.cell_spec, self.cell, self.decoders = \
            self.load.cell_spec, self.load.cell, self.load.decoders
        cell_members = dict(self.cell.signature.members.items())
        self._act_shape = cell_members["a"].shape
        self._weight_shape = cell_members["w"].shape
        extra = self.load.extra
        self._extra = tuple(extra)
        super().__init__({
            "x": In(data.ArrayLayout(self._act_shape, cfg.rows)),
            "x_valid": In(1),
            "w_load": In(1),
            "w_in": In(unsigned(cfg.cols * spec.pe.weight_bits)),
            "y": Out(data.ArrayLayout(signed(self.psum_bits), cfg.cols)),
            "y_valid": Out(cfg.cols),
            **extra,
        })

    @property
    def latency(self):
        """Cycles from a vector's edge to column 0's result: ``R`` (column ``c``: ``R + c``)."""
        return self.spec.array.rows

    def elaborate(self, platform):
        m = Module()
        R, C = self.spec.array.rows, self.spec.array.cols
        # Input skew: row r waits r edges, so it meets the partial sum of row r-1.
        row_in = []
        for r in range(R):
            value = Value.cast(self.x[r])
            for k in range(r):
                reg = Signal(len(value), name=f"skew{r}_{k}")
                m.d.sync += reg.eq(value)
                value = reg
            row_in.append(value)
        # x_valid delayed R + c edges flags column c's output.
        valid = [self.x_valid]
        for k in range(R + C - 1):
            reg = Signal(name=f"valid{k + 1}")
            m.d.sync += reg.eq(valid[-1])
            valid.append(reg)
        for c in range(C):
            m.d.comb += self.y_valid[c].eq(valid[R + c])

        top_codes = self.load.column_codes(m, self)
        a_bits = Value.cast(self.x[0]).shape().width
        w_bits = len(Value.cast(self.cell.w))
        a_out = [[Signal(a_bits, name=f"a_{r}_{c}") for c in range(C)] for r in range(R)]
        w_out = [[Signal(w_bits, name=f"w_{r}_{c}") for c in range(C)] for r in range(R)]
        psum = [[Signal(signed(self.psum_bits), name=f"psum_{r}_{c}") for c in range(C)]
                for r in range(R)]
        for r in range(R):
            for c in range(C):
                ins = {
                    "a": row_in[r] if c == 0 else a_out[r][c - 1],
                    "w_load": self.w_load,
                    "w_in": top_codes[c] if r == 0 else w_out[r - 1][c],
                    "psum_in": Const(0, signed(self.psum_bits)) if r == 0 else psum[r - 1][c],
                }
                if not self.decoders:
                    ins.update({name: getattr(self, name) for name in self._extra})
                outs = {"a_out": a_out[r][c], "w": w_out[r][c], "psum_out": psum[r][c]}
                if self.mode == "instance":
                    # Edge outputs nobody reads stay unconnected (no dangling wires).
                    if c == C - 1:
                        del outs["a_out"]
                    if r == R - 1:
                        del outs["w"]
                    m.submodules[f"cell_{r}_{c}"] = Instance(
                        self.cell_name,
                        i_clk=ClockSignal(), i_rst=ResetSignal(),
                        **{f"i_{k}": Value.cast(v) for k, v in ins.items()},
                        **{f"o_{k}": v for k, v in outs.items()})
                else:
                    cell = self.cell if (r, c) == (0, 0) else \
                        self.cell_class(self.cell_spec, self.psum_bits)
                    m.submodules[f"cell_{r}_{c}"] = cell
                    for k, v in ins.items():
                        m.d.comb += Value.cast(getattr(cell, k)).eq(v)
                    for k, v in outs.items():
                        m.d.comb += v.eq(Value.cast(getattr(cell, k)))
        for c in range(C):
            m.d.comb += self.y[c].eq(psum[R - 1][c])
        return m
