"""AUSN: eq. 4 levels, both PE codings, spec checks."""

from fractions import Fraction

import pytest

from shiftgen.errors import SpecError
import numpy as np

from shiftgen.families.ausn_quant import ausn_level, unpack
from shiftgen.spec import parse_spec


def ausn(bits=4, basic=2, sub="[1]", style="superposition"):
    return parse_spec(f"family: ausn\npe: {{act_bits: 8, weight_bits: {bits}, acc_bits: 20}}\n"
                      f"params: {{basic: {basic}, sub: {sub}, style: {style}}}\n", path="a.yaml")


def test_eq4_superposes_scaled_terms():
    # q = (1, 1): 2^-1 + 2^-1 * 2^-1 = 3/4 ; (2, 3): 1/4 + 1/4 * 1/8 = 9/32.
    assert ausn_level((1, 1), (2, [2])) == Fraction(3, 4)
    assert ausn_level((2, 3), (2, [2])) == Fraction(9, 32)
    # Three parts: 1/2 + 1/4 + 1/8.
    assert ausn_level((1, 1, 1), (2, [2, 2])) == Fraction(7, 8)
    # A zero part ends the superposition; a zero basic part is zero.
    assert ausn_level((1, 0, 3), (2, [2, 2])) == Fraction(1, 2)
    assert ausn_level((0, 2), (2, [2])) == 0


def test_codes_pack_the_basic_part_lowest():
    assert [tuple(unpack(c, (2, [1]))) for c in range(8)] == [
        (0, 0), (1, 0), (2, 0), (3, 0), (0, 1), (1, 1), (2, 1), (3, 1)]


def test_quantizer_is_preconvert_plus_algorithm_1():
    spec = ausn()  # B0 = 2, B1 = 1: levels 1/2, 1/4, 1/8 and 3/4, 3/8, 3/16
    # max|w| = 0.6 -> power = ceil(log2 0.6) = 0 -> scale 1 (eqs. 1-2).
    w = [0.6, -0.3, 0.2, 0.0, 0.09]
    # 0.6: 1/2, rem 0.2 -> no 1/2 -> level 1/2 (code 1); -0.3: 1/4, rem 0.2 -> level 1/4
    # (code 2, negative: 8 + 2); 0.2: 1/8, rem 0.6 -> +1/2: 3/16 (code 7); 0.09 -> 0 (below 1/8).
    q = spec.family.quantize(spec, w)
    assert q.codes.tolist() == [1, 10, 7, 0, 0]
    assert np.allclose(q.dequantize(), [0.5, -0.25, 0.1875, 0.0, 0.0])


def test_superposition_codebook_by_hand():
    cb = ausn().codebook
    # B0 = 2, B1 = 1: F = 3 + 1 = 4. Codes (basic, sub): (1,0) 1/2 -> 8, (2,0) 1/4 -> 4,
    # (3,0) 1/8 -> 2, (1,1) 3/4 -> 12, (2,1) 3/8 -> 6, (3,1) 3/16 -> 3, basic 0 -> 0.
    assert cb.F == 4
    assert cb.multipliers[:8] == (0, 8, 4, 2, 0, 12, 6, 3)
    assert cb.multipliers[8:] == tuple(-m for m in cb.multipliers[:8])
    assert cb.fields == {"basic": 2, "sub": [1]}


def test_decoder_codebook_ranks_the_distinct_levels():
    cb = ausn(style="decoder").codebook
    # Distinct levels 0, 2, 3, 4, 6, 8, 12 take ranks 0..6; the spare code is 0.
    assert cb.multipliers[:8] == (0, 2, 3, 4, 6, 8, 12, 0)


def test_weight_bits_must_match_the_fields():
    with pytest.raises(SpecError, match=r"pe.weight_bits: must be 5 \(sign \+ basic 2 \+ sub \[2\]\)"):
        ausn(bits=4, sub="[2]")
