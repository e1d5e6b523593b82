"""da4ml's shift-add solution of a constant matrix, as an :class:`~shiftgen.hdl.adder_graph.AdderGraph`.

da4ml (PyPI ``da4ml``, 0.6; numpy and a C++ solver) compiles a constant
matrix-vector product into adders with subexpressions shared across the
outputs: :func:`da4ml.cmvm.solve` returns a cascade of stages, each a list
of operations ``buf[i] = buf[id0] +/- buf[id1] * 2**data`` over inputs
scaled by ``2**inp_shifts``, with outputs ``buf[out_idx] * 2**out_shift``,
negated where ``out_negs`` says (and dropped, ``out_idx < 0``, for a zero
column). :func:`da4ml_graph` replays those operations into an adder graph,
so the one writer of :mod:`shiftgen.hdl.adder_graph` emits its logic with
exact widths and ``keep`` marks, and the graph's matrix is checked against
the one asked for before any logic is written.

It is imported only when a constant array asks for this back end.
"""

import numpy as np

from .adder_graph import AdderGraph, Term

__all__ = ["da4ml_available", "da4ml_version", "da4ml_graph"]


def da4ml_available():
    """Whether da4ml can be imported."""
    try:
        import da4ml.cmvm  # noqa: F401
    except ImportError:
        return False
    return True


def da4ml_version():
    """da4ml's version, or ``None`` when it is not installed."""
    try:
        import da4ml
    except ImportError:
        return None
    return getattr(da4ml, "__version__", None)


def da4ml_graph(matrix, act_range):
    """The adder graph da4ml's solver finds for ``Y = X . matrix``.

    Parameters
    ----------
    matrix : numpy.ndarray of int
        ``(R, C)``, every entry exactly representable in float32.
    act_range : (int, int)
        Every input's range (da4ml sizes its adders by it).

    Raises
    ------
    ValueError
        If the solution uses an operation other than an input copy, an
        addition or a subtraction, or does not compute ``matrix``.
    """
    from da4ml.cmvm import solve
    matrix = np.asarray(matrix, dtype=np.int64)
    rows, cols = matrix.shape
    kernel = matrix.astype(np.float32)
    if not np.array_equal(kernel.astype(np.int64), matrix):
        raise ValueError("Matrix entries must be exact in float32 for da4ml")
    lo, hi = (float(v) for v in act_range)
    pipeline = solve(kernel, qintervals=[(lo, hi, 1.0)] * rows)
    graph = AdderGraph(rows, act_range)
    inputs = [graph.input(r) for r in range(rows)]
    for stage in pipeline.solutions:
        scaled = [t if t is None else t.scaled(int(s)) for t, s in zip(inputs, stage.inp_shifts)]
        buf = []
        for op in stage.ops:
            if op.opcode == -1:
                buf.append(scaled[op.id0])
            elif op.opcode in (0, 1):
                b = buf[op.id1]
                b = None if b is None else b.scaled(int(op.data), negative=op.opcode == 1)
                buf.append(graph.add(buf[op.id0], b))
            else:
                raise ValueError(f"da4ml solution uses operation {op.opcode}; only input "
                                 f"copies, additions and subtractions are expected")
        inputs = []
        for idx, shift, neg in zip(stage.out_idxs, stage.out_shifts, stage.out_negs):
            t = buf[idx] if idx >= 0 else None
            inputs.append(None if t is None else t.scaled(int(shift), bool(neg)))
    graph.outputs = [t if t is None else Term(t.node, t.shift, t.negative) for t in inputs]
    if not np.array_equal(graph.matrix(), matrix):
        raise ValueError("da4ml's solution does not compute the matrix it was given")
    return graph
