"""Yosys synthesis of a constant-weight array: every back end's graph, the smaller kept.

A constant array is one module of adders (:mod:`shiftgen.hdl.constant`),
synthesized whole (flattened) with the PE recipes of each target. Each back
end's Verilog is synthesized by the same Yosys with the same recipe, side by
side, and the back end with the best ``xilinx7`` merit (LUT, then FF, then
CARRY4: :data:`shiftgen.synth.recipes.TARGETS`) is the array's; both
figures go into the report. Every adder is a ``keep`` signal: without it
Yosys merges adder chains into multi-operand sums and maps them worse
(issue 15: da4ml's graph +15 % LUT, four times the synthesis time).
"""

import time

from ..tools.process import parallel_map
from ..tools.yosys import find_yosys
from .recipes import TARGETS
from .run import run_candidate

__all__ = ["METHOD", "synthesize_backends", "choose"]

METHOD = ("flattened: each back end's array (input register, its adder graph with every adder "
          "kept, output register) synthesized whole by the same Yosys and recipe; the back end "
          "with the best xilinx7 merit (LUT, FF, CARRY4) is the array's, and its figures are the "
          "totals.")


def _run(job):
    backend, target, path, top = job
    start = time.monotonic()
    out = run_candidate(path, top, target, False)
    return {**out, "seconds": round(time.monotonic() - start, 2)}


def synthesize_backends(verilog, top, targets=("xilinx7", "generic"), jobs=2):
    """Synthesize each back end's Verilog for each target.

    Parameters
    ----------
    verilog : dict
        ``{backend: path of its Verilog}``, each with the top module ``top``.
    top : str
    targets : iterable of str
    jobs : int
        Yosys processes at once.

    Returns
    -------
    dict
        ``{backend: {target: figures (recipe, LUT, ..., seconds)}}``.
    """
    runs = [(b, t, path, top) for t in targets for b, path in verilog.items()]
    results = parallel_map(_run, runs, jobs)
    out = {b: {} for b in verilog}
    for (b, t, _, _), res in zip(runs, results):
        out[b][t] = res
    return out


def choose(figures):
    """The back end whose ``xilinx7`` figures have the best merit (ties: the first listed)."""
    merit = TARGETS["xilinx7"][2]
    return min(figures, key=lambda b: merit(figures[b]["xilinx7"]))


def targets_section(figures, backend, seconds):
    """``array.targets`` of the report: the chosen back end's figures as the totals."""
    version = find_yosys().version
    out = {"method": METHOD, "backend": backend, "seconds": round(seconds, 2)}
    for target, res in figures[backend].items():
        totals = {k: v for k, v in res.items() if k not in ("recipe", "seconds")}
        out[target] = {"totals": totals, "recipe": res["recipe"], "backend": backend,
                       "unit": "array", "instances": 1, "yosys": version,
                       "seconds": res["seconds"],
                       "backends": {b: {k: v for k, v in f[target].items() if k != "cells"}
                                    for b, f in figures.items() if target in f}}
    return out
