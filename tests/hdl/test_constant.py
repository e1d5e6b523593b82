"""Constant-weight arrays: the adder graphs of both back ends and the array in the simulator."""

import numpy as np
import pytest

from shiftgen.golden import matmul
from shiftgen.hdl.adder_graph import AdderGraph, Term, column_trees, signed_digits
from shiftgen.hdl.constant import BACKENDS, ConstantArray, adder_graph
from shiftgen.hdl.da4ml_graph import da4ml_available, da4ml_graph
from shiftgen.verify.amaranth_sim import check_array, simulate_array
from shiftgen.verify.schedule import random_jobs

from ..constant_support import constant_spec, other_codes

needs_da4ml = pytest.mark.skipif(not da4ml_available(), reason="da4ml is not installed")


@pytest.mark.parametrize("value", [0, 1, -1, 2, 3, 7, -7, 12, 128, -128, 255, 1000])
def test_signed_digits_sum_to_the_value(value):
    digits = signed_digits(value)
    assert sum((-1) ** neg << k for neg, k in digits) == value
    # Non-adjacent: no two nonzero digits next to each other.
    ks = [k for _, k in digits]
    assert all(b - a >= 2 for a, b in zip(ks, ks[1:]))


def test_a_power_of_two_is_one_digit():
    assert signed_digits(64) == [(False, 6)] and signed_digits(-8) == [(True, 3)]


def test_two_negative_terms_make_a_negative_sum_node():
    g = AdderGraph(2, (-128, 127))
    t = g.add(Term(0, 1, True), Term(1, 1, True))
    assert t.negative and t.shift == 1
    g.outputs = [t]
    assert g.matrix().tolist() == [[-2], [-2]]


def test_a_cancelling_sum_is_zero():
    g = AdderGraph(1, (-128, 127))
    assert g.add(Term(0), Term(0, 0, True)) is None


MATRICES = [np.array([[1, -2, 0], [4, 8, -128], [0, 0, 0], [-1, 64, 3]]),
            np.random.default_rng(3).choice([-16, -4, -1, 0, 1, 2, 32, 5, -12], (6, 5))]


@pytest.mark.parametrize("matrix", MATRICES, ids=["small", "random"])
@pytest.mark.parametrize("maker", [column_trees, pytest.param(da4ml_graph, marks=needs_da4ml)])
def test_graph_computes_its_matrix(matrix, maker):
    g = maker(matrix, (-128, 127))
    assert np.array_equal(g.matrix(), matrix)
    assert g.adder_bits() > 0 and g.depth() >= 1


def test_column_trees_share_nothing_and_pot_needs_only_adders():
    m = np.array([[1, 2], [4, -8], [16, 32]])
    g = column_trees(m, (-128, 127))
    assert len(g.ops) == 2 * (3 - 1)  # one digit per PoT product: R - 1 adders per column


@pytest.mark.parametrize("backend", [b if b != "da4ml" else pytest.param(b, marks=needs_da4ml)
                                     for b in BACKENDS])
@pytest.mark.parametrize("stem", ["pot_4bit", "apot_4bit", "uniform_4x8", "ausn_8x4",
                                  "jlq_3bit", "sq_4bit"])
def test_constant_array_matches_golden_matmul(tmp_path, stem, backend):
    spec, codes = constant_spec(tmp_path, stem, rows=4, cols=3, backend=backend)
    res = check_array(spec, dut=ConstantArray(spec, backend))
    assert res["result"] == "pass" and res["cases"] > 0, res


def test_unsigned_activations(tmp_path):
    import yaml
    spec, _ = constant_spec(tmp_path, "pot_4bit", rows=3, cols=2)
    doc = yaml.safe_load(spec.path.read_text())
    doc["pe"]["act_signed"] = False
    doc["name"] = "pot_unsigned_constant"
    path = tmp_path / "u.yaml"
    path.write_text(yaml.safe_dump(doc))
    from shiftgen.spec import load_spec
    spec = load_spec(path)
    assert check_array(spec, dut=ConstantArray(spec, "shiftadd"))["result"] == "pass"


def test_array_built_from_other_weights_fails(tmp_path):
    spec, codes = constant_spec(tmp_path, "pot_4bit", rows=4, cols=3)
    wrong = ConstantArray(spec, "shiftadd", codes=other_codes(spec, codes))
    res = check_array(spec, dut=wrong)
    assert res["result"] == "fail" and res["mismatches"] > 0


def test_jobs_use_the_built_in_codes(tmp_path):
    spec, codes = constant_spec(tmp_path, "pot_4bit", rows=4, cols=3)
    jobs = random_jobs(spec, 2, 4)
    assert all(np.array_equal(w, codes) for w, _ in jobs)
    (w, x), = jobs[:1]
    y, = simulate_array(spec, [(w, x)], dut=ConstantArray(spec, "shiftadd"))
    assert np.array_equal(y, matmul(spec.codebook, x, w))


def test_graph_of_another_matrix_is_refused(tmp_path):
    spec, codes = constant_spec(tmp_path, "pot_4bit", rows=4, cols=3)
    with pytest.raises(ValueError, match="Backend must be one of"):
        adder_graph(spec, codes, "hand")
