"""Our figures from each build's report, and the ratios set beside the papers'."""

from pathlib import Path

__all__ = ["METRICS", "ABSOLUTE", "METRIC_LABEL", "summarize_report", "compute_rows"]

#: Figures that ratios are taken of, when the paper gives them for both designs.
METRICS = ("LUT", "FF", "area_um2")
#: Figures compared as ours / paper (the others come from different technologies).
ABSOLUTE = ("LUT", "FF")
METRIC_LABEL = {"LUT": "LUT", "FF": "FF", "area_um2": "area"}


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
