"""Our figures from each build's report, and the ratios set beside the papers'."""

from pathlib import Path

__all__ = ["METRICS", "ABSOLUTE", "METRIC_LABEL", "OURS_KEY", "DATAPATH", "summarize_report",
           "ecp5_summary", "compute_rows"]

#: Figures that ratios are taken of, when the paper gives them for both designs.
METRICS = ("LUT", "FF", "area_um2", "power_mw", "energy_pj_per_mac", "energy_w")
#: Figures compared as ours / paper (the others come from different technologies).
ABSOLUTE = ("LUT", "FF")
METRIC_LABEL = {"LUT": "LUT", "FF": "FF", "area_um2": "area", "power_mw": "power",
                "energy_pj_per_mac": "energy", "energy_w": "energy"}
#: Our figure a paper figure's ratio is set beside, where the names differ. Seed 001
#: Table 4's "Energy (W)" is the power of arrays doing 64 x 64 MACs a cycle, so its
#: ratio is one of energy per MAC: ours per MAC, since our dataflows differ in cycles.
OURS_KEY = {"energy_w": "energy_pj_per_mac"}
#: The figures of the combinational datapath alone (``targets.asic.datapath``).
DATAPATH = ("area_um2", "power_mw", "energy_pj_per_mac")


def _why_no_power(asic, where):
    """Why ``asic`` (a ``targets.asic``) has no power figure."""
    if not asic:
        return f"n/a: the report has no {where}"
    return f"n/a: {asic.get('reason') or asic.get('power_reason') or 'no power figure'}"


def ecp5_summary(ecp5):
    """The ECP5 columns of a PE: ``device``, ``seeds``, ``fmax_min_mhz``,
    ``fmax_median_mhz``, ``cells`` (seed 1), or ``reason`` when there are none."""
    if not ecp5 or ecp5.get("fmax_mhz") is None:
        return {"fmax_min_mhz": None, "fmax_median_mhz": None,
                "reason": (ecp5 or {}).get("reason") or "not run"}
    return {"device": ecp5.get("device"), "seeds": ecp5.get("seeds"),
            "fmax_min_mhz": ecp5.get("fmax_min_mhz", ecp5["fmax_mhz"]),
            "fmax_median_mhz": ecp5["fmax_mhz"], "cells": ecp5.get("cells"),
            "nextpnr": (ecp5.get("tools") or {}).get("nextpnr")}


def _datapath(asic):
    """Seed 002 Fig. 4's figures: the combinational datapath alone (``targets.asic.datapath``)."""
    dp = asic.get("datapath") or {}
    power = (dp.get("power_mw") or {}).get("vectorless")
    out = {"area_um2": dp.get("area_um2"), "power_mw": power["total"] if power else None,
           "energy_pj_per_mac": (dp.get("energy_pj_per_mac") or {}).get("vectorless"),
           "critical_path_ns": dp.get("critical_path_ns")}
    if out["area_um2"] is None or out["energy_pj_per_mac"] is None:
        reason = f"n/a: {dp.get('reason') or 'the report has no targets.asic.datapath'}"
        out["notes"] = {m: reason for m in DATAPATH if out[m] is None}
    return out


def summarize_report(report, kind="pe", area=None, ecp5=None):
    """Our figures from a ``report.json``: xilinx7 LUT/FF/CARRY4, generic gates and depth.

    For ``kind == "array"`` the array totals (``report["array"]["targets"]``),
    and their power when the report has ``array.targets.asic``. ``area``:
    the PE's standard-cell area result; ``ecp5``: its ECP5 result over the
    compare's placement seeds (default the build's own). ``notes`` says why a
    figure is missing, by metric.
    """
    from ...verify.verdict import Verdict, report_failures
    if kind == "array":
        t = (report.get("array") or {}).get("targets") or {}
        x, g = t.get("xilinx7") or {}, t.get("generic") or {}
        xt, gt = x.get("totals") or {}, g.get("totals") or {}
        ours = {"LUT": xt.get("LUT"), "FF": xt.get("FF"), "CARRY4": xt.get("CARRY4"),
                "generic_gates": gt.get("total"), "depth": gt.get("depth"),
                "recipe": x.get("recipe"), "method": t.get("method"),
                "cells": x.get("instances")}
        asic, where = t.get("asic") or {}, "array.targets.asic"
    else:
        x = report["targets"].get("xilinx7") or {}
        g = report["targets"].get("generic") or {}
        ours = {"LUT": x.get("LUT"), "FF": x.get("FF"), "CARRY4": x.get("CARRY4"),
                "generic_gates": g.get("total"), "depth": report.get("depth"),
                "recipe": x.get("recipe")}
        asic, where = report["targets"].get("asic") or {}, "targets.asic"
    power = (asic.get("power_mw") or {}).get("vectorless")
    # Power: OpenSTA on the area's cell netlist, every net at 0.5 (the papers' convention).
    ours["power_mw"] = power["total"] if power else None
    ours["energy_pj_per_mac"] = (asic.get("energy_pj_per_mac") or {}).get("vectorless")
    ours["simulated_power_mw"] = ((asic.get("power_mw") or {}).get("simulated") or {}).get("total")
    ours["fmax_mhz"] = asic.get("fmax_mhz")
    notes = {}
    if ours["energy_pj_per_mac"] is None:
        notes["energy_pj_per_mac"] = _why_no_power(asic, where)
    if ours["power_mw"] is None:
        notes["power_mw"] = _why_no_power(asic, where)
    if kind == "pe":
        ecp5 = ecp5_summary(ecp5 or report["targets"].get("ecp5"))
        ours["ecp5_fmax_mhz"] = ecp5["fmax_median_mhz"]
        ours["ecp5_fmax_min_mhz"] = ecp5["fmax_min_mhz"]
        ours["ecp5"] = ecp5
        ours["datapath"] = _datapath(asic)
    else:
        ours["ecp5_fmax_mhz"] = None
    area = area or {"area_um2": None, "reason": "not run"}
    ours["area_um2"] = area.get("area_um2")
    ours["area_note"] = None if area.get("area_um2") is not None else area.get("reason")
    if ours["area_note"]:
        notes["area_um2"] = ours["area_note"]
    ours["notes"] = notes
    if area.get("liberty"):
        ours["liberty"] = Path(str(area["liberty"])).name
        ours["area_recipe"] = area.get("recipe")
    ours["verification"] = report_failures(report) or Verdict.PASS
    return ours


def _ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 4)


def _ours_ratios(ours, b_ours, metrics):
    """``{"ours": {metric: ratio}}``, and ``missing``: why a ratio is ``None``, where known."""
    out, missing = {}, {}
    for m in metrics:
        k = OURS_KEY.get(m, m)
        out[m] = _ratio(ours.get(k), b_ours.get(k))
        why = (ours.get("notes") or {}).get(k) or (b_ours.get("notes") or {}).get(k)
        if out[m] is None and why:
            missing[m] = why
    return {"ours": out, **({"missing": missing} if missing else {})}


def _merit(ours):
    """What "best dataflow" minimizes: LUT, then FF (a missing figure is worst)."""
    return tuple(float("inf") if ours.get(m) is None else ours[m] for m in ABSOLUTE)


def compute_rows(figures, ours_by_name, names):
    """Rows of the comparison: the paper's figures, ours, and the ratios.

    A table with ``dataflows`` gets a row per design and dataflow, each
    against its baseline in the same dataflow, and then a row per design in
    its ``best`` dataflow (the fewest LUTs, then FFs) against the baseline in
    the baseline's best, so that neither side is held to the other's dataflow.

    Parameters
    ----------
    figures : dict
        :func:`load_figures` output (possibly filtered).
    ours_by_name : dict
        Build name -> :func:`summarize_report` output.
    names : dict
        ``(table, design, dataflow)`` -> build name (``dataflow`` ``None``
        where the table gives none).

    Returns
    -------
    list of dict
        Per design (and dataflow): ``table``, ``design``, ``dataflow``
        (``None``, a dataflow, or ``"best"`` with ``best_of`` naming it),
        ``spec``, ``array``, ``name``, ``paper``, ``ours``, ``ours_over_paper``
        (LUT, FF), ``baseline``, ``ratios`` (one entry per baseline, the
        primary first: ``against``, ``primary``, ``paper`` and ``ours``, each
        ``{metric: design/baseline}`` over the metrics the paper gives for
        both (ours of :data:`OURS_KEY` where named so), ``missing`` (why an
        our ratio is ``None``, by metric, where a report says), and in a table
        with ``part: datapath`` ``ours_datapath``: the same ratios of the
        combinational datapaths), ``source``, ``note``.
    """
    from .figures import dataflows_of
    by_key = {(r["table"], r["design"]): r for r in figures["rows"]}
    flows = {t["id"]: dataflows_of(t) for t in figures["tables"]}
    parts = {t["id"]: t.get("part") for t in figures["tables"]}

    def built(table, design, flow):
        name = names[(table, design, flow)]
        return name, ours_by_name.get(name) or {}

    def best(table, design):
        """(name, ours, dataflow) of the design in its best dataflow."""
        return min(((*built(table, design, f), f) for f in flows[table]),
                   key=lambda x: _merit(x[1]))

    def row(r, flow, name, ours, pick, extra=None):
        paper = r["paper"]
        ratios = []
        against = ([r["baseline"]] if r["baseline"] else []) + list(r["also_vs"])
        for i, label in enumerate(against):
            b = by_key[(r["table"], label)]
            b_ours = pick(label)
            # A design the paper lacks (paper: {}) is compared on its baseline's figures.
            metrics = [m for m in METRICS if (m in paper or not paper) and m in b["paper"]]
            entry = {"against": label, "primary": i == 0,
                     "paper": {m: _ratio(paper[m], b["paper"][m]) for m in metrics
                               if m in paper},
                     **_ours_ratios(ours, b_ours, metrics)}
            if parts[r["table"]] == "datapath":
                dp = _ours_ratios(ours.get("datapath") or {}, b_ours.get("datapath") or {},
                                  [m for m in metrics if m in DATAPATH])
                entry["ours_datapath"] = dp["ours"]
                if "missing" in dp:
                    entry["missing_datapath"] = dp["missing"]
            ratios.append(entry)
        return {
            "table": r["table"], "design": r["design"], "dataflow": flow, **(extra or {}),
            "spec": r["spec"], "array": r["array"], "name": name, "paper": dict(paper),
            "ours": ours,
            "ours_over_paper": {m: _ratio(ours.get(m), paper[m])
                                for m in ABSOLUTE if m in paper},
            "baseline": r["baseline"], "ratios": ratios,
            "source": dict(r["source"]), "note": r["note"]}

    out = []
    for r in figures["rows"]:
        t = r["table"]
        for flow in flows[t]:
            name, ours = built(t, r["design"], flow)
            out.append(row(r, flow, name, ours,
                           lambda label, flow=flow: built(t, label, flow)[1]))
    for r in figures["rows"]:
        t = r["table"]
        if len(flows[t]) > 1:
            name, ours, flow = best(t, r["design"])
            out.append(row(r, "best", name, ours, lambda label, t=t: best(t, label)[1],
                           {"best_of": flow}))
    return out
