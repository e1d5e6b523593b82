"""Time each stage of the build, per shipped spec: elaborate+export, verify, synthesize.

Usage: python benchmarks/bench_build.py [SPEC ...]   (default: every specs/*.yaml)

Also times ``shiftgen build specs/pot_4bit.yaml`` end to end as a user runs it
(the aim is under 10 s once the Yosys cache is warm). Figures are printed,
never asserted.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import os

# Times of real tool runs, from a cold start: no cached synthesis (shiftgen.cache).
os.environ["SHIFTGEN_CACHE"] = "off"

from shiftgen.flows.build import build
from shiftgen.verify.formal import prove
from shiftgen.verify.cocotb_runner import available, run_cocotb
from shiftgen.spec import load_spec
from shiftgen.tools.yosys import find_yosys

ROOT = Path(__file__).resolve().parent.parent


def main(argv):
    paths = [Path(p) for p in argv] or sorted((ROOT / "specs").glob("*.yaml"))
    yosys = find_yosys()
    print(f"Yosys: {yosys.version} ({yosys.command})")
    header = (f"{'spec':<18} {'elab+export':>11} {'sim':>6} {'synth':>6} "
              f"{'formal':>7} {'icarus':>7} {'verilator':>9}  (seconds)")
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            spec = load_spec(path)
            _, out, t = build(spec, Path(tmp) / "build")
            verilog, codebook = out / f"{spec.name}.v", out / "codebook.json"
            start = time.monotonic()
            prove(spec, verilog)
            t["formal"] = time.monotonic() - start
            for sim in ("icarus", "verilator"):
                if available(sim):
                    start = time.monotonic()
                    run_cocotb(spec, verilog, codebook, sim, random_steps=2000)
                    t[sim] = time.monotonic() - start
            cells = [f"{t.get(k, float('nan')):>{w}.2f}" for k, w in
                     (("export", 11), ("verify", 6), ("synth", 6),
                      ("formal", 7), ("icarus", 7), ("verilator", 9))]
            print(f"{spec.name:<18} " + " ".join(cells), flush=True)

        runs = []
        for _ in range(3):
            start = time.monotonic()
            subprocess.run([sys.executable, "-m", "shiftgen", "build",
                            str(ROOT / "specs" / "pot_4bit.yaml"), "--out",
                            str(Path(tmp) / "cli")], check=True, capture_output=True)
            runs.append(time.monotonic() - start)
        print(f"shiftgen build specs/pot_4bit.yaml: best {min(runs):.2f} s, "
              f"worst {max(runs):.2f} s of 3 (warm Yosys cache)")


if __name__ == "__main__":
    main(sys.argv[1:])
