"""Run a PE or an array in the Amaranth simulator and compare it with the golden model."""

import numpy as np
from amaranth.hdl import ClockDomain, Module, Value
from amaranth.sim import Simulator

from ..golden import matmul
from ..hdl.dataflows import dataflow
from .schedule import act_raw, collect, random_jobs, schedule, setup_writes
from .stimulus import Stimulus, exhaustive_fits, exhaustive_stimulus, random_stimulus
from .verdict import Verdict

__all__ = ["ARRAY_VECTORS", "ARRAY_AMARANTH_LIMIT", "simulate_pe", "simulate_array", "check_pe",
           "check_array"]


def check_pe(spec, random_steps=2000, seed=1):
    """Amaranth simulator against the golden model: exhaustive pairs + random sequence."""
    stimuli = {"random": random_stimulus(spec, random_steps, seed=seed)}
    if exhaustive_fits(spec):
        stimuli["exhaustive"] = exhaustive_stimulus(spec)
    cases = mismatches = 0
    for stimulus in stimuli.values():
        got = simulate_pe(spec, stimulus)
        cases += len(stimulus)
        mismatches += int((got != stimulus.expected(spec)).sum())
    return {"result": Verdict.of_mismatches(mismatches), "cases": cases,
            "mismatches": mismatches, "exhaustive": "exhaustive" in stimuli}


#: Vectors per job of the array checks.
ARRAY_VECTORS = 8
#: Largest array (R * C cells) checked in the Amaranth simulator by each build;
#: a larger one is checked by cocotb on Icarus.
ARRAY_AMARANTH_LIMIT = 256


def check_array(spec, vectors=ARRAY_VECTORS, seed=1, dut=None):
    """The array in the Amaranth simulator against ``golden.matmul``.

    Two jobs (so the weights are reloaded once), the first with every weight
    the largest multiplier and extreme activations, which reach the partial
    sums' range. ``dut``: the array component to simulate (default the
    dataflow's for ``spec``).
    """
    jobs = random_jobs(spec, 2, vectors, seed=seed)
    got = simulate_array(spec, jobs, dut=dut)
    cases = mismatches = 0
    for y, (w, x) in zip(got, jobs):
        want = matmul(spec.codebook, x, w)
        cases += want.size
        mismatches += int((y != want).sum())
    return {"result": Verdict.of_mismatches(mismatches), "cases": cases,
            "mismatches": mismatches, "jobs": len(jobs)}


def simulate_pe(spec, *segments):
    """The accumulator of the elaborated PE after each edge of the stimuli.

    Parameters
    ----------
    spec : Spec
    *segments : Stimulus or tuple of dict
        Applied in order. A tuple of dicts is a list of port writes (see
        :attr:`Codebook.setup`), one clock edge each with ``en`` low, whose
        ports return to 0 afterwards. The codebook's own setup is applied
        first, so a programmable PE starts programmed.

    Returns
    -------
    numpy.ndarray of int64
        ``acc`` after each edge of every :class:`Stimulus` segment.
    """
    dut = spec.elaborate()
    top = Module()
    top.submodules.dut = dut
    top.domains.sync = cd = ClockDomain("sync")
    sim = Simulator(top)
    sim.add_clock(1e-6, domain="sync")
    segments = [spec.codebook.setup, *segments]
    total = sum(len(seg) for seg in segments if isinstance(seg, Stimulus))
    out = np.empty(total, dtype=np.int64)
    a, w = Value.cast(dut.a), Value.cast(dut.w)
    en, rst, acc = dut.en, cd.rst, dut.acc

    async def testbench(ctx):
        t = 0
        for seg in segments:
            if not isinstance(seg, Stimulus):
                for write in seg:
                    ctx.set(en, 0)
                    for port, value in write.items():
                        ctx.set(getattr(dut, port), value)
                    await ctx.tick()
                    for port in write:
                        ctx.set(getattr(dut, port), 0)
                continue
            for a_t, w_t, en_t, rst_t in zip(seg.a.tolist(), seg.w.tolist(),
                                             seg.en.tolist(), seg.rst.tolist()):
                ctx.set(a, a_t)
                ctx.set(w, w_t)
                ctx.set(en, en_t)
                ctx.set(rst, rst_t)
                await ctx.tick()
                out[t] = ctx.get(acc)
                t += 1

    sim.add_testbench(testbench)
    sim.run()
    return out


def simulate_array(spec, jobs, gap=0, dut=None):
    """``Y`` of each job from the Amaranth simulator (cells inline).

    The codebook's setup writes (a programmable decoder) come first. ``dut``:
    the array component (default the dataflow's for ``spec``).
    """
    flow = dataflow(spec)
    dut = dut if dut is not None else flow.component(spec, cells="inline")
    top = Module()
    top.submodules.dut = dut
    top.domains.sync = ClockDomain("sync")
    sim = Simulator(top)
    sim.add_clock(1e-6, domain="sync")
    cycles = schedule(spec, jobs, gap)
    A, C, P = spec.pe.act_bits, spec.array.cols, dut.psum_bits
    x, y = Value.cast(dut.x), Value.cast(dut.y)
    outputs = []

    def signed_field(word, c):
        v = word >> (c * P) & ((1 << P) - 1)
        return v - (1 << P) if v >> (P - 1) else v

    async def testbench(ctx):
        for write in setup_writes(spec):
            for port, value in write.items():
                ctx.set(getattr(dut, port), value)
            await ctx.tick()
            for port in write:
                ctx.set(getattr(dut, port), 0)
        for cyc in cycles:
            word = 0
            for r, v in enumerate(act_raw(spec, cyc["x"])):
                word |= v << (r * A)
            ctx.set(x, word)
            ctx.set(dut.x_valid, cyc["x_valid"])
            if flow.loads:
                ctx.set(dut.w_load, cyc["w_load"])
                ctx.set(dut.w_in, cyc["w_in"])
            await ctx.tick()
            # After the edge: the outputs of the cycle that follows it.
            yw = ctx.get(y)
            outputs.append(([signed_field(yw, c) for c in range(C)], ctx.get(dut.y_valid)))

    sim.add_testbench(testbench)
    sim.run()
    return collect(spec, outputs, [len(x_) for _, x_ in jobs])
