"""Power from simulated activity: the cell netlist run in Icarus on a real stimulus.

OpenSTA 2.0.17 has no ``read_vcd``, and its per-pin activities are broken
(``set_power_activity -pins`` errors; propagation overwrites them). So the
activity is measured and applied here:

1. the cell netlist (``<name>.asic.v``) runs in Icarus with the liberty's
   Verilog cell models, zero delay, on a stimulus (by default the PE's own
   random stream, :func:`shiftgen.verify.stimulus.random_stimulus`), and its
   accumulator is compared with the golden model after every edge: this is
   a gate-level check too, and its mismatches are counted;
2. the VCD gives each net's toggles per clock period;
3. OpenSTA reports every instance's internal, switching and leakage power
   with every net at activity 0 and at activity 1 (``-global``); each
   instance's figures are interpolated at the activity of its output net(s).
   Both are linear in the output's toggle rate for switching power; internal
   power also depends on the inputs' rates, which this takes as the output's.

Zero-delay simulation counts no glitches, so the figure is a lower bound on
a real circuit's dynamic power.
"""

import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ToolError
from ..tools.process import run

__all__ = ["cell_models", "output_pins", "toggle_rates", "interpolate", "simulated_power"]


def cell_models(liberty):
    """The Verilog models beside a liberty (``<stem>.v``), or ``None``."""
    path = Path(liberty).with_suffix(".v")
    return path if path.is_file() else None


def output_pins(liberty_text):
    """``{cell: [output pin, ...]}`` of a liberty file."""
    out, cell, pin = {}, None, None
    for line in liberty_text.splitlines():
        m = re.match(r"\s*cell\s*\(\s*\"?(\w+)\"?\s*\)", line)
        if m:
            cell, pin = m.group(1), None
            out[cell] = []
            continue
        m = re.match(r"\s*pin\s*\(\s*\"?(\w+)\"?\s*\)", line)
        if m:
            pin = m.group(1)
            continue
        if cell and pin and re.match(r"\s*direction\s*:\s*output\b", line):
            out[cell].append(pin)
    return out


def _instances(netlist_text, outputs):
    """``{instance: (cell, [net of each output pin])}`` of a flat cell netlist."""
    found = {}
    for m in re.finditer(r"^\s*(\w+)\s+(\\?\S+)\s*\((.*?)\);", netlist_text, flags=re.M | re.S):
        cell, name, body = m.groups()
        if cell not in outputs:
            continue
        pins = dict(re.findall(r"\.(\w+)\(([^()]*)\)", body))
        found[name.lstrip("\\")] = (cell, [pins[p].strip() for p in outputs[cell] if p in pins])
    return found


def _apply(ids, values, counts, code, value):
    """Record the new ``value`` of VCD identifier ``code``, counting bit changes."""
    for bits in ids.get(code, ()):
        padded = value.rjust(len(bits), "0" if value[0] in "01" else value[0])
        old = values.get((code, len(bits)))
        if old is not None:
            for net, a, b in zip(bits, old, padded):
                if a != b and a in "01" and b in "01":
                    counts[net] = counts.get(net, 0) + 1
        for net in bits:
            counts.setdefault(net, 0)
        values[(code, len(bits))] = padded


def toggle_rates(vcd_text, cycles):
    """Toggles per clock period of every net bit of the design's scope in a VCD.

    Nets are named ``name`` or ``name[i]`` as in the netlist; the design is
    the scope inside the testbench's. A change from or to ``x`` or ``z`` is
    not counted.
    """
    header, _, body = vcd_text.partition("$enddefinitions")
    ids, depth = {}, 0
    for line in header.splitlines():
        line = line.strip()
        if line.startswith("$scope"):
            depth += 1
        elif line.startswith("$upscope"):
            depth -= 1
        elif line.startswith("$var") and depth == 2:
            parts = line.split()
            code, name = parts[3], parts[4]
            if len(parts) > 6 and parts[5].startswith("["):
                hi, lo = (int(v) for v in parts[5].strip("[]").split(":"))
                step = -1 if hi >= lo else 1
                bits = [f"{name}[{i}]" for i in range(hi, lo + step, step)]
            else:
                bits = [name]
            ids.setdefault(code, []).append(bits)
    values, counts = {}, {}
    tokens = body.split()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok[0] in "bB":
            _apply(ids, values, counts, tokens[i + 1], tok[1:])
            i += 2
            continue
        if tok[0] in "01xzXZ":
            _apply(ids, values, counts, tok[1:], tok[0].lower())
        i += 1
    return {net: n / cycles for net, n in counts.items()}


def _testbench(top, ports, spec, steps):
    """A Verilog testbench: a reset edge, then one stimulus row per edge, acc checked."""
    cfg = spec.pe
    wb, ab, accb = spec.pe.weight_bits, cfg.act_bits, cfg.acc_bits
    row = ab + wb + 2
    extra = [p for p in ports if p not in ("clk", "rst", "a", "w", "en", "acc")]
    ties = "".join(f"    .{p}(0),\n" for p in extra)
    return f"""`timescale 1ns/1ps
module shiftgen_tb;
  reg clk = 0;
  reg [{ab - 1}:0] a = 0;
  reg [{wb - 1}:0] w = 0;
  reg en = 0, rst = 1;
  wire [{accb - 1}:0] acc;
  reg [{row - 1}:0] stim [0:{steps - 1}];
  reg [{accb - 1}:0] want [0:{steps - 1}];
  integer t, bad;
  {top} dut (
{ties}    .clk(clk), .rst(rst), .a(a), .w(w), .en(en), .acc(acc));
  always #5 clk = ~clk;
  initial begin
    $readmemh("stim.hex", stim);
    $readmemh("want.hex", want);
    bad = 0;
    @(negedge clk);
    @(negedge clk);
    $dumpfile("activity.vcd");
    $dumpvars(1, dut);
    for (t = 0; t < {steps}; t = t + 1) begin
      {{rst, en, w, a}} = stim[t];
      @(negedge clk);
      if (acc !== want[t]) bad = bad + 1;
    end
    $display("SHIFTGEN steps=%0d mismatches=%0d", {steps}, bad);
    $finish;
  end
endmodule
"""


def _instance_power(sta, liberty, netlist, top, period_ns, activity, work):
    """``{instance: (internal, switching, leakage)}`` in W at a global activity."""
    script = work / f"instances_{activity}.tcl"
    from .sta import setup_commands
    script.write_text("\n".join([
        *setup_commands(liberty, netlist, top, period_ns),
        f"set_power_activity -global -activity {activity}",
        "report_power -instances [get_cells *] -digits 12", "exit"]) + "\n")
    done = run([sta, "-no_splash", "-exit", script.name], cwd=work, timeout=600)
    if done.returncode != 0 or "Error" in done.stdout + done.stderr:
        raise ToolError(f"OpenSTA instance power: {(done.stdout + done.stderr).strip()[-200:]}")
    rows = re.findall(r"^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", done.stdout, flags=re.M)
    out = {}
    for internal, switching, leakage, total, name in rows:
        try:
            out[name] = (float(internal), float(switching), float(leakage))
        except ValueError:
            continue  # the header
    return out


def interpolate(instances, idle, busy, rates):
    """Total power (mW) with each instance at the toggle rate of its output net(s).

    Parameters
    ----------
    instances : dict
        ``{instance: (cell, [output net, ...])}``.
    idle, busy : dict
        ``{instance: (internal, switching, leakage)}`` in W at activity 0 and 1.
    rates : dict
        ``{net: toggles per period}`` (a net not listed is taken as still).

    Returns
    -------
    (dict, float)
        ``{internal, switching, leakage, total}`` in mW, and the mean rate.
    """
    missing = sorted(set(instances) - set(idle) | set(instances) - set(busy))
    if missing or not instances:
        raise ToolError(f"OpenSTA instance power: no figures for {missing[:3] or 'any cell'}")
    totals, used = np.zeros(3), []
    for name, (_, nets) in sorted(instances.items()):
        alpha = float(np.mean([rates.get(n, 0.0) for n in nets])) if nets else 0.0
        used.append(alpha)
        totals += np.array(idle[name]) + alpha * (np.array(busy[name]) - np.array(idle[name]))
    power = {k: round(float(v) * 1e3, 9) for k, v in zip(("internal", "switching", "leakage"),
                                                          totals)}
    power["total"] = round(sum(power.values()), 9)
    return power, round(float(np.mean(used)), 6)


def simulated_power(spec, netlist_path, liberty, *, clock_mhz, stimulus=None, work_dir=None):
    """Power of a PE's cell netlist at the activity of a gate-level run on ``stimulus``.

    Parameters
    ----------
    spec : Spec
        The PE's spec (ports, golden model).
    netlist_path : pathlib.Path
        ``<name>.asic.v``: the cell netlist (``signed`` already allowed: it
        is read by Icarus, and by OpenSTA through :func:`~shiftgen.synth.sta.strip_signed`).
    liberty : pathlib.Path
        Its liberty; the cell models are ``<stem>.v`` beside it.
    clock_mhz : float
    stimulus : Stimulus, optional
        Default: the PE's random stream of 2000 steps (seed 1).
    work_dir : pathlib.Path, optional

    Returns
    -------
    dict
        ``power_mw`` (``internal``, ``switching``, ``leakage``, ``total``),
        ``steps``, ``mismatches`` (accumulator against the golden model),
        ``mean_activity`` (toggles per period over the cells' output nets),
        ``source``; or ``{"power_mw": None, "reason": ...}`` when it cannot run.

    Raises
    ------
    ToolError
        If Icarus or OpenSTA fails.
    """
    from ..verify.stimulus import random_stimulus
    from .sta import find_sta, strip_signed
    sta, iverilog, vvp = find_sta(), shutil.which("iverilog"), shutil.which("vvp")
    models = cell_models(liberty)
    if sta is None or iverilog is None or vvp is None:
        return {"power_mw": None, "reason": "needs OpenSTA (sta) and Icarus (iverilog)"}
    if models is None:
        return {"power_mw": None, "reason": f"no Verilog cell models beside {Path(liberty).name}"}
    if spec.codebook.setup:
        return {"power_mw": None, "reason": "a programmable decoder's setup writes are not "
                                            "driven by the activity run"}
    stimulus = stimulus if stimulus is not None else random_stimulus(spec, 2000, seed=1)
    text = Path(netlist_path).read_text()
    header = re.search(rf"module\s+{re.escape(spec.name)}\s*\(([^)]*)\)", text)
    ports = [p.strip() for p in header.group(1).split(",")] if header else []
    cfg = spec.pe
    steps = len(stimulus)
    ab, wb = cfg.act_bits, cfg.weight_bits
    a = (stimulus.a.astype(np.int64) & ((1 << ab) - 1))
    rows = ((stimulus.rst.astype(np.int64) << (ab + wb + 1))
            | (stimulus.en.astype(np.int64) << (ab + wb))
            | (stimulus.w.astype(np.int64) << ab) | a)
    want = stimulus.expected(spec).astype(np.int64) & ((1 << cfg.acc_bits) - 1)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix=".activity-") as tmp:
        work = Path(tmp)
        (work / "stim.hex").write_text("".join(f"{int(v):x}\n" for v in rows))
        (work / "want.hex").write_text("".join(f"{int(v):x}\n" for v in want))
        (work / "tb.v").write_text(_testbench(spec.name, ports, spec, steps))
        (work / "netlist.v").write_text(text)
        shutil.copy(models, work / "cells.v")
        done = run([iverilog, "-g2012", "-o", "sim", "tb.v", "netlist.v", "cells.v"], cwd=work,
                   timeout=600)
        if done.returncode != 0:
            raise ToolError(f"iverilog on {Path(netlist_path).name}: {done.first_line('error')}")
        done = run([vvp, "-n", "sim"], cwd=work, timeout=1800)
        m = re.search(r"SHIFTGEN steps=(\d+) mismatches=(\d+)", done.stdout)
        if done.returncode != 0 or m is None:
            raise ToolError(f"vvp on {Path(netlist_path).name}: {done.first_line()}")
        mismatches = int(m.group(2))
        rates = toggle_rates((work / "activity.vcd").read_text(), steps)
        (work / "sta.v").write_text(strip_signed(text))
        period = round(1000.0 / clock_mhz, 6)
        idle = _instance_power(sta, liberty, work / "sta.v", spec.name, period, 0, work)
        busy = _instance_power(sta, liberty, work / "sta.v", spec.name, period, 1, work)
    instances = _instances(text, output_pins(Path(liberty).read_text()))
    power, mean = interpolate(instances, idle, busy, rates)
    return {"power_mw": power, "steps": steps, "mismatches": mismatches,
            "mean_activity": mean,
            "source": f"Icarus, zero delay, {steps} steps of the PE's random stream "
                      "(no glitches counted), per-instance OpenSTA power interpolated at "
                      "each output net's toggle rate"}
