"""Time the ASIC timing/power and ECP5 stages a PE build adds (issue 14's budget).

Usage: python benchmarks/bench_asic.py [--runs N] [SPEC ...]
(default: specs/pot_4bit.yaml and specs/uniform_8x8.yaml, 5 runs)

For each spec the exported Verilog is mapped once (``asic_area``, the area
the build had before timing and power existed), then each stage runs once to
warm the caches (the WebAssembly compile of Yosys and nextpnr, the liberty
read) and ``N`` times more; the median of those ``N`` warm runs is printed:

- ``area``: ``abc -liberty`` mapping (both recipes for a multiplier), which
  the timing and power read; shown apart, as the area figure is older;
- ``sta``: OpenSTA timing and vectorless power of the cell netlist;
- ``datapath``: the combinational datapath mapped, timed and powered (seed 002 Fig. 4);
- ``simulated``: the Icarus gate-level run and the interpolated power;
- ``timing+power``: the three together, the time ``build`` adds for timing
  and both powers (budget 3 s);
- ``nextpnr``: one ECP5 placement seed with its synth_ecp5 run (budget 5 s).

Figures are printed, never asserted. Run it on an otherwise idle machine:
the stages are single-threaded and share the cores with anything else running.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Real tool runs each time: no cached synthesis (shiftgen.cache).
os.environ["SHIFTGEN_CACHE"] = "off"

from shiftgen.export.verilog import export
from shiftgen.spec import load_spec
from shiftgen.synth.activity import simulated_power
from shiftgen.synth.asic import DEFAULT_CLOCK_MHZ, asic_area, datapath_figures
from shiftgen.synth.ecp5 import ecp5_target, find_nextpnr, nextpnr_version
from shiftgen.synth.liberty import find_liberty
from shiftgen.synth.sta import find_sta, sta_version, timing_and_power
from shiftgen.tools.yosys import find_yosys

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("area", "sta", "datapath", "simulated", "timing+power", "nextpnr")


def _median_seconds(fn, runs):
    fn()  # warm
    times = []
    for _ in range(runs):
        start = time.monotonic()
        fn()
        times.append(time.monotonic() - start)
    return statistics.median(times)


def bench(spec, work, runs):
    liberty = find_liberty()
    _, verilog = export(spec, spec.elaborate(), work)
    area = asic_area(verilog, spec.name, liberty=liberty, netlist=True)
    netlist = work / f"{spec.name}.asic.v"
    netlist.write_text(area.pop("_netlist"))
    stages = {
        "area": lambda: asic_area(verilog, spec.name, liberty=liberty),
        "sta": lambda: timing_and_power(netlist, spec.name, liberty,
                                        clock_mhz=DEFAULT_CLOCK_MHZ, work_dir=work / "sta"),
        "datapath": lambda: datapath_figures(spec, work, clock_mhz=DEFAULT_CLOCK_MHZ,
                                             liberty=liberty),
        "simulated": lambda: simulated_power(spec, netlist, liberty,
                                             clock_mhz=DEFAULT_CLOCK_MHZ, work_dir=work),
        "nextpnr": lambda: ecp5_target(verilog, spec.name, seeds=(1,)),
    }
    out = {name: _median_seconds(fn, runs) for name, fn in stages.items()}
    out["timing+power"] = out["sta"] + out["datapath"] + out["simulated"]
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("specs", nargs="*")
    args = parser.parse_args(argv)
    if find_liberty() is None or find_sta() is None or find_nextpnr() is None:
        sys.exit("needs the OSU liberty (python -m shiftgen.asic --install), sta and nextpnr")
    paths = [Path(p) for p in args.specs] or [ROOT / "specs" / "pot_4bit.yaml",
                                              ROOT / "specs" / "uniform_8x8.yaml"]
    print(f"{find_yosys().version}; {sta_version()}; {nextpnr_version()}; "
          f"{os.cpu_count()} cores; median of {args.runs} warm runs, seconds")
    print(f"{'spec':<14} " + " ".join(f"{s:>12}" for s in STAGES))
    for path in paths:
        spec = load_spec(path)
        # YoWASP tools see only the current directory tree: work under it.
        with tempfile.TemporaryDirectory(prefix=".bench-asic-", dir=Path.cwd()) as tmp:
            figures = bench(spec, Path(tmp), args.runs)
        print(f"{spec.name:<14} " + " ".join(f"{figures[s]:>12.2f}" for s in STAGES),
              flush=True)
    print("budgets (issue 14): timing+power <= 3 s, nextpnr <= 5 s")


if __name__ == "__main__":
    main(sys.argv[1:])
