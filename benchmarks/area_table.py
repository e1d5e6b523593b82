"""OSU 0.18 um standard-cell area of every shipped PE spec (specs/*.yaml).

Usage: python benchmarks/area_table.py [SPEC.yaml ...]

Each PE is exported as the build does, then mapped by :func:`shiftgen.synth.asic.asic_area`
(``synth -flatten``, ``dfflibmap`` and ``abc`` against ``osu018_stdcells.lib``;
a design that multiplies also with ``-booth``, keeping the smaller area).
Prints a Markdown table; figures are printed, never asserted. Needs the
liberty: ``python -m shiftgen.synth.asic --install``.
"""

import sys
import tempfile
import time
from pathlib import Path

import os

# Times of real tool runs, from a cold start: no cached synthesis (shiftgen.cache).
os.environ["SHIFTGEN_CACHE"] = "off"

from shiftgen.synth.asic import asic_area
from shiftgen.synth.liberty import find_liberty
from shiftgen.export.verilog import export
from shiftgen.spec import load_spec
from shiftgen.tools.yosys import find_yosys

ROOT = Path(__file__).resolve().parent.parent


def main(argv):
    paths = [Path(p) for p in argv] or sorted((ROOT / "specs").glob("*.yaml"))
    liberty = find_liberty()
    if liberty is None:
        sys.exit("no OSU 0.18 um liberty: run python -m shiftgen.synth.asic --install")
    print(f"{liberty.name}, {find_yosys().version}\n")
    print("| spec | act x weight -> acc | area um^2 | of which FF | cells | recipe |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="area-table-") as tmp:
        for path in paths:
            spec = load_spec(path)
            out = Path(tmp) / spec.name
            out.mkdir()
            _, verilog = export(spec, spec.elaborate(), out)
            a = asic_area(verilog, spec.name, liberty=liberty)
            booth = "booth" if "-booth" in a["recipe"] else "plain"
            if len(a["candidates"]) > 1:
                other = next(c for c in a["candidates"] if c["recipe"] != a["recipe"])
                booth += f" (other: {other['area_um2']:.0f})"
            print(f"| {spec.name} | {spec.pe.act_bits} x {spec.pe.weight_bits} -> "
                  f"{spec.pe.acc_bits} | {a['area_um2']:.0f} | {a['sequential_area_um2']:.0f} "
                  f"| {a['cells']} | {booth} |", flush=True)
    print(f"\n{len(paths)} specs in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
