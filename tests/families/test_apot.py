"""APoT: levels from QUANTIZERS.md, both encodings, quantizer on hand cases."""

from fractions import Fraction

import numpy as np
import pytest

from shiftgen.families.apot import TERMS
from shiftgen.spec import parse_spec


def apot_spec(weight_bits=4, encoding="terms", extra=""):
    acc = 16 if weight_bits <= 5 else 20
    return parse_spec(f"family: apot\npe: {{act_bits: 8, weight_bits: {weight_bits}, "
                      f"acc_bits: {acc}}}\nparams: {{encoding: {encoding}{extra}}}\n",
                      path="apot.yaml")


@pytest.mark.parametrize("B", sorted(TERMS))
@pytest.mark.parametrize("encoding", ["terms", "sorted"])
def test_every_level_is_distinct_and_there_are_2_to_the_B(B, encoding):
    cb = apot_spec(B + 1, encoding).codebook
    mags = cb.multipliers[:1 << B]
    assert len(set(mags)) == 1 << B
    assert cb.multipliers[1 << B:] == tuple(-m for m in mags)


def test_b3_levels_by_hand():
    # a in {0, 1/2, 1/4, 1/16}, b in {0, 1/8}: sums 0, 1/16, 1/8, 3/16, 1/4, 3/8, 1/2, 5/8.
    cb = apot_spec(4).codebook
    assert cb.F == 4
    assert sorted(cb.multipliers[:8]) == [0, 1, 2, 3, 4, 6, 8, 10]
    # terms code: field a (2 bits) lowest, then b (1 bit): code 0b1_01 = 1/2 + 1/8.
    assert cb.multipliers[0b101] == 10
    assert cb.fields == {"sign": 1, "a": 2, "b": 1}


def test_b6_uses_three_terms():
    cb = apot_spec(7).codebook
    assert cb.F == 9
    assert cb.fields == {"sign": 1, "a": 2, "b": 2, "c": 2}
    assert max(cb.multipliers) * Fraction(1, 1 << 9) == Fraction(1, 2) + Fraction(1, 4) + \
        Fraction(1, 8)


def test_sorted_encoding_ranks_the_levels():
    terms, ranked = apot_spec(5).codebook, apot_spec(5, "sorted").codebook
    assert list(ranked.multipliers[:16]) == sorted(terms.multipliers[:16])
    assert ranked.fields == {"sign": 1, "rank": 4}


def test_quantizer_rounds_to_nearest_normalized_level():
    spec = apot_spec(4, extra=", alpha: 1.0")
    # Normalized levels (divided by 5/8): 0, .1, .2, .3, .4, .6, .8, 1.
    w = [0.55, 0.5, -1.3, 0.05, 0.06, -0.29, 0.0]
    # .55 -> .6 ; .5 ties .4/.6 -> smaller .4 ; -1.3 clips to -1 ; .05 ties 0/.1 -> 0 ;
    # .06 -> .1 ; -.29 -> -.3 ; 0 -> 0 (not negative).
    q = spec.family.quantize(spec, w)
    assert np.allclose(q.dequantize(), [0.6, 0.4, -1.0, 0.0, 0.1, -0.3, 0.0])
    cb = spec.codebook
    assert q.codes.tolist()[-1] < 8  # zero keeps the positive sign
    assert cb.table[q.codes].tolist() == [6, 4, -10, 0, 1, -3, 0]


def test_quantizer_fits_alpha_when_not_given():
    spec = apot_spec(4)
    levels = np.array([0, .1, .2, .3, .4, .6, .8, 1.0])
    rng = np.random.default_rng(3)
    w = 0.37 * rng.choice(levels, 500) * rng.choice([-1, 1], 500)
    q = spec.family.quantize(spec, w)
    assert np.allclose(q.dequantize(), w)
    assert q.alpha * 10 * 2.0 ** -4 == pytest.approx(0.37, rel=1e-9)
