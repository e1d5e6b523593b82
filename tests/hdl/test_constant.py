"""Constant-weight arrays: the adder graphs of both back ends and the array in the simulator."""

import numpy as np
import pytest

from shiftgen.golden import matmul
from shiftgen.hdl.adder_graph import AdderGraph, Pipeline, Term, column_trees, signed_digits
from shiftgen.hdl.constant import BACKENDS, ConstantArray, adder_graph, constant_latency
from shiftgen.hdl.dataflows import dataflow
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


# array.pipeline: a register stage every K levels of the graph's adder depth.

def _chain_graph():
    """x0 + x1 + x2 + x3 as a chain (depth 3) and x0 + x1 as a second output (depth 1)."""
    g = AdderGraph(4, (-128, 127))
    s = g.add(Term(0), Term(1))
    g.outputs = [g.add(g.add(s, Term(2)), Term(3)), s]
    return g


@pytest.mark.parametrize("every, stages", [(0, 0), (1, 2), (2, 1), (3, 0), (16, 0)])
def test_pipeline_stages_follow_the_depth(every, stages):
    g = _chain_graph()
    pipe = Pipeline(g, every)
    assert pipe.stages == stages == (0 if not every else (g.depth() - 1) // every)
    # Every path crosses the same registers: an operand's delay makes up its stage,
    # and a shallow output (x0 + x1) is delayed to the last stage.
    delays = pipe.delays(g)
    for k, (a, b) in enumerate(g.ops):
        for t in (a, b):
            assert delays.get(t.node, 0) >= pipe.stage[g.rows + k] - pipe.stage[t.node]
    assert delays.get(g.outputs[1].node, 0) >= stages - pipe.stage[g.outputs[1].node]


@pytest.mark.parametrize("every", [-1, 1.5, True, "2"])
def test_pipeline_refuses_a_bad_stage_depth(every):
    with pytest.raises(ValueError, match="Pipeline stage depth must be a non-negative integer"):
        Pipeline(_chain_graph(), every)


BACKEND_PARAMS = [b if b != "da4ml" else pytest.param(b, marks=needs_da4ml) for b in BACKENDS]


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
@pytest.mark.parametrize("pipeline", [0, 1, 2])
def test_pipelined_array_matches_golden_matmul(tmp_path, backend, pipeline):
    spec, _ = constant_spec(tmp_path, "pot_4bit", rows=8, cols=8, backend=backend,
                            pipeline=pipeline)
    arr = ConstantArray(spec, backend)
    depth = arr.graph.depth()
    assert arr.latency == 2 + (0 if not pipeline else (depth - 1) // pipeline)
    assert constant_latency(spec, backend) == arr.latency
    assert dataflow(spec).drain_of(spec) == arr.latency
    res = check_array(spec, dut=arr)
    assert res["result"] == "pass" and res["cases"] > 0, res


@pytest.mark.parametrize("stem", ["apot_4bit", "uniform_4x8", "ausn_8x4"])
def test_pipelined_arrays_of_other_families(tmp_path, stem):
    spec, _ = constant_spec(tmp_path, stem, rows=6, cols=4, pipeline=1)
    arr = ConstantArray(spec, "shiftadd")
    assert arr.stages == arr.graph.depth() - 1 > 0
    assert check_array(spec, dut=arr)["result"] == "pass"


def test_vectors_with_gaps_through_the_pipeline(tmp_path):
    spec, codes = constant_spec(tmp_path, "pot_4bit", rows=8, cols=4, pipeline=1)
    jobs = random_jobs(spec, 1, 6)
    arr = ConstantArray(spec, "shiftadd")
    y, = simulate_array(spec, jobs, gap=2, dut=arr)
    assert np.array_equal(y, matmul(spec.codebook, jobs[0][1], codes))


def test_pipeline_zero_is_the_combinational_array(tmp_path):
    """``pipeline: 0`` (or none written) is today's design: no register in the graph."""
    from amaranth.back import rtlil
    plain, _ = constant_spec(tmp_path / "a", "pot_4bit", rows=4, cols=3)
    zero, _ = constant_spec(tmp_path / "b", "pot_4bit", rows=4, cols=3, pipeline=0)
    assert plain.array == zero.array and plain.array.pipeline == 0
    arr = ConstantArray(zero, "shiftadd")
    assert arr.latency == 2 and arr.stages == 0
    assert "_d1" not in rtlil.convert(arr)


def test_a_pipelined_arrays_drain_needs_its_spec(tmp_path):
    spec, _ = constant_spec(tmp_path, "pot_4bit", rows=4, cols=3, pipeline=1)
    with pytest.raises(ValueError, match="drain_of"):
        dataflow(spec).drain(spec.array)
    assert dataflow(spec).drain_of(spec) == constant_latency(spec) > 2


def test_partition_of_a_pipelined_graph_names_every_node():
    from shiftgen.synth.constant import parts
    m = np.random.default_rng(4).choice([-8, -1, 1, 2, 16, 64], (16, 40))
    g = column_trees(m, (-128, 127))
    count = 4
    flat, piped = g.parts(count), parts(g, 2)
    assert flat is not None and piped is not None
    named = {int(w[1:]) for part in piped for w in part}
    assert named == set(range(g.rows, g.rows + len(g.ops)))
    # Without a pipeline the parts are today's: outputs only.
    assert {int(w[1:]) for part in flat for w in part} <= {t.node for t in g.outputs}
