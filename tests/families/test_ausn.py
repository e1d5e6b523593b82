"""AUSN: eq. 4 levels, both PE codings, spec checks."""

from fractions import Fraction

import pytest

from shiftgen.errors import SpecError
from shiftgen.families.ausn import part_codes, superposed_level
from shiftgen.spec import parse_spec


def ausn(bits=4, basic=2, sub="[1]", style="superposition"):
    return parse_spec(f"family: ausn\npe: {{act_bits: 8, weight_bits: {bits}, acc_bits: 20}}\n"
                      f"params: {{basic: {basic}, sub: {sub}, style: {style}}}\n", path="a.yaml")


def test_eq4_superposes_scaled_terms():
    # q = (1, 1): 2^-1 + 2^-1 * 2^-1 = 3/4 ; (2, 3): 1/4 + 1/4 * 1/8 = 9/32.
    assert superposed_level((1, 1)) == Fraction(3, 4)
    assert superposed_level((2, 3)) == Fraction(9, 32)
    # Three parts: 1/2 + 1/4 + 1/8.
    assert superposed_level((1, 1, 1)) == Fraction(7, 8)
    # A zero part ends the superposition; a zero basic part is zero.
    assert superposed_level((1, 0, 3)) == Fraction(1, 2)
    assert superposed_level((0, 2)) == 0


def test_codes_pack_the_basic_part_lowest():
    assert part_codes((2, 1))[:8] == [(0, 0), (1, 0), (2, 0), (3, 0),
                                      (0, 1), (1, 1), (2, 1), (3, 1)]


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
