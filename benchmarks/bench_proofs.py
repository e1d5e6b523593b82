# amaranth: UnusedElaboratable=no
"""Proof times per spec: the exported RTL, each mapped netlist, and the invariants.

Usage: python benchmarks/bench_proofs.py [SPEC ...]   (default: every specs/*.yaml)

For each spec: synthesize (both targets, the kept candidate's netlist
written), then time ``formal.prove`` on the RTL, on the xilinx7 and on the
generic netlist (Yosys ``sat -tempinduct``, no external solver), and
``invariants.prove_invariants`` (yowasp-sby + Yices). Prints one row per
spec and the result of every proof; figures are printed, never asserted.
"""

import sys
import tempfile
import time
from pathlib import Path

import os

# Times of real tool runs, from a cold start: no cached synthesis (shiftgen.cache).
os.environ["SHIFTGEN_CACHE"] = "off"

from shiftgen.export.verilog import export
from shiftgen.verify.formal import prove
from shiftgen.verify.invariants import prove_invariants
from shiftgen.spec import load_spec
from shiftgen.synth.pe import synthesize
from shiftgen.tools.yosys import find_yosys

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, *args, **kwargs):
    start = time.monotonic()
    out = fn(*args, **kwargs)
    return out, time.monotonic() - start


def main(argv):
    paths = [Path(p) for p in argv] or sorted((ROOT / "specs").glob("*.yaml"))
    print(f"Yosys: {find_yosys().version}")
    print(f"{'spec':<22} {'rtl':>6} {'xilinx7':>8} {'generic':>8} {'invariants':>10}  "
          f"(seconds; result, induction length / assertions)")
    total = {}
    with tempfile.TemporaryDirectory(dir=Path.cwd(), prefix=".bench-proofs-") as tmp:
        for path in paths:
            spec = load_spec(path)
            out = Path(tmp) / spec.name
            out.mkdir()
            _, verilog = export(spec, spec.elaborate(), out)
            synth = synthesize(verilog, spec.name, netlist_dir=out)
            row, notes = {}, []
            res, row["rtl"] = timed(prove, spec, verilog)
            notes.append(f"rtl {res['result']}/{res['induction_length']}")
            for target in ("xilinx7", "generic"):
                net = out / synth[target]["netlist"]
                res, row[target] = timed(prove, spec, net)
                booth = " booth" if "booth" in synth[target]["recipe"] else ""
                notes.append(f"{target}{booth} {res['result']}/{res['induction_length']}")
            res, row["invariants"] = timed(prove_invariants, spec)
            notes.append(f"invariants {res['result']}/{res['asserts']}")
            for k, v in row.items():
                total[k] = total.get(k, 0) + v
            print(f"{spec.name:<22} {row['rtl']:>6.1f} {row['xilinx7']:>8.1f} "
                  f"{row['generic']:>8.1f} {row['invariants']:>10.1f}  {'; '.join(notes)}",
                  flush=True)
    print(f"{'total':<22} {total['rtl']:>6.1f} {total['xilinx7']:>8.1f} "
          f"{total['generic']:>8.1f} {total['invariants']:>10.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
