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

__all__ = ["METHOD", "PART_ADDERS", "parts", "synthesize_backends", "choose", "targets_section"]

#: Adders per part when a graph is mapped part by part (:func:`parts`).
PART_ADDERS = 150


METHOD = ("flattened: each back end's array (input register, its adder graph with every adder "
          "kept and its pipeline registers, output register) synthesized by the same Yosys and recipe, its columns mapped "
          f"in groups of about {PART_ADDERS} adders (each group's input cone moved into a "
          "submodule with select and submod, as a broadcast column's chains); the back end "
          "with the best xilinx7 merit (LUT, FF, CARRY4) is the array's, and its figures are the "
          "totals.")


def parts(graph, pipeline=0):
    """The groups of columns a graph is mapped in, one by one, or ``None`` for one run.

    ``pipeline``: the array's adder levels per register stage; a part of a
    pipelined graph names every node of its cone (:meth:`AdderGraph.parts
    <shiftgen.hdl.adder_graph.AdderGraph.parts>`), as a cone stops at registers.

    ABC9's time grows about as the square of its netlist: da4ml's graph of
    the 64 x 64 PoT layer maps in 129 s whole and 97 s in 16 parts (ABC9
    82 s -> 34 s), with 0.4 % fewer LUTs. Every node is a kept wire, so
    nothing crosses a part's boundary that a whole run would optimize.
    """
    return graph.parts(-(-len(graph.ops) // PART_ADDERS), pipeline=pipeline)


def _run(job):
    backend, target, path, top, split = job
    start = time.monotonic()
    out = run_candidate(path, top, target, False, **({"partition": split} if split else {}))
    return {**out, "seconds": round(time.monotonic() - start, 2)}


def synthesize_backends(verilog, top, targets=("xilinx7", "generic"), jobs=2, partitions=None):
    """Synthesize each back end's Verilog for each target.

    Parameters
    ----------
    verilog : dict
        ``{backend: path of its Verilog}``, each with the top module ``top``.
    top : str
    targets : iterable of str
    jobs : int
        Yosys processes at once.
    partitions : dict, optional
        ``{backend: parts}`` (:func:`parts`) for the back ends mapped part by part.

    Returns
    -------
    dict
        ``{backend: {target: figures (recipe, LUT, ..., seconds)}}``.
    """
    partitions = partitions or {}
    runs = [(b, t, path, top, partitions.get(b)) for t in targets for b, path in verilog.items()]
    results = parallel_map(_run, runs, jobs)
    out = {b: {} for b in verilog}
    for (b, t, _, _, _), res in zip(runs, results):
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
