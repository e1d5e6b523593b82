"""The outputs of ``shiftgen compare``: ``compare.md``, ``compare.csv``, ``compare.json``,
the plots, and the terminal tables; all from one :func:`~shiftgen.flows.compare.run.run_compare`
document."""

from pathlib import Path

from ..flows.compare.rows import ABSOLUTE, METRIC_LABEL
from .tables import MISSING, Column, Table, number, to_json

__all__ = ["to_markdown", "to_csv", "to_json", "terminal_tables", "write_plots"]

_OSU = "OSU 0.18 um"
_DEFAULT_CLOCK_MHZ = 100.0


def _library(doc):
    """The standard cells and clock of our ASIC figures: ``("OSU 0.18 um", 100.0)``."""
    from ..flows.compare.run import library_label
    m = doc.get("measures")
    if not m:  # a document from before --liberty and --clock-mhz
        return _OSU, _DEFAULT_CLOCK_MHZ
    return library_label(m["liberty"]), m["clock_mhz"]


def _pair(d, keys):
    return " / ".join(number(d.get(k)) for k in keys)


def _ratio_text(d, sep=", ", missing=None, approx=False):
    """``area 0.5, energy 0.4``; a missing ratio says why (``missing``), ``approx`` adds ``~``."""
    if not d:
        return MISSING
    missing = missing or {}

    def one(m, v):
        if v is None and m in missing:
            return f"{METRIC_LABEL[m]} {missing[m]}"
        return f"{METRIC_LABEL[m]} {'~' if approx and v is not None else ''}{number(v)}"
    return sep.join(one(m, v) for m, v in d.items())


def _area_text(ours):
    a = ours.get("area_um2")
    if a is not None:
        return f"{a:,.1f}"
    return ours.get("area_note") or "n/a"


def _power_text(ours):
    p = ours.get("power_mw")
    if p is None:
        return MISSING
    sim = ours.get("simulated_power_mw")
    return f"{p:.3f}" + (f" ({sim:.3f} sim.)" if sim is not None else "")


def _primary(r):
    return next((x for x in r["ratios"] if x["primary"]), None)


def _dataflow_text(r):
    """A row's dataflow: its name, ``best (name)``, or empty for a table without."""
    flow = r.get("dataflow")
    if flow == "best":
        return f"best ({r['best_of']})"
    return flow or ""


def _passed(r):
    """The row's build passed its checks (or has no figures to check)."""
    return r["ours"].get("verification") in (None, "pass")


def _spec_text(r):
    return r["spec"] + (f" as {r['array']['rows']}x{r['array']['cols']} array"
                        if r["array"] else "")


def _table_rows(rows, pm):
    out = []
    for r in rows:
        prim = _primary(r)
        out.append({
            "design": r["design"], "dataflow": _dataflow_text(r),
            "spec": f"`{_spec_text(r)}`", "build": f"`{r['name']}`",
            "paper": _pair(r["paper"], pm),
            "ours": _pair(r["ours"], ("LUT", "FF", "CARRY4")),
            "ours_over_paper": ", ".join(number(r["ours_over_paper"].get(m)) for m in pm),
            "baseline": r["baseline"] or "(reference)",
            "paper_ratio": _ratio_text(prim["paper"]) if prim else MISSING,
            "our_ratio": _ratio_text(prim["ours"], missing=prim.get("missing"))
            if prim else MISSING,
            "ratio_pair": "\n".join(f"{METRIC_LABEL[m]} {number(prim['paper'].get(m))} → "
                                    f"{number(prim['ours'][m])}" for m in prim["ours"])
            if prim and prim["ours"] else MISSING,
            "gates": number(r["ours"].get("generic_gates")),
            "depth": number(r["ours"].get("depth")),
            "gates_depth": f"{number(r['ours'].get('generic_gates'))} "
                           f"({number(r['ours'].get('depth'))})",
            "area": _area_text(r["ours"]),
            "power": _power_text(r["ours"]),
            "energy": _energy_text(r["ours"])})
    return out


def _energy_text(ours):
    e = ours.get("energy_pj_per_mac")
    if e is not None:
        return f"{e:.4g}"
    return (ours.get("notes") or {}).get("energy_pj_per_mac") or MISSING


def _paper_table(rows, pm, library=_OSU, clock=_DEFAULT_CLOCK_MHZ):
    flows = any(r.get("dataflow") for r in rows)
    columns = (Column("design"), *((Column("dataflow"),) if flows else ()),
               Column("build" if flows else "spec"),
               Column("paper", "paper " + " / ".join(pm)),
               Column("ours", "ours LUT / FF / CARRY4"),
               Column("ours_over_paper", "ours / paper (" + ", ".join(pm) + ")"),
               Column("baseline"), Column("paper_ratio", "paper ratio"),
               Column("our_ratio", "our ratio"), Column("gates", "generic gates"),
               Column("depth"), Column("area", f"area um^2 ({library})"),
               *((Column("power", f"power mW ({library}, {clock:g} MHz, vectorless; "
                                  f"simulated)"),)
                 if any(r["ours"].get("power_mw") is not None for r in rows) else ()),
               *((Column("energy", f"energy pJ/MAC ({library}, {clock:g} MHz, vectorless)"),)
                 if any("energy_w" in r["paper"] for r in rows) else ()))
    return Table(columns, _table_rows(rows, pm))


def _times_less(v):
    return f"{1 / v:.3g}x less" if v else MISSING


def _asic_rows(rows, approx):
    """Rows of a table of ASIC ratios (seed 002 Fig. 4): the paper's, our datapath's, our PE's."""
    out = []
    for r in rows:
        prim = _primary(r)
        dp = r["ours"].get("datapath") or {}

        def ratios(key, missing=None, approx=False, prim=prim):
            return _ratio_text(prim[key], missing=prim.get(missing), approx=approx) \
                if prim else MISSING
        out.append({
            "design": r["design"], "build": f"`{r['name']}`",
            "baseline": r["baseline"] or "(reference)",
            "paper_ratio": ratios("paper", approx=approx)
            + (" (" + ", ".join(_times_less(v) for v in prim["paper"].values()) + ")"
               if prim else ""),
            "datapath_ratio": ratios("ours_datapath", "missing_datapath"),
            "pe_ratio": ratios("ours", "missing"),
            "datapath": f"{number(dp.get('area_um2'))} / {number(dp.get('energy_pj_per_mac'))}"
            if dp.get("area_um2") is not None
            else next(iter((dp.get("notes") or {}).values()), MISSING),
            "pe": f"{number(r['ours'].get('area_um2'))} / "
                  f"{number(r['ours'].get('energy_pj_per_mac'))} / "
                  f"{number(r['ours'].get('simulated_power_mw'))}"})
    return out


def _asic_table(rows, table, library, clock):
    approx = table.get("approximate")
    return Table((Column("design"), Column("build"), Column("baseline"),
                  Column("paper_ratio", "paper ratio" + (" (approximate)" if approx else "")),
                  Column("datapath_ratio", "our ratio, datapath"),
                  Column("pe_ratio", "our ratio, whole PE"),
                  Column("datapath", "our datapath: area um^2 / pJ per MAC"),
                  Column("pe", "our PE: area um^2 / pJ per MAC / simulated mW")),
                 _asic_rows(rows, approx))


def _technology(table, library, clock):
    """The two sides of an ASIC table, named."""
    return [f"Paper: {' '.join(table.get('platform', '').split())}.", "",
            f"Ours: {library} standard cells, {clock:g} MHz (the build's clock), "
            "pre-layout, typical corner, no wire load, ideal clock (OpenSTA). The datapath "
            "(the product and the accumulator's adder, no register: `targets.asic.datapath`, "
            "the paper's combinational part) at vectorless activity 0.5 on every net (the "
            "paper's 50 % toggle rate); the whole PE (`targets.asic`: registers and clock "
            "included) at vectorless 0.5, and its simulated power on the PE's random stream "
            "in the last column.", ""]


def to_markdown(doc):
    """The ``compare.md`` text of a compare document."""
    from .plots import pareto_front
    library, clock = _library(doc)
    lines = ["# shiftgen compare: the papers' resource figures beside ours", "",
             "Ours: Yosys on the generated Verilog, `xilinx7` (LUT / FF / CARRY4, "
             "`synth_xilinx -flatten -nodsp`, the better of the plain and `booth` "
             "candidates for a design that multiplies) and `generic` (gates, logic depth); "
             f"area, timing and power: {library} standard cells at {clock:g} MHz (OpenSTA). Arrays: a systolic cell synthesized in "
             "each of its array contexts, a broadcast column once, plus the top "
             "(`report.json` `array.targets.method`). Table 4 is built in every array "
             "dataflow, each design against its baseline in the same dataflow, and then each "
             "in its best.", "",
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
        asic = table.get("part") == "datapath"
        lines += [f"## {table['title']}", "",
                  f"Source: `{table['seed']}`, {table['table']}."
                  + ("" if asic else f" Paper platform: {table.get('platform', '')}."), ""]
        if asic:
            lines += _technology(table, library, clock)
        lines += [f"Baselines: {' '.join(table.get('baselines', '').split())}", ""]
        best = [r for r in rows if r.get("dataflow") == "best"]
        rows = [r for r in rows if r.get("dataflow") != "best"]
        if asic:
            lines += _asic_table(rows, table, library, clock).markdown() + [""]
            if table.get("differences"):
                lines += [f"Where and why ours differ: {' '.join(table['differences'].split())}",
                          ""]
        else:
            lines += _paper_table(rows, pm, library, clock).markdown() + [""]
        if best:
            lines += ["Each design in its best dataflow (the fewest LUTs, then FFs), against "
                      "its baseline in the baseline's best dataflow:", ""]
            lines += _paper_table(best, pm, library, clock).markdown() + [""]
        flows = any(r.get("dataflow") for r in rows)
        others = [{"design": r["design"], "dataflow": _dataflow_text(r),
                   "against": x["against"],
                   "paper": _ratio_text(x["paper"], approx=table.get("approximate")),
                   "ours": _ratio_text(x["ours"], missing=x.get("missing"))
                   + (f"; datapath {_ratio_text(x['ours_datapath'])}"
                      if "ours_datapath" in x else "")}
                  for r in rows + best for x in r["ratios"] if not x["primary"]]
        if others:
            lines += ["Other baselines" + (" (each in the same dataflow; best against "
                                           "best)" if flows else "") + ":", ""]
            lines += Table((Column("design"), *((Column("dataflow"),) if flows else ()),
                            Column("against"),
                            Column("paper", "paper ratio"), Column("ours", "our ratio")),
                           others).markdown() + [""]
        designs = list({r["design"]: r for r in rows}.values())
        extra = [m for m in ("area_um2", "power_mw", "energy_w")
                 if any(m in r["paper"] for r in rows) and not table.get("relative")]
        if extra:
            names = {"area_um2": "area um^2", "power_mw": "power mW", "energy_w": "energy W"}
            lines += ["The paper's other figures (its technology, not comparable in absolute "
                      "terms): " + "; ".join(
                          f"{r['design']}: " + ", ".join(f"{names[m]} {number(r['paper'][m])}"
                                                         for m in extra if m in r["paper"])
                          for r in designs) + ".", ""]
        lines += ["Rows (seed file, table, row):", ""]
        for d in designs:
            s = d["source"]
            mine = [r for r in rows if r["design"] == d["design"]]
            failed = sorted({f for r in mine if not _passed(r) for f in
                             r["ours"]["verification"]})
            bad = f" **Verification failed: {', '.join(failed)}.**" if failed else ""
            note = f" Note: {' '.join(d['note'].split())}" if d["note"] else ""
            built = ", ".join(f"`{r['name']}`" for r in mine)
            lines += [f"- {d['design']}: `{s['seed']}`, {s['table']}, row \"{s['row']}\"; "
                      f"our build{'s' * (len(mine) > 1)} {built}.{note}{bad}"]
        lines += [""]
    lines += _ecp5_section(doc)
    pts = doc.get("pareto") or []
    if pts:
        valid = [p for p in pts if p["lut"] is not None and p["snr_db"] is not None]
        front = {valid[i]["label"] for i in pareto_front(valid)}
        lines += ["## LUT against quantization SNR (PEs)", "",
                  f"SNR of {doc['weights']['n']} seeded N(0, 1) weights (seed "
                  f"{doc['weights']['seed']}) quantized by each spec's family quantizer: "
                  "10 log10(sum w^2 / sum (w - wq)^2). The scale is each family's rule for "
                  "these weights (column 'scale'); a spec's fixed alpha, fitted on other "
                  "data, is fitted again. Same-levels designs (a decoder baseline) share "
                  "their SNR.", ""]
        ordered = sorted(pts, key=lambda p: (p["family"], p["bits"], p["label"]))
        lines += Table((Column("label", "PE"), Column("family"),
                        Column("bits", "weight bits", format=number),
                        Column("lut", "LUT", format=number), Column("ff", "FF", format=number),
                        Column("snr_db", "SNR dB", format=number), Column("scale"),
                        Column("pareto", "Pareto")),
                       [{**p, "pareto": p["label"] in front} for p in ordered]).markdown()
        lines += [""]
    if doc.get("plots"):
        lines += ["## Plots", ""]
        lines += [f"- [{Path(p).stem}]({p}) ({desc})" for p, desc in doc["plots"].items()]
        lines += [""]
    lines += ["## Recipes", ""]
    lines += [f"- {k}: {v}" for k, v in doc["recipes"].items()]
    return "\n".join(lines) + "\n"


def _cells_text(cells):
    return ", ".join(f"{k} {v}" for k, v in (cells or {}).items()) or MISSING


def _ecp5_section(doc):
    """ECP5 fmax min / median over the placement seeds, and utilization, per PE build."""
    ecp5 = doc.get("ecp5") or {}
    if not ecp5:
        return []
    n = (doc.get("measures") or {}).get("ecp5_seeds")
    rows = [{"pe": f"`{name}`", "min": e.get("fmax_min_mhz"), "median": e.get("fmax_median_mhz"),
             "seeds": ", ".join(f"{k}: {number(v)}" for k, v in (e.get("seeds") or {}).items())
             or e.get("reason"), "cells": _cells_text(e.get("cells"))}
            for name, e in ecp5.items()]
    device = next((e["device"] for e in ecp5.values() if e.get("device")), "ECP5")
    return [f"## ECP5 post-route fmax (PEs, {device})", "",
            f"nextpnr-ecp5 on each PE with every input registered, placement seeds 1..{n}: "
            "fmax minimum and median over the seeds; cells of seed 1 (utilization). "
            "Post-route, no I/O constraints; Xilinx timing stays with each build's "
            "`vivado_ooc.tcl`.", ""] + Table(
        (Column("pe", "PE"), Column("min", "fmax min MHz", "right", number),
         Column("median", "fmax median MHz", "right", number),
         Column("seeds", "per seed MHz"), Column("cells", "cells (seed 1)")), rows).markdown() \
        + [""]


def terminal_tables(doc):
    """One :class:`~shiftgen.reports.tables.Table` per paper table, for the terminal."""
    out = []
    library, clock = _library(doc)
    for t in doc["tables"]:
        rows = [r for r in doc["rows"] if r["table"] == t["id"]]
        if t.get("part") == "datapath":
            table = _asic_table(rows, t, library, clock)
            out.append(Table(table.columns, table.rows, title=t["title"]))
            continue
        pm = [m for m in ABSOLUTE if any(m in r["paper"] for r in rows)]
        flows = any(r.get("dataflow") for r in rows)
        columns = (Column("design"), *((Column("dataflow"),) if flows else ()),
                   Column("paper", "paper\n" + "/".join(pm), "right"),
                   Column("ours", "ours\nLUT/FF/CARRY4", "right"),
                   Column("ours_over_paper", "ours/paper\n" + ", ".join(pm), "right"),
                   Column("baseline"), Column("ratio_pair", "ratio to baseline\npaper → ours"),
                   Column("gates_depth", "gates\n(depth)", "right"),
                   Column("area", "area um^2\n" + library, "right"))
        out.append(Table(columns, _table_rows(rows, pm), title=t["title"]))
    return out


CSV_COLUMNS = ("table", "design", "dataflow", "spec", "array", "build", "paper_LUT", "paper_FF",
               "paper_area_um2", "paper_power_mw", "paper_energy_w", "ours_LUT", "ours_FF",
               "ours_CARRY4", "ours_over_paper_LUT", "ours_over_paper_FF", "baseline",
               "paper_ratio_LUT", "our_ratio_LUT", "paper_ratio_FF", "our_ratio_FF",
               "paper_ratio_area", "our_ratio_area", "paper_ratio_power", "our_ratio_power",
               "paper_ratio_energy", "our_ratio_energy", "our_datapath_ratio_area",
               "our_datapath_ratio_energy", "ours_power_mw", "ours_simulated_power_mw",
               "ours_energy_pj_per_mac", "datapath_area_um2", "datapath_energy_pj_per_mac",
               "ecp5_fmax_min_mhz", "ecp5_fmax_median_mhz", "generic_gates", "depth", "area_um2",
               "area_note", "verification", "seed", "source_table", "source_row")


def _energy_ratio(d):
    """A ratio dict's energy: per MAC (Fig. 4) or Table 4's energy in W."""
    return d.get("energy_pj_per_mac", d.get("energy_w"))


def to_csv(doc):
    """The ``compare.csv`` text: one line per design, ratios to its primary baseline."""
    rows = []
    for r in doc["rows"]:
        prim = _primary(r) or {"paper": {}, "ours": {}}
        o, p = r["ours"], r["paper"]
        dp, dpr = o.get("datapath") or {}, prim.get("ours_datapath") or {}
        ver = o.get("verification")
        rows.append({
            "table": r["table"], "design": r["design"], "dataflow": _dataflow_text(r),
            "spec": r["spec"],
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
            "paper_ratio_power": prim["paper"].get("power_mw"),
            "our_ratio_power": prim["ours"].get("power_mw"),
            "paper_ratio_energy": _energy_ratio(prim["paper"]),
            "our_ratio_energy": _energy_ratio(prim["ours"]),
            "our_datapath_ratio_area": dpr.get("area_um2"),
            "our_datapath_ratio_energy": dpr.get("energy_pj_per_mac"),
            "datapath_area_um2": dp.get("area_um2"),
            "datapath_energy_pj_per_mac": dp.get("energy_pj_per_mac"),
            "ecp5_fmax_min_mhz": o.get("ecp5_fmax_min_mhz"),
            "ecp5_fmax_median_mhz": o.get("ecp5_fmax_mhz"),
            "ours_power_mw": o.get("power_mw"),
            "ours_simulated_power_mw": o.get("simulated_power_mw"),
            "ours_energy_pj_per_mac": o.get("energy_pj_per_mac"),
            "generic_gates": o.get("generic_gates"), "depth": o.get("depth"),
            "area_um2": o.get("area_um2"), "area_note": o.get("area_note") or "",
            "verification": ver if isinstance(ver, str) else ";".join(ver or []),
            "seed": r["source"]["seed"], "source_table": r["source"]["table"],
            "source_row": r["source"]["row"]})
    return Table([Column(k) for k in CSV_COLUMNS], rows).csv()


def write_plots(plot_dir, figures, rows, job_list, points, weights, out_dir):
    """Levels per family, resources, Pareto; ``{relative png path: description}``."""
    from ..spec.load import load_spec
    from ..weights.seeded import quantize_for_snr
    from .plots import levels, levels_plot, pareto_plot, resources_plot
    written = {}

    def rel(path):
        return path.relative_to(out_dir).as_posix()

    by_family = {}
    for job in job_list:
        if job["kind"] != "pe":
            continue
        spec = load_spec(job["spec_path"])
        lv = tuple(round(float(v), 12) for v in levels(quantize_for_snr(spec, weights)[0]))
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
    # One bar per design: a table with dataflows shows each design in its best.
    res_rows = [{"table": titles[r["table"]],
                 "design": r["design"] + (f" ({r['best_of']})" if r.get("best_of") else ""),
                 "paper": {m: r["paper"].get(m) for m in ABSOLUTE},
                 "ours": {m: r["ours"].get(m) for m in ABSOLUTE}}
                for r in rows if r.get("dataflow") in (None, "best")]
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
