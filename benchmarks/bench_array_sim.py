"""Simulation throughput of an exported MAC array under cocotb: Icarus against Verilator.

Usage: python benchmarks/bench_array_sim.py [--vectors N] [--size R] [SPEC ...]
(default: 2000 vectors through a 16 x 16 array of specs/pot_4bit.yaml and
specs/uniform_8x8.yaml)

Each spec gets an ``array: {rows: R, cols: R}`` section and is exported with
:func:`shiftgen.export.array.export_array` into a temporary directory under
the current one. The same job (load W, stream N random vectors, drain) runs
through :mod:`shiftgen.verify.cocotb_array` on each simulator, and every output is
checked against the golden model. Build time (Verilog compile, and for
Verilator the C++ build) is reported apart from the simulation's wall time,
which covers the clocked drive loop only (not the simulator's start-up).
MACs = vectors x R x C. The aim is Verilator at least 10x Icarus on 16 x 16.
Figures are printed, never asserted.
"""

import argparse
import tempfile
import time
from pathlib import Path

import yaml

import os

# Times of real tool runs, from a cold start: no cached synthesis (shiftgen.cache).
os.environ["SHIFTGEN_CACHE"] = "off"

from shiftgen.export.array import export_array
from shiftgen.verify.schedule import random_jobs
from shiftgen.verify.cocotb_runner import available, run_cocotb_array
from shiftgen.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPECS = [ROOT / "specs" / "pot_4bit.yaml", ROOT / "specs" / "uniform_8x8.yaml"]


def array_spec(path, size, out):
    doc = yaml.safe_load(Path(path).read_text())
    doc["array"] = {"rows": size, "cols": size}
    spec_path = out / Path(path).name
    spec_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_spec(spec_path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path, default=DEFAULT_SPECS)
    parser.add_argument("--vectors", type=int, default=2000)
    parser.add_argument("--size", type=int, default=16, help="R = C (default 16)")
    args = parser.parse_args(argv)

    sims = [s for s in ("icarus", "verilator") if available(s)]
    print(f"{args.size} x {args.size} arrays, {args.vectors} vectors per run; "
          f"simulators: {', '.join(sims) or 'none'}")
    header = (f"{'spec':<12} {'simulator':<10} {'cycles':>7} {'MACs':>9} {'build s':>8} "
              f"{'sim s':>7} {'MACs/s':>10} {'x Icarus':>8}  result")
    print(header)
    with tempfile.TemporaryDirectory(prefix="bench_array_sim-", dir=Path.cwd()) as tmp:
        for path in args.specs:
            out = Path(tmp) / Path(path).stem
            out.mkdir()
            spec = array_spec(path, args.size, out)
            start = time.monotonic()
            verilog = export_array(spec, out)["verilog"]
            export_s = time.monotonic() - start
            jobs = random_jobs(spec, 1, args.vectors, seed=1)
            macs = args.vectors * spec.array.rows * spec.array.cols
            rate = {}
            for sim in sims:
                r = run_cocotb_array(spec, verilog, jobs, sim, work_dir=out / sim)
                rate[sim] = macs / r["sim_seconds"] if r["sim_seconds"] else float("nan")
                ratio = rate[sim] / rate["icarus"] if "icarus" in rate else float("nan")
                status = r["result"] + (f" ({r['mismatches']} mismatches)"
                                        if r["mismatches"] else "")
                print(f"{spec.name:<12} {sim:<10} {r['cycles']:>7} {macs:>9} "
                      f"{r['build_seconds']:>8.2f} {r['sim_seconds']:>7.2f} "
                      f"{rate[sim]:>10.3g} {ratio:>8.1f}  {status}", flush=True)
            print(f"{spec.name:<12} (export to Verilog: {export_s:.2f} s)")


if __name__ == "__main__":
    main()
