"""Synthesis figures come from a real Yosys run of the exported Verilog."""

import pytest

from shiftgen.synth.pe import synthesize

from ..support import shipped_spec

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("synth.test_synth")


@pytest.fixture(scope="module")
def figures(exported):
    """Synthesis results of the three shipped specs (one Yosys run each per recipe)."""
    return {stem: synthesize(exported(shipped_spec(stem))[0], stem)
            for stem in ("pot_4bit", "uniform_4x8", "uniform_8x8")}


def test_xilinx_figures_are_consistent(figures):
    for stem, result in figures.items():
        x = result["xilinx7"]
        assert x["LUT"] == sum(x[f"LUT{k}"] for k in range(1, 7) if f"LUT{k}" in x)
        assert x["LUT"] > 0 and x["CARRY4"] > 0
        assert "synth_xilinx" in x["recipe"] and "-nodsp" in x["recipe"]
        assert "DSP48E1" not in x["cells"]


def test_accumulator_flip_flops_match_acc_bits(figures):
    # The PE's only state is the accumulator.
    assert figures["pot_4bit"]["xilinx7"]["FF"] == 16
    assert figures["uniform_4x8"]["xilinx7"]["FF"] == 16
    assert figures["uniform_8x8"]["xilinx7"]["FF"] == 24


def test_multiplier_baseline_tries_booth_and_keeps_the_best(figures):
    for stem in ("uniform_4x8", "uniform_8x8"):
        for target in ("xilinx7", "generic"):
            result = figures[stem][target]
            recipes = [c["recipe"] for c in result["candidates"]]
            assert len(recipes) == 2 and any("booth" in r for r in recipes)
            merit = "LUT" if target == "xilinx7" else "total"
            assert result[merit] == min(c[merit] for c in result["candidates"])
    # A design without a multiplier has nothing for booth to do.
    assert len(figures["pot_4bit"]["xilinx7"]["candidates"]) == 1


def test_generic_gates_and_depth(figures):
    for result in figures.values():
        g = result["generic"]
        assert set(g["cells"]) - {"SDFFE_PP0P"} <= {"AND", "NAND", "OR", "NOR", "XOR", "XNOR",
                                                    "MUX", "NOT", "ANDNOT", "ORNOT"}
        assert g["total"] == sum(g["cells"].values())
        assert g["depth"] > 1


def test_shift_pe_is_smaller_than_the_multiplier_pe(figures):
    assert figures["pot_4bit"]["xilinx7"]["LUT"] < figures["uniform_4x8"]["xilinx7"]["LUT"]
    assert figures["uniform_4x8"]["xilinx7"]["LUT"] < figures["uniform_8x8"]["xilinx7"]["LUT"]
