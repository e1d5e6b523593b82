"""Standard-cell area of an exported Verilog file, by default in the OSU 0.18 um cells.

The liberty comes from :mod:`shiftgen.synth.liberty`. The recipe is ``synth -flatten`` (which maps the accumulator's synchronous
reset into logic before the flip-flops), ``dfflibmap`` and ``abc`` against the
liberty for the clock (:func:`abc_command`: timing-driven, with buffering and
sizing), then ``stat -liberty``. As in :mod:`shiftgen.synth.pe`, a design that
multiplies is also run with ``-booth`` and the smaller area is kept, so a
multiplier baseline always gets its strongest recipe. Without a liberty the
result says so (``area_um2`` is ``None``, with a ``reason``) instead of failing.
"""

import json
import tempfile
from pathlib import Path

from ..errors import ToolError
from ..tools.process import parallel_map
from ..tools.yosys import find_yosys
from .liberty import find_liberty, missing_reason, read_library
from .recipes import has_multiplier, partition_commands

__all__ = ["asic_area", "asic_target", "datapath_figures", "check_mapped", "energy_pj",
           "abc_command", "DEFAULT_CLOCK_MHZ"]

#: The clock of the power figures when none is given (seed 002 Fig. 4 uses 250 MHz
#: at 5 nm; 100 MHz suits the 0.18 um default library).
DEFAULT_CLOCK_MHZ = 100.0


def check_mapped(top, cells, library_cells, liberty_name):
    """Raise :class:`ToolError` if any cell is not one of the liberty's."""
    unmapped = sorted(k for k in cells if k not in library_cells)
    if unmapped:
        raise ToolError(f"{top}: cells not mapped to {liberty_name}: {', '.join(unmapped)}")


def abc_command(lib, driver_cell, clock_mhz, work):
    """The ``abc`` mapping command for ``clock_mhz``; writes its constraint file into ``work``.

    ABC maps for a delay target of one clock period (``-D``, in ps) and, given
    the driving cell of the inputs (``-constr``: the library's flip-flop, as
    OpenSTA drives them), buffers high-fanout nets and sizes gates (``buffer;
    upsize; dnsize`` in Yosys's script), as a synthesis tool fixes the
    library's load and slew limits before layout. Without it one inverter
    drives a weight-load enable or reset of hundreds of flip-flops (11 pF on
    an INVX1 whose limit is 0.5 pF in a 64-row column: 96 ns), and an array's
    critical path is that net, not its logic. Outputs carry no load, as in
    OpenSTA (:func:`~shiftgen.synth.sta.setup_commands`).
    """
    (work / "abc.constr").write_text(f"set_driving_cell {driver_cell}\n")
    return f"abc -liberty {lib} -constr abc.constr -D {round(1e6 / clock_mhz)}"


def _candidate(verilog_text, top, liberty_text, liberty_name, library_cells, booth, work,
               partition, driver_cell, clock_mhz):
    (work / "design.v").write_text(verilog_text)
    (work / liberty_name).write_text(liberty_text)
    lib = liberty_name
    abc = abc_command(lib, driver_cell, clock_mhz, work)
    booth_flag = " -booth" if booth else ""
    if partition:
        # Each part a module of its own, mapped alone (ABC's time grows about as the
        # square of its netlist), then flattened for one netlist and one stat.
        body = [f"hierarchy -top {top}", *partition_commands(top, partition),
                f"synth -top {top}{booth_flag}", f"dfflibmap -liberty {lib}",
                abc, "flatten", "opt_clean -purge", f"stat -liberty {lib}"]
    else:
        body = [f"synth -flatten -top {top}{booth_flag}",
                f"dfflibmap -liberty {lib}", abc, "opt_clean -purge",
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
    return {"area_um2": float(module["area"]), "_netlist": (work / "netlist.v").read_text(),
            "sequential_area_um2": float(module.get("sequential_area", 0.0)),
            "cells": sum(cells.values()), "cells_by_type": dict(sorted(cells.items())),
            "recipe": _recipe_text(body, top, partition)}


def _recipe_text(body, top, partition):
    """``body`` as the report gives it: a part's select commands (every wire named) counted."""
    if not partition:
        return "; ".join(body)
    moved = len(partition_commands(top, partition))
    return "; ".join([body[0], f"proc; opt_clean; {len(partition)} parts each moved into a "
                               "submodule (select, submod)", *body[1 + moved:]])


def asic_area(verilog_path, top, liberty=None, work_dir=None, booth=None, netlist=False,
              partition=None, clock_mhz=DEFAULT_CLOCK_MHZ):
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
    netlist : bool
        Also return the chosen candidate's cell netlist (Verilog text) under ``_netlist``.
    partition : list of list of str, optional
        Wire names of parts of a flat module (a constant array's column groups,
        :func:`~shiftgen.synth.constant.parts`) mapped one by one
        (:func:`~shiftgen.synth.recipes.partition_commands`), then flattened.
    clock_mhz : float
        The clock ABC maps for (:func:`abc_command`): the area is the
        netlist's at that clock, as its timing and power are.

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
        If Yosys fails, or the netlist keeps cells that are not the liberty's.
    InputError
        If ``liberty`` cannot be read or lacks a cell the flow needs
        (:func:`~shiftgen.synth.liberty.read_library`).
    """
    if liberty is None:
        liberty = find_liberty()
        if liberty is None:
            return {"area_um2": None, "reason": missing_reason()}
    library = read_library(liberty)
    liberty = library.path
    liberty_text = liberty.read_text()
    library_cells = library.cells
    verilog_path = Path(verilog_path)
    verilog_text = verilog_path.read_text()
    booths = (False, True) if booth is None and has_multiplier(verilog_text) \
        else (bool(booth),)

    def candidate(b):
        args = (verilog_text, top, liberty_text, liberty.name, library_cells, b)
        if work_dir is not None:
            work = Path(work_dir) / ("booth" if b else "plain")
            work.mkdir(parents=True, exist_ok=True)
            return _candidate(*args, work, partition, library.driver[0], clock_mhz)
        with tempfile.TemporaryDirectory(dir=verilog_path.parent, prefix=".asic-") as tmp:
            return _candidate(*args, Path(tmp), partition, library.driver[0], clock_mhz)

    # Both recipes at once, as the PE's LUT candidates run (synth.pe): each is one Yosys.
    cands = parallel_map(candidate, booths, len(booths))
    best = {k: v for k, v in min(cands, key=lambda c: (c["area_um2"], c["cells"])).items()
            if k != "_netlist" or netlist}
    return {**best, "liberty": liberty.name, "yosys": find_yosys().version,
            "candidates": [{k: c[k] for k in ("recipe", "area_um2", "cells")} for c in cands]}


def energy_pj(power_mw, clock_mhz, macs_per_cycle):
    """pJ per MAC of ``power_mw`` at ``clock_mhz`` shared by ``macs_per_cycle`` MACs."""
    # mW / MHz = nJ per cycle.
    return round(power_mw / clock_mhz * 1e3 / macs_per_cycle, 6)


def asic_target(verilog_path, top, out_dir, *, clock_mhz=DEFAULT_CLOCK_MHZ, liberty=None,
                macs_per_cycle=1, spec=None):
    """The ``targets.asic`` figures of a build: area, timing, power, energy per MAC.

    The area's cell netlist is written to ``out_dir/<top>.asic.v`` and timed
    and powered by OpenSTA (:func:`shiftgen.synth.sta.timing_and_power`,
    vectorless: every net toggles 0.5 times a period). A figure that cannot
    be made says why under ``reason`` (no liberty, no ``sta``) and the others stay.

    Parameters
    ----------
    verilog_path : pathlib.Path
    top : str
    out_dir : pathlib.Path
        The build directory.
    clock_mhz : float
    liberty : pathlib.Path, optional
        Default :func:`find_liberty`.
    macs_per_cycle : int
        MACs the design does per clock (a PE: 1).
    spec : Spec, optional
        The PE's spec: with it, power is also measured at the activity of a
        gate-level run of the netlist on the PE's random stream
        (:func:`shiftgen.synth.activity.simulated_power`), reported as
        ``simulated`` beside ``vectorless``, with that run's accumulator
        mismatches under ``gate_level``.

    Returns
    -------
    dict
        ``liberty``, ``area_um2``, ``netlist`` (the file name),
        ``critical_path_ns``, ``fmax_mhz``, ``paths_ns``, ``clock_mhz``,
        ``power_mw: {"vectorless": {internal, switching, leakage, total}}``,
        ``energy_pj_per_mac: {"vectorless": ...}``, ``conditions``, ``tools``,
        ``recipe``, with ``spec`` also ``datapath`` (:func:`datapath_figures`);
        or ``area_um2: None`` and ``reason``.

    Raises
    ------
    ToolError
        As :func:`asic_area` and :func:`~shiftgen.synth.sta.timing_and_power`,
        except that a missing ``sta`` is a ``reason``.
    """
    from .sta import find_sta, timing_and_power
    area = asic_area(verilog_path, top, liberty=liberty, netlist=True, clock_mhz=clock_mhz)
    if area.get("area_um2") is None:
        return {"area_um2": None, "reason": area["reason"]}
    out_dir = Path(out_dir)
    name = f"{top}.asic.v"
    (out_dir / name).write_text(area.pop("_netlist"))
    library = read_library(liberty if liberty is not None else find_liberty())
    lib = library.path
    out = {"liberty": lib.name, "liberty_sha256": library.sha256, "area_um2": area["area_um2"],
           "sequential_area_um2": area["sequential_area_um2"], "cells": area["cells"],
           "cells_by_type": area["cells_by_type"], "netlist": name, "recipe": area["recipe"],
           "candidates": area["candidates"], "clock_mhz": float(clock_mhz),
           "tools": {"yosys": area["yosys"]}}
    if find_sta() is None:
        return {**out, "critical_path_ns": None, "fmax_mhz": None, "power_mw": None,
                "energy_pj_per_mac": None,
                "reason": "timing and power: OpenSTA (sta) not installed; "
                          "apt-get install opensta"}
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".sta-") as tmp:
        sta = timing_and_power(out_dir / name, top, lib, clock_mhz=clock_mhz,
                               work_dir=Path(tmp))
    power = sta["power_mw"]
    timing = {"critical_path_ns": sta["critical_path_ns"], "fmax_mhz": sta["fmax_mhz"],
              "paths_ns": sta["paths_ns"], "meets_clock": sta["meets_clock"],
              "conditions": sta["conditions"]}
    out["tools"]["sta"] = sta["tool"]
    if not sta["meets_clock"]:
        # A power figure at a clock the design cannot run at would mean nothing.
        return {**out, **timing, "power_mw": None, "energy_pj_per_mac": None,
                "reason": f"power refused: the critical path of {sta['critical_path_ns']:.3f} ns "
                          f"does not fit the {1000 / clock_mhz:.3f} ns period of {clock_mhz:g} "
                          f"MHz (fmax {sta['fmax_mhz']:.1f} MHz)"}
    out.update({"critical_path_ns": sta["critical_path_ns"], "fmax_mhz": sta["fmax_mhz"],
                "paths_ns": sta["paths_ns"], "meets_clock": sta["meets_clock"],
                "power_mw": {"vectorless": power},
                "energy_pj_per_mac": {"vectorless": energy_pj(power["total"], clock_mhz,
                                                               macs_per_cycle)},
                "activity": {"vectorless": f"every net toggles {sta['activity']} times per "
                                           "clock period (set_power_activity -global)"},
                "conditions": sta["conditions"]})
    if spec is not None:
        out["datapath"] = datapath_figures(spec, out_dir, clock_mhz=clock_mhz, liberty=lib,
                                           macs_per_cycle=macs_per_cycle)
        from .activity import simulated_power
        sim = simulated_power(spec, out_dir / name, lib, clock_mhz=clock_mhz, work_dir=out_dir)
        if sim["power_mw"] is None:
            out["power_mw"]["simulated"] = None
            out["energy_pj_per_mac"]["simulated"] = None
            out["activity"]["simulated"] = sim["reason"]
        else:
            out["power_mw"]["simulated"] = sim["power_mw"]
            out["energy_pj_per_mac"]["simulated"] = energy_pj(sim["power_mw"]["total"],
                                                               clock_mhz, macs_per_cycle)
            out["activity"]["simulated"] = (f"{sim['source']}; mean {sim['mean_activity']} "
                                            "toggles per period")
            out["gate_level"] = {"cases": sim["steps"], "mismatches": sim["mismatches"]}
    return out


def datapath_figures(spec, out_dir, *, clock_mhz, liberty, macs_per_cycle=1):
    """Area, delay and vectorless power of the PE's combinational datapath alone.

    Seed 002 (section 5, Fig. 4) measures "only the combinational part" of
    each MAC unit: :class:`shiftgen.hdl.datapath.MacDatapath`, the product and
    the accumulator's adder without its register, mapped and timed as the
    PE is (inputs driven by the library's flip-flop, the output captured at
    the next edge of a virtual clock).

    Returns
    -------
    dict
        ``area_um2``, ``critical_path_ns``, ``power_mw: {"vectorless": ...}``,
        ``energy_pj_per_mac: {"vectorless": ...}``, ``what``; or ``reason``.
    """
    from ..export.verilog import export
    from ..hdl.datapath import MacDatapath
    from .sta import timing_and_power
    if spec.codebook.setup:
        return {"area_um2": None, "reason": "a programmable decoder's table is registers: "
                                            "no combinational datapath alone"}
    name = f"{spec.name}_datapath"
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".datapath-") as tmp:
        work = Path(tmp)
        _, verilog = export(spec, MacDatapath(spec), work, name=name)
        area = asic_area(verilog, name, liberty=liberty, netlist=True, clock_mhz=clock_mhz)
        netlist = work / f"{name}.asic.v"
        netlist.write_text(area.pop("_netlist"))
        sta = timing_and_power(netlist, name, liberty, clock_mhz=clock_mhz, work_dir=work)
    power = sta["power_mw"]
    return {"what": "product and accumulator adder, no register (seed 002 Fig. 4's "
                    "combinational part)",
            "area_um2": area["area_um2"], "cells": area["cells"], "recipe": area["recipe"],
            "critical_path_ns": sta["critical_path_ns"],
            "power_mw": {"vectorless": power},
            "energy_pj_per_mac": {"vectorless": energy_pj(power["total"], clock_mhz,
                                                           macs_per_cycle)}}
