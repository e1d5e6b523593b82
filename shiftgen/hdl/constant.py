"""Constant-weight array: a trained layer baked into shift-add logic.

For inference of a fixed network the weights never change, so the array
need not store them: ``y[c] = sum_r x[r] * m(W[r][c])`` with every
multiplier ``m`` (the codebook's, of the codes a ``shiftgen quantize``
directory holds: :func:`~shiftgen.weights.constant.constant_weights`) a
constant. Each product is then the signed digits of its constant, shifts
that are wiring (one digit for a power of two: a PoT product is a wire),
and only adders remain (the approach of hls4ml's latency strategy and of
da4ml). The adders come from one of two back ends (:data:`BACKENDS`):

- ``shiftadd``: one tree per column, the column's terms added smallest
  first (:func:`~shiftgen.hdl.adder_graph.column_trees`);
- ``da4ml``: da4ml's solution, which shares subexpressions between columns
  (:func:`~shiftgen.hdl.da4ml_graph.da4ml_graph`).

The ports and timing are the broadcast array's without its load port: the
activation vector is registered (``x`` -> ``a``), the graph adds, and the
column results are registered into ``y``. With ``array.pipeline: K`` (as
the broadcast array's column sums) a register stage follows every ``K``
levels of the graph's adder depth, with delay registers where a shallow
operand meets a deep one (:class:`~shiftgen.hdl.adder_graph.Pipeline`), so
every path crosses the same registers; 0 (the default) adds none. A vector
presented with ``x_valid`` before edge ``t`` gives ``y`` in the cycle after
edge ``t + latency - 1``, flagged by the one ``y_valid``: ``latency = 2 +
stages`` (input register, ``(depth - 1) // K`` stages, output register).
The stages depend on the graph, so on the back end and the weights:
:func:`constant_latency` gives them for a spec.
"""

import numpy as np
from amaranth.hdl import Cat, Const, Module, Signal, Value, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..codebook import act_range

__all__ = ["BACKENDS", "LATENCY", "default_backend", "adder_graph", "constant_latency",
           "ConstantArray"]

#: The back ends of a constant array, in the order ``backend: auto`` tries them.
BACKENDS = ("shiftadd", "da4ml")
#: Edges from a vector to its results without pipeline stages: the input and output registers.
LATENCY = 2


def default_backend(spec):
    """The back end of ``spec``'s array when no synthesis chooses one.

    ``array.backend`` when it names one; for ``auto``, ``da4ml`` when it is
    installed (its shared subexpressions make it the smaller on the arrays
    measured), else ``shiftadd``.
    """
    backend = spec.array.backend
    if backend != "auto":
        return backend
    from .da4ml_graph import da4ml_available
    return "da4ml" if da4ml_available() else "shiftadd"


def adder_graph(spec, codes, backend):
    """The adder graph of ``spec``'s array with weight ``codes`` from ``backend``.

    The multipliers are the codebook's (its single source of truth); the
    graph is checked to compute exactly ``codebook.table[codes]``.

    Raises
    ------
    ValueError
        If ``backend`` is not one of :data:`BACKENDS`, or its graph computes
        another matrix.
    """
    from .adder_graph import column_trees
    matrix = spec.codebook.table[np.asarray(codes, dtype=np.int64)]
    lohi = act_range(spec.pe.act_bits, spec.pe.act_signed)
    if backend == "shiftadd":
        graph = column_trees(matrix, lohi)
    elif backend == "da4ml":
        from .da4ml_graph import da4ml_graph
        graph = da4ml_graph(matrix, lohi)
    else:
        raise ValueError(f"Backend must be one of {', '.join(map(repr, BACKENDS))}, "
                         f"not {backend!r}")
    if not np.array_equal(graph.matrix(), matrix):
        raise ValueError(f"The {backend} graph does not compute the weight matrix")
    return graph


# (backend, pipeline, act range, matrix bytes) -> latency: a testbench asks once per run,
# and da4ml's solution of a 64 x 64 matrix takes seconds.
_LATENCIES = {}


def constant_latency(spec, backend=None):
    """Edges from a vector to its results in ``spec``'s constant array from ``backend``.

    ``LATENCY`` plus the graph's register stages (:class:`~shiftgen.hdl.adder_graph.Pipeline`),
    for the spec's own codes; ``backend`` defaults to :func:`default_backend`.
    Without ``array.pipeline`` no graph is made: the latency is :data:`LATENCY`.
    """
    every = spec.array.pipeline or 0
    if not every:
        return LATENCY
    from ..weights.constant import constant_weights
    from .adder_graph import Pipeline
    backend = backend or default_backend(spec)
    codes = constant_weights(spec).codes
    matrix = spec.codebook.table[np.asarray(codes, dtype=np.int64)]
    key = (backend, every, act_range(spec.pe.act_bits, spec.pe.act_signed),
           matrix.shape, matrix.tobytes())
    if key not in _LATENCIES:
        _LATENCIES[key] = LATENCY + Pipeline(adder_graph(spec, codes, backend), every).stages
    return _LATENCIES[key]


class ConstantArray(wiring.Component):
    """An ``R x C`` array computing ``Y = X . M(W)`` for constant weight codes ``W``.

    Parameters
    ----------
    spec : Spec
        A spec with ``array.dataflow: constant``.
    backend : str
        One of :data:`BACKENDS`.
    codes : numpy.ndarray, optional
        ``(R, C)`` weight codes; default the spec's
        (:func:`~shiftgen.weights.constant.constant_weights`). Tests pass
        others to show that checks against the spec's codes then fail.
    graph : AdderGraph, optional
        A graph already made for these codes and back end.
    pipeline : int, optional
        Adder levels per register stage; default the spec's ``array.pipeline``.

    Members
    -------
    x : In(ArrayLayout(act_shape, R))
        One activation vector, row 0 in the low bits.
    x_valid : In(1)
    y : Out(ArrayLayout(signed(psum_bits), C))
        The column results, exact (the broadcast array's width).
    y_valid : Out(1)
    pipeline : Pipeline
        Where its register stages are.
    """

    def __init__(self, spec, backend, *, codes=None, graph=None, pipeline=None):
        from .array import psum_bits
        if spec.array is None or spec.array.dataflow != "constant":
            raise ValueError(f"Spec must have an array section with dataflow: constant, "
                             f"not {spec.array!r}")
        if spec.codebook.activations:
            raise ValueError("A constant array needs integer activations, not coded ones")
        if codes is None:
            from ..weights.constant import constant_weights
            codes = constant_weights(spec).codes
        self.spec = spec
        self.backend = backend
        self.codes = np.asarray(codes, dtype=np.int64)
        self.graph = graph if graph is not None else adder_graph(spec, self.codes, backend)
        from .adder_graph import Pipeline
        self.pipeline = Pipeline(self.graph, (spec.array.pipeline or 0) if pipeline is None
                                 else pipeline)
        self.psum_bits = psum_bits(spec)
        cfg = spec.array
        act = signed(spec.pe.act_bits) if spec.pe.act_signed else spec.pe.act_bits
        super().__init__({
            "x": In(data.ArrayLayout(act, cfg.rows)),
            "x_valid": In(1),
            "y": Out(data.ArrayLayout(signed(self.psum_bits), cfg.cols)),
            "y_valid": Out(1),
        })

    @property
    def stages(self):
        """Register stages inside the graph (:class:`~shiftgen.hdl.adder_graph.Pipeline`)."""
        return self.pipeline.stages

    @property
    def latency(self):
        """Edges from a vector to its results: :data:`LATENCY` plus :attr:`stages`."""
        return LATENCY + self.stages

    def elaborate(self, platform):
        m = Module()
        cfg = self.spec.array
        a = Signal.like(self.x, name="a")
        m.d.sync += a.eq(self.x)
        # An unsigned activation gains a zero sign bit: the graph adds signed values.
        inputs = [Value.cast(a[r]).as_signed() if self.spec.pe.act_signed
                  else Cat(Value.cast(a[r]), Const(0, 1)).as_signed() for r in range(cfg.rows)]
        outputs = self.graph.build(m, inputs, pipeline=self.pipeline)
        for c, value in enumerate(outputs):
            if value is not None:
                m.d.sync += self.y[c].eq(value)
            else:
                m.d.sync += self.y[c].eq(0)
        valid = self.x_valid
        for k in range(self.latency):
            reg = Signal(name=f"valid{k + 1}")
            m.d.sync += reg.eq(valid)
            valid = reg
        m.d.comb += self.y_valid.eq(valid)
        return m
