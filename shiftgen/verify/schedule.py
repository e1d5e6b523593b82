"""Drive a MAC array: load weights, stream vectors, collect the outputs.

:func:`schedule` turns jobs (a weight matrix and the activation vectors to
multiply by it) into per-cycle port values, the same for the Amaranth
simulator (:func:`shiftgen.verify.amaranth_sim.simulate_array`) and cocotb (:mod:`shiftgen.verify.cocotb_array`);
:func:`collect` reads the results back by ``y_valid``.
"""

import numpy as np

from ..hdl.dataflows import dataflow

__all__ = ["pack_row", "schedule", "collect", "act_raw", "random_jobs", "setup_writes"]


def pack_row(codes, weight_bits):
    """One ``w_in`` word: the codes of a weight row, column 0 in the low bits."""
    word = 0
    for c, code in enumerate(codes):
        word |= int(code) << (c * weight_bits)
    return word


def schedule(spec, jobs, gap=0):
    """Per-cycle inputs of the array for ``jobs``.

    Each job loads its weights (``R`` edges with ``w_load``, rows ``R-1`` to
    0), then presents its vectors, one per edge (``gap`` idle edges between
    vectors), then idles the dataflow's drain (``R + C`` edges for the
    systolic array) so every result leaves before the next load changes the
    weights. An array without a load port (``dataflow: constant``) gets no
    load edges: its ``W`` is what it was built from.

    Parameters
    ----------
    spec : Spec
    jobs : list of (numpy.ndarray, numpy.ndarray)
        ``(W, X)``: weight codes ``(R, C)`` and activation inputs ``(N, R)``.

    Returns
    -------
    list of dict
        Port values per edge: ``x`` (list of R inputs), ``x_valid``,
        ``w_load``, ``w_in``.
    """
    R, C = spec.array.rows, spec.array.cols
    B = spec.pe.weight_bits
    flow = dataflow(spec)
    drain = flow.drain_of(spec)
    cycles = []
    idle_x = [0] * R
    for w, x in jobs:
        w, x = np.asarray(w), np.asarray(x)
        if w.shape != (R, C) or x.ndim != 2 or x.shape[1] != R:
            raise ValueError(f"Job shapes must be ({R}, {C}) and (N, {R}), "
                             f"not {w.shape} and {x.shape}")
        for r in reversed(range(R) if flow.loads else ()):
            cycles.append({"x": idle_x, "x_valid": 0, "w_load": 1,
                           "w_in": pack_row(w[r], B)})
        for vector in x.tolist():
            cycles.append({"x": vector, "x_valid": 1, "w_load": 0, "w_in": 0})
            cycles += [{"x": idle_x, "x_valid": 0, "w_load": 0, "w_in": 0}] * gap
        cycles += [{"x": idle_x, "x_valid": 0, "w_load": 0, "w_in": 0}] * drain
    return cycles


def collect(spec, outputs, counts):
    """Results per job from per-cycle ``(y, y_valid)`` samples.

    Parameters
    ----------
    outputs : list of (list of int, int)
        Each cycle: the C column values (signed) and ``y_valid`` as an int.
    counts : list of int
        Vectors per job.
    """
    C = spec.array.cols
    per_column = dataflow(spec).per_column_valid
    columns = [[] for _ in range(C)]
    for y, valid in outputs:
        for c in range(C):
            if valid >> (c if per_column else 0) & 1:
                columns[c].append(y[c])
    total = sum(counts)
    if any(len(col) != total for col in columns):
        raise AssertionError(f"expected {total} results per column, got "
                             f"{[len(col) for col in columns]}")
    stacked = np.array(columns, dtype=np.int64).T.reshape(total, C)
    out, start = [], 0
    for n in counts:
        out.append(stacked[start:start + n])
        start += n
    return out


def act_raw(spec, values):
    """Activation inputs as raw port bits (two's complement for signed)."""
    mask = (1 << spec.pe.act_bits) - 1
    return [int(v) & mask for v in values]


def setup_writes(spec):
    """The port writes that program an array's decoders, one edge each.

    The codebook's setup writes (a programmable QPS); with one decoder per
    column (``decoder: column``), each is made to every column through the
    family's column-address port (``qps_col``), so every column holds the
    codebook's table.
    """
    if not dataflow(spec).loads:  # the codebook's multipliers are built in
        return []
    writes = list(spec.codebook.setup)
    shared = spec.family.shared_decoder
    if spec.array.decoder == "column" and any(shared.write_enable in w for w in writes):
        writes = [{**w, shared.column_address: c} for c in range(spec.array.cols) for w in writes]
    return writes


def random_jobs(spec, n_jobs=2, vectors=8, seed=0):
    """Random weight codes and activation inputs (extremes included).

    An array built from fixed codes (:attr:`Dataflow.fixed_weights`) gets them in every job.
    """
    rng = np.random.default_rng(seed)
    R, C = spec.array.rows, spec.array.cols
    inputs, values = spec.codebook.act_table(spec.pe.act_bits, spec.pe.act_signed)
    fixed = dataflow(spec).fixed_weights(spec)
    jobs = []
    for k in range(n_jobs):
        w = rng.integers(0, 1 << spec.pe.weight_bits, (R, C))
        if fixed is not None:
            w = np.array(fixed, dtype=np.int64)
        elif k == 0:  # every weight the largest multiplier: the partial sums' extremes
            w[:] = int(np.argmax(spec.codebook.table))
        x = inputs[rng.integers(0, len(inputs), (vectors, R))]
        # One vector of the largest and one of the smallest value, to reach the extremes.
        x[0, :] = inputs[np.argmax(values)]
        if vectors > 1:
            x[1, :] = inputs[np.argmin(values)]
        jobs.append((w, x))
    return jobs
