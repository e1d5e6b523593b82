"""Per-edge input sequences of a PE, and the golden accumulator they give.

The same stimuli drive the Amaranth simulator (:mod:`shiftgen.verify.amaranth_sim`)
and cocotb (:mod:`shiftgen.verify.cocotb_pe`): every (activation, weight code)
pair once, and random sequences with ``en`` toggling, resets and overflow.
"""

import numpy as np

from ..golden import mac_run

__all__ = ["EXHAUSTIVE_LIMIT", "Stimulus", "exhaustive_fits", "exhaustive_stimulus",
           "random_stimulus"]

#: Largest number of (activation, weight) pairs checked exhaustively.
EXHAUSTIVE_LIMIT = 1 << 17


def exhaustive_fits(spec):
    """Whether every (activation, weight code) pair of ``spec`` is checked (at most
    :data:`EXHAUSTIVE_LIMIT` pairs)."""
    return 1 << (spec.pe.act_bits + spec.pe.weight_bits) <= EXHAUSTIVE_LIMIT


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
