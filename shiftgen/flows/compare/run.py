"""``shiftgen compare``: plan the builds, run the ones the cache lacks, write the comparison."""

import json
import platform
import time
from pathlib import Path

from ... import __version__
from ...errors import ToolError, VerificationError
from ...verify.verdict import Verdict, report_failures
from ...weights.seeded import seeded_weights
from ...cache import Cache
from ..jobs import Job, Runner
from . import task
from .figures import DATA_FILE
from .pareto import WEIGHTS_N, WEIGHTS_SEED, pareto_points
from .plan import plan, write_derived
from .rows import compute_rows, summarize_report

__all__ = ["run_compare", "STANDARD_CELLS"]

#: The standard cells of the area column.
STANDARD_CELLS = "OSU 0.18 um"


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
    from ...synth.array import COLUMN_METHOD, EDGE_METHOD
    from ...synth.recipes import GENERIC_GATES
    return {
        "xilinx7": "synth_xilinx -flatten -nodsp -noiopad -noclkbuf (out of context, no DSP); "
                   "a design that multiplies also runs proc; opt; wreduce; booth first and "
                   "the better candidate by (LUT, FF, CARRY4) is kept",
        "generic": f"synth -flatten (-booth as a candidate), abc -g {GENERIC_GATES}; "
                   "depth: ltp -noff (gates on the longest path)",
        "array": f"weight_stationary: {EDGE_METHOD} broadcast: {COLUMN_METHOD}",
        "area": f"shiftgen.synth.asic.asic_area ({STANDARD_CELLS} liberty), PEs only, "
                "from each build's targets.asic",
        "power": "OpenSTA 2.0.17 report_power on the area's cell netlist at 100 MHz, every net "
                 "toggling 0.5 times a period (the papers' convention); simulated: the cell "
                 "netlist's own toggle rates on the PE's random stream (shiftgen.synth.activity). "
                 "Pre-layout, typical corner, no wire load, ideal clock; PEs only",
    }


def _has_area(area):
    return bool(area) and area.get("area_um2") is not None


def run_compare(out_dir="build/compare", *, tables=None, extra=None, jobs=2, force=False,
                area=True, progress=None, root=None):
    """Build every paper configuration and its baselines, and write the comparison.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Gets ``compare.{json,csv,md}``, ``plots/``, ``builds/<name>/``,
        ``specs/`` (arrays made from a PE spec) and ``cache/`` (what each
        build depended on, and its area, by content hash).
    tables : list of str, optional
        Table ids to compare (see ``shiftgen compare --table``); default all.
    extra : iterable of str, optional
        More PE specs for the Pareto and levels plots (see
        :func:`~shiftgen.flows.compare.plan.plan`).
    jobs : int
        Builds at once (worker processes); 1 builds in this process.
    force : bool
        Rebuild even when ``builds/<name>`` matches the spec.
    area : bool
        Measure the standard-cell area of each PE.
    progress : callable, optional
        Called with event dicts: ``{"event": "plan", "total"}``, the job events
        of :meth:`~shiftgen.flows.jobs.Runner.run` (a reused build is
        ``done`` with ``cached``), and ``{"event": "phase", "msg"}``.
    root : str or os.PathLike, optional
        Where the spec paths of the data file start.

    Returns
    -------
    dict
        The ``compare.json`` document.

    Raises
    ------
    ToolError
        If a build fails (the others are kept and reused next time).
    VerificationError
        After writing everything, if a build failed a check.
    """
    from ...reports.compare import to_csv, to_json, to_markdown, write_plots
    from ...files import write_text
    runner = Runner(jobs=jobs)
    say = progress or (lambda event: None)
    start = time.monotonic()
    out_dir = Path(out_dir)
    figures, job_list, names = plan(tables, extra, root)
    builds = out_dir / "builds"
    cache = Cache(out_dir / "cache")
    say({"event": "plan", "total": len(job_list), "names": [j["name"] for j in job_list]})
    entries, results, work = {}, {}, []
    for job in job_list:
        name = job["name"]
        if job["array"] is not None:
            job["spec_path"] = str(write_derived(job, out_dir / "specs"))
        entry = None if force else cache.get(job["key"])
        built = entry is not None and (builds / name / "report.json").is_file()
        entries[name] = entry if built else None
        need_area = area and job["kind"] == "pe" and not (built and _has_area(entry.get("area")))
        if built and not need_area:
            results[name] = {"report": json.loads((builds / name / "report.json").read_text()),
                             "area": None, "cached": True, "seconds": 0.0}
            say({"event": "done", "name": name, "seconds": 0.0, "cached": True})
            continue
        work.append(Job(name, task.build_job, ({"name": name, "kind": job["kind"],
                                                 "spec_path": job["spec_path"],
                                                 "out_root": str(builds), "build": not built,
                                                 "area": need_area},)))
    errors = []

    def keep(outcome):
        if not outcome.ok:
            errors.append((outcome.name, outcome.error))
            return
        job = next(j for j in job_list if j["name"] == outcome.name)
        res = outcome.result
        old = entries.get(outcome.name) or {}
        measured = res["area"] if _has_area(res["area"]) else old.get("area")
        results[outcome.name] = {**res, "cached": False, "seconds": round(outcome.seconds, 2)}
        if not report_failures(res["report"]):  # a failing build is never reused
            cache.put(job["key"], {"name": job["name"], "spec": job["spec_rel"],
                                   "array": job["array"], "shiftgen": __version__,
                                   "area": measured})
            entries[outcome.name] = {"area": measured}

    runner.run(work, say, keep)
    if errors:
        name, message = errors[0]
        raise ToolError(f"compare: {len(errors)} of {len(job_list)} builds failed (the others "
                        f"are kept in {builds}); first: {name}: {message}")

    def area_of(job):
        if job["kind"] == "array":
            return {"area_um2": None, "reason": "n/a for arrays (PE only)"}
        if not area:
            return {"area_um2": None, "reason": "not run (--no-area)"}
        fresh = results[job["name"]]["area"]
        return fresh if fresh is not None else (entries[job["name"]] or {}).get("area")

    ours = {j["name"]: summarize_report(results[j["name"]]["report"], j["kind"], area_of(j))
            for j in job_list}
    rows = compute_rows(figures, ours, names)

    say({"event": "phase", "msg": "SNR and plots"})
    weights = seeded_weights(WEIGHTS_N, WEIGHTS_SEED)
    points = pareto_points(job_list, ours, weights)
    plots = write_plots(out_dir / "plots", figures, rows, job_list, points, weights, out_dir)

    doc = {
        "generated_by": f"shiftgen {__version__} compare",
        "data_file": f"shiftgen/data/{DATA_FILE}",
        "tables": [dict(t) for t in figures["tables"]],
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
        "timings": {"total_seconds": None,
                    "builds": {j["name"]: {"seconds": results[j["name"]]["seconds"],
                                           "cached": results[j["name"]]["cached"]}
                               for j in job_list}},
    }
    say({"event": "phase", "msg": "write compare.json, compare.csv, compare.md"})
    doc["timings"]["total_seconds"] = round(time.monotonic() - start, 1)
    write_text(out_dir / "compare.json", to_json(doc))
    write_text(out_dir / "compare.csv", to_csv(doc))
    write_text(out_dir / "compare.md", to_markdown(doc))
    failed = [f"{n} ({', '.join(o['verification'])})" for n, o in ours.items()
              if o["verification"] != Verdict.PASS]
    if failed:
        raise VerificationError(f"compare: verification failed: {'; '.join(failed)} "
                                f"(see {out_dir / 'compare.md'})")
    return doc
