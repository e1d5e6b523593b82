"""Run a PE in the Amaranth simulator and compare it with the golden model."""

import numpy as np
from amaranth.hdl import ClockDomain, Module, Value
from amaranth.sim import Simulator

from ..golden import mac_run

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
    inputs, _ = spec.codebook.act_table(spec.pe.act_bits, spec.pe.act_signed)
    a, w = np.meshgrid(inputs, np.arange(1 << spec.pe.weight_bits),
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
    inputs, values = spec.codebook.act_table(spec.pe.act_bits, spec.pe.act_signed)
    # The inputs of the smallest and largest activation value (equal to the
    # values unless the activation is coded).
    lo, hi = inputs[np.argmin(values)], inputs[np.argmax(values)]
    table = spec.codebook.table
    a = inputs[rng.integers(0, len(inputs), n)]
    w = rng.integers(0, len(table), n)
    biggest = int(np.abs(values).max()) * int(np.abs(table).max())
    to_overflow = -(-(1 << (spec.pe.acc_bits - 1)) // max(biggest, 1))
    burst = max(64, 3 * to_overflow)
    # Indexed, not np.repeat: a burst can be far longer than the sequence (a wide
    # accumulator and small products), and repeating would allocate all of it.
    direction = rng.choice([-1, 1], n // burst + 1)[np.arange(n) // burst]
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


def simulate(spec, *segments):
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
