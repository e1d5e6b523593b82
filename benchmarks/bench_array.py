"""Time and report MAC arrays: elaborate+export and hierarchical synthesis, per size and family.

Usage: python benchmarks/bench_array.py [--families pot_4bit|all|NAME,...]
           [--dataflows weight_stationary,broadcast] [--sizes 16 32 64]
           [--compare 4 8 16] [--edges] [--flat-limit 180] [--out build/bench_array]

Everything runs once per ``--dataflows`` entry (default both). The array's
unit is its dataflow's (:mod:`shiftgen.hdl.dataflows`): the systolic cell of
a ``weight_stationary`` array (``R * C`` instances), the column of a
``broadcast`` one (``C`` instances, :data:`shiftgen.synth.array.COLUMN_METHOD`).

For every spec and ``N x N`` size: the time of :func:`export_array`
(Amaranth elaboration, RTLIL, the Yosys export runs) and of
:func:`synthesize_array` (hierarchical: the unit once, the top once with the
unit as a black box, totals = top + instances * unit), and the xilinx7 LUT /
FF / CARRY4 totals. ``--edges`` also synthesizes a systolic cell's edge
contexts and prints those totals (its synthesis time then includes them); a
broadcast column has none (``-`` in those columns).

Then, per spec, the hierarchical totals (plain and, for a systolic cell, with
edge contexts) against a flattened run of the same Verilog for each
``--compare`` size, in per cent (LUT, FF, CARRY4 and generic gates).
A size is skipped when the flat run, estimated from the size before it (time
times the ``N * N`` ratio, times 1.5), would exceed ``--flat-limit`` seconds.

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


#: The dataflows (``array.dataflow``), in the order they run by default.
DATAFLOWS = ("weight_stationary", "broadcast")


def array_spec(label, rows, cols, flow="weight_stationary"):
    stem, decoder = FAMILIES[label]
    path = ROOT / "specs" / f"{stem}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["array"] = {"rows": rows, "cols": cols, "dataflow": flow,
                    **({"decoder": decoder} if decoder else {})}
    return parse_spec(yaml.safe_dump(doc), path=path)


def work_dir(out, label, rows, cols, flow="weight_stationary"):
    suffix = "" if flow == "weight_stationary" else f"_{flow}"
    d = out / f"{label.replace('/', '_')}_{rows}x{cols}{suffix}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def plain_totals(target_result):
    """``top + instances * unit``: the totals without edge contexts, for either unit."""
    return target_result.get("uniform_totals", target_result["totals"])


def load():
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def peak_child_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def bench_sizes(labels, flows, sizes, out, edges, results):
    extra = f" {'e.LUT':>8} {'e.FF':>8} {'e.CARRY4':>8}" if edges else ""
    print("\nHierarchical synthesis (xilinx7 totals = top + instances * unit: R*C cells "
          "(weight_stationary) or C columns (broadcast); times in seconds"
          + ("; e. = with edge contexts, cells only, which take 'edges' seconds more)"
             if edges else ")"))
    print(f"{'dataflow':<17} {'spec':<20} {'size':>7} {'elab+export':>11} {'synth':>7} "
          f"{'total':>7} " + (f"{'edges':>6} " if edges else "") +
          f"{'LUT':>8} {'FF':>8} {'CARRY4':>8}{extra} {'gates':>9} {'depth':>5} {'cand.':>6}"
          f"  (unit LUT/FF; top LUT/FF)")
    for flow in flows:
        for n in sizes:
            for label in labels:
                spec = array_spec(label, n, n, flow)
                d = work_dir(out, label, n, n, flow)
                # Edge contexts are a systolic cell's; a broadcast column has none.
                with_edges = edges and flow == "weight_stationary"
                start = time.monotonic()
                exported = export_array(spec, d)
                t_export = time.monotonic() - start
                start = time.monotonic()
                res = synthesize_array(spec, d, exported, edges=with_edges)
                t_synth = time.monotonic() - start
                # The edge contexts run after the rest: time the method without them.
                t_edges = res.get("edge_seconds", 0.0)
                t_synth -= t_edges
                x, g = res["xilinx7"], res["generic"]
                plain = plain_totals(x)
                cols = f" {plain['LUT']:>8} {plain['FF']:>8} {plain['CARRY4']:>8}"
                if with_edges:
                    cols += f" {x['totals']['LUT']:>8} {x['totals']['FF']:>8} " \
                            f"{x['totals']['CARRY4']:>8}"
                elif edges:
                    cols += f" {'-':>8} {'-':>8} {'-':>8}"
                gates = plain_totals(g)["total"]
                unit = x.get("unit", "cell")
                print(f"{flow:<17} {label:<20} {f'{n}x{n}':>7} {t_export:>11.1f} "
                      f"{t_synth:>7.1f} {t_export + t_synth:>7.1f}"
                      + (f" {t_edges:>6.1f}" if edges else "")
                      + f"{cols} {gates:>9} {g['totals']['depth']:>5} "
                      f"{x['candidate']:>6}  ({unit} {x['cell']['LUT']}/{x['cell']['FF']}; "
                      f"top {x['top']['LUT']}/{x['top']['FF']})  [{load()}]", flush=True)
                results["sizes"].append({"spec": label, "dataflow": flow, "unit": unit,
                                         "rows": n, "cols": n,
                                         "export_seconds": round(t_export, 2),
                                         "synth_seconds": round(t_synth, 2),
                                         "edge_seconds": t_edges,
                                         "load": os.getloadavg(), "result": res})
                dump(out, results)


def bench_compare(labels, flows, sizes, out, limit, results):
    print("\nHierarchical against flattened (xilinx7 LUT/FF/CARRY4, generic gates): "
          "h = top + R*C * cell (weight_stationary) or top + C * column (broadcast), "
          "e = with edge contexts (cells only), f = flattened; % = (h - f) / f")
    print(f"{'dataflow':<17} {'spec':<20} {'size':>5} {'key':>7} {'h':>8} {'e':>8} {'f':>8} "
          f"{'h %':>8} {'e %':>8}  (hier s / flat s)")
    for flow in flows:
        # Edge contexts are a systolic cell's; a broadcast column has none.
        edges = flow == "weight_stationary"
        for label in labels:
            previous = None
            for n in sizes:
                if previous is not None:
                    m, t_flat = previous
                    estimate = t_flat * (n * n) / (m * m) * 1.5
                    if estimate > limit:
                        print(f"{flow:<17} {label:<20} {f'{n}x{n}':>5}  skipped: flat run "
                              f"estimated at {estimate:.0f} s > {limit:.0f} s", flush=True)
                        continue
                spec = array_spec(label, n, n, flow)
                d = work_dir(out, label, n, n, flow)
                exported = export_array(spec, d)
                hier = synthesize_array(spec, d, exported, edges=edges)
                start = time.monotonic()
                flat = synthesize_array(spec, d, exported, flatten=True)
                t_flat = time.monotonic() - start
                previous = (n, t_flat)
                plain = compare({t: {"totals": plain_totals(hier[t])} for t in
                                 ("xilinx7", "generic")}, flat)
                edge = compare(hier, flat) if edges else None
                for t, key in (("xilinx7", "LUT"), ("xilinx7", "FF"), ("xilinx7", "CARRY4"),
                               ("generic", "total")):
                    p = plain[t][key]
                    e = edge[t][key] if edge else {"hierarchical": "-", "percent": None}
                    tail = f"  ({hier['seconds']:.0f} / {t_flat:.0f})" if key == "LUT" else ""
                    print(f"{flow:<17} {label:<20} {f'{n}x{n}':>5} {key:>7} "
                          f"{p['hierarchical']:>8} {e['hierarchical']:>8} {p['flattened']:>8} "
                          f"{pct(p['percent'])} {pct(e['percent'])}{tail}", flush=True)
                results["compare"].append({"spec": label, "dataflow": flow,
                                           "unit": hier["xilinx7"].get("unit", "cell"),
                                           "rows": n, "cols": n,
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
    ap.add_argument("--dataflows", default=",".join(DATAFLOWS),
                    help="comma-separated array.dataflow values (default: "
                         + ",".join(DATAFLOWS) + ")")
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
    flows = [f for f in args.dataflows.split(",") if f]
    bad = [f for f in flows if f not in DATAFLOWS]
    if bad or not flows:
        ap.error(f"unknown dataflows {bad}; known: {', '.join(DATAFLOWS)}")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    yosys = find_yosys()
    print(f"Yosys: {yosys.version} ({yosys.command}); {os.cpu_count()} CPUs, {load()}")
    results = {"yosys": yosys.version, "sizes": [], "compare": []}
    if args.sizes:
        bench_sizes(labels, flows, args.sizes, out, args.edges, results)
    if args.compare:
        bench_compare(labels, flows, args.compare, out, args.flat_limit, results)
    big = [r for r in results["sizes"] if r["spec"] in TABLE4 and r["rows"] == 64]
    if big:
        print("\nSeed 001 Table 4 (64 x 64), LUT / FF, against ours (hierarchical):")
        for r in big:
            lut, ff = TABLE4[r["spec"]]
            tot = plain_totals(r["result"]["xilinx7"])
            print(f"  {r['spec']:<20} Table 4 {lut:>7} / {ff:>7}   ours {tot['LUT']:>7} / "
                  f"{tot['FF']:>7}  ({r['dataflow']})")
    print(f"\nLargest Yosys process: {peak_child_mb():.0f} MB; results: {out / 'results.json'}")


if __name__ == "__main__":
    main(sys.argv[1:])
