# amaranth: UnusedElaboratable=no
"""The Amaranth simulator against the golden model: exhaustive pairs and sequences."""

import numpy as np
import pytest

from shiftgen.verify.amaranth_sim import simulate_pe as simulate
from shiftgen.verify.stimulus import exhaustive_stimulus, random_stimulus

from ..support import all_spec_params


@pytest.mark.parametrize("any_spec", all_spec_params(), indirect=True)
def test_every_pair_one_step(any_spec):
    stimulus = exhaustive_stimulus(any_spec)
    # Every (a, w) pair appears once, after the leading reset.
    pairs = set(zip(stimulus.a[1:].tolist(), stimulus.w[1:].tolist()))
    assert len(pairs) == (1 << (any_spec.pe.act_bits + any_spec.pe.weight_bits))
    rtl = simulate(any_spec, stimulus)
    ref = stimulus.expected(any_spec)
    assert np.array_equal(rtl, ref)


@pytest.mark.parametrize("any_spec", all_spec_params(), indirect=True)
def test_random_sequence_with_en_rst_and_overflow(any_spec):
    stimulus = random_stimulus(any_spec, 3000, seed=7, p_rst=0.02)
    ref = stimulus.expected(any_spec)
    # The sequence must exercise what it claims to: holds, resets and overflow.
    assert (~stimulus.en).sum() > 100 and stimulus.rst.sum() > 10
    products = any_spec.codebook.table[stimulus.w] * any_spec.codebook.act_value(stimulus.a)
    prev = np.concatenate([[0], ref[:-1]])
    unbounded = prev + products
    limit = 1 << (any_spec.pe.acc_bits - 1)
    overflowed = stimulus.en & ~stimulus.rst & ((unbounded >= limit) | (unbounded < -limit))
    assert overflowed.sum() > 0
    rtl = simulate(any_spec, stimulus)
    assert np.array_equal(rtl, ref)


def test_simulator_catches_a_wrong_codebook(variants):
    """A golden model with one multiplier changed must disagree with the RTL."""
    spec = next(v for v in variants if v.name == "pot_unsigned")
    stimulus = exhaustive_stimulus(spec)
    rtl = simulate(spec, stimulus)
    table = spec.codebook.table.copy()
    table[3] += 1
    wrong = np.cumsum(np.where(stimulus.rst, 0, stimulus.a * table[stimulus.w]))
    assert not np.array_equal(rtl, wrong)
