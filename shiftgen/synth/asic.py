"""Standard-cell area of an exported Verilog file, by default in the OSU 0.18 um cells.

The liberty comes from :mod:`shiftgen.synth.liberty`. The recipe is ``synth -flatten`` (which maps the accumulator's synchronous
reset into logic before the flip-flops), ``dfflibmap`` and ``abc`` against the
liberty, then ``stat -liberty``. As in :mod:`shiftgen.synth.pe`, a design that
multiplies is also run with ``-booth`` and the smaller area is kept, so a
multiplier baseline always gets its strongest recipe. Without a liberty the
result says so (``area_um2`` is ``None``, with a ``reason``) instead of failing.
"""

import json
import tempfile
from pathlib import Path

from ..errors import ToolError
from ..tools.yosys import find_yosys
from .liberty import find_liberty, liberty_cells, missing_reason
from .recipes import has_multiplier

__all__ = ["asic_area", "check_mapped"]


def check_mapped(top, cells, library_cells, liberty_name):
    """Raise :class:`ToolError` if any cell is not one of the liberty's."""
    unmapped = sorted(k for k in cells if k not in library_cells)
    if unmapped:
        raise ToolError(f"{top}: cells not mapped to {liberty_name}: {', '.join(unmapped)}")


def _candidate(verilog_text, top, liberty_text, liberty_name, library_cells, booth, work):
    (work / "design.v").write_text(verilog_text)
    (work / liberty_name).write_text(liberty_text)
    lib = liberty_name
    body = [f"synth -flatten -top {top}" + (" -booth" if booth else ""),
            f"dfflibmap -liberty {lib}", f"abc -liberty {lib}", "opt_clean",
            f"stat -liberty {lib}"]
    find_yosys().run("\n".join([
        "read_verilog design.v", *body,
        f"tee -q -o stat.json stat -liberty {lib} -json",
        "write_verilog -noattr netlist.v",
    ]), cwd=work, name="asic")
    stat = json.loads((work / "stat.json").read_text())
    module = stat["modules"][f"\\{top}"]
    # $scopeinfo (left by flatten) marks where a submodule was: no logic.
    cells = {k: v for k, v in module["num_cells_by_type"].items() if k != "$scopeinfo"}
    check_mapped(top, cells, library_cells, liberty_name)
    return {"area_um2": float(module["area"]),
            "sequential_area_um2": float(module.get("sequential_area", 0.0)),
            "cells": sum(cells.values()), "cells_by_type": dict(sorted(cells.items())),
            "recipe": "; ".join(body)}


def asic_area(verilog_path, top, liberty=None, work_dir=None, booth=None):
    """Standard-cell area of ``top`` in ``verilog_path``, in the OSU 0.18 um cells.

    Parameters
    ----------
    verilog_path : pathlib.Path
        The exported Verilog.
    top : str
        Top module.
    liberty : pathlib.Path, optional
        Liberty file; default :func:`find_liberty`.
    work_dir : pathlib.Path, optional
        Keep the Yosys script, log, ``stat.json`` and mapped ``netlist.v`` of
        each candidate in ``work_dir/plain`` (and ``work_dir/booth``);
        default a temporary directory beside ``verilog_path``, removed after.
    booth : bool, optional
        Run with ``-booth`` (``True``), without (``False``), or both when the
        design multiplies and keep the smaller area (``None``, the default).

    Returns
    -------
    dict
        ``area_um2`` (float), ``sequential_area_um2``, ``cells`` (total cell
        count), ``cells_by_type``, ``liberty`` (its file name), ``recipe``,
        ``yosys`` (version) and ``candidates`` (area, cells and recipe of each
        recipe tried). Without a liberty: ``{"area_um2": None, "reason": ...}``.

    Raises
    ------
    ToolError
        If Yosys fails, an explicit ``liberty`` is missing, or the netlist
        keeps cells that are not the liberty's.
    """
    if liberty is None:
        liberty = find_liberty()
        if liberty is None:
            return {"area_um2": None, "reason": missing_reason()}
    liberty = Path(liberty)
    if not liberty.is_file():
        raise ToolError(f"liberty file not found: {liberty}")
    liberty_text = liberty.read_text()
    library_cells = liberty_cells(liberty_text)
    verilog_path = Path(verilog_path)
    verilog_text = verilog_path.read_text()
    booths = (False, True) if booth is None and has_multiplier(verilog_text) \
        else (bool(booth),)
    cands = []
    for b in booths:
        args = (verilog_text, top, liberty_text, liberty.name, library_cells, b)
        if work_dir is not None:
            work = Path(work_dir) / ("booth" if b else "plain")
            work.mkdir(parents=True, exist_ok=True)
            cands.append(_candidate(*args, work))
        else:
            with tempfile.TemporaryDirectory(dir=verilog_path.parent, prefix=".asic-") as tmp:
                cands.append(_candidate(*args, Path(tmp)))
    best = min(cands, key=lambda c: (c["area_um2"], c["cells"]))
    return {**best, "liberty": liberty.name, "yosys": find_yosys().version,
            "candidates": [{k: c[k] for k in ("recipe", "area_um2", "cells")} for c in cands]}
