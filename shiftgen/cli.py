"""The ``shiftgen`` command line.

Every error is one line on stderr: status 2 for a bad spec or input file,
1 for any other failure (a tool error, a verification mismatch).
"""

import argparse
import json
import os
import re
import signal
import sys
import threading
import time

from . import __version__
from .errors import ShiftgenError, VerificationError

__all__ = ["main"]

_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*\Z")


def _parents():
    """The option parsers several commands share, by name (also given to family commands)."""
    json_opt = argparse.ArgumentParser(add_help=False)
    json_opt.add_argument("--json", action="store_true",
                          help="print the result as JSON instead of a table (nothing on stderr)")
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--out", default="build", metavar="DIR",
                     help="output root; the build goes to DIR/<name> (default: build)")
    jobs = argparse.ArgumentParser(add_help=False)
    jobs.add_argument("--jobs", type=int, default=2, metavar="N",
                      help="jobs at once (worker processes; default 2; 1: in this process)")
    spec = argparse.ArgumentParser(add_help=False)
    spec.add_argument("spec", help="spec YAML file (see specs/)")
    build = argparse.ArgumentParser(add_help=False)
    build.add_argument("--no-synth", action="store_true", help="skip Yosys synthesis")
    build.add_argument("--part", help="FPGA part of the Vivado script (default xc7z020clg400-1)")
    build.add_argument("--clock-mhz", type=float, default=None, metavar="F",
                       help="clock of the ASIC power and energy figures (default 100)")
    build.add_argument("--liberty", metavar="FILE", default=None,
                       help="your standard-cell liberty for the ASIC area, timing and power "
                            "(default: the OSU 0.18 um cells)")
    return {"json": json_opt, "out": out, "jobs": jobs, "spec": spec, "build": build}


def _parser():
    parser = argparse.ArgumentParser(
        prog="shiftgen",
        description="Generate, verify and measure shift-based NN arithmetic from a spec.")
    parser.add_argument("--version", action="version", version=f"shiftgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    par = _parents()
    spec_out = [par["spec"], par["out"], par["build"], par["json"]]

    p = sub.add_parser("build", parents=spec_out,
                       help="export Verilog/RTLIL, check in simulation, synthesize, report")
    p.set_defaults(func=lambda args: _build(args, formal=False, cocotb=()))

    p = sub.add_parser("verify", parents=spec_out,
                       help="build, then run every check: simulator, cocotb (Icarus, "
                            "Verilator) and formal proof")
    p.add_argument("--formal", action="store_true", help="run the formal proof")
    p.add_argument("--cocotb", action="store_true", help="run the cocotb tests")
    p.add_argument("--invariants", action="store_true",
                   help="prove the PE's invariant assertions (yowasp-sby + Yices); alone, "
                        "only this proof runs")
    p.add_argument("--simulator", action="append", choices=("icarus", "verilator"),
                   help="cocotb simulator (repeatable; default: both)")
    p.add_argument("--rtl", metavar="FILE",
                   help="check this Verilog file against the spec instead of the generated one")
    p.add_argument("--steps", type=int, default=4000, help="random sequence length")
    p.set_defaults(func=_verify)

    p = sub.add_parser("fit", parents=[par["spec"], par["json"]],
                       help="fit the family's parameters (SQ: FINDBESTQPS) to weights and "
                            "write a spec with them")
    p.add_argument("--weights", required=True, metavar="W", help="weights, .npy or .npz")
    p.add_argument("--key", help="array name inside an .npz")
    p.add_argument("--per-channel", type=int, metavar="AXIS",
                   help="fit alpha per output channel along AXIS (the QPS stays per layer)")
    p.add_argument("--out", metavar="FILE",
                   help="spec to write (default: <spec stem>_fit.yaml in the current directory)")
    p.set_defaults(func=_fit)

    p = sub.add_parser("quantize", parents=[par["spec"], par["json"]],
                       help="quantize a (K, N) weight matrix to codes and write $readmemh "
                            "data for an array")
    p.add_argument("--weights", required=True, metavar="W",
                   help="(K inputs, N outputs) float matrix, Y = X @ W; .npy or .npz")
    p.add_argument("--key", help="array name inside an .npz")
    p.add_argument("--per-channel", action="store_true",
                   help="one scale per output column instead of one per matrix")
    p.add_argument("--out", metavar="DIR",
                   help="output directory (default: build/<name>/weights)")
    p.set_defaults(func=_quantize)

    from .families import FAMILIES
    for family in FAMILIES.values():
        family.add_commands(sub, par)

    from .flows.compare.figures import load_figures
    p = sub.add_parser("compare", parents=[par["jobs"], par["json"]],
                       help="build every paper configuration and its baselines; "
                            "write compare.md/.csv/.json and plots")
    p.add_argument("--out", default="build/compare", metavar="DIR",
                   help="output directory (default: build/compare)")
    p.add_argument("--force", action="store_true",
                   help="rebuild even when DIR/builds/<name> matches its spec")
    p.add_argument("--no-area", action="store_true",
                   help="skip the standard-cell area")
    p.add_argument("--table", action="append", metavar="ID",
                   help="compare only this paper table (repeatable): "
                        + ", ".join(t["id"] for t in load_figures()["tables"]))
    p.add_argument("--liberty", metavar="FILE", default=None,
                   help="your standard-cell liberty for every build's ASIC area, timing and "
                        "power (default: the OSU 0.18 um cells); part of each build's cache key")
    p.add_argument("--clock-mhz", type=float, default=None, metavar="F",
                   help="clock of every build's ASIC power and energy figures (default 100)")
    p.add_argument("--ecp5-seeds", type=int, default=3, metavar="N",
                   help="ECP5 placement seeds per PE: fmax min and median over seeds 1..N "
                        "(default 3)")
    p.set_defaults(func=_compare)

    p = sub.add_parser("sweep", parents=[par["jobs"], par["json"]],
                       help="build and synthesize a grid of specs in parallel, with a "
                            "cache; write sweep.md/.csv/.json and the Pareto plot")
    p.add_argument("grid", help="grid YAML file (see sweeps/)")
    p.add_argument("--out", metavar="DIR", help="output directory (default: build/sweep/<name>)")
    p.add_argument("--clock-mhz", type=float, default=None, metavar="F",
                   help="clock of the ASIC power and energy figures (default 100)")
    p.add_argument("--liberty", metavar="FILE", default=None,
                   help="your standard-cell liberty for the ASIC figures (default: the OSU "
                        "0.18 um cells); part of each point's cache key")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the points on this Dask distributed scheduler "
                        "(tcp://host:8786) instead of a local pool")
    p.set_defaults(func=_sweep)
    return parser


def _print_verification(results):
    for name, res in results.items():
        detail = ""
        if "cases" in res:
            detail = f" ({res['mismatches']} mismatches in {res['cases']} cases)"
        elif "induction_length" in res:
            detail = f" (induction length {res['induction_length']}, {res['seconds']} s)"
        elif "reason" in res:
            detail = f" ({res['reason']})"
        print(f"  {name:<18} {res['result']}{detail}")
        _print_counterexample(res)


def _print_counterexample(res):
    """The inputs and ``acc`` values of a failed proof, if it has them."""
    if res.get("counterexample"):
        from .verify.formal import format_counterexample
        print(f"    counterexample: {format_counterexample(res['counterexample'])}")


def _clock_mhz(args):
    """``--clock-mhz``, checked (``None`` when not given)."""
    clock = args.clock_mhz
    if clock is not None and not (clock > 0 and clock <= 100000):
        from .errors import InputError
        raise InputError(f"--clock-mhz must be a clock in MHz, above 0 and at most 100000, "
                         f"not {clock:g}")
    return clock


def _liberty(args):
    """``--liberty``, read and checked (:func:`~shiftgen.synth.liberty.read_library`), or ``None``."""
    if args.liberty is None:
        return None
    from .synth.liberty import read_library
    return read_library(args.liberty).path


def _build(args, formal, cocotb):
    from .flows.build import build
    from .verify.verdict import report_failures
    from .reports.build_report import summary_table
    from .reports.console import stage_printer
    from .spec import load_spec

    spec = load_spec(args.spec)
    if args.part is not None and not _PART.match(args.part):
        from .errors import InputError
        raise InputError(f"--part must be letters, digits and '-' (e.g. xc7a100tcsg324-1), "
                         f"not {args.part!r}")
    clock = _clock_mhz(args)
    liberty = _liberty(args)
    start = time.monotonic()
    report, out_dir, _ = build(spec, args.out, synth=not args.no_synth, formal=formal,
                               cocotb=cocotb, random_steps=getattr(args, "steps", 2000),
                               progress=stage_printer(args.json), part=args.part,
                               liberty=liberty,
                               **({"clock_mhz": clock} if clock is not None else {}))
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(f"{spec.name}: built in {time.monotonic() - start:.1f} s -> {out_dir}")
        print(summary_table(report))
        for name, res in report["verification"].items():
            if res.get("counterexample"):
                print(f"  {name}:")
                _print_counterexample(res)
    failed = report_failures(report)
    if failed:
        raise VerificationError(f"{spec.name}: verification failed: {', '.join(failed)} "
                                f"(see {out_dir / 'report.md'})")
    return 0


def _verify(args):
    from .flows.build import verify_rtl
    from .verify.verdict import failed_checks
    from .spec import load_spec

    if args.invariants:
        _invariants(args)
        if not (args.formal or args.cocotb):
            return 0
    selected = args.formal or args.cocotb
    formal = args.formal or not selected
    simulators = tuple(args.simulator or ("icarus", "verilator"))
    cocotb = simulators if (args.cocotb or not selected) else ()
    if args.rtl is None:
        return _build(args, formal, cocotb)
    spec = load_spec(args.spec)
    results = verify_rtl(spec, args.rtl, formal=formal, cocotb=cocotb,
                         random_steps=args.steps)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print(f"{args.rtl} against {spec.name}:")
        _print_verification(results)
    failed = failed_checks(results)
    if failed:
        raise VerificationError(f"{args.rtl}: verification failed: {', '.join(failed)}")
    return 0


def _invariants(args):
    """``verify --invariants``: prove the assertions of the PE built from the spec."""
    from .errors import InputError
    from .verify.invariants import prove_invariants
    from .verify.verdict import Verdict
    from .spec import load_spec

    if args.rtl is not None:
        raise InputError("--invariants proves the generated PE's assertions; "
                         "it does not apply to --rtl")
    spec = load_spec(args.spec)
    res = prove_invariants(spec)
    if args.json:
        print(json.dumps({"invariants": {k: v for k, v in res.items() if k != "log"}},
                         indent=1))
    else:
        print(f"{spec.name}: invariants {res['result']} ({res['asserts']} assertions, "
              f"{res['seconds']} s)")
        for message in res["failed"]:
            print(f"  violated: {message}")
    if res["result"] != Verdict.PROVED:
        raise VerificationError(f"{spec.name}: invariants {res['result']}"
                                + (f": {res['failed'][0]}" if res["failed"] else ""))


def _fit(args):
    from pathlib import Path

    import yaml

    from .errors import InputError
    from .files import write_text
    from .spec import load_spec, parse_spec
    from .weights.load import load_weights

    spec = load_spec(args.spec)
    weights = load_weights(args.weights, args.key)
    if args.per_channel is not None and not -weights.ndim <= args.per_channel < weights.ndim:
        raise InputError(f"{args.weights}: --per-channel must be an axis of the "
                         f"{weights.ndim}-D weights (shape {weights.shape}), "
                         f"not {args.per_channel}")
    if not weights.any():  # every scale fits zero weights; alpha would be 0
        raise InputError(f"{args.weights}: all {weights.size} weights are zero; "
                         f"there is nothing to fit")
    start = time.monotonic()
    updates, summary = spec.family.fit(spec, weights, args.per_channel)
    seconds = time.monotonic() - start
    doc = yaml.safe_load(Path(args.spec).read_text())
    doc = {"name": spec.name, **{k: v for k, v in doc.items() if k != "name"}}
    params = dict(doc.get("params") or {})
    if args.per_channel is not None and "alpha" not in updates:
        params.pop("alpha", None)  # one alpha per channel now; a layer alpha would be stale
    doc["params"] = {**params, **updates}
    out = Path(args.out) if args.out else Path(f"{Path(args.spec).stem}_fit.yaml")
    header = (f"# Fitted by 'shiftgen fit' to {Path(args.weights).name} ({weights.size} weights): "
              f"loss {summary['loss']:.6g}.\n")
    text = header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None)
    parse_spec(text, path=out)  # what we write must load
    write_text(out, text)
    summary["spec"] = str(out)
    summary["seconds"] = round(seconds, 3)
    if args.json:
        print(json.dumps(summary))
    else:
        shown = []
        for key, value in summary.items():
            if key in ("spec", "seconds", "candidates"):
                continue
            if isinstance(value, list) and len(value) > 8:
                value = f"{len(value)} values"  # per-channel alphas
            elif isinstance(value, float):
                value = f"{value:.6g}"
            shown.append(f"{key} {value}")
        print(f"{spec.name}: {', '.join(shown)} ({seconds:.2f} s) -> {out}")
    return 0


def _quantize(args):
    from .weights.quantize import default_out_dir, dumps, load_matrix, quantize_matrix, write_outputs
    from .spec import load_spec

    spec = load_spec(args.spec)
    weights = load_matrix(args.weights, args.key, spec)
    qm = quantize_matrix(spec, weights, per_channel=args.per_channel)
    out = args.out if args.out is not None else default_out_dir(spec)
    doc = write_outputs(out, spec, qm)
    if args.json:
        print(dumps(doc), end="")
    else:
        snr = doc["snr_db"]
        if snr is None:
            snr = "inf" if doc["mse"] == 0 else "-inf"
        else:
            snr = f"{snr:.2f}"
        if doc["scale_axis"] is None:
            scale = f"scale {doc['scale']:.6g}"
        else:
            scale = (f"scale per column ({len(doc['scale'])}) {min(doc['scale']):.6g} "
                     f"to {max(doc['scale']):.6g}")
        k, n = doc["shape"]
        print(f"{spec.name}: {k} x {n} weights -> {out}: MSE {doc['mse']:.6g}, "
              f"SNR {snr} dB, {scale}")
    return 0


def _compare(args):
    """``shiftgen compare``: progress on stderr, tables (or JSON) on stdout."""
    from .flows.compare import run_compare
    from .reports.compare import terminal_tables, to_json
    from .reports.console import Progress, print_table

    from .flows.compare.run import check_ecp5_seeds
    # Bad options are errors before anything is built, written or shown.
    clock, liberty = _clock_mhz(args), _liberty(args)
    check_ecp5_seeds(args.ecp5_seeds)
    start = time.monotonic()
    with Progress("builds", quiet=args.json) as show:
        doc = run_compare(args.out, tables=args.table, jobs=args.jobs, force=args.force,
                          area=not args.no_area, progress=show, liberty=liberty,
                          clock_mhz=clock, ecp5_seeds=args.ecp5_seeds)
    if args.json:
        print(to_json(doc), end="")
        return 0
    for table in terminal_tables(doc):
        print_table(table)
    print(f"compare: {len(doc['builds'])} builds, {time.monotonic() - start:.1f} s -> "
          f"{args.out}/compare.md, compare.csv, compare.json, plots/")
    return 0


def _sweep(args):
    """``shiftgen sweep``: progress on stderr, a table (or JSON) on stdout."""
    from rich import box

    from .flows.jobs import Runner
    from .flows.sweep import load_grid, run_sweep
    from .flows.sweep.run import default_out
    from .reports.console import Progress, print_table
    from .reports.sweep import terminal_table, to_json

    Runner(jobs=args.jobs)  # a bad --jobs or --clock-mhz is an error before the grid is read
    clock = _clock_mhz(args)
    liberty = _liberty(args)
    grid = load_grid(args.grid)
    out = args.out if args.out is not None else default_out(grid)
    with Progress("points", quiet=args.json) as show:
        doc = run_sweep(grid, out, jobs=args.jobs, scheduler=args.scheduler,
                        clock_mhz=clock, liberty=liberty, progress=show)
    if args.json:
        print(to_json(doc), end="")
        return 0
    run = doc["run"]
    print_table(terminal_table(doc), box=box.SIMPLE_HEAD, pad_edge=False)
    print(f"sweep {doc['sweep']}: {doc['count']} points ({run['computed']} computed, "
          f"{run['cached']} cached, {len(doc['skipped'])} skipped) on {run['backend']} in "
          f"{run['seconds']:.1f} s -> {out}/sweep.md, sweep.csv, sweep.json, pareto.png, "
          f"pareto_energy.png")
    return 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    """Entry point; returns the exit status.

    SIGTERM is handled like Ctrl-C while a command runs, so a terminated
    build removes its partial output before exiting (status 130).
    """
    args = _parser().parse_args(argv)
    # Only the main thread may set handlers (an embedding caller may use another).
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if on_main else None
    try:
        return _run(args)
    finally:
        if on_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(args):
    try:
        return args.func(args)
    except ShiftgenError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - one clear line instead of a traceback
        if os.environ.get("SHIFTGEN_DEBUG"):
            raise
        print(f"error: internal error: {type(e).__name__}: {e} "
              f"(set SHIFTGEN_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
