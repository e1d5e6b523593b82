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


def ausn_ausn(act_bits=4, act_signed="false", act_basic=2, act_sub="[1]"):
    return parse_spec(f"family: ausn\npe: {{act_bits: {act_bits}, act_signed: {act_signed}, "
                      f"weight_bits: 4, acc_bits: 20}}\n"
                      f"params: {{basic: 2, sub: [1], act_basic: {act_basic}, "
                      f"act_sub: {act_sub}}}\n", path="aa.yaml")


def test_ausn_activation_codebook_by_hand():
    cb = ausn_ausn().codebook
    # The activation has the same fields as the weight of test_superposition_codebook_by_hand:
    # act_F = 4, magnitude codes (basic, sub) -> 0, 8, 4, 2, 0, 12, 6, 3; the sign bit negates.
    assert cb.act_F == 4
    assert cb.activations == (0, 8, 4, 2, 0, 12, 6, 3, 0, -8, -4, -2, 0, -12, -6, -3)
    assert cb.act_fields == {"basic": 2, "sub": [1]}
    # A plain activation has no table: inputs are their own values.
    assert ausn().codebook.activations == ()


def test_ausn_activation_products_are_exponent_sums():
    from shiftgen.golden import products
    spec = ausn_ausn()
    # a = code 5 (3/4 -> 12), w = code 13 (-3/4 -> -12): 12 * -12 = -144 = -(9/16) * 2**8.
    # Term by term: 2^-(1+1) + 2^-(1+2) + 2^-(2+1) + 2^-(2+2) = 9/16.
    assert products(spec.codebook, [5, 13, 0, 7], [13, 13, 9, 3]).tolist() == [
        -144, 144, 0, 6]
    assert spec.codebook.product_range(4, False) == (-144, 144)


def test_ausn_activation_codebook_json_round_trip():
    from shiftgen.codebook import Codebook
    cb = ausn_ausn().codebook
    again = Codebook.from_json(cb.to_json())
    assert again == cb and again.activations == cb.activations and again.act_F == 4
    assert again.act_fields == cb.act_fields


@pytest.mark.parametrize("kwargs, field, words", [
    ({"act_bits": 5}, "pe.act_bits", ["must be 4", "act_basic 2", "act_sub [1]", "not 5"]),
    ({"act_signed": "true"}, "pe.act_signed", ["must be false", "sign-magnitude"]),
    ({"act_basic": 0, "act_sub": "[1]"}, "params.act_sub", ["needs params.act_basic"]),
    ({"act_basic": 5}, "params.act_basic", ["integer from 0 to 4", "not 5"]),
    ({"act_sub": "[0]"}, "params.act_sub", ["from 1 to 3"]),
])
def test_ausn_activation_spec_errors(kwargs, field, words):
    with pytest.raises(SpecError) as e:
        ausn_ausn(**kwargs)
    message = str(e.value)
    assert f"aa.yaml: {field}:" in message
    for word in words:
        assert word in message


def test_fit_only_offers_splits_the_spec_accepts():
    from shiftgen.spec import load_spec
    from tests.support import ROOT
    spec = load_spec(ROOT / "specs" / "ausn_8x4.yaml")
    # Narrow Laplace weights favour all-basic (3, []) without the restriction.
    w = np.random.default_rng(0).laplace(0, 0.02, 4000)
    updates, summary = spec.family.fit(spec, w)
    assert updates["sub"] and all(c["sub"] for c in summary["candidates"])
    text = (ROOT / "specs" / "ausn_8x4.yaml").read_text().replace(
        "basic: 2", f"basic: {updates['basic']}").replace("sub: [1]", f"sub: {updates['sub']}")
    parse_spec(text, path="fitted.yaml")  # the fitted split must load
