# amaranth: UnusedElaboratable=no
"""Hierarchical array synthesis: the arithmetic of its totals, and its check against a flat run."""

import pytest
import yaml

from shiftgen.export.array import export_array
from shiftgen.synth.array import (METHOD, TOTAL_KEYS, compare, edge_contexts,
                                  synthesize_array)
from shiftgen.spec import parse_spec

from ..support import ROOT

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("synth.test_array_synth")


def array_spec(stem, rows, cols):
    """``specs/<stem>.yaml`` with an ``array`` section."""
    path = ROOT / "specs" / f"{stem}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["array"] = {"rows": rows, "cols": cols}
    return parse_spec(yaml.safe_dump(doc), path=path)


def synthesized(tmp_path_factory, stem, rows, cols, **variants):
    spec = array_spec(stem, rows, cols)
    out = tmp_path_factory.mktemp(f"array-{stem}-{rows}x{cols}")
    exported = export_array(spec, out)
    return spec, {name: synthesize_array(spec, out, exported, **kwargs)
                  for name, kwargs in variants.items()}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 2 x 3 multiplier array (non-square; its cell has a booth candidate), default method."""
    spec, runs = synthesized(tmp_path_factory, "uniform_4x8", 2, 3, hier={})
    return spec, runs["hier"]


@pytest.fixture(scope="module")
def pot4(tmp_path_factory):
    """A 4 x 4 PoT array: hierarchical (with edge contexts) and flattened."""
    return synthesized(tmp_path_factory, "pot_4bit", 4, 4,
                       hier={"edges": True}, flat={"flatten": True})


def skew_and_valid_ffs(spec):
    """The top's own registers: input skew (row r waits r edges) and the valid chain."""
    R, C = spec.array.rows, spec.array.cols
    return R * (R - 1) // 2 * spec.pe.act_bits + R + C - 1


def test_totals_are_top_plus_instances_times_cell(small):
    spec, result = small
    n = spec.array.rows * spec.array.cols
    assert result["method"] == METHOD and "top + R*C * cell" in result["method"]
    for target in ("xilinx7", "generic"):
        r = result[target]
        cell, top, totals = r["cell"], r["top"], r["totals"]
        assert r["instances"] == n == 6
        for key in TOTAL_KEYS[target]:
            if key in cell or key in top:
                assert totals[key] == top.get(key, 0) + n * cell.get(key, 0), (target, key)
        assert set(totals["cells"]) == set(top["cells"]) | set(cell["cells"])
        for kind, count in totals["cells"].items():
            assert count == top["cells"].get(kind, 0) + n * cell["cells"].get(kind, 0)
        # The cell multiplies: both candidates were run, the best kept.
        assert len(r["candidates"]) == 2
        assert r["candidate"] == ("booth" if "booth" in r["recipe"]["cell"] else "plain")
        assert r["recipe"]["top"] == top["recipe"] and "-flatten" not in top["recipe"]
        assert r["yosys"].startswith("Yosys") and r["seconds"] > 0
    assert result["xilinx7"]["totals"]["LUT"] == sum(
        result["xilinx7"]["totals"].get(f"LUT{k}", 0) for k in range(1, 7))
    # The array is pipelined per cell: its depth is the cell's.
    assert result["generic"]["totals"]["depth"] == result["generic"]["cell"]["depth"] > 1
    assert result["generic"]["top"]["depth"] is None


def test_top_figures_exclude_the_cell_instances(small):
    spec, result = small
    cell_name = f"{spec.name}_cell"
    n = spec.array.rows * spec.array.cols
    for target in ("xilinx7", "generic"):
        top = result[target]["top"]
        assert top["blackboxes"] == {cell_name: n}
        assert not any(cell_name in kind for kind in top["cells"])
    # The top of a PE-decoder array holds registers only: skew and valid chain.
    x, g = result["xilinx7"]["top"], result["generic"]["top"]
    assert x["FF"] == skew_and_valid_ffs(spec) == 12
    assert x["LUT"] == x["CARRY4"] == 0 and set(x["cells"]) == {"FDRE"}
    assert g["total"] == skew_and_valid_ffs(spec)


@pytest.mark.parametrize("rows, cols", [(1, 1), (1, 5), (5, 1), (4, 4), (64, 64)])
def test_edge_contexts_cover_the_array(rows, cols):
    counts = edge_contexts(rows, cols)
    assert sum(counts.values()) == rows * cols
    assert counts["corner"] == 1
    assert counts.get("row0", 0) == cols - 1 and counts.get("last_col", 0) == rows - 1


def test_hierarchical_against_flattened(pot4):
    spec, runs = pot4
    hier, flat = runs["hier"], runs["flat"]
    R, C = spec.array.rows, spec.array.cols
    uniform = {t: {"totals": hier[t]["uniform_totals"]} for t in ("xilinx7", "generic")}
    plain, edges = compare(uniform, flat), compare(hier, flat)
    for name, diff in (("hierarchical", plain), ("with edge contexts", edges)):
        print(f"\n{spec.name} {R}x{C}, {name} vs flattened:")
        for target, figures in diff.items():
            for key in ("LUT", "FF", "CARRY4", "total"):
                if key in figures:
                    d = figures[key]
                    print(f"  {target:8} {key:7} {d['hierarchical']:6} {d['flattened']:6} "
                          f"{d['percent']:+7.2f} %")
    x = hier["xilinx7"]
    ctx = x["contexts"]
    # Arithmetic of the edge-context totals.
    assert {k: c["instances"] for k, c in ctx.items()} == edge_contexts(R, C)
    for key in ("LUT", "FF", "CARRY4"):
        assert x["totals"][key] == x["top"][key] + sum(c["instances"] * c[key]
                                                       for c in ctx.values())
    # Flip-flops: with the edge contexts they match the flat run of this array
    # exactly. The plain method counts what a flat run removes: the last
    # column's unread a_out (act_bits per row) and row 0's partial-sum bits
    # that only repeat the product's sign (psum_in is 0 there).
    assert edges["xilinx7"]["FF"]["diff"] == 0
    assert ctx["interior"]["FF"] == x["cell"]["FF"]
    assert x["cell"]["FF"] - ctx["last_col"]["FF"] == spec.pe.act_bits
    row0_saved = x["cell"]["FF"] - ctx["row0"]["FF"]
    assert row0_saved > 0
    assert plain["xilinx7"]["FF"]["diff"] == R * spec.pe.act_bits + C * row0_saved
    # LUTs and gates: within the stated tolerance (the plain method's excess
    # is mostly row 0's adders, a quarter of a 4 x 4 array, 1/64 of a 64 x 64).
    assert 0 <= plain["xilinx7"]["LUT"]["percent"] < 15
    assert abs(edges["xilinx7"]["LUT"]["percent"]) < 8
    assert 0 <= plain["generic"]["total"]["percent"] < 15
    assert abs(edges["generic"]["total"]["percent"]) < 5
    # The flat run used the cell's recipe; the depth is the cell's either way.
    assert flat["xilinx7"]["candidate"] == hier["xilinx7"]["candidate"] == "plain"
    assert flat["generic"]["totals"]["depth"] == hier["generic"]["totals"]["depth"]


@pytest.fixture(scope="module")
def chains(tmp_path_factory):
    """An 8 x 2 PoT broadcast array in chains of 2: a column of four parts."""
    path = ROOT / "specs" / "pot_4bit.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["array"] = {"rows": 8, "cols": 2, "dataflow": "broadcast", "chain": 2}
    spec = parse_spec(yaml.safe_dump(doc), path=path)
    out = tmp_path_factory.mktemp("array-chains")
    exported = export_array(spec, out)
    return spec, {"hier": synthesize_array(spec, out, exported),
                  "flat": synthesize_array(spec, out, exported, flatten=True)}


def test_a_column_is_mapped_chain_by_chain(chains):
    spec, runs = chains
    hier, flat = runs["hier"], runs["flat"]
    x = hier["xilinx7"]
    diff = compare(hier, flat)
    assert x["unit"] == "column" and x["instances"] == spec.array.cols
    assert f"submod -name {spec.name}_column_part3 @part3" in x["recipe"]["cell"]
    assert "-flatten" not in x["recipe"]["cell"].split("synth_xilinx")[1]
    assert not any("part" in kind for kind in x["cell"]["cells"])  # parts counted in, not as cells
    g = hier["generic"]  # mapped part by part, then flattened for the column's depth
    assert "submod" in g["recipe"]["cell"] and "flatten" in g["recipe"]["cell"]
    assert g["totals"]["depth"] == g["cell"]["depth"] > 1
    assert not any("part" in kind for kind in g["cell"]["cells"])
    # Generic gates: mapped in parts, ABC finds a smaller netlist (here 6 % fewer gates).
    assert diff["generic"]["total"]["diff"] <= 0
    assert diff["xilinx7"]["FF"]["diff"] == 0
    assert abs(diff["xilinx7"]["LUT"]["percent"]) < 3, diff["xilinx7"]["LUT"]


def test_a_part_that_selects_nothing_fails_the_run(tmp_path):
    from shiftgen.errors import ToolError
    from shiftgen.synth.run import run_candidate
    v = tmp_path / "m.v"
    v.write_text("module m(input [3:0] a, b, output [4:0] y);\n"
                 "  (* keep *) wire [4:0] s = a + b;\n  assign y = s;\nendmodule\n")
    whole = run_candidate(v, "m", "xilinx7", False, partition=[["s"]])
    assert whole["LUT"] > 0 and "submod -name m_part0 @part0" in whole["recipe"]
    with pytest.raises(ToolError):
        run_candidate(v, "m", "xilinx7", False, partition=[["nothing_here"]])
