"""Standard-cell area of an exported Verilog file, in the OSU 0.18 um library.

The liberty is ``osu018_stdcells.lib`` from Debian's ``qflow-tech-osu018``
(the OSU 0.18 um cells qflow ships). It is not installed system-wide: the
package is fetched with ``apt-get download`` and unpacked with ``dpkg-deb -x``
into a cache directory (``python -m shiftgen.synth.asic --install``), so neither
root nor ``apt-get install`` is needed. :func:`find_liberty` looks at
``$SHIFTGEN_LIBERTY``, then that cache, then Debian's own install path.

The recipe is ``synth -flatten`` (which maps the accumulator's synchronous
reset into logic before the flip-flops), ``dfflibmap`` and ``abc`` against the
liberty, then ``stat -liberty``. As in :mod:`shiftgen.synth.pe`, a design that
multiplies is also run with ``-booth`` and the smaller area is kept, so a
multiplier baseline always gets its strongest recipe. Without a liberty the
result says so (``area_um2`` is ``None``, with a ``reason``) instead of failing.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import ToolError
from .pe import _has_multiplier
from ..tools.yosys import find_yosys

__all__ = ["PACKAGE", "LIBERTY_NAME", "SYSTEM_LIBERTY", "cache_dir", "find_liberty",
           "install_liberty", "asic_area"]

#: The Debian package that holds the liberty.
PACKAGE = "qflow-tech-osu018"
#: The liberty's file name inside the package.
LIBERTY_NAME = "osu018_stdcells.lib"
_IN_PACKAGE = Path("usr/share/qflow/tech/osu018") / LIBERTY_NAME
#: Where ``apt-get install qflow-tech-osu018`` puts it.
SYSTEM_LIBERTY = Path("/") / _IN_PACKAGE

_NOT_INSTALLED = (f"OSU 0.18 um liberty not installed ({PACKAGE}); "
                  "run python -m shiftgen.synth.asic --install")


def cache_dir():
    """``$XDG_CACHE_HOME/shiftgen/osu018``, or ``~/.cache/shiftgen/osu018``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "shiftgen" / "osu018"


def find_liberty():
    """The OSU 0.18 um liberty file, or ``None`` if there is none.

    ``$SHIFTGEN_LIBERTY``, when set, is the only place looked at (``None`` if
    it names no file); otherwise the package unpacked under :func:`cache_dir`,
    then :data:`SYSTEM_LIBERTY`.
    """
    env = os.environ.get("SHIFTGEN_LIBERTY")
    if env:
        return Path(env) if Path(env).is_file() else None
    for path in (cache_dir() / _IN_PACKAGE, SYSTEM_LIBERTY):
        if path.is_file():
            return path
    return None


def _missing_reason():
    env = os.environ.get("SHIFTGEN_LIBERTY")
    if env and not Path(env).is_file():
        return f"OSU 0.18 um liberty not found: SHIFTGEN_LIBERTY={env} is no file"
    return _NOT_INSTALLED


def _run_tool(args, cwd=None):
    try:
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as e:
        raise ToolError(f"cannot run {args[0]}: {e}") from None
    if proc.returncode != 0:
        lines = [l.strip() for l in (proc.stdout + proc.stderr).splitlines() if l.strip()]
        errors = [l for l in lines if l.startswith("E:")] or lines[-1:] or ["(no output)"]
        raise ToolError(f"{' '.join(args)} failed: {errors[0]}")
    return proc.stdout


def install_liberty(dest=None, force=False):
    """Fetch ``qflow-tech-osu018`` and unpack it; return the liberty's path.

    Runs ``apt-get download`` (no root needed) in a temporary directory and
    ``dpkg-deb -x`` into ``dest``. Does nothing if the liberty is already
    there, unless ``force``.

    Parameters
    ----------
    dest : pathlib.Path, optional
        Where to unpack; default :func:`cache_dir`, where :func:`find_liberty` looks.
    force : bool
        Fetch again even if the liberty is there.

    Returns
    -------
    pathlib.Path
        ``dest/usr/share/qflow/tech/osu018/osu018_stdcells.lib``.

    Raises
    ------
    ToolError
        If ``apt-get`` or ``dpkg-deb`` is missing or fails.
    """
    dest = Path(dest) if dest is not None else cache_dir()
    liberty = dest / _IN_PACKAGE
    if liberty.is_file() and not force:
        return liberty
    for tool in ("apt-get", "dpkg-deb"):
        if not shutil.which(tool):
            raise ToolError(f"cannot install the OSU 0.18 um liberty: {tool} not found "
                            f"(needs Debian's {PACKAGE}); or set SHIFTGEN_LIBERTY to "
                            f"an {LIBERTY_NAME}")
    with tempfile.TemporaryDirectory(prefix="shiftgen-osu018-") as tmp:
        tmp = Path(tmp)
        try:
            _run_tool(["apt-get", "download", PACKAGE], cwd=tmp)
        except ToolError as e:
            raise ToolError(f"{e} (run 'apt-get update' first?)") from None
        debs = sorted(tmp.glob(f"{PACKAGE}_*.deb"))
        if not debs:
            raise ToolError(f"apt-get download {PACKAGE} left no .deb")
        # Unpack beside, then copy: a failed unpack leaves no half liberty in dest.
        _run_tool(["dpkg-deb", "-x", str(debs[0]), str(tmp / "root")])
        if not (tmp / "root" / _IN_PACKAGE).is_file():
            raise ToolError(f"{debs[0].name} holds no {_IN_PACKAGE}")
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copytree(tmp / "root", dest, dirs_exist_ok=True)
        (dest / "package.txt").write_text(debs[0].name + "\n")
    return liberty


def _liberty_cells(text):
    """Names of the cells a liberty file defines."""
    return set(re.findall(r"^\s*cell\s*\(\s*\"?([\w$]+)\"?\s*\)", text, flags=re.M))


def _check_mapped(top, cells, library_cells, liberty_name):
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
    _check_mapped(top, cells, library_cells, liberty_name)
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
            return {"area_um2": None, "reason": _missing_reason()}
    liberty = Path(liberty)
    if not liberty.is_file():
        raise ToolError(f"liberty file not found: {liberty}")
    liberty_text = liberty.read_text()
    library_cells = _liberty_cells(liberty_text)
    verilog_path = Path(verilog_path)
    verilog_text = verilog_path.read_text()
    booths = (False, True) if booth is None and _has_multiplier(verilog_text) \
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


def main(argv=None):
    """``python -m shiftgen.synth.asic [--install [--dest DIR]]``: print the liberty's path."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m shiftgen.synth.asic",
                                     description="Find or install the OSU 0.18 um liberty.")
    parser.add_argument("--install", action="store_true",
                        help=f"fetch {PACKAGE} with apt-get download and unpack it")
    parser.add_argument("--dest", type=Path, default=None,
                        help="unpack here instead of the cache directory")
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    args = parser.parse_args(argv)
    try:
        if args.install:
            print(install_liberty(args.dest, force=args.force))
            return 0
    except ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    liberty = find_liberty()
    if liberty is None:
        print(f"error: {_missing_reason()}", file=sys.stderr)
        return 1
    print(liberty)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
