"""The Yosys recipes of every target, and how each run's cell counts become figures.

Targets (issue 2): ``xilinx7`` (``synth_xilinx -nodsp``, 7-series LUT/FF/
CARRY4, out of context: no I/O buffers or clock buffer) and ``generic``
(``synth`` + ``abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX``, with the logic depth
from ``ltp``). A design that multiplies also goes through ``booth``
(:func:`has_multiplier`), so a ratio against a multiplier baseline is never
flattered by a weak recipe. :data:`TARGETS` is the one table the synthesis
runs (:mod:`shiftgen.synth.run`) and the flow files
(:mod:`shiftgen.synth.flow_files`) read.
"""

import re

__all__ = ["GENERIC_GATES", "TARGETS", "has_multiplier", "module_names", "netlist_name",
           "partition_commands", "part_name"]

GENERIC_GATES = "AND,NAND,OR,NOR,XOR,XNOR,MUX"


#: Register cell types after ``proc; opt``: where a part's input cone stops.
_REGISTERS = ("$dff", "$dffe", "$sdff", "$sdffe", "$sdffce", "$adff", "$adffe", "$aldff",
              "$aldffe", "$dffsr", "$dffsre", "$dlatch")


def partition_commands(top, parts):
    """Yosys commands moving each part of a flat module into a submodule of its own.

    Part ``k`` (a list of wire names) is the input cone of its wires, up to
    registers and ports, less the earlier parts; it becomes module
    ``<top>_part<k>`` (``submod``). Mapping the parts one by one is what
    makes a large column quick: ABC9's time grows about as the square of its
    netlist (a 64-row column of 8 x 8 multipliers: 159 s whole, 24 s for its
    four chains). A part that selects nothing fails the run.
    """
    stop = ",".join(_REGISTERS)
    out = ["proc", "opt_clean"]
    for k, wires in enumerate(parts):
        earlier = "".join(f" @part{j} %d" for j in range(k))
        out += [f"select -set part{k} {' '.join(f'w:{w}' for w in wires)} %ci*:-{stop}{earlier}",
                f"select -assert-min 1 @part{k}"]
    out += [f"submod -name {part_name(top, k)} @part{k}" for k in range(len(parts))]
    return out


def part_name(top, k):
    """Module name of part ``k`` of ``top`` (:func:`partition_commands`)."""
    return f"{top}_part{k}"


def _xilinx_script(top, booth, flatten=True, depth=True, partition=None):
    # depth: unused, xilinx7 reports no logic depth. A partitioned module is
    # mapped part by part, so it is not flattened again.
    pre = ["proc", "opt", "wreduce", "booth"] if booth else []
    if partition:
        pre += partition_commands(top, partition)
    return [*pre, f"synth_xilinx -top {top}" + (" -flatten" if flatten and not partition else "")
            + " -nodsp -noiopad -noclkbuf"]


def _generic_script(top, booth, flatten=True, depth=True, partition=None):
    # A partitioned module is mapped part by part, then flattened, so the
    # logic depth is the whole module's.
    if partition:
        return [*partition_commands(top, partition),
                f"synth -top {top}" + (" -booth" if booth else ""),
                f"abc -g {GENERIC_GATES}", "flatten", f"hierarchy -top {top}",
                "opt_clean -purge", *(["tee -q -o ltp.txt ltp -noff"] if depth else [])]
    return [f"synth -top {top}" + (" -flatten" if flatten else "") + (" -booth" if booth else ""),
            f"abc -g {GENERIC_GATES}", "opt_clean -purge",
            *(["tee -q -o ltp.txt ltp -noff"] if depth else [])]


def _xilinx_figures(cells):
    luts = {k: v for k, v in sorted(cells.items()) if re.fullmatch(r"LUT\d", k)}
    ffs = sum(v for k, v in cells.items() if re.fullmatch(r"FD[A-Z]*", k))
    return {"LUT": sum(luts.values()), "FF": ffs, "CARRY4": cells.get("CARRY4", 0),
            **luts, "MUXF7": cells.get("MUXF7", 0), "MUXF8": cells.get("MUXF8", 0),
            "cells": dict(sorted(cells.items()))}


def _generic_figures(cells, work):
    ltp = work / "ltp.txt"
    m = re.search(r"length=(\d+)", ltp.read_text()) if ltp.exists() else None
    gates = {k.strip("$_"): v for k, v in sorted(cells.items())}
    return {"cells": gates, "total": sum(gates.values()), "depth": int(m.group(1)) if m else None}


#: Target name -> (script builder, figures from cell counts, merit to minimize).
TARGETS = {
    "xilinx7": (_xilinx_script, lambda cells, work: _xilinx_figures(cells),
                lambda f: (f["LUT"], f["FF"], f["CARRY4"])),
    "generic": (_generic_script, _generic_figures, lambda f: (f["total"], f["depth"] or 0)),
}


def has_multiplier(verilog_text):
    # A '*' between operands in an assign: the exported Verilog has no comments
    # except its Yosys headers (one per module file; a combined array file has
    # two), which we skip.
    body = re.sub(r"/\*.*?\*/", "", verilog_text, flags=re.S)
    return "*" in body


def module_names(verilog_text):
    """Names of the modules a Verilog file defines."""
    return re.findall(r"^\s*module\s+\\?([\w$]+)", verilog_text, flags=re.M)


def netlist_name(top, target):
    """File name of the mapped netlist of ``top`` for ``target``: ``<top>.<target>.v``."""
    return f"{top}.{target}.v"
