"""Our figures from each build's report, and the ratios set beside the papers'."""

from pathlib import Path

__all__ = ["METRICS", "ABSOLUTE", "METRIC_LABEL", "summarize_report", "compute_rows"]

#: Figures that ratios are taken of, when the paper gives them for both designs.
METRICS = ("LUT", "FF", "area_um2", "power_mw")
#: Figures compared as ours / paper (the others come from different technologies).
ABSOLUTE = ("LUT", "FF")
METRIC_LABEL = {"LUT": "LUT", "FF": "FF", "area_um2": "area", "power_mw": "power"}


def summarize_report(report, kind="pe", area=None):
    """Our figures from a ``report.json``: xilinx7 LUT/FF/CARRY4, generic gates and depth.

    For ``kind == "array"`` the array totals (``report["array"]["targets"]``).
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
    else:
        x = report["targets"].get("xilinx7") or {}
        g = report["targets"].get("generic") or {}
        ours = {"LUT": x.get("LUT"), "FF": x.get("FF"), "CARRY4": x.get("CARRY4"),
                "generic_gates": g.get("total"), "depth": report.get("depth"),
                "recipe": x.get("recipe")}
    asic = report.get("targets", {}).get("asic") or {} if kind == "pe" else {}
    power = (asic.get("power_mw") or {}).get("vectorless")
    # Power: OpenSTA on the area's cell netlist, every net at 0.5 (the papers' convention).
    ours["power_mw"] = power["total"] if power else None
    ours["energy_pj_per_mac"] = (asic.get("energy_pj_per_mac") or {}).get("vectorless")
    ours["simulated_power_mw"] = ((asic.get("power_mw") or {}).get("simulated") or {}).get("total")
    ours["fmax_mhz"] = asic.get("fmax_mhz")
    ours["ecp5_fmax_mhz"] = (report.get("targets", {}).get("ecp5") or {}).get("fmax_mhz") \
        if kind == "pe" else None
    area = area or {"area_um2": None, "reason": "not run"}
    ours["area_um2"] = area.get("area_um2")
    ours["area_note"] = None if area.get("area_um2") is not None else area.get("reason")
    if area.get("liberty"):
        ours["liberty"] = Path(str(area["liberty"])).name
        ours["area_recipe"] = area.get("recipe")
    ours["verification"] = report_failures(report) or Verdict.PASS
    return ours


def _ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 4)


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
        both), ``source``, ``note``.
    """
    from .figures import dataflows_of
    by_key = {(r["table"], r["design"]): r for r in figures["rows"]}
    flows = {t["id"]: dataflows_of(t) for t in figures["tables"]}

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
            metrics = [m for m in METRICS if m in paper and m in b["paper"]]
            ratios.append({
                "against": label, "primary": i == 0,
                "paper": {m: _ratio(paper[m], b["paper"][m]) for m in metrics},
                "ours": {m: _ratio(ours.get(m), b_ours.get(m)) for m in metrics}})
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
