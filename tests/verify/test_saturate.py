# amaranth: UnusedElaboratable=no
"""``saturate: true``: the PE clamps its accumulator, the golden model clamps
the same way (simulation, every family), and the exported Verilog is proved
equal to a saturating reference written independently of both."""

import numpy as np
import pytest

from shiftgen.export.verilog import export
from shiftgen.verify.formal import prove
from shiftgen.golden import mac_run, saturate
from shiftgen.verify.amaranth_sim import simulate_pe as simulate
from shiftgen.verify.stimulus import random_stimulus
from shiftgen.spec import parse_spec

# One spec per family, each with an accumulator just wider than one product so
# that random sequences saturate often, both ways.
SPECS = {
    "uniform": "family: uniform\npe: {act_bits: 6, weight_bits: 4, acc_bits: 12, "
               "saturate: true}\n",
    "pot": "family: pot\npe: {act_bits: 6, weight_bits: 4, acc_bits: 14, saturate: true}\n",
    "apot": "family: apot\npe: {act_bits: 6, weight_bits: 4, acc_bits: 13, "
            "saturate: true}\n",
    "sq": "family: sq\npe: {act_bits: 6, weight_bits: 4, acc_bits: 13, saturate: true}\n"
          "params: {qps: fixed, points: [0, 0.0625, 0.1875, 0.5, 0.75, 1.25, 1.5, 2]}\n",
    "jlq": "family: jlq\npe: {act_bits: 6, weight_bits: 3, acc_bits: 14, saturate: true}\n"
           "params: {s: 2, i: -1}\n",
    "ausn": "family: ausn\npe: {act_bits: 6, weight_bits: 4, acc_bits: 14, saturate: true}\n"
            "params: {basic: 2, sub: [1]}\n",
}


def spec_of(family, tmp_path, text=None):
    path = tmp_path / f"{family}_sat.yaml"
    path.write_text(text or SPECS[family])
    return parse_spec(path.read_text(), path=path)


def test_saturate_is_overflow_saturate(tmp_path):
    spec = spec_of("pot", tmp_path)
    assert spec.pe.overflow == "saturate" and spec.pe.saturate is True
    same = spec_of("pot", tmp_path, SPECS["pot"].replace("saturate: true",
                                                         "overflow: saturate"))
    assert same.pe == spec.pe
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = export(spec, spec.elaborate(), tmp_path / "a")[1].read_bytes()
    b = export(same, same.elaborate(), tmp_path / "b")[1].read_bytes()
    assert a == b


def test_golden_saturate_clamps_at_both_ends():
    assert list(saturate(np.array([-200, -128, -1, 0, 127, 128, 10**12]), 8)) == \
        [-128, -128, -1, 0, 127, 127, 127]


def test_golden_accumulator_sticks_then_comes_back(tmp_path):
    spec = spec_of("uniform", tmp_path)  # acc 12 bits: -2048..2047
    top = int(np.argmax(spec.codebook.multipliers))
    m = spec.codebook.multipliers[top]
    acc = mac_run(spec.codebook, spec.pe, [31] * 40 + [-31], [top] * 41)
    assert acc[-2] == 2047 and acc[-1] == 2047 - 31 * m  # no wrap, and it leaves the rail


@pytest.mark.parametrize("family", SPECS)
def test_pe_saturates_like_the_golden_model(family, tmp_path):
    spec = spec_of(family, tmp_path)
    stimulus = random_stimulus(spec, 3000, seed=7)
    want = stimulus.expected(spec)
    hi, lo = (1 << (spec.pe.acc_bits - 1)) - 1, -(1 << (spec.pe.acc_bits - 1))
    # Not vacuous: the sequence sits on both rails.
    assert (want == hi).sum() > 10 and (want == lo).sum() > 10
    assert np.array_equal(simulate(spec, stimulus), want)


@pytest.mark.parametrize("family", SPECS)
def test_saturating_pe_is_proved_equal_to_the_reference(family, tmp_path):
    spec = spec_of(family, tmp_path)
    _, verilog = export(spec, spec.elaborate(), tmp_path)
    result = prove(spec, verilog)
    assert result["result"] == "proved", result


def test_a_wrapping_pe_is_not_a_saturating_one(tmp_path):
    spec = spec_of("pot", tmp_path)
    wrapping = spec_of("pot", tmp_path, SPECS["pot"].replace(", saturate: true", ""))
    _, verilog = export(wrapping, wrapping.elaborate(), tmp_path)
    result = prove(spec, verilog)
    assert result["result"] == "failed"
    cex = result["counterexample"]
    assert cex["gold_acc"] in ((1 << 13) - 1, -(1 << 13))  # the reference sits on a rail
