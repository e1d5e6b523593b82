"""Run a sweep: plan the points the cache lacks, run them as jobs, write the outputs."""

import math
import time
from pathlib import Path

from ... import __version__
from ...errors import InputError, ToolError
from ...spec.schema import show
from ...tools.yosys import find_yosys
from ...cache import Cache
from ..jobs import Job, Runner
from . import task
from .grid import point_key
from .task import ENERGY_FIGURES, SPEED_FIGURES

__all__ = ["RUN_FIELDS", "run_sweep", "comparable", "default_out"]

#: Result fields that depend on the run, not on the points: left out by :func:`comparable`.
RUN_FIELDS = ("run", "timings")


def default_out(grid):
    """``build/sweep/<grid name>``."""
    return Path("build") / "sweep" / grid.name


def _sort_key(p):
    from ...families import FAMILIES
    order = list(FAMILIES)
    fam = p["family"]
    return (order.index(fam) if fam in order else len(order), fam, p["weight_bits"], p["name"])


def _front(rows, cost):
    """Names of the rows on the ``cost``/SNR Pareto front (rows without either left out)."""
    from ...reports.plots import pareto_front
    # pareto_front reads the cost under "lut"; any cost where fewer is better fits it.
    valid = [{"name": r["name"], "lut": r[cost], "snr_db": r["snr_db"]} for r in rows
             if r.get(cost) is not None and r["snr_db"] is not None]
    return {valid[i]["name"] for i in pareto_front(valid)}


def _assemble(grid, entries, run, measures):
    rows = []
    timings = {}
    for p in grid.points:
        entry = entries[p.name]
        rows.append({"name": p.name, "entry": p.entry, "values": p.values, "key": entry["key"],
                     **entry["result"]})
        timings[p.name] = {**entry["timing"], "cached": entry.get("cached", False)}
    rows.sort(key=_sort_key)
    front = _front(rows, "lut")
    energy_fronts = {source: _front(rows, field) for source, field in ENERGY_FIGURES.items()}
    for r in rows:
        r["pareto"] = r["name"] in front
        for source, names in energy_fronts.items():
            r[f"pareto_energy_{source}"] = r["name"] in names
    yosys = rows[0]["yosys"] if rows else None
    for r in rows:
        r.pop("yosys", None)
    return {
        "sweep": grid.name,
        "grid": str(grid.path),
        "weights": grid.weights,
        "tools": {"shiftgen": __version__, "yosys": yosys, "sta": measures["sta"],
                  "nextpnr": measures["nextpnr"]},
        "asic": {"clock_mhz": measures["clock_mhz"], "liberty": measures["liberty"]},
        "count": len(rows),
        "points": rows,
        "skipped": list(grid.skipped),
        "run": run,
        "timings": {r["name"]: timings[r["name"]] for r in rows},
    }


def comparable(doc):
    """``doc`` (a ``sweep.json``) without what depends on the run: backend, counts, times."""
    return {k: v for k, v in doc.items() if k not in RUN_FIELDS}


def _tidy(out, made_out):
    """Remove ``out`` if this run made it and left nothing in it."""
    if not made_out:
        return
    for d in (out / "cache", out):
        try:
            d.rmdir()
        except OSError:
            pass


def _complete(result):
    """Whether a cached result has every field this shiftgen's results have."""
    return all(k in result for k in (*ENERGY_FIGURES.values(), *SPEED_FIGURES, "missing",
                                     "asic", "ecp5"))


def run_sweep(grid, out=None, *, jobs=2, scheduler=None, clock_mhz=None, liberty=None,
              progress=None):
    """Run every point of ``grid`` not in the cache; write the outputs; return ``sweep.json``.

    Parameters
    ----------
    grid : Grid
        From :func:`~shiftgen.flows.sweep.grid.load_grid`.
    out : str or os.PathLike, optional
        Output directory (default :func:`default_out`).
    jobs : int
        Worker processes of the local pool (unused with ``scheduler``); 1 runs
        the points in this process, one after the other.
    scheduler : str, optional
        Address of a Dask distributed scheduler to run the points on instead.
    clock_mhz : float, optional
        The clock of the ASIC power and energy figures (default
        :data:`shiftgen.synth.asic.DEFAULT_CLOCK_MHZ`); part of each key.
    liberty : str or os.PathLike, optional
        The standard-cell liberty of the ASIC figures (default the embedded
        OSU 0.18 um one); its SHA-256 is part of each key.
    progress : callable, optional
        Called with event dicts: ``{"event": "plan", "total", "cached", "todo",
        "skipped", "backend", "message"}``, then the job events of
        :meth:`~shiftgen.flows.jobs.Runner.run` per point computed.

    Raises
    ------
    InputError
        If ``jobs`` is below 1, ``clock_mhz`` is not a positive number or
        ``liberty`` is not a usable liberty.
    ToolError
        If a point fails (the others stay cached) or the scheduler is unreachable.
    """
    runner = Runner(jobs=jobs, scheduler=scheduler)
    say = progress or (lambda event: None)
    start = time.monotonic()
    out = Path(out) if out is not None else default_out(grid)
    yosys_version = find_yosys().version
    from ...synth.asic import DEFAULT_CLOCK_MHZ
    clock_mhz = DEFAULT_CLOCK_MHZ if clock_mhz is None else clock_mhz
    if isinstance(clock_mhz, bool) or not isinstance(clock_mhz, (int, float)) \
            or not math.isfinite(clock_mhz) or clock_mhz <= 0:
        raise InputError(f"clock_mhz must be a positive number of MHz, not {clock_mhz!r}")
    measures = task.measurement_settings(clock_mhz, liberty)
    liberty = None if liberty is None else str(Path(liberty).absolute())
    cache = Cache(out / "cache")
    keys = {p.name: point_key(p, grid.weights, yosys_version, measures) for p in grid.points}
    entries = {}
    for p in grid.points:
        entry = cache.get(keys[p.name])
        # The key holds the result format; an entry lacking a field is computed again all the same.
        if entry is not None and _complete(entry.get("result") or {}):
            entries[p.name] = {**entry, "cached": True}
    todo = [p for p in grid.points if p.name not in entries]
    say({"event": "plan", "total": len(todo), "cached": len(entries), "todo": len(todo),
         "skipped": len(grid.skipped), "backend": runner.backend,
         "message": f"{grid.name}: {len(grid.points)} points, {len(entries)} cached, "
                    f"{len(todo)} to run on {runner.backend}"
                    + (f" ({len(grid.skipped)} invalid combinations skipped)"
                       if grid.skipped else "")})
    made_out = not out.exists()
    errors = []
    by_name = {p.name: p for p in todo}

    def keep(outcome):
        error = outcome.error
        if error is None and outcome.result["result"]["yosys"] != yosys_version:
            error = (f"the worker ran {outcome.result['result']['yosys']}, this machine "
                     f"has {yosys_version}; cache keys would not match")
        elif error is None and outcome.result["measures"] != measures:
            theirs = outcome.result["measures"]
            diff = ", ".join(f"{k} {show(theirs.get(k))} (here {show(measures.get(k))})"
                             for k in sorted(set(theirs) | set(measures))
                             if theirs.get(k) != measures.get(k))
            error = f"the worker measured with {diff}; cache keys would not match"
        if error is not None:
            errors.append((outcome.name, error))
            return
        point = by_name[outcome.name]
        entries[point.name] = cache.put(keys[point.name], {
            "spec": point.canonical, "weights": grid.weights,
            "versions": {"shiftgen": __version__, "yosys": yosys_version},
            "measures": measures,
            "result": outcome.result["result"], "timing": outcome.result["timing"]})

    if todo:
        work_root = (out / ".work").resolve()
        work_root.mkdir(parents=True, exist_ok=True)
        finished = False
        try:
            runner.run([Job(p.name, task.run_point,
                            (p.text, grid.weights, str(work_root), p.fitted, clock_mhz,
                             liberty))
                        for p in todo],
                       say, keep)
            finished = True
        finally:
            try:
                work_root.rmdir()
            except OSError:
                pass
            if not finished:
                _tidy(out, made_out)
    if errors:
        _tidy(out, made_out)
        name, message = errors[0]
        raise ToolError(f"{len(errors)} of {len(todo)} points failed (the other points are "
                        f"cached in {cache.directory}); first: {name}: {message}")
    run = {"backend": runner.backend, "computed": len(todo),
           "cached": len(grid.points) - len(todo),
           "seconds": round(time.monotonic() - start, 3)}
    doc = _assemble(grid, entries, run, measures)
    from ...reports.sweep import write_outputs
    write_outputs(out, doc)
    return doc
