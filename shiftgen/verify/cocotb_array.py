"""cocotb test of an exported MAC array, generic over its spec.

Drives exactly :func:`shiftgen.verify.schedule.schedule` (the per-cycle port values
the Amaranth simulator also gets), one clock edge per cycle, and compares
the collected outputs with :func:`shiftgen.golden.matmul`. With two or more
jobs the array reloads its weights between matrices (the schedule loads the
next matrix once the previous outputs have drained).

Environment (set by :func:`shiftgen.verify.cocotb_runner.run_cocotb_array`):
``SHIFTGEN_SPEC`` (spec file with an ``array`` section), ``SHIFTGEN_JOBS``
(an ``.npz`` holding ``w0, x0, w1, x1, ...``: weight codes ``(R, C)`` and
activation inputs ``(N, R)`` per job), ``SHIFTGEN_SUMMARY`` (where to write
the counts as JSON: ``cases`` = output values compared, ``mismatches``,
``cycles``, ``seconds`` of simulation wall time, and ``cases`` and
``mismatches`` per job, with ``columns``, ``{column: mismatches}``, for a job
with mismatches),
``SHIFTGEN_GAP`` (idle edges between vectors, default 0).
"""

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge
from cocotb.types import Logic

from .schedule import collect, schedule, setup_writes
from ..golden import matmul
from ..hdl.dataflows import dataflow
from ..hdl.array import psum_bits
from ..spec import load_spec

__all__ = ["load_jobs", "save_jobs", "array_matmul"]


def save_jobs(path, jobs):
    """Write ``jobs`` (a list of ``(W, X)``) as ``w0, x0, w1, x1, ...`` to ``path``."""
    arrays = {}
    for k, (w, x) in enumerate(jobs):
        arrays[f"w{k}"] = np.asarray(w, dtype=np.int64)
        arrays[f"x{k}"] = np.asarray(x, dtype=np.int64)
    np.savez(path, **arrays)


def load_jobs(path):
    """The jobs saved by :func:`save_jobs`, in order."""
    with np.load(path) as data:
        jobs = []
        while f"w{len(jobs)}" in data:
            k = len(jobs)
            jobs.append((data[f"w{k}"], data[f"x{k}"]))
    if not jobs:
        raise ValueError(f"{path} holds no jobs (expected arrays w0, x0, ...)")
    return jobs


def _pack_x(spec, cycles):
    """Each cycle's ``x`` as one port word: row 0 in the low bits, two's complement."""
    A = spec.pe.act_bits
    mask = (1 << A) - 1
    words = []
    for cyc in cycles:
        word = 0
        for r, v in enumerate(cyc["x"]):
            word |= (int(v) & mask) << (r * A)
        words.append(word)
    return words


def _unsigned(value):
    """A port's value as an int: cocotb gives a 1-bit port (one ``y_valid`` for the
    whole array) as a ``Logic``, a wider one as a ``LogicArray``."""
    return int(value) if isinstance(value, Logic) else value.to_unsigned()


def _write_summary(summary):
    path = os.environ.get("SHIFTGEN_SUMMARY")
    if path:
        Path(path).write_text(json.dumps(summary))


async def _run(dut, spec, jobs, gap=0):
    """Drive ``jobs``; return the per-cycle ``(y, y_valid)`` samples, cycles and seconds."""
    R, C = spec.array.rows, spec.array.cols
    P = psum_bits(spec)
    if len(dut.y) != C * P or len(dut.x) != R * spec.pe.act_bits:
        raise AssertionError(f"port widths: y is {len(dut.y)} bits (expected {C * P}), "
                             f"x is {len(dut.x)} bits (expected {R * spec.pe.act_bits})")
    cycles = schedule(spec, jobs, gap)
    xs = _pack_x(spec, cycles)
    drive = [(x, c["x_valid"], c["w_load"], c["w_in"]) for x, c in zip(xs, cycles)]
    writes = setup_writes(spec)
    extra = {port for write in writes for port in write}

    clk = dut.clk
    loads = dataflow(spec).loads  # an array without a load port has its weights built in
    x_h, xv_h = dut.x, dut.x_valid
    wl_h, wi_h = (dut.w_load, dut.w_in) if loads else (None, None)
    y_h, yv_h = dut.y, dut.y_valid
    cocotb.start_soon(Clock(clk, 10, unit="ns").start())
    # Reset (the exported registers have no initial values), inputs idle.
    dut.rst.value = 1
    for h in (x_h, xv_h, wl_h, wi_h):
        if h is not None:
            h.value = 0
    for port in extra:
        getattr(dut, port).value = 0
    falling = FallingEdge(clk)
    await falling
    await falling
    dut.rst.value = 0
    # The codebook's setup writes (a programmable QPS), one edge each.
    for write in writes:
        for port, value in write.items():
            getattr(dut, port).value = value
        await falling
        for port in write:
            getattr(dut, port).value = 0

    # Inputs change on the falling edge; after the next falling edge (half a
    # period after the rising edge) y and y_valid hold the outputs of the cycle
    # that follows the edge, as simulate_array reads them.
    mask, half = (1 << P) - 1, 1 << (P - 1)
    shifts = [c * P for c in range(C)]
    idle = ([0] * C, 0)
    raw = []  # (y word, y_valid) of the cycles with a result; None otherwise
    prev = (None, None, None, None)
    start = time.perf_counter()
    for t in drive:
        x, xv, wl, wi = t
        if x != prev[0]:
            x_h.value = x
        if xv != prev[1]:
            xv_h.value = xv
        if wl != prev[2] and loads:
            wl_h.value = wl
        if wi != prev[3] and loads:
            wi_h.value = wi
        prev = t
        await falling
        valid = _unsigned(yv_h.value)
        raw.append((y_h.value.to_unsigned(), valid) if valid else None)
    seconds = time.perf_counter() - start

    outputs = []
    for sample in raw:
        if sample is None:
            outputs.append(idle)
            continue
        word, valid = sample
        fields = [word >> s & mask for s in shifts]
        outputs.append(([v - (v >= half) * (half << 1) for v in fields], valid))
    return outputs, len(drive), seconds


def _compare(spec, jobs, outputs):
    """Per-job ``(cases, mismatches, first mismatch message, {column: mismatches})``
    (the columns with a mismatch only)."""
    got = collect(spec, outputs, [len(x) for _, x in jobs])
    out = []
    for k, ((w, x), y) in enumerate(zip(jobs, got)):
        expected = matmul(spec.codebook, x, w)
        bad = np.argwhere(y != expected)
        first = None
        if len(bad):
            n, c = (int(i) for i in bad[0])
            first = (f"job {k}, vector {n}, column {c}: y={int(y[n, c])} "
                     f"expected {int(expected[n, c])}")
        per_column = np.count_nonzero(y != expected, axis=0)
        columns = {str(c): int(n) for c, n in enumerate(per_column) if n}
        out.append((int(expected.size), len(bad), first, columns))
    return out


@cocotb.test()
async def array_matmul(dut):
    """Every job of ``SHIFTGEN_JOBS``: load W, stream X, compare Y = X . M(W).

    Two or more jobs reload the weights between matrices, without a reset.
    """
    spec = load_spec(os.environ["SHIFTGEN_SPEC"])
    if spec.array is None:
        raise AssertionError(f"{spec.path} has no array section")
    jobs = load_jobs(os.environ["SHIFTGEN_JOBS"])
    gap = int(os.environ.get("SHIFTGEN_GAP", "0"))
    outputs, cycles, seconds = await _run(dut, spec, jobs, gap)
    summary = {"cycles": cycles, "seconds": seconds, "vectors": sum(len(x) for _, x in jobs)}
    try:
        per_job = _compare(spec, jobs, outputs)
    except AssertionError as e:  # results missing or extra (y_valid wrong)
        cases = sum(np.asarray(x).shape[0] * spec.array.cols for _, x in jobs)
        _write_summary({**summary, "cases": cases, "mismatches": cases, "error": str(e),
                        "jobs": []})
        raise
    summary.update({
        "cases": sum(c for c, _, _, _ in per_job),
        "mismatches": sum(m for _, m, _, _ in per_job),
        "jobs": [{"cases": c, "mismatches": m, **({"columns": cols} if cols else {})}
                 for c, m, _, cols in per_job],
    })
    _write_summary(summary)
    if summary["mismatches"]:
        first = next(f for _, _, f, _ in per_job if f)
        raise AssertionError(f"{summary['mismatches']} of {summary['cases']} outputs differ; "
                             f"first: {first}")
