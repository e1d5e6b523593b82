"""Time and report MAC arrays: elaborate+export and hierarchical synthesis, per size and family.

Usage: python benchmarks/bench_array.py [--families pot_4bit|all|NAME,...]
           [--sizes 16 32 64] [--compare 4 8 16] [--edges] [--flat-limit 180]
           [--out build/bench_array]

For every spec and ``N x N`` size: the time of :func:`export_array`
(Amaranth elaboration, RTLIL, the Yosys export runs) and of
:func:`synthesize_array` (hierarchical: the cell once, the top once with the
cell as a black box, totals = top + R*C * cell), and the xilinx7 LUT / FF /
CARRY4 totals. ``--edges`` also synthesizes the cell's edge contexts and
prints those totals (its synthesis time then includes them).

Then, per spec, the hierarchical totals (plain and with edge contexts) against
a flattened run of the same Verilog for each ``--compare`` size, in per cent.
A size is skipped when the flat run, estimated from the size before it (time
times the cell ratio, times 1.5), would exceed ``--flat-limit`` seconds.

Every figure goes to ``<out>/results.json``. The work directories stay under
``<out>`` (the current directory tree, which YoWASP sees). Times depend on
the machine's load, printed with them; figures are printed, never asserted.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import yaml


# Times of real tool runs, from a cold start: no cached synthesis (shiftgen.cache).
os.environ["SHIFTGEN_CACHE"] = "off"

from shiftgen.export.array import export_array
from shiftgen.synth.array import compare, synthesize_array
from shiftgen.spec import parse_spec
from shiftgen.tools.yosys import find_yosys

ROOT = Path(__file__).resolve().parent.parent

#: One spec per family (label -> (spec stem, array decoder placement or None)).
FAMILIES = {
    "uniform_8x8": ("uniform_8x8", None),
    "pot_4bit": ("pot_4bit", None),
    "apot_4bit": ("apot_4bit", None),
    "sq_4bit": ("sq_4bit", None),
    "sq_4bit/column": ("sq_4bit", "column"),
    "jlq_3bit": ("jlq_3bit", None),
    "ausn_8x4": ("ausn_8x4", None),
    "ausn_8x5": ("ausn_8x5", None),
    "ausn_8x8": ("ausn_8x8", None),
    "ausn_8x4_decoder": ("ausn_8x4_decoder", None),
    "ausn_8x8_multiplier": ("ausn_8x8_multiplier", None),
}

#: Seed 001 Table 4 (64 x 64 arrays), for reference: LUT, FF.
TABLE4 = {"ausn_8x8_multiplier": (212388, 192293), "ausn_8x8": (133120, 54313),
          "ausn_8x5": (112071, 45127), "ausn_8x4": (108544, 44032)}


def array_spec(label, rows, cols):
    stem, decoder = FAMILIES[label]
    path = ROOT / "specs" / f"{stem}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["array"] = {"rows": rows, "cols": cols, **({"decoder": decoder} if decoder else {})}
    return parse_spec(yaml.safe_dump(doc), path=path)


def work_dir(out, label, rows, cols):
    d = out / f"{label.replace('/', '_')}_{rows}x{cols}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def load():
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def peak_child_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def bench_sizes(labels, sizes, out, edges, results):
    extra = f" {'e.LUT':>8} {'e.FF':>8} {'e.CARRY4':>8}" if edges else ""
    print("\nHierarchical synthesis (xilinx7 totals = top + R*C * cell; times in seconds"
          + ("; e. = with edge contexts, which take 'edges' seconds more)" if edges else ")"))
    print(f"{'spec':<20} {'size':>7} {'elab+export':>11} {'synth':>7} {'total':>7} "
          + (f"{'edges':>6} " if edges else "") +
          f"{'LUT':>8} {'FF':>8} {'CARRY4':>8}{extra} {'gates':>9} {'depth':>5} {'cand.':>6}"
          f"  (cell LUT/FF; top LUT/FF)")
    for n in sizes:
        for label in labels:
            spec = array_spec(label, n, n)
            d = work_dir(out, label, n, n)
            start = time.monotonic()
            exported = export_array(spec, d)
            t_export = time.monotonic() - start
            start = time.monotonic()
            res = synthesize_array(spec, d, exported, edges=edges)
            t_synth = time.monotonic() - start
            # The edge contexts run after the rest: time the method without them.
            t_edges = res.get("edge_seconds", 0.0)
            t_synth -= t_edges
            x, g = res["xilinx7"], res["generic"]
            plain = x.get("uniform_totals", x["totals"])
            cols = f" {plain['LUT']:>8} {plain['FF']:>8} {plain['CARRY4']:>8}"
            if edges:
                cols += f" {x['totals']['LUT']:>8} {x['totals']['FF']:>8} " \
                        f"{x['totals']['CARRY4']:>8}"
            gates = g.get("uniform_totals", g["totals"])["total"]
            print(f"{label:<20} {f'{n}x{n}':>7} {t_export:>11.1f} {t_synth:>7.1f} "
                  f"{t_export + t_synth:>7.1f}" + (f" {t_edges:>6.1f}" if edges else "")
                  + f"{cols} {gates:>9} {g['totals']['depth']:>5} "
                  f"{x['candidate']:>6}  ({x['cell']['LUT']}/{x['cell']['FF']}; "
                  f"{x['top']['LUT']}/{x['top']['FF']})  [{load()}]", flush=True)
            results["sizes"].append({"spec": label, "rows": n, "cols": n,
                                     "export_seconds": round(t_export, 2),
                                     "synth_seconds": round(t_synth, 2),
                                     "edge_seconds": t_edges,
                                     "load": os.getloadavg(), "result": res})
            dump(out, results)


def bench_compare(labels, sizes, out, limit, results):
    print("\nHierarchical against flattened (xilinx7 LUT/FF/CARRY4, generic gates): "
          "h = top + R*C * cell, e = with edge contexts, f = flattened; "
          "% = (h - f) / f")
    print(f"{'spec':<20} {'size':>5} {'key':>7} {'h':>8} {'e':>8} {'f':>8} {'h %':>8} "
          f"{'e %':>8}  (hier s / flat s)")
    for label in labels:
        previous = None
        for n in sizes:
            if previous is not None:
                m, t_flat = previous
                estimate = t_flat * (n * n) / (m * m) * 1.5
                if estimate > limit:
                    print(f"{label:<20} {f'{n}x{n}':>5}  skipped: flat run estimated at "
                          f"{estimate:.0f} s > {limit:.0f} s", flush=True)
                    continue
            spec = array_spec(label, n, n)
            d = work_dir(out, label, n, n)
            exported = export_array(spec, d)
            hier = synthesize_array(spec, d, exported, edges=True)
            start = time.monotonic()
            flat = synthesize_array(spec, d, exported, flatten=True)
            t_flat = time.monotonic() - start
            previous = (n, t_flat)
            plain = compare({t: {"totals": hier[t]["uniform_totals"]} for t in
                             ("xilinx7", "generic")}, flat)
            edge = compare(hier, flat)
            for t, key in (("xilinx7", "LUT"), ("xilinx7", "FF"), ("xilinx7", "CARRY4"),
                           ("generic", "total")):
                p, e = plain[t][key], edge[t][key]
                tail = f"  ({hier['seconds']:.0f} / {t_flat:.0f})" if key == "LUT" else ""
                print(f"{label:<20} {f'{n}x{n}':>5} {key:>7} {p['hierarchical']:>8} "
                      f"{e['hierarchical']:>8} {p['flattened']:>8} {pct(p['percent'])} "
                      f"{pct(e['percent'])}{tail}", flush=True)
            results["compare"].append({"spec": label, "rows": n, "cols": n,
                                       "flat_seconds": round(t_flat, 2),
                                       "hierarchical": plain, "edges": edge,
                                       "flat": flat, "hier": hier})
            dump(out, results)


def pct(value):
    return f"{value:>+7.2f}%" if value is not None else f"{'-':>8}"


def dump(out, results):
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default="pot_4bit",
                    help="'all', or comma-separated labels of: " + ", ".join(FAMILIES))
    ap.add_argument("--sizes", type=int, nargs="*", default=[16, 32, 64])
    ap.add_argument("--compare", type=int, nargs="*", default=[4, 8, 16])
    ap.add_argument("--edges", action="store_true",
                    help="also synthesize the edge contexts in the size table")
    ap.add_argument("--flat-limit", type=float, default=180.0)
    ap.add_argument("--out", type=Path, default=Path("build") / "bench_array")
    args = ap.parse_args(argv)
    labels = list(FAMILIES) if args.families == "all" else args.families.split(",")
    unknown = [label for label in labels if label not in FAMILIES]
    if unknown:
        ap.error(f"unknown families {unknown}; known: {', '.join(FAMILIES)}")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    yosys = find_yosys()
    print(f"Yosys: {yosys.version} ({yosys.command}); {os.cpu_count()} CPUs, {load()}")
    results = {"yosys": yosys.version, "sizes": [], "compare": []}
    if args.sizes:
        bench_sizes(labels, args.sizes, out, args.edges, results)
    if args.compare:
        bench_compare(labels, args.compare, out, args.flat_limit, results)
    big = [r for r in results["sizes"] if r["spec"] in TABLE4 and r["rows"] == 64]
    if big:
        print("\nSeed 001 Table 4 (64 x 64), LUT / FF, against ours (hierarchical):")
        for r in big:
            lut, ff = TABLE4[r["spec"]]
            x = r["result"]["xilinx7"]
            tot = x.get("uniform_totals", x["totals"])
            print(f"  {r['spec']:<20} Table 4 {lut:>7} / {ff:>7}   ours {tot['LUT']:>7} / "
                  f"{tot['FF']:>7}")
    print(f"\nLargest Yosys process: {peak_child_mb():.0f} MB; results: {out / 'results.json'}")


if __name__ == "__main__":
    main(sys.argv[1:])
