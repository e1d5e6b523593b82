"""Run a PE in the Amaranth simulator and compare it with the golden model."""

import numpy as np
from amaranth.hdl import ClockDomain, Module, Value
from amaranth.sim import Simulator

from .codebook import act_range
from .golden import mac_run

__all__ = ["simulate", "exhaustive_stimulus", "random_stimulus", "Stimulus"]


class Stimulus:
    """Per-edge inputs of a PE: activation, weight code, enable, reset.

    Members
    -------
    a, w, en, rst : numpy.ndarray
    """
    def __init__(self, a, w, en=None, rst=None):
        self.a = np.asarray(a, dtype=np.int64)
        self.w = np.asarray(w, dtype=np.int64)
        n = len(self.a)
        self.en = np.ones(n, dtype=bool) if en is None else np.asarray(en, dtype=bool)
        self.rst = np.zeros(n, dtype=bool) if rst is None else np.asarray(rst, dtype=bool)

    def __len__(self):
        return len(self.a)

    def expected(self, spec):
        """The golden accumulator after each edge."""
        return mac_run(spec.codebook, spec.pe, self.a, self.w, self.en, self.rst)


def exhaustive_stimulus(spec):
    """Every (activation, weight code) pair once, enabled, from a reset."""
    lo, hi = act_range(spec.pe.act_bits, spec.pe.act_signed)
    a, w = np.meshgrid(np.arange(lo, hi + 1), np.arange(1 << spec.pe.weight_bits),
                       indexing="ij")
    a = np.concatenate([[0], a.ravel()])
    w = np.concatenate([[0], w.ravel()])
    rst = np.zeros(len(a), dtype=bool)
    rst[0] = True
    return Stimulus(a, w, rst=rst)


def random_stimulus(spec, n, seed=0, p_en=0.8, p_rst=0.01):
    """Random sequence with ``en`` toggling, occasional resets and overflow.

    In bursts the sequence drifts one way: most steps pick a weight code of
    the largest magnitude and an extreme activation whose product has the
    burst's sign; the other steps are uniformly random. Bursts are long
    enough to overflow the accumulator, and the first carries no reset, so
    every sequence of a few bursts wraps around (or saturates).
    """
    rng = np.random.default_rng(seed)
    lo, hi = act_range(spec.pe.act_bits, spec.pe.act_signed)
    table = spec.codebook.table
    a = rng.integers(lo, hi + 1, n)
    w = rng.integers(0, len(table), n)
    biggest = max(abs(lo), abs(hi)) * int(np.abs(table).max())
    to_overflow = -(-(1 << (spec.pe.acc_bits - 1)) // max(biggest, 1))
    burst = max(64, 3 * to_overflow)
    direction = np.repeat(rng.choice([-1, 1], n // burst + 1), burst)[:n]
    drift = rng.random(n) < 0.6
    big = np.flatnonzero(np.abs(table) == np.abs(table).max())
    w_big = rng.choice(big, n)
    m_sign = np.sign(table[w_big])
    # The activation extreme that gives a product of the burst's sign.
    a_big = np.where(direction * m_sign > 0, hi, lo)
    a = np.where(drift, a_big, a)
    w = np.where(drift, w_big, w)
    en = rng.random(n) < p_en
    rst = rng.random(n) < p_rst
    rst[:burst] = False
    rst[0] = True
    return Stimulus(a, w, en, rst)


def simulate(spec, stimulus):
    """The accumulator of the elaborated PE after each edge of ``stimulus``.

    Parameters
    ----------
    spec : Spec
    stimulus : Stimulus

    Returns
    -------
    numpy.ndarray of int64
    """
    dut = spec.elaborate()
    top = Module()
    top.submodules.dut = dut
    top.domains.sync = cd = ClockDomain("sync")
    sim = Simulator(top)
    sim.add_clock(1e-6, domain="sync")
    out = np.empty(len(stimulus), dtype=np.int64)
    a, w = dut.a, Value.cast(dut.w)
    en, rst, acc = dut.en, cd.rst, dut.acc
    steps = list(zip(stimulus.a.tolist(), stimulus.w.tolist(),
                     stimulus.en.tolist(), stimulus.rst.tolist()))

    async def testbench(ctx):
        for t, (a_t, w_t, en_t, rst_t) in enumerate(steps):
            ctx.set(a, a_t)
            ctx.set(w, w_t)
            ctx.set(en, en_t)
            ctx.set(rst, rst_t)
            await ctx.tick()
            out[t] = ctx.get(acc)

    sim.add_testbench(testbench)
    sim.run()
    return out
