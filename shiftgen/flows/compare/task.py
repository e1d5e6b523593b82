"""One build of a comparison, on a worker: the build (unless reused), its area and its ECP5 seeds."""

import json
from pathlib import Path

from ...spec.load import load_spec
from ..build import build

__all__ = ["build_job", "area", "ecp5"]


def build_job(job, *, progress=None):
    """Build one spec (or read its earlier build), measure its area and place it N times.

    Parameters
    ----------
    job : dict
        ``name``, ``kind`` (``pe`` or ``array``), ``spec_path`` (the file to
        build; an array made from a PE spec has its own file, since the
        cocotb array test loads the spec from it), ``out_root``, ``build``
        (build it, else read ``<out_root>/<name>/report.json``), ``area``
        (measure the standard-cell area of a PE), ``liberty`` (a path or
        ``None``: the embedded one), ``clock_mhz`` (``None``: the build's
        default) and ``ecp5_seeds`` (``0``: none; else place and route a PE
        with seeds 1..N, reusing the build's seed 1).
    progress : callable, optional

    Returns
    -------
    dict
        ``{"report": report.json, "area": area result or None, "ecp5": ECP5
        result over the seeds or None}``.
    """
    say = progress or (lambda msg: None)
    out_root = Path(job["out_root"])
    build_dir = out_root / job["name"]
    liberty = Path(job["liberty"]) if job.get("liberty") else None
    clock = {"clock_mhz": job["clock_mhz"]} if job.get("clock_mhz") is not None else {}
    if job["build"]:
        say("build")
        report, build_dir, _ = build(load_spec(job["spec_path"]), out_root, synth=True,
                                     progress=say, liberty=liberty, **clock)
    else:
        report = json.loads((build_dir / "report.json").read_text())
    measured = None
    if job["area"] and job["kind"] == "pe":
        asic = report.get("targets", {}).get("asic") or {}
        if asic.get("area_um2") is not None:  # the build measured it
            measured = {k: asic[k] for k in ("area_um2", "liberty", "recipe") if k in asic}
        else:
            say("area (standard cells)")
            measured = area(build_dir / f"{job['name']}.v", job["name"], build_dir / "asic",
                            liberty, **clock)
    placed = None
    if job.get("ecp5_seeds") and job["kind"] == "pe":
        say(f"ECP5 place and route, {job['ecp5_seeds']} seeds")
        placed = ecp5(build_dir / f"{job['name']}.v", job["name"], job["ecp5_seeds"],
                      (report.get("targets") or {}).get("ecp5"))
    return {"report": report, "area": measured, "ecp5": placed}


def area(verilog, top, work_dir, liberty=None, **options):
    """Standard-cell area from :mod:`shiftgen.synth.asic`, or why there is none (never raises).

    ``options`` go to :func:`~shiftgen.synth.asic.asic_area` (its ``clock_mhz``).
    """
    try:
        from ...synth.asic import asic_area
    except ImportError:
        return {"area_um2": None, "reason": "n/a: shiftgen.synth.asic not available"}
    try:
        res = dict(asic_area(verilog, top, liberty=liberty, work_dir=work_dir, **options))
    except Exception as e:  # noqa: BLE001 - the column says why; the comparison goes on
        return {"area_um2": None, "reason": f"error: {type(e).__name__}: {e}"}
    if res.get("area_um2") is None and not res.get("reason"):
        res["reason"] = "n/a (no figure)"
    return res


def ecp5(verilog, top, seeds, earlier=None):
    """ECP5 fmax over placement seeds 1..``seeds`` (issue 14 step 4), or why there is none.

    The build placed seed 1 (:func:`shiftgen.synth.ecp5.ecp5_target`); its
    result is ``earlier``, so only the other seeds are placed here. Never
    raises: a failed run is the result's ``reason``.
    """
    from ...synth.ecp5 import ecp5_target
    try:
        return ecp5_target(verilog, top, seeds=range(1, seeds + 1), earlier=earlier,
                           work_dir=Path(verilog).parent)
    except Exception as e:  # noqa: BLE001 - the column says why; the comparison goes on
        return {"fmax_mhz": None, "reason": f"error: {type(e).__name__}: {e}"}
