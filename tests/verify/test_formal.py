# amaranth: UnusedElaboratable=no
"""Formal equivalence of exported PEs with the codebook-only reference."""

import json
import re

import pytest

from shiftgen.cli import main
from shiftgen.errors import ToolError
from shiftgen.verify.formal import format_counterexample, prove, reference_verilog
from shiftgen.golden import mac_run

from ..support import ROOT, all_spec_params, shipped_spec


@pytest.mark.parametrize("any_spec", all_spec_params(), indirect=True)
def test_exported_pe_is_proved_equal(any_spec, exported):
    verilog, _ = exported(any_spec)
    result = prove(any_spec, verilog)
    assert result["result"] == "proved", result
    assert result["induction_length"] == 1


def _mutate(text, pattern, replacement):
    mutated, n = re.subn(pattern, replacement, text, count=1)
    assert n == 1, f"pattern {pattern!r} not found"
    return mutated


@pytest.mark.parametrize("mutation", [
    (r">>> w\[2:0\]", ">>> {w[2:1], 1'b0}"),      # shift amount loses a bit
    (r"if \(rst\) acc <= 16'h0000;", "if (rst) acc <= 16'h0001;"),  # reset value
    (r"else if \(en\) acc", "else acc"),           # enable ignored
])
def test_a_mutant_is_caught(mutation, exported, tmp_path):
    spec = shipped_spec("pot_4bit")
    text = exported(spec)[0].read_text()
    mutant = tmp_path / "mutant.v"
    mutant.write_text(_mutate(text, *mutation))
    result = prove(spec, mutant, evidence_dir=tmp_path)
    assert result["result"] == "failed"
    assert (tmp_path / "counterexample.vcd").exists()
    _check_counterexample(spec, result["counterexample"])


def _replay(spec, trace):
    """``acc`` of the golden model after the clock edges of ``trace``, from zero."""
    if not trace:
        return 0
    col = {k: [step[k] for step in trace] for k in ("a", "w", "en", "rst")}
    return int(mac_run(spec.codebook, spec.pe, col["a"], col["w"], en=col["en"],
                       rst=col["rst"])[-1])


def _check_counterexample(spec, cex):
    """The trace replayed through the golden model gives the expected acc, not the actual."""
    assert cex["steps"] == len(cex["trace"])
    half = 1 << (spec.pe.act_bits - 1)
    for step in cex["trace"]:
        assert set(step) == {"rst", "en", "a", "w"}
        assert -half <= step["a"] < half  # signed activation
        assert 0 <= step["w"] < 1 << spec.pe.weight_bits
    assert _replay(spec, cex["trace"]) == cex["gold_acc"]
    assert cex["gate_acc"] != cex["gold_acc"]
    half = 1 << (spec.pe.acc_bits - 1)
    assert -half <= cex["gate_acc"] < half


def test_a_changed_constant_gets_a_readable_counterexample(exported, tmp_path, capsys):
    # One decoder constant of an APoT PE: code 2 of the low field decodes as code 0.
    spec = shipped_spec("apot_4bit")
    mutant = tmp_path / "mutant.v"
    mutant.write_text(_mutate(exported(spec)[0].read_text(),
                              r"w\[1:0\] == 2'h2;", "w[1:0] == 2'h0;"))
    spec_file = str(ROOT / "specs" / "apot_4bit.yaml")
    assert main(["verify", spec_file, "--formal", "--rtl", str(mutant), "--json"]) == 1
    cex = json.loads(capsys.readouterr().out)["formal"]["counterexample"]
    _check_counterexample(spec, cex)
    assert main(["verify", spec_file, "--formal", "--rtl", str(mutant)]) == 1
    lines = [l for l in capsys.readouterr().out.splitlines() if "counterexample:" in l]
    assert len(lines) == 1
    m = re.search(r"counterexample: a=(-?\d+) w=(\d+)\b.* -> expected acc (-?\d+), "
                  r"actual acc (-?\d+) \(from zero, after (\d+) steps?", lines[0])
    assert m, lines[0]
    a, w, gold, gate, steps = map(int, m.groups())
    # Same proof, same model: the printed line is the JSON's counterexample.
    assert (a, w) == (cex["trace"][-1]["a"], cex["trace"][-1]["w"])
    assert (gold, gate, steps) == (cex["gold_acc"], cex["gate_acc"], cex["steps"])
    # A 2 in the low field of w (codes 2, 6, 10, 14) is what the mutant gets wrong.
    assert any(step["w"] & 3 in (0, 2) and step["en"] and step["a"] for step in cex["trace"])


def test_counterexample_text_lists_every_step():
    cex = {"steps": 3, "trace": [{"rst": 1, "en": 0, "a": 0, "w": 0},
                                 {"rst": 0, "en": 1, "a": -3, "w": 5},
                                 {"rst": 0, "en": 1, "a": 7, "w": 2, "qps_we": 1}],
           "gold_acc": 40, "gate_acc": 20}
    assert format_counterexample(cex) == (
        "a=7 w=2 qps_we=1 -> expected acc 40, actual acc 20 (from zero, after 3 steps: "
        "1: rst=1 en=0 a=0 w=0; 2: a=-3 w=5; 3: a=7 w=2 qps_we=1)")
    assert format_counterexample({"steps": 0, "trace": [], "gold_acc": 0, "gate_acc": 1}) == (
        "no clock edge -> expected acc 0, actual acc 1 (from zero, after 0 steps)")


def test_missing_top_module_is_a_clear_error(tmp_path):
    spec = shipped_spec("pot_4bit")
    other = tmp_path / "other.v"
    other.write_text("module something(input x, output y); assign y = x; endmodule\n")
    with pytest.raises(ToolError, match=r"no module .pot_4bit. to prove \(modules found: something\)"):
        prove(spec, other)


def test_reference_is_written_from_the_codebook_alone():
    spec = shipped_spec("pot_4bit")
    text = reference_verilog(spec)
    for code, mult in enumerate(spec.codebook.multipliers):
        sign = "-" if mult < 0 else ""
        assert re.search(rf"4'd{code}: m = {sign}\d+'sd{abs(mult)};", text)
    assert "<<" not in text and ">>" not in text
