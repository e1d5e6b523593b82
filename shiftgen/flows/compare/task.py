"""One build of a comparison, on a worker: the build (unless reused) and its area."""

import json
from pathlib import Path

from ...spec.load import load_spec
from ..build import build

__all__ = ["build_job", "area"]


def build_job(job, *, progress=None):
    """Build one spec (or read its earlier build) and measure its area, on a worker.

    Parameters
    ----------
    job : dict
        ``name``, ``kind`` (``pe`` or ``array``), ``spec_path`` (the file to
        build; an array made from a PE spec has its own file, since the
        cocotb array test loads the spec from it), ``out_root``, ``build``
        (build it, else read ``<out_root>/<name>/report.json``) and
        ``area`` (measure the standard-cell area of a PE).
    progress : callable, optional

    Returns
    -------
    dict
        ``{"report": report.json, "area": area result or None}``.
    """
    say = progress or (lambda msg: None)
    out_root = Path(job["out_root"])
    build_dir = out_root / job["name"]
    if job["build"]:
        say("build")
        report, build_dir, _ = build(load_spec(job["spec_path"]), out_root, synth=True,
                                     progress=say)
    else:
        report = json.loads((build_dir / "report.json").read_text())
    measured = None
    if job["area"] and job["kind"] == "pe":
        asic = report.get("targets", {}).get("asic") or {}
        if asic.get("area_um2") is not None:  # the build measured it
            measured = {k: asic[k] for k in ("area_um2", "liberty", "recipe") if k in asic}
        else:
            say("area (standard cells)")
            measured = area(build_dir / f"{job['name']}.v", job["name"], build_dir / "asic")
    return {"report": report, "area": measured}


def area(verilog, top, work_dir):
    """OSU 0.18 um area from :mod:`shiftgen.synth.asic`, or why there is none (never raises)."""
    try:
        from ...synth.asic import asic_area
    except ImportError:
        return {"area_um2": None, "reason": "n/a: shiftgen.synth.asic not available"}
    try:
        res = dict(asic_area(verilog, top, work_dir=work_dir))
    except Exception as e:  # noqa: BLE001 - the column says why; the comparison goes on
        return {"area_um2": None, "reason": f"error: {type(e).__name__}: {e}"}
    if res.get("area_um2") is None and not res.get("reason"):
        res["reason"] = "n/a (no figure)"
    return res
