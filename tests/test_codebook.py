"""Codebook: the code -> multiplier table every other part reads."""

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from shiftgen.codebook import Codebook, act_range, minimal_F, sign_magnitude, signed_bits
from shiftgen.spec import load_spec, parse_spec

SPECS = Path(__file__).resolve().parent.parent / "specs"
SPEC_PATHS = sorted(SPECS.glob("*.yaml"))


def pot_codebook(weight_bits=4, zero=False):
    spec = parse_spec(f"family: pot\npe: {{act_bits: 8, weight_bits: {weight_bits}, "
                      f"acc_bits: 32}}\nparams: {{zero: {str(zero).lower()}}}\n", path="x.yaml")
    return spec.codebook


def uniform_codebook(weight_bits):
    spec = parse_spec(f"family: uniform\npe: {{act_bits: 8, weight_bits: {weight_bits}, "
                      f"acc_bits: 32}}\n", path="x.yaml")
    return spec.codebook


@pytest.mark.parametrize("path", SPEC_PATHS, ids=lambda p: p.stem)
def test_shipped_codebook_size(path):
    spec = load_spec(path)
    cb = spec.codebook
    assert cb.weight_bits == spec.pe.weight_bits
    assert len(cb.multipliers) == 2 ** spec.pe.weight_bits
    assert all(type(m) is int for m in cb.multipliers)
    assert cb.table.dtype == np.int64
    assert cb.table.tolist() == list(cb.multipliers)


@pytest.mark.parametrize("path", SPEC_PATHS, ids=lambda p: p.stem)
def test_json_round_trip(path):
    cb = load_spec(path).codebook
    back = Codebook.from_json(cb.to_json())
    assert back == cb
    # params and fields are not part of ==, so compare them separately.
    assert back.params == cb.params
    assert back.fields == cb.fields
    assert back.to_json() == cb.to_json()


@pytest.mark.parametrize("zero", [False, True], ids=["no_zero", "zero"])
def test_json_round_trip_pot_params(zero):
    cb = pot_codebook(zero=zero)
    back = Codebook.from_json(cb.to_json())
    assert back == cb
    assert back.params == {"zero": zero, "rounding": "log"}
    assert back.fields == {"sign": 1, "exp": 3}


@pytest.mark.parametrize("path", SPEC_PATHS, ids=lambda p: p.stem)
def test_json_layout(path):
    cb = load_spec(path).codebook
    text = cb.to_json()
    assert text.endswith("\n")
    doc = json.loads(text)
    assert {"family", "F", "codes", "params"} <= set(doc)
    assert doc["family"] == cb.family
    assert doc["F"] == cb.F
    assert doc["weight_bits"] == cb.weight_bits
    assert isinstance(doc["params"], dict)
    assert doc["codes"] == [{"code": c, "multiplier": m} for c, m in enumerate(cb.multipliers)]


def test_json_pot_values():
    doc = json.loads(pot_codebook().to_json())
    assert doc["family"] == "pot"
    assert doc["F"] == 7
    assert doc["params"] == {"zero": False, "rounding": "log"}
    assert doc["codes"][0] == {"code": 0, "multiplier": 128}
    assert doc["codes"][15] == {"code": 15, "multiplier": -1}


def test_json_deterministic():
    assert pot_codebook().to_json() == pot_codebook().to_json()


def test_from_json_rejects_out_of_order_codes():
    doc = json.loads(uniform_codebook(2).to_json())
    doc["codes"][0]["code"], doc["codes"][1]["code"] = 1, 0
    with pytest.raises(ValueError, match="order"):
        Codebook.from_json(json.dumps(doc))


def test_from_json_rejects_wrong_count():
    doc = json.loads(uniform_codebook(2).to_json())
    doc["codes"].pop()
    with pytest.raises(ValueError, match="4 multipliers"):
        Codebook.from_json(json.dumps(doc))


@pytest.mark.parametrize("weight_bits, multipliers", [
    (2, (1, 2, 3)),
    (2, (1, 2, 3, 4, 5)),
    (0, (1,)),
], ids=["too_few", "too_many", "zero_bits"])
def test_constructor_rejects_bad_table(weight_bits, multipliers):
    with pytest.raises(ValueError):
        Codebook(family="t", weight_bits=weight_bits, F=0, multipliers=multipliers)


def test_constructor_converts_numpy_ints():
    cb = Codebook(family="t", weight_bits=1, F=0, multipliers=np.array([3, -4]))
    assert cb.multipliers == (3, -4)
    assert all(type(m) is int for m in cb.multipliers)


@pytest.mark.parametrize("levels, F", [
    ([Fraction(3, 8)], 3),
    ([1, 2, 7], 0),
    ([], 0),
    ([Fraction(0)], 0),
    ([Fraction(1, 2), Fraction(3, 4), Fraction(1)], 2),
    ([Fraction(1, 128), Fraction(1, 2)], 7),
    ([0.375], 3),
], ids=["three_eighths", "integers", "empty", "zero", "mixed", "pot_4bit", "float"])
def test_minimal_F(levels, F):
    assert minimal_F(levels) == F


@pytest.mark.parametrize("levels", [
    [Fraction(1, 3)],
    [Fraction(1, 2), Fraction(1, 6)],
    [Fraction(5, 12)],
], ids=["third", "sixth_after_dyadic", "five_twelfths"])
def test_minimal_F_rejects_non_dyadic(levels):
    with pytest.raises(ValueError):
        minimal_F(levels)


@pytest.mark.parametrize("lo, hi, bits", [
    (-128, 127, 8),
    (-128, 128, 9),
    (-129, 127, 9),
    (0, 0, 1),
    (-1, 0, 1),
    (0, 1, 2),
    (-2, 1, 2),
    (-16384, 16384, 16),
    (-1016, 1024, 12),
    (-(2 ** 47), 2 ** 47 - 1, 48),
], ids=lambda v: str(v))
def test_signed_bits(lo, hi, bits):
    assert signed_bits(lo, hi) == bits


def test_sign_magnitude():
    assert sign_magnitude(3, [4, 2, 1, 0]) == (4, 2, 1, 0, -4, -2, -1, 0)
    with pytest.raises(ValueError):
        sign_magnitude(3, [4, 2, 1])


@pytest.mark.parametrize("bits, signed, expected", [
    (8, True, (-128, 127)),
    (8, False, (0, 255)),
    (1, True, (-1, 0)),
    (1, False, (0, 1)),
    (16, True, (-32768, 32767)),
], ids=["s8", "u8", "s1", "u1", "s16"])
def test_act_range(bits, signed, expected):
    assert act_range(bits, signed) == expected


# a in [-128, 127]:
#  pot_4bit    m in [-128, 128]: corners -128*-128 = 16384, -128*128 = -16384 -> 16 bits
#  uniform_4x8 m in [-8, 7]:     -128*-8 = 1024, 127*-8 = -1016            -> 12 bits
#  uniform_8x8 m in [-128, 127]: -128*-128 = 16384, -128*127 = -16256      -> 16 bits
@pytest.mark.parametrize("stem, lo, hi, bits", [
    ("pot_4bit", -16384, 16384, 16),
    ("uniform_4x8", -1016, 1024, 12),
    ("uniform_8x8", -16256, 16384, 16),
])
def test_product_range_shipped(stem, lo, hi, bits):
    spec = load_spec(SPECS / f"{stem}.yaml")
    assert spec.codebook.product_range(spec.pe.act_bits, spec.pe.act_signed) == (lo, hi)
    assert spec.codebook.product_bits(spec.pe.act_bits, spec.pe.act_signed) == bits


def test_product_range_unsigned():
    # a in [0, 255], m in [-8, 7]: 255*-8 = -2040, 255*7 = 1785 -> 12 bits
    cb = uniform_codebook(4)
    assert cb.product_range(8, False) == (-2040, 1785)
    assert cb.product_bits(8, False) == 12


def test_pot_4bit_codebook():
    cb = pot_codebook(4, zero=False)
    assert cb.family == "pot"
    assert cb.F == 7
    assert cb.multipliers == (128, 64, 32, 16, 8, 4, 2, 1,
                              -128, -64, -32, -16, -8, -4, -2, -1)
    assert cb.levels.tolist() == [-1.0, -0.5, -0.25, -0.125, -0.0625, -0.03125, -0.015625,
                                  -0.0078125, 0.0078125, 0.015625, 0.03125, 0.0625, 0.125,
                                  0.25, 0.5, 1.0]


def test_pot_4bit_zero_codebook():
    cb = pot_codebook(4, zero=True)
    assert cb.F == 6
    assert cb.multipliers == (64, 32, 16, 8, 4, 2, 1, 0,
                              -64, -32, -16, -8, -4, -2, -1, 0)
    assert cb.levels.tolist() == [-1.0, -0.5, -0.25, -0.125, -0.0625, -0.03125, -0.015625,
                                  0.0, 0.015625, 0.03125, 0.0625, 0.125, 0.25, 0.5, 1.0]


@pytest.mark.parametrize("weight_bits, zero, F, multipliers", [
    (2, False, 1, (2, 1, -2, -1)),
    (2, True, 0, (1, 0, -1, 0)),
    (3, False, 3, (8, 4, 2, 1, -8, -4, -2, -1)),
], ids=["2bit", "2bit_zero", "3bit"])
def test_pot_small_codebooks(weight_bits, zero, F, multipliers):
    cb = pot_codebook(weight_bits, zero)
    assert cb.F == F
    assert cb.multipliers == multipliers


def test_pot_F_is_minimal():
    for zero in (False, True):
        cb = pot_codebook(4, zero)
        levels = [Fraction(m, 2 ** cb.F) for m in cb.multipliers]
        assert minimal_F(abs(v) for v in levels) == cb.F


def test_uniform_4bit_codebook():
    cb = uniform_codebook(4)
    assert cb.family == "uniform"
    assert cb.F == 0
    assert cb.multipliers == (0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1)


def test_uniform_8bit_codebook():
    cb = uniform_codebook(8)
    assert cb.F == 0
    assert cb.multipliers[:3] == (0, 1, 2)
    assert cb.multipliers[127:130] == (127, -128, -127)
    assert cb.multipliers[255] == -1


def test_equality_ignores_params_but_not_table():
    a = Codebook(family="t", weight_bits=1, F=0, multipliers=(1, -1), params={"x": 1})
    b = Codebook(family="t", weight_bits=1, F=0, multipliers=(1, -1), params={"x": 2})
    c = Codebook(family="t", weight_bits=1, F=1, multipliers=(1, -1))
    d = Codebook(family="t", weight_bits=1, F=0, multipliers=(1, -2))
    assert a == b
    assert a != c
    assert a != d
