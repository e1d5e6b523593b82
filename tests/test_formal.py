# amaranth: UnusedElaboratable=no
"""Formal equivalence of exported PEs with the codebook-only reference."""

import re

import pytest

from shiftgen.errors import ToolError
from shiftgen.formal import prove, reference_verilog

from .support import all_spec_params, shipped_spec


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
