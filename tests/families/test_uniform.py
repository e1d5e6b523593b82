# amaranth: UnusedElaboratable=no
"""uniform quantizer against hand-computed codes (specs/uniform_4x8.yaml).

alpha = max|W| / 7, value = floor(w / alpha + 0.5) clipped to [-7, 7], code = value & 0xF.
"""

from pathlib import Path

import numpy as np
import pytest

from shiftgen.spec import load_spec, parse_spec

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("families.test_uniform")

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture(scope="module")
def uni4():
    return load_spec(SPECS / "uniform_4x8.yaml")


def quantize(spec, weights, alpha=None):
    return spec.family.quantize(spec, np.array(weights, dtype=np.float64), alpha=alpha)


def test_hand_cases(uni4):
    # max|W| = 7 -> alpha = 1, so w / alpha = w exactly
    #  7 -> 7;  -3 -> -3 = 13;  0.5 -> floor(1.0) = 1;  3.5 -> 4;  -7 -> -7 = 9;  0 -> 0
    #  2.5 -> 3;  -2.5 -> floor(-2.0) = -2 = 14;  1.49 -> 1;  -0.5 -> floor(0) = 0;
    #  -0.51 -> floor(-0.01) = -1 = 15
    w = [7.0, -3.0, 0.5, 3.5, -7.0, 0.0, 2.5, -2.5, 1.49, -0.5, -0.51]
    q = quantize(uni4, w)
    assert q.alpha == 1.0
    assert q.codes.tolist() == [7, 13, 1, 4, 9, 0, 3, 14, 1, 0, 15]
    assert q.dequantize().tolist() == [7.0, -3.0, 1.0, 4.0, -7.0, 0.0, 3.0, -2.0, 1.0, 0.0,
                                       -1.0]


def test_alpha_is_max_abs_over_7(uni4):
    # max|W| = 1.75 (from -1.75) -> alpha = 0.25; 0.5 / 0.25 = 2; -1.75 -> -7 = 9;
    # 0.3 / 0.25 = 1.2 -> 1; 1.0 -> 4
    q = quantize(uni4, [0.5, -1.75, 0.3, 1.0])
    assert q.alpha == 0.25
    assert q.codes.tolist() == [2, 9, 1, 4]
    assert q.dequantize().tolist() == [0.5, -1.75, 0.25, 1.0]


def test_explicit_alpha_clips(uni4):
    # alpha = 0.5: 10 -> 20 -> clip 7; -10 -> clip -7 = 9; 1 -> 2; -1.25 -> floor(-2.0) = -2 = 14
    q = quantize(uni4, [10.0, -10.0, 1.0, -1.25], alpha=0.5)
    assert q.alpha == 0.5
    assert q.codes.tolist() == [7, 9, 2, 14]
    assert q.dequantize().tolist() == [3.5, -3.5, 1.0, -1.0]


def test_symmetric_range_never_uses_minus_8(uni4):
    # -8 is representable (code 8) but the range is symmetric: -7.6 -> floor(-7.1) = -8 -> -7
    q = quantize(uni4, [-8.0, -7.6, 7.6], alpha=1.0)
    assert q.codes.tolist() == [9, 9, 7]


def test_all_zero_weights(uni4):
    q = quantize(uni4, [0.0, 0.0])
    assert q.alpha == 1.0
    assert q.codes.tolist() == [0, 0]


def test_shape_kept(uni4):
    q = quantize(uni4, [[7.0, -1.0], [2.0, -7.0]])
    assert q.codes.shape == (2, 2)
    assert q.codes.tolist() == [[7, 15], [2, 9]]


def test_uniform_8bit():
    spec = load_spec(SPECS / "uniform_8x8.yaml")
    # max|W| = 127 -> alpha = 1: 127 -> 127; -1 -> 255; 63.5 -> 64; -127 -> 129
    q = quantize(spec, [127.0, -1.0, 63.5, -127.0])
    assert q.alpha == 1.0
    assert q.codes.tolist() == [127, 255, 64, 129]
    assert q.dequantize().tolist() == [127.0, -1.0, 64.0, -127.0]


def test_error_at_most_half_step_random(uni4):
    rng = np.random.default_rng(1)
    w = rng.normal(size=1000)
    q = quantize(uni4, w)
    assert np.isclose(q.alpha, np.abs(w).max() / 7)
    assert q.codes.min() >= 0 and q.codes.max() < 16 and 8 not in q.codes.tolist()
    assert np.all(np.abs(q.dequantize() - w) <= q.alpha / 2 + 1e-12)


@pytest.mark.parametrize("bits", range(2, 17))
def test_codebook_is_the_code_as_twos_complement(bits):
    # The formal reference of a wide uniform PE (> 8 bits) reads the code as
    # two's complement instead of a 2**W-entry case table: the same numbers.
    spec = parse_spec(f"family: uniform\npe: {{act_bits: 4, weight_bits: {bits}, "
                      f"acc_bits: 24}}\n", path="u.yaml")
    codes = np.arange(1 << bits)
    assert np.array_equal(spec.codebook.table,
                          np.where(codes >= 1 << (bits - 1), codes - (1 << bits), codes))


@pytest.mark.parametrize("bits", [12, 16])
def test_wide_uniform_pe_is_proved(bits, tmp_path):
    from shiftgen.export.verilog import export
    from shiftgen.verify.formal import prove
    from shiftgen.verify.mutants import make_mutants
    spec = parse_spec(f"name: u{bits}\nfamily: uniform\npe: {{act_bits: 8, "
                      f"weight_bits: {bits}, acc_bits: 40}}\n", path=tmp_path / "u.yaml")
    _, verilog = export(spec, spec.elaborate(), tmp_path)
    assert prove(spec, verilog)["result"] == "proved"
    sign = make_mutants(spec, verilog, tmp_path / "mutants", kinds=["sign"])["sign"][0]
    assert prove(spec, sign)["result"] == "failed"
