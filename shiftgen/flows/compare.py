"""``shiftgen compare``: every paper configuration and its baselines, built in one run.

The paper figures live in ``shiftgen/data/paper_figures.yaml`` (one row per
design of seed 002 Table 10, seed 004 Table VIII and seed 001 Table 4, each
with its seed file, table and row). :func:`run_compare` builds each row's
spec once (:func:`shiftgen.flows.build.build`, Yosys ``xilinx7`` and ``generic``),
plus a few more PE specs for the Pareto plot, in a pool of processes, and
writes to ``out_dir``:

- ``compare.json``: every row, the Pareto points, tool versions and
  recipes; the same builds give the same file except for ``timings``;
- ``compare.csv``: one line per design (figures, ratios to its baseline);
- ``compare.md``: one table per paper table;
- ``plots/``: levels per family, LUT and FF per design, LUT against SNR
  (:mod:`shiftgen.reports.plots`);
- ``builds/<name>/``: the build directories. A build is reused when its
  ``compare_key.json`` matches the spec text and shiftgen version (unless
  ``force``);
- ``specs/``: the spec files of arrays made from a PE spec (a data-file row
  with ``array: {rows, cols}``, where no array spec is shipped).

The fair comparison is of ratios, not of absolute figures: the paper's
tools (Vivado, HLS, a 28 nm library) differ from ours, so each design's
ratio to its baseline in the paper is set beside the same ratio of our
figures from the same run. Ratios are design / baseline.
"""

import csv
import hashlib
import importlib.util
import io
import json
import math
import multiprocessing
import platform
import queue as queue_mod
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from importlib import resources
from pathlib import Path

import yaml

from .. import __version__
from ..errors import InputError, ShiftgenError, VerificationError

__all__ = ["DATA_FILE", "EXTRA_PE_SPECS", "METRICS", "load_figures", "spec_key",
           "summarize_report", "compute_rows", "pareto_points", "to_csv", "to_markdown",
           "to_json", "rich_tables", "run_compare"]

#: The paper figures, inside the package.
DATA_FILE = "paper_figures.yaml"

#: PE specs built beside the paper rows for the Pareto plot and the levels
#: plots: the other families and widths (AUSN's PEs, SQ, a 5-bit APoT).
EXTRA_PE_SPECS = (
    "specs/ausn_8x4.yaml", "specs/ausn_8x5.yaml", "specs/ausn_8x8.yaml",
    "specs/ausn_8x4_decoder.yaml", "specs/ausn_8x5_multiplier.yaml",
    "specs/sq_2bit.yaml", "specs/sq_3bit.yaml", "specs/sq_4bit.yaml",
    "specs/apot_5bit.yaml",
)

#: Figures that ratios are taken of, when the paper gives them for both designs.
METRICS = ("LUT", "FF", "area_um2")
#: Figures compared as ours / paper (the others come from different technologies).
ABSOLUTE = ("LUT", "FF")
_METRIC_LABEL = {"LUT": "LUT", "FF": "FF", "area_um2": "area"}

#: Seeded weights of the SNR axis and the levels plots.
WEIGHTS_N, WEIGHTS_SEED = 1 << 16, 0

_KEY_FILE = "compare_key.json"
_OSU = "OSU 0.18 um"


# ---------------------------------------------------------------- data file

def _fail(msg):
    raise InputError(f"{DATA_FILE}: {msg}")


def load_figures(path=None):
    """The paper figures: ``{"tables": [...], "rows": [...]}``, checked.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Default: the file shipped in the package.

    Raises
    ------
    InputError
        If a row lacks a field, names an unknown table or baseline, or repeats
        a design.
    """
    if path is None:
        text = (resources.files("shiftgen") / "data" / DATA_FILE).read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), list) \
            or not isinstance(doc.get("rows"), list):
        _fail("needs 'tables' and 'rows' lists")
    tables = {}
    for t in doc["tables"]:
        for key in ("id", "title", "seed", "table", "kind"):
            if not t.get(key):
                _fail(f"table {t.get('id')!r}: missing {key!r}")
        if t["kind"] not in ("pe", "array"):
            _fail(f"table {t['id']}: kind must be pe or array, not {t['kind']!r}")
        if t["id"] in tables:
            _fail(f"table {t['id']} listed twice")
        tables[t["id"]] = t
    seen = set()
    for r in doc["rows"]:
        for key in ("table", "design", "spec", "paper", "source"):
            if key not in r:
                _fail(f"row {r.get('design')!r}: missing {key!r}")
        if r["table"] not in tables:
            _fail(f"row {r['design']!r}: unknown table {r['table']!r}")
        if (r["table"], r["design"]) in seen:
            _fail(f"row {r['design']!r} listed twice in {r['table']}")
        seen.add((r["table"], r["design"]))
        if not isinstance(r["paper"], dict) or "LUT" not in r["paper"]:
            _fail(f"row {r['design']!r}: paper figures need at least LUT")
        for k, v in r["paper"].items():
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
                _fail(f"row {r['design']!r}: paper {k} must be a positive number, not {v!r}")
        for key in ("seed", "table", "row"):
            if not r["source"].get(key):
                _fail(f"row {r['design']!r}: source needs {key!r}")
        arr = r.get("array")
        if arr is not None and (not isinstance(arr, dict) or set(arr) != {"rows", "cols"}):
            _fail(f"row {r['design']!r}: array must be {{rows, cols}}, not {arr!r}")
        r.setdefault("baseline", None)
        r.setdefault("also_vs", [])
        r.setdefault("note", None)
        r.setdefault("array", None)
    for r in doc["rows"]:
        for label in ([r["baseline"]] if r["baseline"] else []) + list(r["also_vs"]):
            if (r["table"], label) not in seen or label == r["design"]:
                _fail(f"row {r['design']!r}: baseline {label!r} is not another design of "
                      f"{r['table']}")
    return {"tables": doc["tables"], "rows": doc["rows"]}


def repo_root():
    """The directory the spec paths of the data file are relative to.

    The repository holding the package when it has ``specs/`` (an editable
    install), else the current directory.
    """
    root = Path(__file__).resolve().parents[2]
    return root if (root / "specs").is_dir() else Path.cwd()


def spec_key(spec_text, array=None, name=None):
    """Hash of what a build depends on: the spec text, the array override, the version."""
    blob = json.dumps({"spec": spec_text, "array": array, "name": name,
                       "shiftgen": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _job_for(spec_rel, array, root):
    """Name, spec path, array override and key of a build; the spec is loaded to check it."""
    path = root / spec_rel
    try:
        text = path.read_text("utf-8")
    except OSError as e:
        raise InputError(f"{DATA_FILE}: spec {spec_rel}: cannot be read ({e.strerror})") from None
    spec = _spec_from(text, path, array)
    return {"name": spec.name, "spec_path": str(path), "spec_rel": spec_rel, "array": array,
            "key": spec_key(text, array, spec.name), "kind": "array" if spec.array else "pe",
            "family": spec.family.name, "weight_bits": spec.pe.weight_bits}


def _derived_text(text, path, array):
    """Spec text of the PE of ``text`` as an ``array`` (``{rows, cols}``), named
    ``<name>_<R>x<C>``."""
    from ..spec import parse_spec
    spec = parse_spec(text, path=path)
    doc = yaml.safe_load(text)
    doc["name"] = f"{spec.name}_{array['rows']}x{array['cols']}"
    doc["array"] = {"rows": array["rows"], "cols": array["cols"]}
    return (f"# Written by 'shiftgen compare': the PE of {Path(path).name} as a "
            f"{array['rows']} x {array['cols']} array\n"
            + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None))


def _spec_from(text, path, array):
    """The spec of ``text``; with ``array``, its PE as an array, named ``<name>_<R>x<C>``."""
    from ..spec import parse_spec
    if array is None:
        return parse_spec(text, path=path)
    return parse_spec(_derived_text(text, path, array), path=path)


# ---------------------------------------------------------------- builds

def _build_job(job, events=None):
    """Build one spec (or reuse it) and measure its area; runs in a worker process.

    Returns a dict: ``name``, ``report``, ``cached``, ``seconds``, ``area``.
    """
    from .build import build

    def say(msg):
        if events is not None:
            events.put((job["name"], msg))

    start = time.monotonic()
    out_root = Path(job["out_root"])
    build_dir = out_root / job["name"]
    key_path = build_dir / _KEY_FILE
    report = None
    keyed = {}
    if not job["force"] and (build_dir / "report.json").is_file() and key_path.is_file():
        try:
            keyed = json.loads(key_path.read_text())
            if keyed.get("key") == job["key"]:
                report = json.loads((build_dir / "report.json").read_text())
        except (OSError, ValueError):
            report, keyed = None, {}
    cached = report is not None
    if not cached:
        keyed = {}
        say("build")
        from ..spec import load_spec
        # An array made from a PE spec is built from the spec file written for it, since
        # the cocotb array test loads the spec from its file.
        spec = load_spec(job.get("build_spec") or job["spec_path"])
        report, build_dir, _ = build(spec, out_root, synth=True, progress=say)
    area = keyed.get("area")
    if job["kind"] == "array":
        area = {"area_um2": None, "reason": "n/a for arrays (PE only)"}
    elif not job["area"]:
        area = {"area_um2": None, "reason": "not run (--no-area)"}
    elif not (area and area.get("area_um2") is not None):
        say("area (OSU 0.18 um)")
        area = _area(build_dir / f"{job['name']}.v", job["name"], build_dir / "asic")
    if job["kind"] == "pe" and area.get("area_um2") is not None:
        keep = area
    elif not job["area"]:
        keep = keyed.get("area")  # --no-area keeps what an earlier run measured
    else:
        keep = None  # a missing figure is looked for again next time
    key_path.write_text(json.dumps({"key": job["key"], "spec": job["spec_rel"],
                                    "array": job["array"], "shiftgen": __version__,
                                    "area": keep}, indent=1) + "\n")
    return {"name": job["name"], "report": report, "cached": cached, "area": area,
            "seconds": round(time.monotonic() - start, 2)}


def _area(verilog, top, work_dir):
    """OSU 0.18 um area from :mod:`shiftgen.synth.asic`, or why there is none (never raises)."""
    try:
        from ..synth.asic import asic_area
    except ImportError:
        return {"area_um2": None, "reason": "n/a: shiftgen.synth.asic not available"}
    try:
        res = dict(asic_area(verilog, top, work_dir=work_dir))
    except Exception as e:  # noqa: BLE001 - the column says why; the comparison goes on
        return {"area_um2": None, "reason": f"error: {type(e).__name__}: {e}"}
    if res.get("area_um2") is None and not res.get("reason"):
        res["reason"] = "n/a (no figure)"
    return res


def summarize_report(report, kind="pe", area=None):
    """Our figures from a ``report.json``: xilinx7 LUT/FF/CARRY4, generic gates and depth.

    For ``kind == "array"`` the array totals (``report["array"]["targets"]``).
    """
    from ..verify.verdict import Verdict, report_failures
    if kind == "array":
        t = (report.get("array") or {}).get("targets") or {}
        x, g = t.get("xilinx7") or {}, t.get("generic") or {}
        xt, gt = x.get("totals") or {}, g.get("totals") or {}
        ours = {"LUT": xt.get("LUT"), "FF": xt.get("FF"), "CARRY4": xt.get("CARRY4"),
                "generic_gates": gt.get("total"), "depth": gt.get("depth"),
                "recipe": x.get("recipe"), "method": t.get("method"),
                "cells": x.get("instances")}
    else:
        x = report["targets"].get("xilinx7") or {}
        g = report["targets"].get("generic") or {}
        ours = {"LUT": x.get("LUT"), "FF": x.get("FF"), "CARRY4": x.get("CARRY4"),
                "generic_gates": g.get("total"), "depth": report.get("depth"),
                "recipe": x.get("recipe")}
    area = area or {"area_um2": None, "reason": "not run"}
    ours["area_um2"] = area.get("area_um2")
    ours["area_note"] = None if area.get("area_um2") is not None else area.get("reason")
    if area.get("liberty"):
        ours["liberty"] = Path(str(area["liberty"])).name
        ours["area_recipe"] = area.get("recipe")
    ours["verification"] = report_failures(report) or Verdict.PASS
    return ours


# ---------------------------------------------------------------- ratios

def _ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 4)


def compute_rows(figures, ours_by_name, names):
    """Rows of the comparison: the paper's figures, ours, and the ratios.

    Parameters
    ----------
    figures : dict
        :func:`load_figures` output (possibly filtered).
    ours_by_name : dict
        Build name -> :func:`summarize_report` output.
    names : dict
        ``(table, design)`` -> build name.

    Returns
    -------
    list of dict
        Per design: ``table``, ``design``, ``spec``, ``array``, ``name``,
        ``paper``, ``ours``, ``ours_over_paper`` (LUT, FF), ``baseline``,
        ``ratios`` (one entry per baseline, the primary first: ``against``,
        ``primary``, ``paper`` and ``ours``, each ``{metric: design/baseline}``
        over the metrics the paper gives for both), ``source``, ``note``.
    """
    by_key = {(r["table"], r["design"]): r for r in figures["rows"]}
    out = []
    for r in figures["rows"]:
        key = (r["table"], r["design"])
        name = names[key]
        ours = ours_by_name.get(name) or {}
        paper = r["paper"]
        ratios = []
        against = ([r["baseline"]] if r["baseline"] else []) + list(r["also_vs"])
        for i, label in enumerate(against):
            b = by_key[(r["table"], label)]
            b_ours = ours_by_name.get(names[(r["table"], label)]) or {}
            metrics = [m for m in METRICS if m in paper and m in b["paper"]]
            ratios.append({
                "against": label, "primary": i == 0,
                "paper": {m: _ratio(paper[m], b["paper"][m]) for m in metrics},
                "ours": {m: _ratio(ours.get(m), b_ours.get(m)) for m in metrics}})
        out.append({
            "table": r["table"], "design": r["design"], "spec": r["spec"],
            "array": r["array"], "name": name, "paper": dict(paper), "ours": ours,
            "ours_over_paper": {m: _ratio(ours.get(m), paper[m])
                                for m in ABSOLUTE if m in paper},
            "baseline": r["baseline"], "ratios": ratios,
            "source": dict(r["source"]), "note": r["note"]})
    return out


# ---------------------------------------------------------------- Pareto / SNR

def pareto_points(jobs, ours_by_name, weights):
    """``{"label", "family", "bits", "lut", "ff", "snr_db", "scale", "spec"}`` per PE build."""
    from ..reports.plots import quantize_scaled, snr_db
    from ..spec import load_spec
    points = []
    for job in jobs:
        if job["kind"] != "pe":
            continue
        spec = load_spec(job["spec_path"])
        q, rule = quantize_scaled(spec, weights)
        snr = snr_db(weights, q.dequantize())
        ours = ours_by_name.get(job["name"]) or {}
        points.append({"label": job["name"], "family": spec.family.name,
                       "bits": spec.pe.weight_bits, "lut": ours.get("LUT"),
                       "ff": ours.get("FF"),
                       "snr_db": round(snr, 4) if math.isfinite(snr) else None,
                       "scale": rule, "spec": job["spec_rel"]})
    return points


# ---------------------------------------------------------------- writers

def _n(v):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.1f}" if v >= 1000 else f"{v:.4g}"
    return f"{v:,}"


def _pair(d, keys):
    return " / ".join(_n(d.get(k)) for k in keys)


def _ratio_text(d):
    if not d:
        return "—"
    return ", ".join(f"{_METRIC_LABEL[m]} {_n(v) if v is not None else '—'}"
                     for m, v in d.items())


def _area_text(ours, md=True):
    a = ours.get("area_um2")
    if a is not None:
        return f"{a:,.1f}"
    note = ours.get("area_note") or "n/a"
    return note.replace("|", "/") if md else note


def to_markdown(doc):
    """The ``compare.md`` text of a :func:`run_compare` document."""
    lines = ["# shiftgen compare: the papers' resource figures beside ours", "",
             "Ours: Yosys on the generated Verilog, `xilinx7` (LUT / FF / CARRY4, "
             "`synth_xilinx -flatten -nodsp`, the better of the plain and `booth` "
             "candidates for a design that multiplies) and `generic` (gates, logic depth); "
             f"area: {_OSU} standard cells (PEs only). Arrays: hierarchical totals, "
             "`top + R*C * cell`.", "",
             "The papers used other tools (Vivado, Vivado HLS, a 28 nm library), so absolute "
             "figures differ; the fair comparison is each design's **ratio to its "
             "baseline** in the paper against the same ratio of our same-run figures. "
             "Ratios are design / baseline (below 1: smaller than the baseline).", ""]
    t = doc["tools"]
    lines += [f"Tools: shiftgen {t.get('shiftgen')}, Amaranth {t.get('amaranth')}, "
              f"{t.get('yosys')}, Python {t.get('python')}, Matplotlib "
              f"{t.get('matplotlib')}.", ""]
    for table in doc["tables"]:
        rows = [r for r in doc["rows"] if r["table"] == table["id"]]
        if not rows:
            continue
        pm = [m for m in ABSOLUTE if any(m in r["paper"] for r in rows)]
        lines += [f"## {table['title']}", "",
                  f"Source: `{table['seed']}`, {table['table']}. Paper platform: "
                  f"{table.get('platform', '')}.", "",
                  f"Baselines: {' '.join(table.get('baselines', '').split())}", ""]
        extra = [m for m in ("area_um2", "power_mw", "energy_w")
                 if any(m in r["paper"] for r in rows)]
        head = ["design", "spec", "paper " + " / ".join(pm),
                "ours LUT / FF / CARRY4", "ours / paper (" + ", ".join(pm) + ")",
                "baseline", "paper ratio", "our ratio", "generic gates", "depth",
                f"area um^2 ({_OSU})"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in rows:
            prim = next((x for x in r["ratios"] if x["primary"]), None)
            spec = r["spec"] + (f" as {r['array']['rows']}x{r['array']['cols']} array"
                                if r["array"] else "")
            lines += ["| " + " | ".join([
                r["design"], f"`{spec}`", _pair(r["paper"], pm),
                _pair(r["ours"], ("LUT", "FF", "CARRY4")),
                ", ".join(_n(r["ours_over_paper"].get(m)) for m in pm),
                r["baseline"] or "(reference)",
                _ratio_text(prim["paper"]) if prim else "—",
                _ratio_text(prim["ours"]) if prim else "—",
                _n(r["ours"].get("generic_gates")), _n(r["ours"].get("depth")),
                _area_text(r["ours"])]) + " |"]
        lines += [""]
        others = [(r, x) for r in rows for x in r["ratios"] if not x["primary"]]
        if others:
            lines += ["Other baselines:", "", "| design | against | paper ratio | our ratio |",
                      "|---|---|---|---|"]
            lines += [f"| {r['design']} | {x['against']} | {_ratio_text(x['paper'])} | "
                      f"{_ratio_text(x['ours'])} |" for r, x in others]
            lines += [""]
        if extra:
            names = {"area_um2": "area um^2", "power_mw": "power mW", "energy_w": "energy W"}
            lines += ["The paper's other figures (its technology, not comparable in absolute "
                      "terms): " + "; ".join(
                          f"{r['design']}: " + ", ".join(f"{names[m]} {_n(r['paper'][m])}"
                                                         for m in extra if m in r["paper"])
                          for r in rows) + ".", ""]
        lines += ["Rows (seed file, table, row):", ""]
        for r in rows:
            s = r["source"]
            failed = r["ours"].get("verification")
            bad = "" if failed in (None, "pass") else \
                f" **Verification failed: {', '.join(failed)}.**"
            note = f" Note: {' '.join(r['note'].split())}" if r["note"] else ""
            lines += [f"- {r['design']}: `{s['seed']}`, {s['table']}, row \"{s['row']}\"; "
                      f"our build `{r['name']}`.{note}{bad}"]
        lines += [""]
    pts = doc.get("pareto") or []
    if pts:
        from ..reports.plots import pareto_front
        valid = [p for p in pts if p["lut"] is not None and p["snr_db"] is not None]
        front = {valid[i]["label"] for i in pareto_front(valid)}
        lines += ["## LUT against quantization SNR (PEs)", "",
                  f"SNR of {doc['weights']['n']} seeded N(0, 1) weights (seed "
                  f"{doc['weights']['seed']}) quantized by each spec's family quantizer: "
                  "10 log10(sum w^2 / sum (w - wq)^2). The scale is each family's rule for "
                  "these weights (column 'scale'); a spec's fixed alpha, fitted on other "
                  "data, is fitted again. Same-levels designs (a decoder baseline) share "
                  "their SNR.", "",
                  "| PE | family | weight bits | LUT | FF | SNR dB | scale | Pareto |",
                  "|---|---|---|---|---|---|---|---|"]
        for p in sorted(pts, key=lambda p: (p["family"], p["bits"], p["label"])):
            lines += [f"| {p['label']} | {p['family']} | {p['bits']} | {_n(p['lut'])} | "
                      f"{_n(p['ff'])} | {_n(p['snr_db'])} | {p['scale']} | "
                      f"{'yes' if p['label'] in front else ''} |"]
        lines += [""]
    if doc.get("plots"):
        lines += ["## Plots", ""]
        lines += [f"- [{Path(p).stem}]({p}) ({desc})" for p, desc in doc["plots"].items()]
        lines += [""]
    lines += ["## Recipes", ""]
    lines += [f"- {k}: {v}" for k, v in doc["recipes"].items()]
    return "\n".join(lines) + "\n"


def rich_tables(console, doc):
    """Print one rich table per paper table of a :func:`run_compare` document."""
    from rich.table import Table

    def n(v):
        return "—" if v is None else (f"{v:,}" if isinstance(v, int) else f"{v:.3g}")

    def ratios(prim):
        if not prim or not prim["paper"]:
            return "—"
        return "\n".join(f"{_METRIC_LABEL[m]} {n(prim['paper'][m])} → {n(prim['ours'][m])}"
                         for m in prim["paper"])

    for t in doc["tables"]:
        rows = [r for r in doc["rows"] if r["table"] == t["id"]]
        pm = [m for m in ABSOLUTE if any(m in r["paper"] for r in rows)]
        table = Table(title=t["title"], title_justify="left")
        for col, just in (("design", "left"), ("paper\n" + "/".join(pm), "right"),
                          ("ours\nLUT/FF/CARRY4", "right"), ("ours/paper\n" + ", ".join(pm),
                                                             "right"),
                          ("baseline", "left"), ("ratio to baseline\npaper → ours", "left"),
                          ("gates\n(depth)", "right"), ("area um^2\n" + _OSU, "right")):
            table.add_column(col, justify=just, overflow="fold")
        for r in rows:
            o = r["ours"]
            prim = next((x for x in r["ratios"] if x["primary"]), None)
            area = f"{o['area_um2']:,.0f}" if o.get("area_um2") is not None else \
                (o.get("area_note") or "n/a")
            table.add_row(
                r["design"], " / ".join(n(r["paper"].get(m)) for m in pm),
                f"{n(o.get('LUT'))} / {n(o.get('FF'))} / {n(o.get('CARRY4'))}",
                ", ".join(n(r["ours_over_paper"].get(m)) for m in pm),
                r["baseline"] or "(reference)", ratios(prim),
                f"{n(o.get('generic_gates'))} ({n(o.get('depth'))})", area)
        console.print(table)


CSV_FIELDS = ("table", "design", "spec", "array", "build", "paper_LUT", "paper_FF",
              "paper_area_um2", "paper_power_mw", "paper_energy_w", "ours_LUT", "ours_FF",
              "ours_CARRY4", "ours_over_paper_LUT", "ours_over_paper_FF", "baseline",
              "paper_ratio_LUT", "our_ratio_LUT", "paper_ratio_FF", "our_ratio_FF",
              "paper_ratio_area", "our_ratio_area", "generic_gates", "depth", "area_um2",
              "area_note", "verification", "seed", "source_table", "source_row")


def to_csv(doc):
    """The ``compare.csv`` text: one line per design, ratios to its primary baseline."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in doc["rows"]:
        prim = next((x for x in r["ratios"] if x["primary"]), {"paper": {}, "ours": {}})
        o, p = r["ours"], r["paper"]
        ver = o.get("verification")
        w.writerow({
            "table": r["table"], "design": r["design"], "spec": r["spec"],
            "array": f"{r['array']['rows']}x{r['array']['cols']}" if r["array"] else "",
            "build": r["name"],
            "paper_LUT": p.get("LUT"), "paper_FF": p.get("FF"),
            "paper_area_um2": p.get("area_um2"), "paper_power_mw": p.get("power_mw"),
            "paper_energy_w": p.get("energy_w"),
            "ours_LUT": o.get("LUT"), "ours_FF": o.get("FF"), "ours_CARRY4": o.get("CARRY4"),
            "ours_over_paper_LUT": r["ours_over_paper"].get("LUT"),
            "ours_over_paper_FF": r["ours_over_paper"].get("FF"),
            "baseline": r["baseline"] or "",
            "paper_ratio_LUT": prim["paper"].get("LUT"), "our_ratio_LUT": prim["ours"].get("LUT"),
            "paper_ratio_FF": prim["paper"].get("FF"), "our_ratio_FF": prim["ours"].get("FF"),
            "paper_ratio_area": prim["paper"].get("area_um2"),
            "our_ratio_area": prim["ours"].get("area_um2"),
            "generic_gates": o.get("generic_gates"), "depth": o.get("depth"),
            "area_um2": o.get("area_um2"), "area_note": o.get("area_note") or "",
            "verification": ver if isinstance(ver, str) else ";".join(ver or []),
            "seed": r["source"]["seed"], "source_table": r["source"]["table"],
            "source_row": r["source"]["row"]})
    return buf.getvalue()


def to_json(doc):
    """The ``compare.json`` text."""
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def _write(path, text):
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------- the run

def _tools(reports):
    """Tool versions, each a string (or a list when the builds disagree)."""
    import matplotlib
    import numpy
    keys = ("shiftgen", "amaranth", "yosys", "python")
    tools = {}
    for k in keys:
        vals = sorted({r["tools"][k] for r in reports if k in r.get("tools", {})})
        tools[k] = vals[0] if len(vals) == 1 else (vals or None)
    tools.setdefault("python", platform.python_version())
    tools["numpy"] = numpy.__version__
    tools["matplotlib"] = matplotlib.__version__
    return tools


def _recipes():
    from ..synth.array import EDGE_METHOD
    from ..synth.recipes import GENERIC_GATES
    return {
        "xilinx7": "synth_xilinx -flatten -nodsp -noiopad -noclkbuf (out of context, no DSP); "
                   "a design that multiplies also runs proc; opt; wreduce; booth first and "
                   "the better candidate by (LUT, FF, CARRY4) is kept",
        "generic": f"synth -flatten (-booth as a candidate), abc -g {GENERIC_GATES}; "
                   "depth: ltp -noff (gates on the longest path)",
        "array": EDGE_METHOD,
        "area": f"shiftgen.synth.asic.asic_area ({_OSU} liberty), PEs only",
    }


def _select(figures, tables):
    if tables is None:
        return figures
    known = [t["id"] for t in figures["tables"]]
    bad = [t for t in tables if t not in known]
    if bad:
        raise InputError(f"unknown table {', '.join(bad)}; one of {', '.join(known)}")
    return {"tables": [t for t in figures["tables"] if t["id"] in tables],
            "rows": [r for r in figures["rows"] if r["table"] in tables]}


def plan(tables=None, extra=None, root=None, figures=None):
    """The builds of a run: ``(figures, jobs, names)`` without running anything.

    ``extra``: PE specs built beside the paper rows (default
    :data:`EXTRA_PE_SPECS` when every table is compared, none otherwise).
    """
    root = Path(root) if root else repo_root()
    figures = _select(figures or load_figures(), tables)
    if extra is None:
        extra = EXTRA_PE_SPECS if tables is None else ()
    jobs, names = {}, {}
    for r in figures["rows"]:
        job = _job_for(r["spec"], r["array"], root)
        names[(r["table"], r["design"])] = job["name"]
        jobs.setdefault(job["name"], job)
    for rel in extra:
        job = _job_for(rel, None, root)
        jobs.setdefault(job["name"], job)
    # Longest first: arrays, then PEs, each in file order.
    ordered = [j for j in jobs.values() if j["kind"] == "array"] + \
              [j for j in jobs.values() if j["kind"] == "pe"]
    return figures, ordered, names


def run_compare(out_dir="build/compare", *, tables=None, extra=None, jobs=2, force=False,
                area=True, progress=None, root=None):
    """Build every paper configuration and its baselines, and write the comparison.

    Parameters
    ----------
    out_dir : str or os.PathLike
    tables : list of str, optional
        Table ids to compare (``seed002_table10``, ``seed004_table8``,
        ``seed001_table4``); default all.
    extra : iterable of str, optional
        More PE specs for the Pareto and levels plots (see :func:`plan`).
    jobs : int
        Builds at once (worker processes); 1 builds in this process.
    force : bool
        Rebuild even when ``builds/<name>`` matches the spec.
    area : bool
        Ask :mod:`shiftgen.synth.asic` for the OSU 0.18 um area of each PE.
    progress : callable, optional
        Called with an event dict: ``{"event": "plan", "total", "names"}``,
        ``{"event": "stage", "name", "msg"}``, ``{"event": "done", "name",
        "cached", "seconds"}``, ``{"event": "phase", "msg"}``.
    root : str or os.PathLike, optional
        Where the spec paths of the data file start (default :func:`repo_root`).

    Returns
    -------
    dict
        The ``compare.json`` document.

    Raises
    ------
    VerificationError
        After writing everything, if a build failed a check.
    """
    if importlib.util.find_spec("matplotlib") is None:
        raise ShiftgenError("shiftgen compare needs Matplotlib: pip install matplotlib")
    say = progress or (lambda event: None)
    start = time.monotonic()
    out_dir = Path(out_dir)
    figures, job_list, names = plan(tables, extra, root)
    builds = out_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    for job in job_list:
        job.update(out_root=str(builds), force=force, area=area)
        if job["array"] is not None:
            job["build_spec"] = str(_write_derived(job, out_dir / "specs"))
    say({"event": "plan", "total": len(job_list), "names": [j["name"] for j in job_list]})
    results = _run_jobs(job_list, jobs, say)

    ours = {j["name"]: summarize_report(results[j["name"]]["report"], j["kind"],
                                        results[j["name"]]["area"]) for j in job_list}
    rows = compute_rows(figures, ours, names)

    say({"event": "phase", "msg": "SNR and plots"})
    from ..reports.plots import gaussian_weights
    weights = gaussian_weights(WEIGHTS_N, WEIGHTS_SEED)
    points = pareto_points(job_list, ours, weights)
    plots = _plots(out_dir / "plots", figures, rows, job_list, points, weights, out_dir)

    doc = {
        "generated_by": f"shiftgen {__version__} compare",
        "data_file": f"shiftgen/data/{DATA_FILE}",
        "tables": [{k: v for k, v in t.items()} for t in figures["tables"]],
        "rows": rows,
        "weights": {"n": WEIGHTS_N, "seed": WEIGHTS_SEED, "dist": "N(0, 1)"},
        "pareto": points,
        "plots": plots,
        "tools": _tools([results[j["name"]]["report"] for j in job_list]),
        "recipes": _recipes(),
        "builds": {j["name"]: {"spec": j["spec_rel"], "array": j["array"], "kind": j["kind"],
                               "dir": f"builds/{j['name']}",
                               **({"spec_file": f"specs/{j['name']}.yaml"} if j["array"]
                                  else {})} for j in job_list},
        "timings": {"total_seconds": round(time.monotonic() - start, 1),
                    "builds": {n: {"seconds": r["seconds"], "cached": r["cached"]}
                               for n, r in results.items()}},
    }
    say({"event": "phase", "msg": "write compare.json, compare.csv, compare.md"})
    doc["timings"]["total_seconds"] = round(time.monotonic() - start, 1)
    _write(out_dir / "compare.json", to_json(doc))
    _write(out_dir / "compare.csv", to_csv(doc))
    _write(out_dir / "compare.md", to_markdown(doc))
    failed = [f"{n} ({', '.join(o['verification'])})" for n, o in ours.items()
              if o["verification"] != "pass"]
    if failed:
        raise VerificationError(f"compare: verification failed: {'; '.join(failed)} "
                                f"(see {out_dir / 'compare.md'})")
    return doc


def _write_derived(job, spec_dir):
    """Write the spec file of an array made from a PE spec; returns its path."""
    path = Path(job["spec_path"])
    text = _derived_text(path.read_text("utf-8"), path, job["array"])
    spec_dir.mkdir(parents=True, exist_ok=True)
    out = spec_dir / f"{job['name']}.yaml"
    if not out.is_file() or out.read_text("utf-8") != text:
        _write(out, text)
    return out


def _run_jobs(job_list, jobs, say):
    """Run :func:`_build_job` for every job; ``{name: result}``."""
    results = {}
    if jobs <= 1 or len(job_list) <= 1:
        for job in job_list:
            res = _build_job(job, _Direct(say))
            results[job["name"]] = res
            say({"event": "done", "name": job["name"], "cached": res["cached"],
                 "seconds": res["seconds"]})
        return results
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        events = manager.Queue()
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            pending = {pool.submit(_build_job, job, events): job["name"] for job in job_list}
            try:
                while pending:
                    done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                    _drain(events, say)
                    for fut in done:
                        name = pending.pop(fut)
                        res = fut.result()
                        results[name] = res
                        say({"event": "done", "name": name, "cached": res["cached"],
                             "seconds": res["seconds"]})
            except BaseException:
                for fut in pending:
                    fut.cancel()
                raise
            _drain(events, say)
    return {j["name"]: results[j["name"]] for j in job_list}


class _Direct:
    """A queue-like sink that forwards stage messages at once (in-process builds)."""
    def __init__(self, say):
        self.say = say

    def put(self, item):
        name, msg = item
        self.say({"event": "stage", "name": name, "msg": msg})


def _drain(events, say):
    while True:
        try:
            name, msg = events.get_nowait()
        except queue_mod.Empty:
            return
        say({"event": "stage", "name": name, "msg": msg})


def _plots(plot_dir, figures, rows, job_list, points, weights, out_dir):
    """Levels per family, resources, Pareto; ``{relative png path: description}``."""
    from ..reports.plots import levels, levels_plot, pareto_plot, quantize_scaled, resources_plot
    from ..spec import load_spec
    written = {}

    def rel(path):
        return path.relative_to(out_dir).as_posix()

    by_family = {}
    for job in job_list:
        if job["kind"] != "pe":
            continue
        spec = load_spec(job["spec_path"])
        lv = tuple(round(float(v), 12) for v in levels(quantize_scaled(spec, weights)[0]))
        fam = by_family.setdefault(spec.family.name, {})
        fam.setdefault(lv, spec)  # a decoder baseline repeats its superposition PE's levels
    for fam, specs in by_family.items():
        ordered = sorted(specs.values(), key=lambda s: (s.pe.weight_bits, s.name))
        png, _ = levels_plot(ordered, weights, plot_dir / f"levels_{fam}",
                             title=f"{fam}: quantization levels over {len(weights)} seeded "
                                   f"N(0, 1) weights")
        written[rel(png)] = f"{fam} levels over the weight histogram"
    titles = {t["id"]: f"seed {t['seed'][:3]} {t['table']}"
              + (" (64 x 64 array)" if t["kind"] == "array" else "") for t in figures["tables"]}
    res_rows = [{"table": titles[r["table"]], "design": r["design"],
                 "paper": {m: r["paper"].get(m) for m in ABSOLUTE},
                 "ours": {m: r["ours"].get(m) for m in ABSOLUTE}} for r in rows]
    if res_rows:
        png, _ = resources_plot(res_rows, plot_dir / "resources",
                                title="LUT and FF per design: ours (Yosys xilinx7) beside "
                                      "the paper's")
        written[rel(png)] = "LUT and FF per design, ours beside the paper's"
    if points:
        png, _ = pareto_plot(points, plot_dir / "pareto_lut_snr",
                             title="PE LUTs against quantization SNR (N(0, 1) weights)")
        written[rel(png)] = "LUT against quantization SNR, Pareto front ringed"
    return written
