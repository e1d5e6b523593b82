"""``shiftgen compare``: plan the builds, run the ones the cache lacks, write the comparison."""

import json
import platform
import time
from pathlib import Path

from ... import __version__
from ...errors import InputError, ToolError, VerificationError
from ...verify.verdict import Verdict, report_failures
from ...weights.seeded import seeded_weights
from ...cache import Cache
from ..jobs import Job, Runner
from . import task
from .figures import DATA_FILE
from .pareto import WEIGHTS_N, WEIGHTS_SEED, pareto_points
from .plan import measures, plan, write_derived
from .rows import compute_rows, ecp5_summary, summarize_report

__all__ = ["run_compare", "STANDARD_CELLS", "ECP5_SEEDS", "library_label", "check_ecp5_seeds"]

#: The standard cells of the area column (the embedded liberty).
STANDARD_CELLS = "OSU 0.18 um"
#: Placement seeds per PE in ``compare`` (issue 14 step 4: min / median over 3).
ECP5_SEEDS = 3
_MAX_SEEDS = 100


def library_label(liberty):
    """How the reports name a liberty (``measures()["liberty"]``): OSU 0.18 um or its file."""
    from ...synth.liberty import LIBERTY_NAME
    if liberty is None:
        return "no liberty"
    return STANDARD_CELLS if liberty["name"] == LIBERTY_NAME else liberty["name"]


def _tools(reports, measured):
    """Tool versions, each a string (or a list when the builds disagree)."""
    import matplotlib
    import numpy
    keys = ("shiftgen", "amaranth", "yosys", "python")
    tools = {}
    for k in keys:
        vals = sorted({r["tools"][k] for r in reports if k in r.get("tools", {})})
        tools[k] = vals[0] if len(vals) == 1 else (vals or None)
    tools.setdefault("python", platform.python_version())
    tools["opensta"] = measured["sta"]
    tools["nextpnr"] = measured["nextpnr"]
    tools["numpy"] = numpy.__version__
    tools["matplotlib"] = matplotlib.__version__
    return tools


def _recipes(measured, ecp5_seeds):
    from ...synth.array import COLUMN_METHOD, EDGE_METHOD
    from ...synth.recipes import GENERIC_GATES
    lib = library_label(measured["liberty"])
    return {
        "xilinx7": "synth_xilinx -flatten -nodsp -noiopad -noclkbuf (out of context, no DSP); "
                   "a design that multiplies also runs proc; opt; wreduce; booth first and "
                   "the better candidate by (LUT, FF, CARRY4) is kept",
        "generic": f"synth -flatten (-booth as a candidate), abc -g {GENERIC_GATES}; "
                   "depth: ltp -noff (gates on the longest path)",
        "array": f"weight_stationary: {EDGE_METHOD} broadcast: {COLUMN_METHOD}",
        "area": f"shiftgen.synth.asic.asic_area ({lib} liberty), from each build's "
                "targets.asic (arrays: array.targets.asic, costed as the LUTs are)",
        "power": f"{measured['sta'] or 'OpenSTA (not installed)'} report_power on the area's "
                 f"cell netlist at {measured['clock_mhz']:g} MHz, every net toggling 0.5 times "
                 "a period (the papers' convention); simulated: the cell netlist's own toggle "
                 "rates on the PE's random stream (shiftgen.synth.activity). Pre-layout, "
                 "typical corner, no wire load, ideal clock. Datapath: the product and "
                 "accumulator adder without a register (targets.asic.datapath, seed 002 "
                 "Fig. 4's combinational part); arrays: report array.targets.asic",
        "ecp5": f"{measured['nextpnr'] or 'nextpnr-ecp5 (not installed)'}: the build's "
                f"synth_ecp5 -nodsp netlist, inputs registered, placed and routed with seeds "
                f"1..{ecp5_seeds}; fmax min and median over the seeds, cells of seed 1 (PEs)",
    }


def _has_area(area):
    return bool(area) and area.get("area_um2") is not None


def _has_ecp5(ecp5, seeds):
    """``ecp5`` holds seeds 1..``seeds``, or says why there is no figure (not an error)."""
    if not ecp5:
        return False
    if ecp5.get("fmax_mhz") is None:
        return not str(ecp5.get("reason", "")).startswith("error")
    return set(ecp5.get("seeds") or ()) == {str(i) for i in range(1, seeds + 1)}


def check_ecp5_seeds(seeds):
    """``--ecp5-seeds``: a count of placement seeds, or :class:`InputError`."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= _MAX_SEEDS:
        raise InputError(f"--ecp5-seeds must be a count of placement seeds, 1 to {_MAX_SEEDS}, "
                         f"not {seeds!r}")


def run_compare(out_dir="build/compare", *, tables=None, extra=None, jobs=2, force=False,
                area=True, progress=None, root=None, liberty=None, clock_mhz=None,
                ecp5_seeds=ECP5_SEEDS):
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
    liberty : str or os.PathLike, optional
        The standard-cell library of the ASIC area, timing and power of every
        build (``--liberty``); default the embedded OSU 0.18 um one.
    clock_mhz : float, optional
        The clock of every build's power figures (``--clock-mhz``); default
        :data:`shiftgen.synth.asic.DEFAULT_CLOCK_MHZ`.
    ecp5_seeds : int
        ECP5 placement seeds per PE (``--ecp5-seeds``); fmax is reported as
        their minimum and median.

    Returns
    -------
    dict
        The ``compare.json`` document.

    Raises
    ------
    InputError
        Before anything is written, if ``liberty`` cannot be read or
        ``ecp5_seeds`` is no count.
    ToolError
        If a build fails (the others are kept and reused next time).
    VerificationError
        After writing everything, if a build failed a check.
    """
    from ...reports.compare import to_csv, to_json, to_markdown, write_plots
    from ...files import write_text
    runner = Runner(jobs=jobs)
    check_ecp5_seeds(ecp5_seeds)
    say = progress or (lambda event: None)
    start = time.monotonic()
    out_dir = Path(out_dir)
    measured = measures(liberty, clock_mhz)
    liberty = None if liberty is None else str(Path(liberty).absolute())
    figures, job_list, names = plan(tables, extra, root, measured=measured)
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
        need_ecp5 = job["kind"] == "pe" and not (built and _has_ecp5(entry.get("ecp5"),
                                                                     ecp5_seeds))
        if built and not need_area and not need_ecp5:
            results[name] = {"report": json.loads((builds / name / "report.json").read_text()),
                             "area": None, "ecp5": None, "cached": True, "seconds": 0.0}
            say({"event": "done", "name": name, "seconds": 0.0, "cached": True})
            continue
        work.append(Job(name, task.build_job, ({"name": name, "kind": job["kind"],
                                                 "spec_path": job["spec_path"],
                                                 "out_root": str(builds), "build": not built,
                                                 "area": need_area, "liberty": liberty,
                                                 "clock_mhz": clock_mhz,
                                                 "ecp5_seeds": ecp5_seeds if need_ecp5
                                                 else 0},)))
    errors = []

    def keep(outcome):
        if not outcome.ok:
            errors.append((outcome.name, outcome.error))
            return
        job = next(j for j in job_list if j["name"] == outcome.name)
        res = outcome.result
        old = entries.get(outcome.name) or {}
        measured = res["area"] if _has_area(res["area"]) else old.get("area")
        placed = res["ecp5"] if res["ecp5"] is not None else old.get("ecp5")
        results[outcome.name] = {**res, "cached": False, "seconds": round(outcome.seconds, 2)}
        if not report_failures(res["report"]):  # a failing build is never reused
            cache.put(job["key"], {"name": job["name"], "spec": job["spec_rel"],
                                   "array": job["array"], "shiftgen": __version__,
                                   "area": measured, "ecp5": placed})
            entries[outcome.name] = {"area": measured, "ecp5": placed}

    runner.run(work, say, keep)
    if errors:
        name, message = errors[0]
        raise ToolError(f"compare: {len(errors)} of {len(job_list)} builds failed (the others "
                        f"are kept in {builds}); first: {name}: {message}")

    def area_of(job):
        if job["kind"] == "array":  # the build's own, costed as its LUTs are
            report = results[job["name"]]["report"]
            asic = ((report.get("array") or {}).get("targets") or {}).get("asic")
            if asic and asic.get("area_um2") is not None:
                return {"area_um2": asic["area_um2"], "liberty": asic.get("liberty"),
                        "recipe": asic.get("method")}
            why = (asic or {}).get("reason") or "the report has no array.targets.asic"
            return {"area_um2": None, "reason": f"n/a: {why}"}
        if not area:
            return {"area_um2": None, "reason": "not run (--no-area)"}
        fresh = results[job["name"]]["area"]
        return fresh if fresh is not None else (entries[job["name"]] or {}).get("area")

    def ecp5_of(job):
        if job["kind"] == "array":
            return None
        fresh = results[job["name"]]["ecp5"]
        return fresh if fresh is not None else (entries[job["name"]] or {}).get("ecp5")

    ours = {j["name"]: summarize_report(results[j["name"]]["report"], j["kind"], area_of(j),
                                        ecp5_of(j))
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
        "tools": _tools([results[j["name"]]["report"] for j in job_list], measured),
        "recipes": _recipes(measured, ecp5_seeds),
        "measures": {**measured, "ecp5_seeds": ecp5_seeds},
        "ecp5": {j["name"]: ecp5_summary(ecp5_of(j)) for j in job_list if j["kind"] == "pe"},
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
