"""Static timing and vectorless power of a standard-cell netlist, with OpenSTA.

The netlist is the one the ASIC area comes from (:func:`shiftgen.synth.asic.asic_area`,
``abc -liberty``). OpenSTA (Debian's ``opensta``, 2.0.17) reads it with the
same liberty; the figures are pre-layout: typical corner (the liberty's own),
no wire load, an ideal clock. Two path groups are timed against a clock on
``clk`` (a virtual clock for a design without one): register to register,
input to register, the reset to register (its own group: one net to every
flip-flop, unbuffered pre-layout, so in a large array it is the longest
path) and input to output, with every input
driven by the library's flip-flop (its output pin; as SDC's
``set_driving_cell`` defines it, the driver adds its slew and the part of its
delay that its load causes, not its delay at no load). A path's length is
``period - slack`` (the setup time, and on a register-to-register path the
launching flip-flop's clock-to-Q, included), so ``fmax = 1000 / length`` MHz.

Power is vectorless: every net toggles ``activity`` times per clock period
(``set_power_activity -global``; 0.5 is the papers' convention, seed 002
Fig. 4), internal, switching and leakage as the liberty tables give them.

OpenSTA 2.0.17 cannot parse ``input signed [7:0] a;``: it prints a syntax
error and "missing declaration", then times a design without those ports.
The netlist is read with ``signed`` removed from declarations, and any such
message fails the run.
"""

import re
import shutil
from pathlib import Path

from ..errors import ToolError
from ..tools.process import run

__all__ = ["PRE_LAYOUT", "find_sta", "sta_version", "strip_signed", "setup_commands",
           "timing_and_power"]

#: What every figure of this module leaves out.
PRE_LAYOUT = "pre-layout, typical corner, no wire load, ideal clock"

#: Messages of OpenSTA that mean it did not read the design as written.
_FAILURES = re.compile(r"syntax error|missing declaration|not found|unknown|Error",
                       re.IGNORECASE)


def find_sta():
    """The ``sta`` executable (OpenSTA), or ``None``."""
    return shutil.which("sta")


def sta_version(sta=None):
    """OpenSTA's version string, e.g. ``"OpenSTA 2.0.17"``."""
    sta = sta or find_sta()
    if sta is None:
        return None
    done = run([sta, "-version"], timeout=30)
    return f"OpenSTA {done.stdout.strip() or done.stderr.strip()}"


def strip_signed(verilog_text):
    """``verilog_text`` with ``signed`` removed from port and wire declarations."""
    return re.sub(r"^(\s*(?:input|output|inout|wire|reg))\s+signed\b", r"\1", verilog_text,
                  flags=re.M)


def setup_commands(liberty, netlist, top, period_ns, driver=None):
    """OpenSTA commands that read the design and constrain it as every figure here assumes.

    A clock on ``clk`` of ``period_ns``; every other input arrives with the
    clock, driven by ``driver`` (a liberty cell and its output pin; default
    the liberty's own flip-flop, :attr:`~shiftgen.synth.liberty.Library.driver`).
    """
    if driver is None:
        from .liberty import read_library
        driver = read_library(liberty).driver
    # A design without a clk port (a combinational datapath) is timed against a
    # virtual clock, its outputs captured at the next edge.
    return [
        f"read_liberty {Path(liberty).resolve()}",
        f"read_verilog {Path(netlist).resolve()}",
        f"link_design {top}",
        "set clk_port [get_ports -quiet clk]",
        "if {[llength $clk_port]} {",
        f"  create_clock -name clk -period {period_ns} $clk_port",
        "  set ins [delete_from_list [all_inputs] $clk_port]",
        "} else {",
        f"  create_clock -name clk -period {period_ns}",
        "  set ins [all_inputs]",
        "}",
        "set_input_delay 0 -clock clk $ins",
        "set_output_delay 0 -clock clk [all_outputs]",
        f"set_driving_cell -lib_cell {driver[0]} -pin {driver[1]} $ins",
    ]


def _script(liberty, netlist, top, period_ns, activity, driver):
    return "\n".join([
        *setup_commands(liberty, netlist, top, period_ns, driver),
        # The reset is its own group: one input to every flip-flop, which no
        # buffer tree drives pre-layout (a layout flow inserts one).
        "set rst_port [get_ports -quiet rst]",
        "set data_ins [delete_from_list $ins $rst_port]",
        "foreach {name from to} [list reg2reg [all_registers -clock_pins] "
        "[all_registers -data_pins] in2reg $data_ins [all_registers -data_pins] "
        "rst2reg $rst_port [all_registers -data_pins] "
        "in2out $ins [all_outputs]] {",
        "  if {[llength $from] == 0 || [llength $to] == 0} { puts \"PATH $name none\"; continue }",
        "  set paths [find_timing_paths -path_delay max -from $from -to $to]",
        "  if {[llength $paths] == 0} { puts \"PATH $name none\"; continue }",
        "  puts \"PATH $name [get_property [lindex $paths 0] slack]\"",
        "}",
        f"set_power_activity -global -activity {activity}",
        "report_power -digits 9",
        "exit",
    ]) + "\n"


def _parse_power(text):
    """``{internal, switching, leakage, total}`` in mW from ``report_power``'s Total line."""
    m = re.search(r"^Total\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", text, flags=re.M)
    if m is None:
        raise ToolError("OpenSTA: report_power printed no Total line")
    watts = [float(v) for v in m.groups()]
    return {k: round(w * 1e3, 9) for k, w in zip(("internal", "switching", "leakage", "total"),
                                                  watts)}


def timing_and_power(netlist_path, top, liberty, *, clock_mhz=100.0, activity=0.5,
                     driver=None, work_dir=None):
    """Critical paths, fmax and vectorless power of a mapped netlist.

    Parameters
    ----------
    netlist_path : pathlib.Path
        Verilog of liberty cells (``abc -liberty`` output) with a ``clk`` port.
    top : str
    liberty : pathlib.Path
    clock_mhz : float
        Clock of the power figure (and of the timing constraint; the path
        lengths do not depend on it).
    activity : float
        Toggles per net per clock period.
    driver : (str, str), optional
        The liberty cell and pin that drive every input; default the
        liberty's flip-flop (:func:`setup_commands`).
    work_dir : pathlib.Path, optional
        Where the script and its log stay; default the netlist's directory.

    Returns
    -------
    dict
        ``critical_path_ns`` (the longer group), ``fmax_mhz``,
        ``paths_ns`` (``reg2reg``, ``in2reg`` from every input but ``rst``,
        ``rst2reg`` from ``rst``, ``in2out``: length or ``None`` where the
        design has no such path; an output is captured by the next edge),
        ``clock_mhz``, ``meets_clock``,
        ``power_mw`` (``internal``, ``switching``, ``leakage``, ``total``),
        ``activity``, ``tool``, ``conditions`` (:data:`PRE_LAYOUT`).

    Raises
    ------
    ToolError
        If ``sta`` is missing or fails, or reads the design other than as written.
    ValueError
        If ``clock_mhz`` or ``activity`` is out of range.
    """
    if not isinstance(clock_mhz, (int, float)) or not clock_mhz > 0:
        raise ValueError(f"Clock must be a positive number of MHz, not {clock_mhz!r}")
    if not isinstance(activity, (int, float)) or not 0 <= activity <= 2:
        raise ValueError(f"Activity must be a number of toggles per period in [0, 2], "
                         f"not {activity!r}")
    sta = find_sta()
    if sta is None:
        raise ToolError("OpenSTA (sta) not installed; apt-get install opensta")
    netlist_path = Path(netlist_path)
    work = Path(work_dir) if work_dir is not None else netlist_path.parent
    work.mkdir(parents=True, exist_ok=True)
    readable = work / f"{top}.sta.v"
    readable.write_text(strip_signed(netlist_path.read_text()))
    period = 1000.0 / clock_mhz
    script = work / f"{top}.sta.tcl"
    script.write_text(_script(liberty, readable, top, round(period, 6), activity, driver))
    done = run([sta, "-no_splash", "-exit", script.name], cwd=work, timeout=600)
    text = done.stdout + done.stderr
    (work / f"{top}.sta.log").write_text(text)
    bad = [line for line in text.splitlines() if _FAILURES.search(line)]
    if done.returncode != 0 or bad:
        raise ToolError(f"OpenSTA on {netlist_path.name}: "
                        f"{bad[0].strip() if bad else f'exit status {done.returncode}'}")
    paths = {}
    for name, slack in re.findall(r"^PATH (\w+) (\S+)$", text, flags=re.M):
        paths[name] = None if slack == "none" else round(period - float(slack), 6)
    if set(paths) != {"reg2reg", "in2reg", "rst2reg", "in2out"}:
        raise ToolError(f"OpenSTA on {netlist_path.name}: no path report")
    longest = max((v for v in paths.values() if v is not None), default=None)
    if longest is None:
        raise ToolError(f"OpenSTA on {netlist_path.name}: no path from an input or register")
    return {"critical_path_ns": longest, "fmax_mhz": round(1000.0 / longest, 3),
            "paths_ns": paths, "clock_mhz": float(clock_mhz),
            "meets_clock": longest <= period, "power_mw": _parse_power(text),
            "activity": activity, "tool": sta_version(sta), "conditions": PRE_LAYOUT}
