"""``shiftgen compare``: the paper-figure data file, ratios, writers, plots and a real run."""

import csv
import io
import json
import re
import subprocess
import sys

import pytest

from shiftgen.flows import compare
from shiftgen.errors import InputError
from shiftgen.flows.compare import (compute_rows, load_figures, plan, run_compare,
                                    summarize_report)
from shiftgen.flows.compare.plan import spec_from
from shiftgen.reports.compare import to_csv, to_json, to_markdown
from shiftgen.spec import load_spec

from ..support import ROOT

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("flows.test_compare")

SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
QUANTIZERS = SHARED / "QUANTIZERS.md"


# ---------------------------------------------------------------- the data file

def _numbers(text):
    return {float(m) for m in re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?!\d|\.\d)", text)}


def test_data_file_is_complete_and_well_formed():
    figures = load_figures()
    ids = {t["id"] for t in figures["tables"]}
    assert ids == {"seed002_table10", "seed002_fig4", "seed004_table8", "seed001_table4",
                   "seed001_table4_constant"}
    rows = figures["rows"]
    designs = {t: [r["design"] for r in rows if r["table"] == t] for t in ids}
    assert len(designs["seed002_table10"]) == 4
    assert designs["seed002_fig4"] == ["Uniform 8x8", "Uniform 4x8", "APoT 4x8", "PoT 4x8"]
    assert len(designs["seed004_table8"]) == 6
    assert len(designs["seed001_table4"]) == 9  # 3 designs x 8/8, 8/5, 8/4
    assert len(designs["seed001_table4_constant"]) == 6  # one per family
    for t in ids:  # every table has one reference design, and every ratio has a baseline
        assert [r for r in rows if r["table"] == t and r["baseline"] is None]
    named = QUANTIZERS.read_text() if QUANTIZERS.is_file() else None
    for r in rows:
        src = r["source"]
        assert set(src) >= {"seed", "table", "row"}, r["design"]
        if SEEDS.is_dir() or named is not None:
            assert (SEEDS / src["seed"]).is_file() or (named and src["seed"] in named), \
                f"{r['design']}: seed file {src['seed']} unknown"
        assert (ROOT / r["spec"]).is_file(), r["spec"]
        assert set(r["paper"]) <= {"LUT", "FF", "area_um2", "power_mw", "energy_w",
                                   "energy_pj_per_mac"}
    _, jobs, names = plan(root=ROOT)
    flows = ("weight_stationary", "broadcast")  # Table 4 is built in both dataflows
    assert len(names) == len(rows) + len(designs["seed001_table4"])
    constant = [by for by in jobs if by["name"].endswith("_64x64_constant")]
    assert len(constant) == 6 and all(j["kind"] == "array" for j in constant)
    table4 = {names[("seed001_table4", d, f)] for d in designs["seed001_table4"] for f in flows}
    assert len(table4) == 18
    by_name = {j["name"]: j for j in jobs}
    for name in table4:
        job = by_name[name]
        path = ROOT / job["spec_rel"]
        spec = spec_from(path.read_text(), path, job["array"])
        assert spec.array.rows == spec.array.cols == 64
        assert spec.array.dataflow == ("broadcast" if name.endswith("_broadcast")
                                       else "weight_stationary"), name


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds not beside the repository")
def test_every_paper_figure_is_in_its_seed_text():
    """Each number of the data file occurs in its paper's text, and so does its table."""
    texts = {}
    for r in load_figures()["rows"]:
        text = texts.setdefault(r["source"]["seed"],
                                (SEEDS / r["source"]["seed"]).read_text(encoding="utf-8"))
        assert r["source"]["table"].lower() in text.lower()
        found = _numbers(text)
        # A relative table (Fig. 4) gives "N times less": N is in the text, 1 / N is not.
        for metric, value in (r.get("paper_reduction") or r["paper"]).items():
            if r["table"] == "seed002_fig4" and r["baseline"] is None:
                continue  # the reference is 1 by definition
            assert float(value) in found, f"{r['design']} {metric} {value}"


def test_fig4_paper_figures_are_the_texts_reductions():
    """Seed 002 section 5.2: energy "roughly 2.5x ... 3x ... 6x", area "about 1.7x, 1.3x and 2x"."""
    figures = load_figures()
    table = next(t for t in figures["tables"] if t["id"] == "seed002_fig4")
    assert table["part"] == "datapath" and table["relative"] and table["approximate"]
    assert "5 nm" in table["platform"] and "250 MHz" in table["platform"]
    assert "50 % toggle" in table["platform"] and "combinational part only" in table["platform"]
    rows = {r["design"]: r for r in figures["rows"] if r["table"] == "seed002_fig4"}
    assert rows["Uniform 8x8"]["paper"] == {"area_um2": 1.0, "energy_pj_per_mac": 1.0}
    for design, area, energy in (("Uniform 4x8", 1.7, 2.5), ("APoT 4x8", 1.3, 3),
                                 ("PoT 4x8", 2, 6)):
        assert rows[design]["paper_reduction"] == {"area_um2": area, "energy_pj_per_mac": energy}
        assert rows[design]["paper"] == {"area_um2": 1 / area, "energy_pj_per_mac": 1 / energy}
        assert rows[design]["baseline"] == "Uniform 8x8"


@pytest.mark.skipif(not QUANTIZERS.is_file(), reason="shared/QUANTIZERS.md not found")
def test_lut_ff_figures_match_quantizers_md():
    section = QUANTIZERS.read_text().split("What the papers measured", 1)[1]
    found = _numbers(section)
    for r in load_figures()["rows"]:
        if r["table"] == "seed001_table4" and not r["design"].startswith(("AUSN", "Multiplier & "
                                                                          "Accumulator 8/8")):
            continue  # QUANTIZERS.md lists only the multiplier 8/8 and AUSN columns
        for metric in ("LUT", "FF"):
            if metric in r["paper"]:
                assert r["paper"][metric] in found, f"{r['design']} {metric}"


def test_bad_data_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "figures.yaml"
    bad.write_text("tables: [{id: t, title: T, seed: s.txt, table: T1, kind: pe}]\n"
                   "rows:\n- {table: t, design: A, spec: specs/pot_4bit.yaml, baseline: B,\n"
                   "   paper: {LUT: 3}, source: {seed: s.txt, table: T1, row: A}}\n")
    with pytest.raises(InputError, match="baseline 'B' is not another design"):
        load_figures(bad)


_REF = {"design": "A", "baseline": None}
_B = {"design": "B", "baseline": "A"}
_REL = {"relative": True, "metrics": ["area_um2"]}


@pytest.mark.parametrize("table, rows, match", [
    (_REL, [_REF, {**_B, "paper": {"area_um2": 0.5}}], "give paper_reduction"),
    (_REL, [_REF, {**_B, "paper_reduction": {"LUT": 2}}], "paper_reduction must give area_um2"),
    (_REL, [_REF, {**_B, "paper_reduction": {"area_um2": 0}}], "must be a positive number"),
    (_REL, [{**_REF, "paper_reduction": {"area_um2": 2}}], "reference design has no paper_red"),
    ({"relative": True}, [], "metrics go with relative: true"),
    ({"metrics": ["area_um2"]}, [], "metrics go with relative: true"),
    ({**_REL, "metrics": ["LUT"], "part": "datapath"}, [], "metrics must be a list of area_um2"),
    ({"part": "column"}, [], "part must be datapath"),
    ({**_REL, "relative": "yes"}, [], "must be true or false"),
])
def test_bad_relative_table_is_one_clear_error(tmp_path, table, rows, match):
    import yaml
    bad = tmp_path / "figures.yaml"
    source = {"seed": "s.txt", "table": "T1", "row": "r"}
    bad.write_text(yaml.safe_dump({
        "tables": [{"id": "t", "title": "T", "seed": "s.txt", "table": "T1", "kind": "pe",
                    **table}],
        "rows": [{**r, "table": "t", "spec": "specs/pot_4bit.yaml", "source": source}
                 for r in rows]}))
    with pytest.raises(InputError, match=match):
        load_figures(bad)


# ---------------------------------------------------------------- ratios on fake reports

def _pe_report(lut, ff, carry=1, gates=100, depth=10, result="pass"):
    return {"targets": {"xilinx7": {"LUT": lut, "FF": ff, "CARRY4": carry, "recipe": "r"},
                        "generic": {"total": gates, "depth": depth}},
            "depth": depth, "verification": {"amaranth_sim": {"result": result}}}


def _array_report(lut, ff):
    pe = _pe_report(1, 1)
    pe["array"] = {"verification": {"cocotb_icarus": {"result": "pass"}},
                   "targets": {"method": "hier", "xilinx7": {
                       "totals": {"LUT": lut, "FF": ff, "CARRY4": 7}, "instances": 16,
                       "recipe": {"cell": "c", "top": "t"}},
                       "generic": {"totals": {"total": 999, "depth": 12}}}}
    return pe


FAKE = {
    "tables": [{"id": "pe", "title": "PE table", "seed": "x.txt", "table": "Table 1",
                "kind": "pe"},
               {"id": "arr", "title": "Array table", "seed": "y.txt", "table": "Table 2",
                "kind": "array"}],
    "rows": [
        {"table": "pe", "design": "Mult", "spec": "specs/a.yaml", "array": None,
         "baseline": None, "also_vs": [], "paper": {"LUT": 80, "FF": 40, "area_um2": 200.0},
         "source": {"seed": "x.txt", "table": "Table 1", "row": "Mult"}, "note": None},
        {"table": "pe", "design": "Shift", "spec": "specs/b.yaml", "array": None,
         "baseline": "Mult", "also_vs": [], "paper": {"LUT": 40, "FF": 40, "area_um2": 150.0},
         "source": {"seed": "x.txt", "table": "Table 1", "row": "Shift"}, "note": "a | note"},
        {"table": "pe", "design": "Jump", "spec": "specs/c.yaml", "array": None,
         "baseline": "Shift", "also_vs": ["Mult"], "paper": {"LUT": 20},
         "source": {"seed": "x.txt", "table": "Table 1", "row": "Jump"}, "note": None},
        {"table": "arr", "design": "Big mult", "spec": "specs/d.yaml",
         "array": {"rows": 4, "cols": 4}, "baseline": None, "also_vs": [],
         "paper": {"LUT": 1000, "FF": 500, "energy_w": 1.5},
         "source": {"seed": "y.txt", "table": "Table 2", "row": "M"}, "note": None},
        {"table": "arr", "design": "Big shift", "spec": "specs/e.yaml", "array": None,
         "baseline": "Big mult", "also_vs": [], "paper": {"LUT": 250, "FF": 100},
         "source": {"seed": "y.txt", "table": "Table 2", "row": "S"}, "note": None},
    ]}
NAMES = {("pe", "Mult", None): "a", ("pe", "Shift", None): "b", ("pe", "Jump", None): "c",
         ("arr", "Big mult", None): "d_4x4", ("arr", "Big shift", None): "e"}


def _fake_ours():
    return {
        "a": summarize_report(_pe_report(100, 20), "pe", {"area_um2": 1000.0}),
        "b": summarize_report(_pe_report(60, 20), "pe", {"area_um2": 500.0}),
        "c": summarize_report(_pe_report(30, 16, result="fail"), "pe",
                              {"area_um2": None, "reason": "liberty not installed"}),
        "d_4x4": summarize_report(_array_report(4000, 1000), "array",
                                  {"area_um2": None, "reason": "n/a for arrays"}),
        "e": summarize_report(_array_report(1000, 1000), "array"),
    }


def test_summarize_report_pe_and_array():
    ours = _fake_ours()
    assert ours["a"]["LUT"] == 100 and ours["a"]["generic_gates"] == 100
    assert ours["a"]["verification"] == "pass" and ours["a"]["area_note"] is None
    assert ours["c"]["verification"] == ["amaranth_sim"]
    assert ours["c"]["area_note"] == "liberty not installed"
    d = ours["d_4x4"]
    assert (d["LUT"], d["FF"], d["CARRY4"], d["generic_gates"], d["depth"], d["cells"]) == \
        (4000, 1000, 7, 999, 12, 16)
    assert d["area_um2"] is None and d["area_note"] == "n/a for arrays"


def test_ratio_arithmetic():
    rows = {r["design"]: r for r in compute_rows(FAKE, _fake_ours(), NAMES)}
    assert rows["Mult"]["ratios"] == []
    assert rows["Mult"]["ours_over_paper"] == {"LUT": 1.25, "FF": 0.5}
    shift = rows["Shift"]["ratios"]
    assert shift == [{"against": "Mult", "primary": True,
                      "paper": {"LUT": 0.5, "FF": 1.0, "area_um2": 0.75},
                      "ours": {"LUT": 0.6, "FF": 1.0, "area_um2": 0.5}}]
    jump = rows["Jump"]["ratios"]
    # The paper gives only LUT for Jump, so only LUT is compared; our area is missing.
    assert jump[0] == {"against": "Shift", "primary": True, "paper": {"LUT": 0.5},
                       "ours": {"LUT": 0.5}}
    assert jump[1] == {"against": "Mult", "primary": False, "paper": {"LUT": 0.25},
                       "ours": {"LUT": 0.3}}
    big = rows["Big shift"]
    assert big["ratios"][0]["paper"] == {"LUT": 0.25, "FF": 0.2}
    assert big["ratios"][0]["ours"] == {"LUT": 0.25, "FF": 1.0}
    assert big["ours_over_paper"] == {"LUT": 4.0, "FF": 10.0}
    # A design we have no figures for gives None, never a crash.
    partial = compute_rows(FAKE, {k: v for k, v in _fake_ours().items() if k != "a"}, NAMES)
    assert next(r for r in partial if r["design"] == "Shift")["ratios"][0]["ours"]["LUT"] is None


FLOWS = ("weight_stationary", "broadcast")
FAKE_FLOWS = {"tables": [{**FAKE["tables"][1], "dataflows": list(FLOWS)}],
              "rows": [r for r in FAKE["rows"] if r["table"] == "arr"]}
FLOW_NAMES = {("arr", d, f): f"{n}_{f}" for d, n in (("Big mult", "d"), ("Big shift", "e"))
              for f in FLOWS}


def _flow_ours():
    # Big mult is smallest broadcast, Big shift smallest weight-stationary.
    figures = {"d_weight_stationary": (4000, 1000), "d_broadcast": (2000, 300),
               "e_weight_stationary": (900, 900), "e_broadcast": (1000, 200)}
    return {n: summarize_report(_array_report(*f), "array") for n, f in figures.items()}


def test_dataflow_rows_compare_like_with_like_and_best_with_best():
    rows = compute_rows(FAKE_FLOWS, _flow_ours(), FLOW_NAMES)
    got = [(r["design"], r["dataflow"], r.get("best_of"), r["name"]) for r in rows]
    assert got == [("Big mult", "weight_stationary", None, "d_weight_stationary"),
                   ("Big mult", "broadcast", None, "d_broadcast"),
                   ("Big shift", "weight_stationary", None, "e_weight_stationary"),
                   ("Big shift", "broadcast", None, "e_broadcast"),
                   ("Big mult", "best", "broadcast", "d_broadcast"),
                   ("Big shift", "best", "weight_stationary", "e_weight_stationary")]
    ratio = {(r["design"], r["dataflow"]): r["ratios"][0]["ours"] for r in rows
             if r["ratios"]}
    assert ratio[("Big shift", "weight_stationary")] == {"LUT": 0.225, "FF": 0.9}
    assert ratio[("Big shift", "broadcast")] == {"LUT": 0.5, "FF": round(200 / 300, 4)}
    assert ratio[("Big shift", "best")] == {"LUT": 0.45, "FF": 3.0}  # 900/2000, 900/300
    md = to_markdown({**_fake_doc(), "tables": FAKE_FLOWS["tables"], "rows": rows})
    assert "| Big shift | weight_stationary | `e_weight_stationary` |" in md
    assert "| Big shift | best (weight_stationary) | `e_weight_stationary` |" in md
    assert "Each design in its best dataflow" in md
    assert "our builds `e_weight_stationary`, `e_broadcast`." in md
    lines = list(csv.DictReader(io.StringIO(to_csv({"rows": rows}))))
    assert [r["dataflow"] for r in lines][-1] == "best (weight_stationary)"


def test_bad_dataflows_in_the_data_file(tmp_path):
    bad = tmp_path / "figures.yaml"
    for flows, kind, match in ((["systolic"], "array", "dataflows must be a list of"),
                               (["broadcast", "broadcast"], "array", "distinct"),
                               (["broadcast"], "pe", "apply to kind: array only")):
        bad.write_text(f"tables: [{{id: t, title: T, seed: s.txt, table: T1, kind: {kind}, "
                       f"dataflows: {flows}}}]\nrows: []\n")
        with pytest.raises(InputError, match=match):
            load_figures(bad)


def _fake_doc():
    return {"tables": FAKE["tables"], "rows": compute_rows(FAKE, _fake_ours(), NAMES),
            "weights": {"n": 10, "seed": 0},
            "pareto": [{"label": "a", "family": "uniform", "bits": 4, "lut": 100, "ff": 20,
                        "snr_db": 14.0, "scale": "max|W|", "spec": "specs/a.yaml"},
                       {"label": "b", "family": "pot", "bits": 4, "lut": 60, "ff": 20,
                        "snr_db": 13.0, "scale": "max|W|", "spec": "specs/b.yaml"}],
            "plots": {"plots/resources.png": "bars"},
            "tools": {"shiftgen": "0", "amaranth": "0", "yosys": "Yosys 0", "python": "3",
                      "matplotlib": "3"},
            "recipes": {"xilinx7": "synth_xilinx"}}


def test_markdown_csv_json_writers():
    doc = _fake_doc()
    md = to_markdown(doc)
    assert "## PE table" in md and "## Array table" in md
    assert md.count("| design | spec |") == 2
    assert "| Shift | `specs/b.yaml` | 40 / 40 | 60 / 20 / 1 |" in md
    assert "LUT 0.5, FF 1, area 0.75" in md  # the paper's ratio to Mult
    assert "| Jump | Mult | LUT 0.25 | LUT 0.3 |" in md  # the other baseline
    assert "liberty not installed" in md and "n/a for arrays" in md
    assert "`specs/d.yaml as 4x4 array`" in md
    assert "**Verification failed: amaranth_sim.**" in md
    assert "Note: a | note" in md
    assert "| b | pot | 4 | 60 | 20 | 13 | max\\|W\\| | yes |" in md  # a | in a cell is escaped
    rows = list(csv.DictReader(io.StringIO(to_csv(doc))))
    assert [r["design"] for r in rows] == ["Mult", "Shift", "Jump", "Big mult", "Big shift"]
    assert rows[1]["paper_ratio_LUT"] == "0.5" and rows[1]["our_ratio_area"] == "0.5"
    assert rows[2]["area_note"] == "liberty not installed" and rows[2]["area_um2"] == ""
    assert rows[3]["array"] == "4x4" and rows[2]["verification"] == "amaranth_sim"
    assert json.loads(to_json(doc)) == json.loads(json.dumps(doc))
    assert to_markdown(doc) == md and to_json(doc) == to_json(_fake_doc())


# ---------------------------------------------------------------- plots

def _plot_all(out):
    from shiftgen.reports.plots import levels_plot, pareto_plot, resources_plot
    from shiftgen.weights.seeded import seeded_weights
    w = seeded_weights(4096, seed=3, distribution="laplace")
    specs = [load_spec(ROOT / "specs" / f"{n}.yaml") for n in ("jlq_2bit", "jlq_3bit_shifter")]
    files = [*levels_plot(specs, w, out / "levels_jlq", title="jlq"),
             *levels_plot(load_spec(ROOT / "specs" / "ausn_8x4_decoder.yaml"), w,
                          out / "levels_ausn")]
    rows = [{"table": "PE", "design": "A", "paper": {"LUT": 50, "FF": 20},
             "ours": {"LUT": 60, "FF": None}},
            {"table": "Array", "design": "B", "paper": {"LUT": 200000, "FF": 50000},
             "ours": {"LUT": 480000, "FF": 1000}}]
    files += resources_plot(rows, out / "resources")
    points = [{"label": "u4", "family": "uniform", "bits": 4, "lut": 64, "snr_db": 14.2},
              {"label": "p4", "family": "pot", "bits": 4, "lut": 34, "snr_db": 13.9},
              {"label": "j3", "family": "jlq", "bits": 3, "lut": 40, "snr_db": 8.0},
              {"label": "x", "family": "new", "bits": 2, "lut": 10, "snr_db": None}]
    files += pareto_plot(points, out / "pareto")
    return files


def test_plots_are_written_and_reproducible(tmp_path):
    first = _plot_all(tmp_path / "one")
    second = _plot_all(tmp_path / "two")
    assert [p.name for p in first] == ["levels_jlq.png", "levels_jlq.svg", "levels_ausn.png",
                                       "levels_ausn.svg", "resources.png", "resources.svg",
                                       "pareto.png", "pareto.svg"]
    for a, b in zip(first, second):
        data = a.read_bytes()
        assert len(data) > 2000
        if a.suffix == ".png":
            assert data.startswith(b"\x89PNG")
        else:
            assert b"<svg" in data and b"<dc:date>" not in data
            assert data == b.read_bytes(), f"{a.name} differs between two runs"


def test_pareto_front():
    from shiftgen.reports.plots import pareto_front
    pts = [{"lut": 10, "snr_db": 5}, {"lut": 20, "snr_db": 4}, {"lut": 20, "snr_db": 9},
           {"lut": 30, "snr_db": 9}, {"lut": 5, "snr_db": 1}]
    assert pareto_front(pts) == [4, 0, 2]


def test_area_says_why_when_missing(tmp_path, monkeypatch):
    verilog = tmp_path / "x.v"
    verilog.write_text("module x(input a, output b); assign b = a; endmodule\n")
    monkeypatch.setitem(sys.modules, "shiftgen.synth.asic", None)  # not there: import fails
    assert compare.task.area(verilog, "x", tmp_path) == {
        "area_um2": None, "reason": "n/a: shiftgen.synth.asic not available"}
    monkeypatch.delitem(sys.modules, "shiftgen.synth.asic")
    pytest.importorskip("shiftgen.synth.asic")
    monkeypatch.setenv("SHIFTGEN_LIBERTY", str(tmp_path / "missing.lib"))
    res = compare.task.area(verilog, "x", tmp_path)
    assert res["area_um2"] is None and "liberty" in res["reason"]


# ---------------------------------------------------------------- a real run

@pytest.fixture(scope="module")
def table10(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    events = []
    # One ECP5 seed: the build's own, so the fixture places nothing more.
    doc = run_compare(out, tables=["seed002_table10"], jobs=2, area=False,
                      progress=events.append, ecp5_seeds=1)
    return out, doc, events


def test_run_compare_table10(table10):
    out, doc, events = table10
    assert events[0] == {"event": "plan", "total": 4, "names": [
        "uniform_8x8", "uniform_4x8", "apot_4bit", "pot_4bit"]}
    assert sum(e["event"] == "done" for e in events) == 4
    rows = {r["design"]: r for r in doc["rows"]}
    assert set(rows) == {"Uniform 8x8", "Uniform 4x8", "APoT 4x8", "PoT 4x8"}
    for r in rows.values():
        o = r["ours"]
        assert o["verification"] == "pass"
        assert o["LUT"] > 0 and o["FF"] > 0 and o["generic_gates"] > 0 and o["depth"] > 0
        assert o["area_um2"] is None and o["area_note"] == "not run (--no-area)"
        report = json.loads((out / "builds" / r["name"] / "report.json").read_text())
        assert o["LUT"] == report["targets"]["xilinx7"]["LUT"]
    pot = rows["PoT 4x8"]["ratios"][0]
    assert pot["against"] == "Uniform 4x8"
    assert pot["paper"] == {"LUT": round(39 / 46, 4), "FF": round(25 / 27, 4)}
    assert pot["ours"]["LUT"] == round(rows["PoT 4x8"]["ours"]["LUT"]
                                       / rows["Uniform 4x8"]["ours"]["LUT"], 4)
    assert {p["label"] for p in doc["pareto"]} == {"uniform_8x8", "uniform_4x8", "apot_4bit",
                                                   "pot_4bit"}
    assert all(p["snr_db"] > 5 for p in doc["pareto"])
    for name in ("compare.md", "compare.csv", "compare.json"):
        assert (out / name).stat().st_size > 500
    for png in doc["plots"]:
        assert (out / png).stat().st_size > 2000 and (out / png).with_suffix(".svg").is_file()
    assert {p.split("/")[-1] for p in doc["plots"]} == {
        "levels_uniform.png", "levels_apot.png", "levels_pot.png", "resources.png",
        "pareto_lut_snr.png"}
    assert "## seed 002 Table 10" in (out / "compare.md").read_text()


def test_cli_reuses_builds_and_prints_json(table10):
    out, doc, _ = table10
    before = (out / "compare.md").read_bytes(), (out / "plots" / "pareto_lut_snr.svg").read_bytes()
    proc = subprocess.run([sys.executable, "-m", "shiftgen", "compare", "--out", str(out),
                           "--table", "seed002_table10", "--no-area", "--ecp5-seeds", "1",
                           "--json"],
                          capture_output=True, text=True, cwd=out)
    assert proc.returncode == 0, proc.stderr
    again = json.loads(proc.stdout)
    assert all(b["cached"] for b in again["timings"]["builds"].values())
    strip = lambda d: {k: v for k, v in d.items() if k != "timings"}  # noqa: E731
    assert strip(again) == json.loads(json.dumps(strip(doc)))
    assert ((out / "compare.md").read_bytes(),
            (out / "plots" / "pareto_lut_snr.svg").read_bytes()) == before


def test_cli_rejects_an_unknown_table(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "shiftgen", "compare", "--out",
                           str(tmp_path / "c"), "--table", "nope", "--json"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and "unknown table nope" in proc.stderr
    assert proc.stdout == ""


def test_points_on_one_spot_share_one_label(tmp_path):
    from shiftgen.reports.plots import pareto_plot
    points = [{"label": "pot_a", "family": "pot", "bits": 4, "lut": 34, "snr_db": 13.9},
              {"label": "pot_b", "family": "pot", "bits": 4, "lut": 34, "snr_db": 13.9},
              {"label": "u4", "family": "uniform", "bits": 4, "lut": 64, "snr_db": 14.2}]
    svg = next(p for p in pareto_plot(points, tmp_path / "pareto") if p.suffix == ".svg")
    text = svg.read_text()
    # Matplotlib writes each label as one text element with its string in a comment.
    assert text.count("<!-- pot_a (4b) / pot_b (4b) -->") == 1
    assert "<!-- pot_a (4b) -->" not in text and "<!-- pot_b (4b) -->" not in text


def test_power_comes_from_the_builds_asic_target():
    def report(lut, mw, sim):
        r = _pe_report(lut, 10)
        r["targets"]["asic"] = {"area_um2": 100.0, "liberty": "osu018_stdcells.lib",
                                "power_mw": {"vectorless": {"total": mw},
                                             "simulated": {"total": sim}},
                                "energy_pj_per_mac": {"vectorless": mw * 10}, "fmax_mhz": 300.0}
        r["targets"]["ecp5"] = {"fmax_mhz": 150.0}
        return r
    ours = {n: summarize_report(report(*f), "pe", {"area_um2": 100.0})
            for n, f in (("m", (50, 2.0, 1.0)), ("s", (40, 1.5, 0.5)))}
    assert ours["m"]["power_mw"] == 2.0 and ours["m"]["simulated_power_mw"] == 1.0
    assert ours["m"]["energy_pj_per_mac"] == 20.0 and ours["m"]["ecp5_fmax_mhz"] == 150.0
    figures = {"tables": [FAKE["tables"][0]], "rows": [
        {**FAKE["rows"][0], "design": "M", "paper": {"LUT": 55, "power_mw": 1.32}},
        {**FAKE["rows"][1], "design": "S", "baseline": "M",
         "paper": {"LUT": 46, "power_mw": 1.1928}}]}
    rows = compute_rows(figures, ours, {("pe", "M", None): "m", ("pe", "S", None): "s"})
    ratio = rows[1]["ratios"][0]
    assert ratio["paper"]["power_mw"] == round(1.1928 / 1.32, 4)
    assert ratio["ours"]["power_mw"] == 0.75
    md = to_markdown({**_fake_doc(), "tables": figures["tables"], "rows": rows})
    assert "power 0.9036" in md and "| 1.500 (0.500 sim.) |" in md


# ---------------------------------------------------------------- liberty, clock, seeds, energy

def _asic(area, mw, dp_area=None, dp_pj=None, reason=None):
    out = {"area_um2": area, "liberty": "osu018_stdcells.lib", "fmax_mhz": 300.0,
           "power_mw": {"vectorless": {"total": mw}, "simulated": {"total": mw / 2}},
           "energy_pj_per_mac": {"vectorless": mw * 10}}
    out["datapath"] = {"area_um2": dp_area, "power_mw": {"vectorless": {"total": dp_pj / 10}},
                       "energy_pj_per_mac": {"vectorless": dp_pj}, "critical_path_ns": 3.0} \
        if dp_area is not None else {"area_um2": None, "reason": reason or "no datapath"}
    return out


def _ecp5(*fmax):
    return {"device": "LFE5U-25F-CABGA256", "fmax_mhz": sorted(fmax)[len(fmax) // 2],
            "fmax_min_mhz": min(fmax), "seeds": {str(i + 1): f for i, f in enumerate(fmax)},
            "cells": {"TRELLIS_COMB": 60, "TRELLIS_FF": 30}, "tools": {"nextpnr": "nextpnr-0.11.1"}}


def test_pe_summary_has_the_datapath_and_the_ecp5_seeds():
    r = _pe_report(50, 16)
    r["targets"]["asic"] = _asic(7000.0, 2.0, 4800.0, 11.7)
    r["targets"]["ecp5"] = _ecp5(170.0)
    ours = summarize_report(r, "pe", {"area_um2": 7000.0}, _ecp5(170.0, 159.0, 158.9))
    assert ours["datapath"] == {"area_um2": 4800.0, "power_mw": 1.17, "energy_pj_per_mac": 11.7,
                                "critical_path_ns": 3.0}
    assert (ours["ecp5_fmax_min_mhz"], ours["ecp5_fmax_mhz"]) == (158.9, 159.0)
    assert ours["ecp5"]["seeds"] == {"1": 170.0, "2": 159.0, "3": 158.9}
    assert ours["ecp5"]["cells"] == {"TRELLIS_COMB": 60, "TRELLIS_FF": 30}
    assert ours["notes"] == {}
    # Without the compare's seeds, the build's one; without a datapath, why.
    r["targets"]["asic"] = _asic(7000.0, 2.0, reason="a programmable decoder's table")
    ours = summarize_report(r, "pe", {"area_um2": 7000.0})
    assert ours["ecp5_fmax_mhz"] == ours["ecp5_fmax_min_mhz"] == 170.0
    assert ours["datapath"]["notes"]["area_um2"] == "n/a: a programmable decoder's table"
    r["targets"]["ecp5"] = {"fmax_mhz": None, "reason": "nextpnr-ecp5 not installed"}
    assert summarize_report(r)["ecp5"] == {"fmax_min_mhz": None, "fmax_median_mhz": None,
                                           "reason": "nextpnr-ecp5 not installed"}


def _energy_array(lut, ff, pj=None, reason=None):
    r = _array_report(lut, ff)
    if pj is not None:
        r["array"]["targets"]["asic"] = {"power_mw": {"vectorless": {"total": pj * 409.6}},
                                         "energy_pj_per_mac": {"vectorless": pj}}
    elif reason is not None:
        r["array"]["targets"]["asic"] = {"power_mw": None, "energy_pj_per_mac": None,
                                         "reason": reason}
    return summarize_report(r, "array")


def test_array_energy_ratio_beside_table4s_or_why_not():
    ours = {"d_4x4": _energy_array(4000, 1000, pj=2.0), "e": _energy_array(1000, 1000, pj=1.0)}
    assert ours["e"]["energy_pj_per_mac"] == 1.0 and ours["e"]["power_mw"] == 409.6
    figures = {"tables": [FAKE["tables"][1]], "rows": [
        FAKE["rows"][3], {**FAKE["rows"][4], "paper": {"LUT": 250, "FF": 100, "energy_w": 0.75}}]}
    names = {k: v for k, v in NAMES.items() if k[0] == "arr"}
    big = compute_rows(figures, ours, names)[1]["ratios"][0]
    # The paper's 0.75 W / 1.5 W beside our energy per MAC, 1 pJ / 2 pJ.
    assert big["paper"]["energy_w"] == 0.5 and big["ours"]["energy_w"] == 0.5
    assert "missing" not in big
    for arr, why in ((_energy_array(1000, 1000),
                      "n/a: the report has no array.targets.asic"),
                     (_energy_array(1000, 1000, reason="sta not installed"),
                      "n/a: sta not installed")):
        row = compute_rows(figures, {**ours, "e": arr}, names)[1]
        assert row["ratios"][0]["ours"]["energy_w"] is None
        assert row["ratios"][0]["missing"] == {"energy_w": why}
        md = to_markdown({**_fake_doc(), "tables": figures["tables"],
                          "rows": compute_rows(figures, {**ours, "e": arr}, names)})
        assert f"energy {why}" in md and "energy pJ/MAC" in md


FIG4 = {"tables": [{"id": "fig", "title": "Fig table", "seed": "x.txt", "table": "Fig. 4",
                    "kind": "pe", "part": "datapath", "relative": True, "approximate": True,
                    "metrics": ["area_um2", "energy_pj_per_mac"],
                    "platform": "5 nm, 250 MHz, 50 % toggle rate, combinational part only",
                    "baselines": "all against M", "differences": "technology; clock; registers"}],
        "rows": [{"table": "fig", "design": "M", "spec": "specs/a.yaml", "array": None,
                  "baseline": None, "also_vs": [], "note": None,
                  "paper": {"area_um2": 1.0, "energy_pj_per_mac": 1.0},
                  "source": {"seed": "x.txt", "table": "Fig. 4", "row": "M"}},
                 {"table": "fig", "design": "P", "spec": "specs/b.yaml", "array": None,
                  "baseline": "M", "also_vs": [], "note": None,
                  "paper_reduction": {"area_um2": 2, "energy_pj_per_mac": 6},
                  "paper": {"area_um2": 0.5, "energy_pj_per_mac": 1 / 6},
                  "source": {"seed": "x.txt", "table": "Fig. 4", "row": "P"}}]}


def _fig4_rows():
    def pe(area, mw, dp_area, dp_pj):
        r = _pe_report(50, 16)
        r["targets"]["asic"] = _asic(area, mw, dp_area, dp_pj)
        r["targets"]["ecp5"] = _ecp5(150.0)
        return summarize_report(r, "pe", {"area_um2": area})
    ours = {"a": pe(17500.0, 4.9, 14200.0, 35.3), "b": pe(7000.0, 2.0, 4800.0, 11.7)}
    return compute_rows(FIG4, ours, {("fig", "M", None): "a", ("fig", "P", None): "b"})


def test_datapath_table_ratios_ours_beside_the_papers():
    ratio = _fig4_rows()[1]["ratios"][0]
    assert ratio["paper"] == {"area_um2": 0.5, "energy_pj_per_mac": round(1 / 6, 4)}
    assert ratio["ours_datapath"] == {"area_um2": round(4800 / 14200, 4),
                                      "energy_pj_per_mac": round(11.7 / 35.3, 4)}
    assert ratio["ours"] == {"area_um2": 0.4, "energy_pj_per_mac": round(20 / 49, 4)}
    # Only a datapath table carries datapath ratios.
    assert all("ours_datapath" not in x for r in compute_rows(FAKE, _fake_ours(), NAMES)
               for x in r["ratios"])


def test_datapath_table_names_both_technologies():
    doc = {**_fake_doc(), "tables": FIG4["tables"], "rows": _fig4_rows(),
           "measures": {"clock_mhz": 125.0, "liberty": {"name": "osu018_stdcells.lib",
                                                        "sha256": "0"},
                        "sta": "OpenSTA 2.0.17", "nextpnr": "nextpnr-0.11.1", "ecp5_seeds": 3}}
    md = to_markdown(doc)
    assert "Paper: 5 nm, 250 MHz, 50 % toggle rate, combinational part only." in md
    assert "Ours: OSU 0.18 um standard cells, 125 MHz (the build's clock)" in md
    assert "vectorless activity 0.5" in md and "simulated" in md
    assert "| P | `b` | M | area ~0.5, energy ~0.1667 (2x less, 6x less) | area 0.338, " \
           "energy 0.3314 | area 0.4, energy 0.4082 | 4,800.0 / 11.7 | 7,000.0 / 20 / 1 |" in md
    assert "Where and why ours differ: technology; clock; registers" in md
    lines = list(csv.DictReader(io.StringIO(to_csv(doc))))
    assert lines[1]["our_datapath_ratio_area"] == "0.338"
    assert lines[1]["paper_ratio_energy"] == "0.1667" and lines[1]["datapath_area_um2"] == "4800.0"
    assert lines[1]["ecp5_fmax_median_mhz"] == "150.0"
    # Another liberty is named by its file.
    doc["measures"]["liberty"] = {"name": "my28nm.lib", "sha256": "1"}
    assert "Ours: my28nm.lib standard cells, 125 MHz" in to_markdown(doc)
    from shiftgen.reports.compare import terminal_tables
    assert terminal_tables(doc)[0].title == "Fig table"


def test_ecp5_section_gives_min_and_median_over_the_seeds():
    doc = {**_fake_doc(), "measures": {"clock_mhz": 100.0, "liberty": None, "sta": None,
                                       "nextpnr": "nextpnr-0.11.1", "ecp5_seeds": 3},
           "ecp5": {"pot_4bit": compare.rows.ecp5_summary(_ecp5(170.9, 159.0, 158.9)),
                    "x": compare.rows.ecp5_summary(None)}}
    md = to_markdown(doc)
    assert "## ECP5 post-route fmax (PEs, LFE5U-25F-CABGA256)" in md
    assert "placement seeds 1..3" in md
    assert "| `pot_4bit` | 158.9 | 159 | 1: 170.9, 2: 159, 3: 158.9 | TRELLIS_COMB 60, " \
           "TRELLIS_FF 30 |" in md
    assert "| `x` | — | — | not run | — |" in md


def test_cache_key_holds_the_liberty_clock_and_tools():
    base = {"clock_mhz": 100.0, "liberty": {"name": "osu018_stdcells.lib", "sha256": "a"},
            "sta": "OpenSTA 2.0.17", "nextpnr": "nextpnr-0.11.1"}
    key = lambda m: {j["name"]: j["key"] for j in plan(["seed002_fig4"], root=ROOT,  # noqa
                                                       measured=m)[1]}
    first = key(base)
    assert key(dict(base)) == first
    for change in ({"clock_mhz": 250.0}, {"liberty": {"name": "osu018_stdcells.lib",
                                                      "sha256": "b"}},
                   {"sta": "OpenSTA 2.0.18"}, {"nextpnr": "nextpnr-0.12"}, {"nextpnr": None}):
        other = key({**base, **change})
        assert all(other[n] != first[n] for n in first), change


def test_cache_key_holds_the_report_format(monkeypatch):
    """A build report that gains a figure (array.targets.asic) is made again, not reused."""
    from shiftgen.reports import build_report
    key = lambda: {j["name"]: j["key"] for j in plan(["seed002_fig4"], root=ROOT)[1]}  # noqa
    first = key()
    monkeypatch.setattr(build_report, "REPORT_FORMAT", build_report.REPORT_FORMAT + 1)
    other = key()
    assert all(other[n] != first[n] for n in first)


def test_measures_read_the_liberty_and_the_tools(tmp_path):
    from shiftgen.synth.liberty import find_liberty
    from shiftgen.synth.ecp5 import nextpnr_version
    from shiftgen.flows.compare.plan import measures
    got = measures(clock_mhz=250.0)
    assert got["clock_mhz"] == 250.0 and got["nextpnr"] == nextpnr_version()
    if find_liberty() is not None:
        import hashlib
        assert got["liberty"]["sha256"] == hashlib.sha256(find_liberty().read_bytes()).hexdigest()
    (tmp_path / "x.lib").write_text("x\n")
    with pytest.raises(InputError, match="not a liberty file"):
        measures(tmp_path / "x.lib")


def test_build_job_passes_the_liberty_clock_and_seeds(tmp_path, monkeypatch):
    calls = {}
    report = _pe_report(50, 16)
    report["targets"]["ecp5"] = _ecp5(170.0)
    report["targets"]["asic"] = _asic(7000.0, 2.0)

    def fake_build(spec, out_root, **kw):
        calls["build"] = kw
        return report, tmp_path / "b", {}

    def fake_ecp5(verilog, top, **kw):
        calls["ecp5"] = kw
        return _ecp5(170.0, 160.0, 150.0)
    monkeypatch.setattr(compare.task, "build", fake_build)
    monkeypatch.setattr("shiftgen.synth.ecp5.ecp5_target", fake_ecp5)
    res = compare.task.build_job({"name": "pot_4bit", "kind": "pe",
                                  "spec_path": str(ROOT / "specs" / "pot_4bit.yaml"),
                                  "out_root": str(tmp_path), "build": True, "area": True,
                                  "liberty": "/x/my.lib", "clock_mhz": 250.0, "ecp5_seeds": 3})
    assert calls["build"]["liberty"] == compare.task.Path("/x/my.lib")
    assert calls["build"]["clock_mhz"] == 250.0
    assert list(calls["ecp5"]["seeds"]) == [1, 2, 3] and calls["ecp5"]["earlier"] == \
        report["targets"]["ecp5"]
    assert res["ecp5"]["fmax_min_mhz"] == 150.0 and res["area"]["area_um2"] == 7000.0


def test_cached_ecp5_is_reused_only_with_every_seed():
    has = compare.run._has_ecp5
    assert has(_ecp5(1.0, 2.0, 3.0), 3) and not has(_ecp5(1.0), 3) and not has(None, 3)
    assert has({"fmax_mhz": None, "reason": "nextpnr-ecp5 not installed"}, 3)
    assert not has({"fmax_mhz": None, "reason": "error: ToolError: x"}, 3)


@pytest.mark.parametrize("args, fragment", [
    (["--liberty", "missing.lib"], "cannot read the liberty"),
    (["--liberty", "bad.lib"], "not a liberty file"),
    (["--clock-mhz", "0"], "--clock-mhz must be a clock in MHz"),
    (["--clock-mhz", "nan"], "--clock-mhz must be a clock in MHz"),
    (["--ecp5-seeds", "0"], "--ecp5-seeds must be a count of placement seeds, 1 to 100, not 0"),
    (["--ecp5-seeds", "1000"], "--ecp5-seeds must be a count"),
])
def test_cli_bad_liberty_clock_or_seeds_exit_2_and_write_nothing(tmp_path, args, fragment):
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "bad.lib").write_text("cell (x) {}\n")
    args = [str(tmp_path / a) if a.endswith(".lib") else a for a in args]
    proc = subprocess.run([sys.executable, "-m", "shiftgen", "compare", "--out",
                           str(work / "c"), "--table", "seed002_fig4", *args],
                          capture_output=True, text=True, cwd=work)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and fragment in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not any(work.iterdir())


def test_constant_rows_the_paper_lacks_compare_on_their_baselines_figures():
    figures = {"tables": [{**FAKE["tables"][1], "new_designs": True}], "rows": [
        FAKE["rows"][3], {**FAKE["rows"][4], "paper": {}}]}
    ours = {"d_4x4": _energy_array(4000, 1000, pj=2.0), "e": _energy_array(1000, 500, pj=0.5)}
    names = {k: v for k, v in NAMES.items() if k[0] == "arr"}
    new = compute_rows(figures, ours, names)[1]
    assert new["ratios"][0]["paper"] == {}
    assert new["ratios"][0]["ours"] == {"LUT": 0.25, "FF": 0.5, "energy_w": 0.25}
    assert new["ours_over_paper"] == {}
    md = to_markdown({**_fake_doc(), "tables": figures["tables"],
                      "rows": compute_rows(figures, ours, names)})
    assert "| — | LUT 0.25, FF 0.5, energy 0.25 |" in md


def test_paper_rows_need_figures_unless_the_table_has_new_designs(tmp_path):
    bad = tmp_path / "figures.yaml"
    row = ("rows:\n- {table: t, design: A, spec: specs/pot_4bit.yaml, baseline: null,\n"
           "   paper: {}, source: {seed: s.txt, table: T1, row: A}}\n")
    bad.write_text("tables: [{id: t, title: T, seed: s.txt, table: T1, kind: array}]\n" + row)
    with pytest.raises(InputError, match="paper figures need at least LUT$"):
        load_figures(bad)
    bad.write_text("tables: [{id: t, title: T, seed: s.txt, table: T1, kind: array, "
                   "new_designs: true}]\n" + row)
    assert load_figures(bad)["rows"][0]["paper"] == {}
    bad.write_text("tables: [{id: t, title: T, seed: s.txt, table: T1, kind: array, "
                   "new_designs: true}]\n" + row.replace("paper: {}", "paper: {FF: 3}"))
    with pytest.raises(InputError, match=r"need at least LUT \(or none: paper: \{\}\)"):
        load_figures(bad)
