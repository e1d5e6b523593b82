"""Yosys synthesis of an exported Verilog file, for every target.

Targets (issue 2): ``xilinx7`` (``synth_xilinx -nodsp``, 7-series LUT/FF/
CARRY4, out of context: no I/O buffers or clock buffer) and ``generic``
(``synth`` + ``abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX``, with the logic depth
from ``ltp``). A design that multiplies also goes through ``booth``; each
target reports its best candidate by its figure of merit and lists every
candidate, so a ratio against a multiplier baseline is never flattered by a
weak recipe. The mapped netlist of each target's best candidate can be kept
(``write_verilog -noattr``, :func:`netlist_name`) so that
:func:`shiftgen.verify.formal.prove` can check it against the spec.
"""

import json
import re
import tempfile
from pathlib import Path

from ..tools.yosys import find_yosys, parallel_map

__all__ = ["TARGETS", "netlist_name", "synthesize"]

GENERIC_GATES = "AND,NAND,OR,NOR,XOR,XNOR,MUX"


def _xilinx_script(top, booth, flatten=True, depth=True):
    # depth: unused, xilinx7 reports no logic depth.
    pre = ["proc", "opt", "wreduce", "booth"] if booth else []
    return [*pre, f"synth_xilinx -top {top}" + (" -flatten" if flatten else "")
            + " -nodsp -noiopad -noclkbuf"]


def _generic_script(top, booth, flatten=True, depth=True):
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


def _has_multiplier(verilog_text):
    # A '*' between operands in an assign: the exported Verilog has no comments
    # except its Yosys headers (one per module file; a combined array file has
    # two), which we skip.
    body = re.sub(r"/\*.*?\*/", "", verilog_text, flags=re.S)
    return "*" in body


def _module_names(verilog_text):
    """Names of the modules a Verilog file defines."""
    return re.findall(r"^\s*module\s+\\?([\w$]+)", verilog_text, flags=re.M)


def netlist_name(top, target):
    """File name of the mapped netlist of ``top`` for ``target``: ``<top>.<target>.v``."""
    return f"{top}.{target}.v"


def _run_candidate(verilog_path, top, target, booth, *, libs=(), flatten=True, depth=True,
                   netlist=False):
    """One Yosys run of one recipe; returns its recipe text and figures.

    ``libs`` are Verilog files read as black boxes (``read_verilog -lib``):
    their instances are not synthesized: the figures leave them out and list
    them under ``blackboxes`` (module name -> instance count).
    With ``flatten=False`` the top keeps its hierarchy; ``depth=False`` skips
    ``ltp`` (generic target). With ``netlist=True`` the mapped netlist's
    Verilog text is returned too, under the key ``"_netlist"``.
    """
    script_of, figures_of, _ = TARGETS[target]
    verilog_path = Path(verilog_path)
    with tempfile.TemporaryDirectory(dir=verilog_path.parent, prefix=".synth-") as tmp:
        work = Path(tmp)
        boxes = set()
        reads = []
        for k, lib in enumerate(libs):
            text = Path(lib).read_text()
            boxes.update(_module_names(text))
            (work / f"lib{k}.v").write_text(text)
            reads.append(f"read_verilog -lib lib{k}.v")
        (work / "design.v").write_text(verilog_path.read_text())
        body = script_of(top, booth, flatten=flatten, depth=depth)
        # -noattr: no source paths (the temporary directory) in the netlist, so
        # the same spec gives the same bytes.
        write = ["write_verilog -noattr netlist.v"] if netlist else []
        script = [*reads, "read_verilog design.v", *body, *write,
                  "tee -q -o stat.json stat -json"]
        find_yosys().run("\n".join(script), cwd=work, name="synth")
        stat = json.loads((work / "stat.json").read_text())
        cells = stat["modules"][f"\\{top}"]["num_cells_by_type"] if f"\\{top}" in stat["modules"] \
            else stat["design"]["num_cells_by_type"]
        # Black-box instances are not logic of this module; $scopeinfo (left by
        # flatten) marks where a submodule was, and is no logic either.
        blackboxes = {k: v for k, v in cells.items() if k.lstrip("\\") in boxes}
        cells = {k: v for k, v in cells.items() if k not in blackboxes and k != "$scopeinfo"}
        recipe = "; ".join(body if target == "xilinx7" else
                           [line for line in body if not line.startswith("tee ")])
        out = {"recipe": recipe, **figures_of(cells, work)}
        if libs:
            out["blackboxes"] = {k.lstrip("\\"): v for k, v in sorted(blackboxes.items())}
        if netlist:
            out["_netlist"] = (work / "netlist.v").read_text()
        return out


def _best(target, cands):
    """The candidate with the best merit, listing every candidate (without cell counts)."""
    best = min(cands, key=TARGETS[target][2])
    return {**best, "candidates": [
        {k: v for k, v in c.items() if k not in ("cells", "_netlist")} for c in cands]}


def synthesize(verilog_path, top, targets=tuple(TARGETS), jobs=2, netlist_dir=None):
    """Synthesize ``verilog_path`` for each target; return figures per target.

    Parameters
    ----------
    verilog_path : pathlib.Path
        The exported Verilog (the very file the user gets).
    top : str
        Top module.
    targets : iterable of str
    jobs : int
        Yosys processes run at once.
    netlist_dir : pathlib.Path, optional
        Where to write the mapped netlist of each target's best candidate, as
        :func:`netlist_name` (``<top>.<target>.v``); its result then names
        the file under ``"netlist"``.

    Returns
    -------
    dict
        ``{target: {"recipe": ..., <figures>..., "candidates": [...]}}``.
    """
    verilog_path = Path(verilog_path)
    booths = (False, True) if _has_multiplier(verilog_path.read_text()) else (False,)
    work = [(t, b) for t in targets for b in booths]
    keep = netlist_dir is not None

    def run(tb):
        return _run_candidate(verilog_path, top, *tb, netlist=keep)
    results = parallel_map(run, work, jobs)
    out = {}
    for target in targets:
        best = _best(target, [r for (t, _), r in zip(work, results) if t == target])
        text = best.pop("_netlist", None)
        if keep:
            name = netlist_name(top, target)
            (Path(netlist_dir) / name).write_text(text)
            best["netlist"] = name
        out[target] = best
    return out
