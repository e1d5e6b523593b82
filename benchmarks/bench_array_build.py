"""Time ``shiftgen build`` of N x N arrays end to end, per dataflow and family: wall time and memory.

Usage: python benchmarks/bench_array_build.py [--families pot_4bit,ausn_8x4,uniform_8x8]
           [--dataflows weight_stationary,broadcast] [--sizes 16 32 64 128]
           [--limit SECONDS] [--out build/bench_array_build]

For every dataflow, family (a spec stem of ``specs/*.yaml``) and size ``N``,
the spec is given an ``array: {rows: N, cols: N, dataflow: ...}`` section (as
``bench_array.py``'s ``array_spec`` does) and the name
``<family>_<N>x<N>_ws`` or ``..._broadcast``, written to ``<out>/specs/``, and built by the
real user command, ``python -m shiftgen build SPEC --out <out>/builds``, run
as a child process with ``SHIFTGEN_CACHE=off`` (no cached synthesis: every
Yosys run is made again; YoWASP's own compiled-WebAssembly cache stays warm).
That is the whole build a user gets: the PE (export, Amaranth-simulator
check, synthesis, its report), then the array (export; its check, in the
Amaranth simulator up to 16 x 16, by cocotb on Icarus above, run while it
synthesizes; hierarchical synthesis: a systolic cell in its edge contexts or
a broadcast column, and the top; the report).

Measured per point:

- ``seconds``: wall time of the child process, start to exit; ``cpu s``:
  its user + system CPU time with that of every descendant it waited for
  (from the same rusage), a figure less bent by other work on the machine;
- ``peak MB``: ``ru_maxrss`` of the child's rusage from ``os.wait4``. On
  Linux that is the larger of the child's own peak resident set and that of
  the largest descendant it waited for (Yosys, Icarus, the cocotb runner), so
  it covers the tools too. It is the peak of the single largest process, not
  of the process tree: processes running at once (two Yosys runs, Icarus)
  are not summed;
- LUT / FF: ``report["array"]["targets"]["xilinx7"]["totals"]`` of the
  produced ``report.json``;
- stage times: the offset of each progress line the build prints on stderr
  (``  .. msg``), the array synthesis wall time and per-target Yosys time the
  report records (``array.targets.seconds``, ``array.targets.<t>.seconds``),
  and the array check's build and simulation time when cocotb ran it;
- the machine's 1-minute load average before the point (other work on the
  machine slows the point; the build itself runs up to two Yosys
  processes, and the array check beside them).

``--limit SECONDS`` skips a point whose estimated time exceeds it, printing
why. The estimate comes from the previous measured size ``M`` of the same
dataflow and family: the array's part of that build (from its export on)
scaled by the MAC ratio ``N^2 / M^2``, plus the PE's part before it, which
does not grow with the array. A failed build is printed with its exit status and
last stderr line, and the run goes on.

The table is printed; every figure goes to ``<out>/results.json``, which
accumulates: a run replaces the points it measures and keeps the others (the
estimate for ``--limit`` may come from them too). Times depend on the
machine's load, printed with them; figures are printed, never asserted.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_FAMILIES = ("pot_4bit", "ausn_8x4", "uniform_8x8")
DATAFLOWS = ("weight_stationary", "broadcast")
SHORT = {"weight_stationary": "ws", "broadcast": "broadcast"}


def spec_name(family, n, flow):
    return f"{family}_{n}x{n}_{SHORT[flow]}"


def write_spec(family, n, flow, out):
    """The spec of ``family`` with an ``N x N`` ``flow`` array, written under ``out/specs``."""
    doc = yaml.safe_load((ROOT / "specs" / f"{family}.yaml").read_text())
    doc["name"] = spec_name(family, n, flow)
    doc["array"] = {"rows": n, "cols": n, "dataflow": flow}
    path = out / "specs" / f"{doc['name']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run_build(spec_path, out):
    """Run ``shiftgen build`` on ``spec_path``; wall time, rusage, stderr stage offsets."""
    env = {**os.environ, "SHIFTGEN_CACHE": "off"}
    log = out / "logs" / f"{spec_path.stem}.stdout"
    log.parent.mkdir(parents=True, exist_ok=True)
    stages, tail = [], []
    with open(log, "w") as stdout:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "shiftgen", "build", str(spec_path),
                                 "--out", str(out / "builds")], cwd=out, env=env,
                                stdout=stdout, stderr=subprocess.PIPE, text=True)
        try:
            for line in proc.stderr:
                line = line.rstrip("\n")
                tail = (tail + [line])[-20:]
                if line.startswith("  .. "):
                    stages.append((round(time.monotonic() - start, 2), line[5:]))
        except BaseException:
            proc.kill()
            raise
        finally:
            proc.stderr.close()
        # wait4, not Popen.wait: its rusage is the child's, with the peak of
        # the largest descendant it reaped (Yosys, Icarus) folded into ru_maxrss.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": proc.returncode, "seconds": round(seconds, 2),
            "peak_mb": round(usage.ru_maxrss / 1024, 1),
            "user_seconds": round(usage.ru_utime, 2), "sys_seconds": round(usage.ru_stime, 2),
            "stages": stages, "stderr_tail": tail}


def report_figures(build_dir):
    """LUT / FF totals and the synthesis and check times the report records."""
    report = json.loads((build_dir / "report.json").read_text())
    arr = report["array"]
    targets = arr.get("targets") or {}
    x = targets.get("xilinx7", {})
    totals = x.get("totals", {})
    times = {"synth_seconds": targets.get("seconds"),
             **{f"yosys_{t}_seconds": targets[t].get("seconds")
                for t in ("xilinx7", "generic") if t in targets}}
    for check, res in arr.get("verification", {}).items():
        for key in ("build_seconds", "sim_seconds", "seconds"):
            if key in res:
                times[f"{check}_{key}"] = round(res[key], 2)
    verdicts = {check: res.get("result") for check, res in arr.get("verification", {}).items()}
    return {"LUT": totals.get("LUT"), "FF": totals.get("FF"), "CARRY4": totals.get("CARRY4"),
            "unit": arr.get("unit"), "method": targets.get("method"),
            "array_checks": verdicts, "report_times": times}


def load():
    return os.getloadavg()[0]


def array_start(point):
    """Seconds into the build when the array export began (the PE's part before it)."""
    starts = [t for t, msg in point.get("stages", [])
              if msg.startswith("array ") and "export" in msg]
    return starts[0] if starts else 0.0


def estimate(results, flow, family, n):
    """Seconds for ``n`` from the largest measured smaller size: ``(estimate, that size)``.

    The array's part of that build (from its export on) is scaled by the MAC
    ratio ``n^2 / m^2``; the PE's part before it does not grow with the array.
    """
    done = [r for r in results if r["dataflow"] == flow and r["family"] == family
            and r["size"] < n and r.get("returncode") == 0]
    if not done:
        return None, None
    prev = max(done, key=lambda r: r["size"])
    pe = array_start(prev)
    return pe + (prev["seconds"] - pe) * (n * n) / (prev["size"] ** 2), prev["size"]


def stage_summary(point):
    """``pe``: until the array export starts; ``export``: the array export; ``rest``."""
    start = array_start(point)
    if not start:
        return ""
    after = sorted(t for t, msg in point["stages"] if t > start)
    export_end = after[0] if after else point["seconds"]
    return (f"pe {start:.0f} / export {export_end - start:.0f} / "
            f"check+synth {point['seconds'] - export_end:.0f}")


def print_row(p):
    if p.get("skipped"):
        print(f"{p['dataflow']:<17} {p['family']:<12} {p['size']:>8}  skipped: {p['skipped']}",
              flush=True)
        return
    if p["returncode"] != 0:
        print(f"{p['dataflow']:<17} {p['family']:<12} {p['size']:>8} {p['seconds']:>8.1f} "
              f"{p['peak_mb']:>8.0f}  FAILED (exit {p['returncode']}): "
              f"{(p['stderr_tail'] or [''])[-1]}", flush=True)
        return
    synth = p["report_times"].get("synth_seconds")
    cpu = p["user_seconds"] + p["sys_seconds"]
    print(f"{p['dataflow']:<17} {p['family']:<12} {p['size']:>8} {p['seconds']:>8.1f} "
          f"{cpu:>6.0f} {p['peak_mb']:>8.0f} {p['LUT']:>8} {p['FF']:>8} "
          f"{p['load_before']:>5.2f}  "
          f"({stage_summary(p)}; array synth {synth if synth is not None else '-'} s)",
          flush=True)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default=",".join(DEFAULT_FAMILIES),
                    help="comma-separated spec stems of specs/*.yaml")
    ap.add_argument("--dataflows", default=",".join(DATAFLOWS))
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128])
    ap.add_argument("--limit", type=float, default=None,
                    help="skip a point estimated to take longer (seconds)")
    ap.add_argument("--out", type=Path, default=Path("build") / "bench_array_build")
    args = ap.parse_args(argv)
    families = [f for f in args.families.split(",") if f]
    missing = [f for f in families if not (ROOT / "specs" / f"{f}.yaml").is_file()]
    if missing:
        ap.error(f"no specs/<family>.yaml for {missing}")
    flows = [f for f in args.dataflows.split(",") if f]
    if not flows or any(f not in DATAFLOWS for f in flows):
        ap.error(f"dataflows are {', '.join(DATAFLOWS)}, not {args.dataflows!r}")
    bad = [n for n in args.sizes if not 1 <= n <= 128]
    if bad:
        ap.error(f"sizes must be 1..128 (the spec's limit), not {bad}")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    results = json.loads(path.read_text())["points"] if path.is_file() else []

    from shiftgen.tools.yosys import find_yosys
    yosys = find_yosys()
    print(f"Yosys: {yosys.version} ({yosys.command}); {os.cpu_count()} CPUs, "
          f"load {' '.join(f'{v:.1f}' for v in os.getloadavg())}; SHIFTGEN_CACHE=off")
    header()
    total = time.monotonic()
    ran = 0
    for flow in flows:
        for family in families:
            for n in args.sizes:
                key = {"dataflow": flow, "family": family, "size": n}
                results = [r for r in results if {k: r[k] for k in key} != key]
                guess, prev = estimate(results, flow, family, n)
                if args.limit is not None and guess is not None and guess > args.limit:
                    point = {**key, "skipped": f"estimated {guess:.0f} s (from {prev}x{prev}, "
                                               f"x {n * n / prev ** 2:g} MACs) > --limit "
                                               f"{args.limit:.0f} s"}
                else:
                    spec_path = write_spec(family, n, flow, out)
                    point = {**key, "spec": str(spec_path), "load_before": load(),
                             **run_build(spec_path, out)}
                    point["load_after"] = load()
                    if point["returncode"] == 0:
                        point.update(report_figures(out / "builds" / spec_path.stem))
                results.append(point)
                ran += 1
                print_row(point)
                path.write_text(json.dumps({"yosys": yosys.version, "points": results},
                                           indent=1) + "\n")
    print(f"\n{time.monotonic() - total:.0f} s in all; results: {path}")
    if len(results) > ran:
        print(f"\nEvery point in {path.name} (earlier runs too):")
        header()
        order = {f: k for k, f in enumerate(DATAFLOWS)}
        for p in sorted(results, key=lambda r: (order[r["dataflow"]], r["family"], r["size"])):
            print_row(p)


def header():
    print(f"{'dataflow':<17} {'family':<12} {'size':>8} {'seconds':>8} {'cpu s':>6} "
          f"{'peak MB':>8} {'LUT':>8} {'FF':>8} {'load':>5}  (stage seconds)")


if __name__ == "__main__":
    main(sys.argv[1:])
