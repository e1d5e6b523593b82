"""Standard-cell area, timing and vectorless power of a MAC array, costed as its LUTs are.

The array's ``targets.asic`` comes from the same parts its xilinx7 and
generic figures come from (:mod:`shiftgen.synth.array`), each mapped to the
liberty by :func:`~shiftgen.synth.asic.asic_area` and timed and powered by
:func:`~shiftgen.synth.sta.timing_and_power`:

- the unit of the dataflow, synthesized in context: a systolic cell in each
  of its edge contexts (a wrapper, flattened: interior, row 0, last column,
  corner; :func:`~shiftgen.synth.array.edge_contexts`), or the broadcast
  column once (every column sees the same ports);
- the array top's own logic: the top with its unit instances removed
  (Yosys ``expose -evert``: each instance's connections become ports of the
  top), so only the skew or input registers, the row terms, the valid chain
  and the load path are mapped;
- a constant-weight array is one flattened module, mapped in its column
  groups (as its xilinx7 figures) and flattened, up to :data:`CONSTANT_ADDERS` adders.

Area and power are summed by instance count (``top + sum(count * part)``);
the critical path is the longest of the parts'. Energy per MAC is the total
power over the clock and the ``R * C`` MACs of a cycle, the figure seed 001
Table 4 gives for its 64 x 64 arrays (AUSN 8/4 2.17 W against 4.21 W for the
8 x 8 multiplier array, 1.9x).

What the parts leave out, as the LUT figures do: optimization across a part
boundary, a path that crosses one (each part is timed alone, its inputs
driven by the liberty's flip-flop; a path from the top's registers through
its row terms into a column is timed in two pieces), and the load one part
puts on another (a row register of the top drives every column's inputs;
alone, a part's outputs drive nothing). The figures are pre-layout
(:data:`~shiftgen.synth.sta.PRE_LAYOUT`): no buffer tree, no wire load.
"""

import re
import tempfile
import time
from pathlib import Path

from ..tools.process import parallel_map
from ..tools.yosys import find_yosys
from .array import edge_contexts, edge_wrapper
from .asic import DEFAULT_CLOCK_MHZ, asic_area, energy_pj
from .liberty import find_liberty, missing_reason, read_library
from .recipes import has_multiplier
from .sta import PRE_LAYOUT, find_sta, sta_version, timing_and_power

__all__ = ["CELL_METHOD", "COLUMN_METHOD", "CONSTANT_METHOD", "CONSTANT_ADDERS", "NO_STA", "RESET_NOTE",
           "POWER_KEYS", "split_assigns", "top_shell", "array_asic_target"]

_TOP = ("the array top with its {unit} instances removed (Yosys expose -evert: their ports "
        "become the top's) mapped once")
_TAIL = ("; the critical path is the longest of the parts', each timed alone (OpenSTA) with "
         "its inputs driven by the liberty's flip-flop, so a path from the top's logic into "
         "a {unit} is timed in two pieces, and the load of one part on another is left out.")

CELL_METHOD = ("hierarchical, as the xilinx7 figures: the cell mapped to the liberty (abc "
               "-liberty, timing-driven for the clock) flattened in a wrapper for each edge "
               "context (interior, row 0, last column, corner) and " + _TOP.format(unit="cell")
               + "; area and vectorless power are top + the sum over contexts of instances "
               "* the context's figure"
               + _TAIL.format(unit="cell"))

COLUMN_METHOD = ("hierarchical, as the xilinx7 figures: the broadcast column mapped to the "
                 "liberty (abc -liberty, timing-driven for the clock) once, whole, and "
                 + _TOP.format(unit="column")
                 + "; area and vectorless power are top + C * column"
                 + _TAIL.format(unit="column"))

CONSTANT_METHOD = ("flattened: the constant array's module (its chosen back end) mapped to "
                   "the liberty (abc -liberty, timing-driven for the clock) in the column "
                   "groups its xilinx7 figures are mapped in (each group a submodule, mapped "
                   "alone), flattened, then timed and powered whole (OpenSTA).")

#: Largest constant array mapped to the liberty, in adders of its kept graph. ABC's time
#: is not predicted by the graph's size: measured on 2 shared cores (timing-driven
#: mapping, in the graph's column groups), AUSN 8/4 64 x 64 (716 adders) 23.5 s, JLQ
#: 3-bit (1822) about 100 s, PoT 4-bit (2328) 131 s, uniform 8x8 (3632) 320 s, but APoT
#: 4-bit (1960) about 25 min and SQ 4-bit (2539) had not finished its first column
#: group after 110 min (da4ml shares terms across columns, so one group's cone can hold
#: most of the graph). The bound keeps every build to minutes; a time limit on the map
#: would be the better rule.
CONSTANT_ADDERS = 1900

_CONSTANT_SKIPPED = ("a constant array of {adders} adders (above {bound}) is not mapped to "
                     "the liberty: ABC's time is not bounded by the graph's size (the "
                     "1960-adder 64 x 64 APoT 4-bit array maps in about 25 min on 2 cores)")

#: Why there is no timing or power without OpenSTA (as :func:`~shiftgen.synth.asic.asic_target`).
NO_STA = "timing and power: OpenSTA (sta) not installed; apt-get install opensta"

#: What a critical path from ``rst`` is: its fan-out, with no buffer tree pre-layout.
RESET_NOTE = (", from the reset input, which drives every flip-flop with no buffer tree "
              "pre-layout; a layout flow would buffer it")

#: The components of a power figure, as :func:`~shiftgen.synth.sta.timing_and_power` gives them.
POWER_KEYS = ("internal", "switching", "leakage", "total")

_FIELDS = ("area_um2", "critical_path_ns", "fmax_mhz", "power_mw", "energy_pj_per_mac")


# Assignments and declarations of a Yosys netlist; an escaped name runs to a space.
_NAME = r"(?:\\\S+\s|[A-Za-z_][\w$]*)"
_DECL = re.compile(r"^\s*(?:input|output|inout|wire|reg)\s+(?:signed\s+)?"
                   r"(?:\[(\d+):(\d+)\]\s+)?(" + _NAME + r")\s*;", re.M)
_ASSIGN = re.compile(r"^(\s*)assign\s+(\{[^;]*?\}|[^=;]+?)\s*=\s*([^;]+);", re.M)
_ITEM = re.compile(r"\s*(?:(\d+)'([bhdo])([0-9a-fA-FxXzZ_]+)|(" + _NAME +
                   r")\s*(?:\[(\d+)(?::(\d+))?\])?)\s*")


def _bits(expr, widths):
    """The bits of a netlist expression (a name, a slice, a constant or a concatenation), MSB first."""
    expr = expr.strip()
    items = expr[1:-1].split(",") if expr.startswith("{") else [expr]
    out = []
    for item in items:
        # An escaped name ends at its space, which the split may have taken.
        m = _ITEM.fullmatch(item + " " if item.strip().startswith("\\") else item)
        if m is None:
            raise ValueError(f"cannot split the netlist expression {item.strip()!r}")
        if m.group(1):
            n = int(m.group(1))
            # An x or z (a flattened part's undriven bit) is a constant to timing: 0.
            digits = re.sub("[xXzZ]", "0", m.group(3).replace("_", ""))
            value = int(digits, {"b": 2, "h": 16, "d": 10, "o": 8}[m.group(2)])
            out += [f"1'b{(value >> k) & 1}" for k in reversed(range(n))]
            continue
        name = m.group(4).rstrip()
        ref = f"{name} " if name.startswith("\\") else name
        if m.group(5) is not None:
            hi = int(m.group(5))
            lo = int(m.group(6)) if m.group(6) is not None else hi
        elif widths.get(name) is not None:
            hi, lo = widths[name]
        else:  # a one-bit wire
            out.append(ref)
            continue
        step = -1 if hi >= lo else 1
        out += [f"{ref}[{k}]" for k in range(hi, lo + step, step)]
    return out


def split_assigns(text):
    """``text`` (a Yosys netlist) with every concatenated assignment split bit by bit.

    OpenSTA 2.0.17 stops at ``assign { a[22], a[14:0] } = { 1'h0, b[14:0] };``
    with a syntax error (Yosys writes one where a kept wire is partly
    constant: a broadcast column's chain sums); ``assign a[22] = 1'b0;`` and
    ``assign a[14] = b[14];`` it reads. Other assignments stay as they are.
    """
    widths = {m.group(3).rstrip(): (int(m.group(1)), int(m.group(2))) if m.group(1) else None
              for m in _DECL.finditer(text)}

    def split(m):
        if "{" not in m.group(2) and "{" not in m.group(3):
            return m.group(0)
        lhs, rhs = _bits(m.group(2), widths), _bits(m.group(3), widths)
        # Verilog assigns the low bits; a short right side is zero-extended.
        rhs = rhs[len(rhs) - len(lhs):] if len(rhs) >= len(lhs) else \
            ["1'b0"] * (len(lhs) - len(rhs)) + rhs
        return "\n".join(f"{m.group(1)}assign {dst} = {src};" for dst, src in zip(lhs, rhs))
    return _ASSIGN.sub(split, text)


def top_shell(top_v, unit_v, top_name, unit_name, work_dir):
    """The array top without its unit instances: each one's connections become top ports.

    Yosys reads the unit as a black box and ``expose -evert`` removes every
    instance of it, turning the nets the top drives into it into outputs
    and the nets it drives into inputs. What is left is the top's own
    logic, which :func:`~shiftgen.synth.asic.asic_area` maps alone.

    Parameters
    ----------
    top_v, unit_v : pathlib.Path
        The top-only Verilog and the unit's (:func:`~shiftgen.export.array.export_array`).
    top_name, unit_name : str
    work_dir : pathlib.Path
        Where Yosys runs (YoWASP sees only the tree below its working directory).

    Returns
    -------
    pathlib.Path
        ``work_dir/shell.v``, top module ``top_name``.

    Raises
    ------
    ToolError
        If Yosys fails or an instance of the unit is left.
    """
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    (work / "unit.v").write_text(Path(unit_v).read_text())
    (work / "top.v").write_text(Path(top_v).read_text())
    find_yosys().run("\n".join([
        "read_verilog -lib unit.v", "read_verilog top.v", f"hierarchy -top {top_name}",
        # Only the instances are selected: with no selection expose makes every wire a port.
        f"expose -evert t:{unit_name}", f"select -assert-none t:{unit_name}",
        "write_verilog -noattr shell.v"]), cwd=work, name="shell")
    return work / "shell.v"


def _sum_power(parts):
    return {k: round(sum(n * p["power_mw"][k] for n, p in parts), 9) for k in POWER_KEYS}


def _measure(job):
    """Map one part, write its cell netlist, time and power it; its figures."""
    name, verilog, top, count, booth, out_dir, liberty, clock_mhz, netlist_name, partition = job
    start = time.monotonic()
    area = asic_area(verilog, top, liberty=liberty, booth=booth, netlist=True,
                     partition=partition, clock_mhz=clock_mhz)
    # OpenSTA reads the netlist as written to the build directory.
    (out_dir / netlist_name).write_text(split_assigns(area.pop("_netlist")))
    part = {"instances": count, "module": top, "netlist": netlist_name,
            **{k: area[k] for k in ("area_um2", "sequential_area_um2", "cells", "cells_by_type",
                                    "recipe", "candidates")}}
    if find_sta() is not None:
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".sta-") as tmp:
            sta = timing_and_power(out_dir / netlist_name, top, liberty, clock_mhz=clock_mhz,
                                   work_dir=Path(tmp))
        part.update({"critical_path_ns": sta["critical_path_ns"], "paths_ns": sta["paths_ns"],
                     "power_mw": sta["power_mw"], "activity": sta["activity"]})
    part["seconds"] = round(time.monotonic() - start, 2)
    return name, part, area["yosys"]


def _jobs(spec, work, exported, booth):
    """``(name, verilog, module, instances, booth, netlist name)`` of each part, the top first.

    The Verilog a part is mapped from (the top's shell, a cell's wrappers) is
    written to ``work``.
    """
    from ..hdl.dataflows import dataflow
    flow = dataflow(spec)
    cell_v, top_v = Path(exported["cell"]), Path(exported["top"])
    cell_name, top_name = exported["cell_name"], exported["top_name"]
    if flow.unit == "array":
        return [("array", Path(exported["verilog"]), top_name, 1, booth, f"{top_name}.asic.v")]
    shell = top_shell(top_v, cell_v, top_name, cell_name, work / "shell")
    # The shell's netlist is named as the top-only Verilog is (``<top>_top.v``).
    jobs = [("top", shell, top_name, 1, False, f"{top_name}_top.asic.v")]
    if flow.unit == "column":
        return jobs + [("column", cell_v, cell_name, flow.units(spec), booth,
                        f"{cell_name}.asic.v")]
    text = cell_v.read_text()
    for ctx, n in edge_contexts(spec.array.rows, spec.array.cols).items():
        name, wrapped = edge_wrapper(text, cell_name, ctx)
        path = work / f"{name}.v"
        path.write_text(wrapped)
        jobs.append((ctx, path, name, n, booth, f"{name}.asic.v"))
    return jobs


def _empty(reason, liberty=None, clock_mhz=None):
    return {"liberty": liberty, **{k: None for k in _FIELDS}, "clock_mhz": clock_mhz,
            "conditions": PRE_LAYOUT, "reason": reason}


def array_asic_target(spec, out_dir, exported, *, liberty=None, clock_mhz=DEFAULT_CLOCK_MHZ,
                      pe_booth=None, jobs=2, partition=None, adders=None):
    """``array.targets.asic``: area, critical path, vectorless power and energy per MAC.

    Parameters
    ----------
    spec : Spec
        A spec with an ``array`` section.
    out_dir : pathlib.Path
        The build directory: each part's cell netlist is written there
        (``<module>.asic.v``), and the work directories made (and removed) in it.
    exported : dict
        :func:`~shiftgen.export.array.export_array` output for ``spec`` (for
        a constant array: ``verilog``, ``top_name`` and the same for ``cell``).
    liberty : pathlib.Path, optional
        Default :func:`~shiftgen.synth.liberty.find_liberty`.
    clock_mhz : float
        Clock of the power figure; refused if the critical path does not fit its period.
    pe_booth : dict, optional
        ``{target: bool}``, the PE's winning candidates
        (:func:`~shiftgen.synth.flow_files.booth_choice`): a unit that multiplies
        runs the one its PE won in generic gates (the Yosys ``synth`` and ABC
        recipe the liberty mapping shares) instead of both.
    jobs : int
        Parts mapped at once.
    partition : list of list of str, optional
        A constant array's column groups (:func:`~shiftgen.synth.constant.parts`),
        mapped one by one as its xilinx7 figures are.
    adders : int, optional
        A constant array's adder count (its kept graph's); above
        :data:`CONSTANT_ADDERS` the array is not mapped and ``reason`` says why.

    Returns
    -------
    dict
        ``liberty``, ``liberty_sha256``, ``method``, ``unit``, ``area_um2``,
        ``sequential_area_um2``, ``cells``, ``cells_by_type``,
        ``critical_path_ns``, ``fmax_mhz``, ``critical_part``,
        ``reset_is_critical``, ``data_path_ns`` and ``data_fmax_mhz`` (the
        longest path not from ``rst``), ``clock_mhz``, ``meets_clock``,
        ``power_mw: {"vectorless": {internal, switching, leakage, total}}``,
        ``energy_pj_per_mac: {"vectorless": pJ}``, ``macs_per_cycle``,
        ``activity``, ``conditions``, ``tools``, ``parts`` (each part's
        ``instances``, figures, ``paths_ns``, ``netlist``, ``recipe`` and
        ``seconds``) and ``seconds``. A figure that cannot be made is
        ``None`` and ``reason`` says why: no liberty, no ``sta``, a clock
        the array cannot meet, a constant array of too many adders.

    Raises
    ------
    ToolError
        As :func:`~shiftgen.synth.asic.asic_area` and
        :func:`~shiftgen.synth.sta.timing_and_power`, except that a missing
        ``sta`` is a ``reason``.
    InputError
        If ``liberty`` cannot be read or lacks a cell the flow needs.
    """
    from ..hdl.dataflows import dataflow
    start = time.monotonic()
    out_dir = Path(out_dir)
    clock_mhz = float(clock_mhz)
    if liberty is None:
        liberty = find_liberty()
        if liberty is None:
            return _empty(missing_reason(), clock_mhz=clock_mhz)
    library = read_library(liberty)
    flow = dataflow(spec)
    cfg = spec.array
    macs = cfg.rows * cfg.cols
    if flow.unit == "array" and adders is not None and adders > CONSTANT_ADDERS:
        return _empty(_CONSTANT_SKIPPED.format(adders=adders, bound=CONSTANT_ADDERS),
                      library.name, clock_mhz)
    unit_text = Path(exported["cell"]).read_text()
    booth = (bool(pe_booth["generic"]) if pe_booth and "generic" in pe_booth else None) \
        if has_multiplier(unit_text) else False
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".asic-array-") as work:
        parts = _jobs(spec, Path(work), exported, booth)
        runs = [(name, verilog, top, n, b, out_dir, library.path, clock_mhz, netlist,
                 partition if name == "array" else None)
                for name, verilog, top, n, b, netlist in parts]
        # The unit (the long run) goes first, the top beside it.
        results = parallel_map(_measure, runs[1:] + runs[:1], jobs)
    measured = {name: part for name, part, _ in results}
    measured = {name: measured[name] for name, *_ in parts}  # the top first
    counted = [(p["instances"], p) for p in measured.values()]
    types = sorted(set().union(*(p["cells_by_type"] for p in measured.values())))
    out = {"liberty": library.name, "liberty_sha256": library.sha256,
           "method": {"cell": CELL_METHOD, "column": COLUMN_METHOD}.get(flow.unit,
                                                                         CONSTANT_METHOD),
           "unit": flow.unit, "instances": flow.units(spec),
           "area_um2": round(sum(n * p["area_um2"] for n, p in counted), 6),
           "sequential_area_um2": round(sum(n * p["sequential_area_um2"] for n, p in counted), 6),
           "cells": sum(n * p["cells"] for n, p in counted),
           "cells_by_type": {k: sum(n * p["cells_by_type"].get(k, 0) for n, p in counted)
                             for k in types},
           "clock_mhz": clock_mhz, "macs_per_cycle": macs, "conditions": PRE_LAYOUT,
           "tools": {"yosys": results[0][2]}, "parts": measured}
    if find_sta() is None:
        out.update({k: None for k in _FIELDS[1:]}, reason=NO_STA)
        out["seconds"] = round(time.monotonic() - start, 2)
        return out
    out["tools"]["sta"] = sta_version()
    slowest = max(measured, key=lambda k: measured[k]["critical_path_ns"])
    path = measured[slowest]["critical_path_ns"]
    # Without the reset net (unbuffered pre-layout: one input to every flip-flop).
    data = max(v for p in measured.values() for k, v in p["paths_ns"].items()
               if k != "rst2reg" and v is not None)
    out.update({"critical_path_ns": path, "fmax_mhz": round(1000.0 / path, 3),
                "critical_part": slowest, "meets_clock": path <= 1000.0 / clock_mhz,
                "reset_is_critical": measured[slowest]["paths_ns"].get("rst2reg") == path,
                "data_path_ns": data, "data_fmax_mhz": round(1000.0 / data, 3)})
    if not out["meets_clock"]:
        # A power figure at a clock the array cannot run at would mean nothing.
        for p in measured.values():
            p["power_mw"] = None
        out.update({"power_mw": None, "energy_pj_per_mac": None,
                    "reason": f"power refused: the critical path of {path:.3f} ns (the "
                              f"{slowest}'s{RESET_NOTE if out['reset_is_critical'] else ''}) "
                              f"does not fit the {1000 / clock_mhz:.3f} ns period "
                              f"of {clock_mhz:g} MHz (fmax {out['fmax_mhz']:.1f} MHz; "
                              f"without the reset net {data:.3f} ns, "
                              f"{out['data_fmax_mhz']:.1f} MHz)"})
    else:
        power = _sum_power(counted)
        activity = measured[slowest]["activity"]
        out.update({"power_mw": {"vectorless": power},
                    "energy_pj_per_mac": {"vectorless": energy_pj(power["total"], clock_mhz,
                                                                  macs)},
                    "activity": {"vectorless": f"every net of every part toggles {activity} "
                                               "times per clock period (set_power_activity "
                                               "-global)"}})
    out["seconds"] = round(time.monotonic() - start, 2)
    return out
