# amaranth: UnusedElaboratable=no
"""Every family's PE, mutated in one place (a shift amount, a MUX select, a
sign), is caught by simulation (cocotb on Icarus) and by the formal proof,
which gives a counterexample that the golden model confirms."""

import re

import numpy as np
import pytest

from shiftgen.cli import main
from shiftgen.verify.formal import prove
from shiftgen.golden import mac_run
from shiftgen.verify.cocotb_runner import available, run_cocotb
from shiftgen.verify.mutants import KINDS, make_mutants, weight_sign_bit

from ..support import shipped_spec

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("verify.test_mutants")

# One spec per family (the uniform multiplier has no shifter to mutate).
FAMILY_SPECS = {"uniform": "uniform_4x8", "pot": "pot_4bit", "apot": "apot_4bit",
                "sq": "sq_4bit", "jlq": "jlq_3bit", "ausn": "ausn_8x4"}
CASES = [pytest.param(family, kind, id=f"{family}-{kind}")
         for family in FAMILY_SPECS for kind in KINDS
         if not (family == "uniform" and kind == "shift")]


@pytest.fixture(scope="module")
def mutants(tmp_path_factory, exported):
    cache = {}

    def get(family):
        if family not in cache:
            spec = shipped_spec(FAMILY_SPECS[family])
            verilog, codebook = exported(spec)
            out = tmp_path_factory.mktemp(f"mutants-{family}")
            cache[family] = spec, codebook, make_mutants(spec, verilog, out)
        return cache[family]
    return get


def test_each_family_has_its_mutants(mutants):
    for family in FAMILY_SPECS:
        _, _, made = mutants(family)
        want = {"mux", "sign"} if family == "uniform" else set(KINDS)
        assert set(made) == want, family


def test_mutant_changes_one_place(mutants):
    spec, _, made = mutants("pot")
    for kind, (path, what) in made.items():
        assert re.search(rf"^module {spec.name}\(", path.read_text(), re.M), kind
    assert "sign" in made["sign"][1] and f"w[{weight_sign_bit(spec)}]" in made["sign"][1]


def replay(spec, trace):
    """``acc`` after the trace, by the golden model."""
    col = {k: [step[k] for step in trace] for k in ("a", "w", "en", "rst")}
    return int(mac_run(spec.codebook, spec.pe, col["a"], col["w"], en=col["en"],
                       rst=col["rst"])[-1])


@pytest.mark.parametrize("family, kind", CASES)
def test_formal_catches_the_mutant_with_a_counterexample(mutants, family, kind):
    spec, _, made = mutants(family)
    result = prove(spec, made[kind][0])
    assert result["result"] == "failed", (made[kind][1], result)
    cex = result["counterexample"]
    assert cex["steps"] >= 1
    if cex["gold_acc"] == cex["gate_acc"]:
        # The mutant corrupted decoder state (SQ's QPS table) first.
        assert any(r["gold"] != r["gate"] for r in cex["registers"].values())
    extra = set(cex["trace"][0]) - {"a", "w", "en", "rst"}
    if not extra:
        # The expected value is the golden model's, not only the reference's.
        assert replay(spec, cex["trace"]) == cex["gold_acc"]


@pytest.mark.skipif(not available("icarus"), reason="Icarus Verilog not installed")
@pytest.mark.parametrize("family, kind", CASES)
def test_simulation_catches_the_mutant(mutants, family, kind, tmp_path):
    spec, codebook, made = mutants(family)
    result = run_cocotb(spec, made[kind][0], codebook, "icarus", work_dir=tmp_path,
                        random_steps=300, exhaustive=True)
    assert result["result"] == "fail" and result["mismatches"] > 0, made[kind][1]


@pytest.mark.parametrize("family", ["pot", "jlq", "ausn"])
def test_verify_prints_the_counterexample(mutants, family, capsys):
    spec, _, made = mutants(family)
    assert main(["verify", str(spec.path), "--formal", "--rtl", str(made["sign"][0])]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    cex = prove(spec, made["sign"][0])["counterexample"]
    last = cex["trace"][-1]
    assert f"a={last['a']} w={last['w']}" in out
    assert f"expected acc {cex['gold_acc']}, actual acc {cex['gate_acc']}" in out
    assert cex["gold_acc"] == replay(spec, cex["trace"]) != cex["gate_acc"]


def test_unknown_kind(tmp_path):
    with pytest.raises(ValueError, match=r"Mutant kind must be one of shift, mux, sign, "
                                         r"not 'carry'"):
        make_mutants(shipped_spec("pot_4bit"), tmp_path / "x.v", tmp_path, kinds=["carry"])


def test_golden_replay_is_exact():
    spec = shipped_spec("pot_4bit")
    trace = [{"a": 3, "w": 1, "en": 1, "rst": 0}, {"a": -2, "w": 9, "en": 1, "rst": 0}]
    want = 3 * spec.codebook.multipliers[1] - 2 * spec.codebook.multipliers[9]
    assert replay(spec, trace) == np.int64(want)
