"""Yosys synthesis of a MAC array, hierarchically or flattened.

The array's unit is its dataflow's (:mod:`shiftgen.hdl.dataflows`): the
systolic cell (``R * C`` instances) or the broadcast column (``C``
instances; :data:`COLUMN_METHOD`). What follows describes the systolic cell;
a broadcast column is synthesized alike, with no edge contexts (every
column sees the same ports) and nothing crossing its boundary to optimize
but its ports, so the hierarchical figure stays close to a flattened run's
(checked at 8 x 8 and 16 x 16 in the tests).

Flattening a large array in WebAssembly Yosys is slow and memory-hungry (a
flattened 32 x 32 PoT array: 155 s, 1.1 GB), so the array is reported
hierarchically by default (:data:`METHOD`):

- the cell module ``<name>_cell`` is synthesized once, alone, with the PE's
  recipes and candidate choice (:mod:`shiftgen.synth.pe`: ``booth`` is a
  candidate when the cell multiplies, the best by merit is kept);
- the top ``<name>_array`` is synthesized once with the cell read as a black
  box (``read_verilog -lib``) and without ``-flatten``, which maps only the
  top's own logic: input skew registers, the valid chain and any shared SQ
  load decoders. The black-box instances are counted apart, never as logic;
- every figure is summed by instance count: ``total = top + R * C * cell``.

The generic target's depth is the cell's: the array is pipelined per cell.

Cross-boundary optimization is what this leaves out. A flattened run of the
same Verilog removes the last column's ``a_out`` registers (nobody reads
them: ``R * act_bits`` flip-flops) and, in row 0, whose ``psum_in`` is the
constant 0, the adder and the partial-sum bits that only repeat the
product's sign. It may narrow the next rows' partial sums the same way (row
``r`` holds at most ``r + 1`` products, fewer bits than ``psum_bits``), and
it merges registers that are equal in every cell (a per-PE QPS table written
from the array's broadcast ports). So the hierarchical flip-flop count lies
above a flattened run's, by a share that shrinks roughly as ``1 / R`` (but for
such merged registers). :func:`compare` gives the difference.

The cell's LUT count also depends on how ABC9 meets its netlist: the same
gates map to fewer LUTs for some cells when their names carry a hierarchy
prefix, as in a flattened array (APoT 4-bit: 41 LUTs alone, 33 in a wrapper,
33 per interior cell of a flat array; AUSN 8/4 and 8/5 alike), and the plain
method multiplies the cell's one sample by ``R * C``.

``edges=True`` (:data:`EDGE_METHOD`) follows a flattened run more closely:
the cell is synthesized in a wrapper, flattened, in each of its four
contexts (interior; row 0 with ``psum_in = 0``; the last column with
``a_out`` unconnected; the corner with both), each counted by its number of
instances. What remains is the narrowing of rows below row 0 and the
merging of equal registers.
"""

import re
import tempfile
import time
from pathlib import Path

from ..export.array import export_array
from ..hdl.dataflows import dataflow
from ..errors import ToolError
from .recipes import has_multiplier
from .run import best_candidate, run_candidate
from ..tools.process import parallel_map
from ..tools.yosys import find_yosys

__all__ = ["METHOD", "COLUMN_METHOD", "EDGE_METHOD", "FLAT_METHOD", "TOTAL_KEYS", "edge_contexts",
           "edge_wrapper", "synthesize_array", "compare"]

METHOD = ("hierarchical: the cell module is synthesized once alone (the PE recipes, best "
          "candidate by merit) and the array top once with the cell as a black box "
          "(read_verilog -lib, no -flatten: skew registers, valid chain, shared decoders); "
          "every figure is top + R*C * cell; the generic depth is the cell's. No optimization "
          "across cell boundaries (row 0's constant psum_in, the last column's unread a_out, "
          "registers equal in every cell), as a flattened run would make.")

COLUMN_METHOD = ("hierarchical by column: the column module (its weight shift chain, its R cells' "
                 "product logic, its exact column sum and output register) is synthesized once "
                 "alone (the PE recipes, best candidate by merit) and the array top once with "
                 "the column as a black box (read_verilog -lib, no -flatten: the input "
                 "register, the row-shared terms computed once per row, the valid chain, the "
                 "load path); every figure is top + C * column; the generic depth is the "
                 "column's. A column of more than one chain is mapped chain by "
                 "chain: each chain (the input cone of its last, keep-marked sum, up to "
                 "registers and ports) moved into a submodule (select, submod) and the column "
                 "synthesized without -flatten (generic: flattened after mapping, for its "
                 "depth), since ABC's time grows about as the square "
                 "of the netlist; the chains' sums are kept wires, so little would cross "
                 "those boundaries in a whole-column run. A column that multiplies runs "
                 "the candidate (plain or booth) its PE won in the same build.")

EDGE_METHOD = ("hierarchical with edge contexts: as the hierarchical method, but the cell is "
               "synthesized flattened in a wrapper for each context it has in the array: "
               "interior, row 0 (psum_in = 0), last column (a_out unconnected), corner (both); "
               "every figure is top + the sum over contexts of instances * context figures.")

FLAT_METHOD = ("flattened: the combined array Verilog (cell + top) synthesized as one design "
               "with -flatten, with the recipe the cell got in the hierarchical method.")

#: Figures summed by instance count, per target (``cells`` is summed per type too).
TOTAL_KEYS = {
    "xilinx7": ("LUT", "FF", "CARRY4", "LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6",
                "MUXF7", "MUXF8"),
    "generic": ("total",),
}


def _timed(fn, *args, **kwargs):
    start = time.monotonic()
    out = fn(*args, **kwargs)
    return {**out, "seconds": round(time.monotonic() - start, 2)}


def _run_all(runs, jobs):
    """Run ``(key, fn, args, kwargs)`` jobs, ``jobs`` at once, in order; ``{key: result}``."""
    results = parallel_map(lambda run: _timed(run[1], *run[2], **run[3]), runs, jobs)
    return {run[0]: result for run, result in zip(runs, results)}


def _candidate_name(booth):
    return "booth" if booth else "plain"


def _sum(target, parts, depth=None):
    """``sum(count * figures)`` over ``(count, figures)`` pairs, per figure and cell type."""
    totals = {k: sum(n * f.get(k, 0) for n, f in parts) for k in TOTAL_KEYS[target]
              if any(k in f for _, f in parts)}
    types = sorted(set().union(*(f["cells"] for _, f in parts)))
    totals["cells"] = {k: sum(n * f["cells"].get(k, 0) for n, f in parts) for k in types}
    if target == "generic":
        totals["depth"] = depth
    return totals


def _strip(figures):
    return {k: v for k, v in figures.items() if k != "candidates"}


def edge_contexts(rows, cols):
    """Instances of the cell per edge context: ``{context: count}`` (zero counts left out).

    ``interior``: neither edge; ``row0``: row 0 (``psum_in = 0``) but not the
    last column; ``last_col``: the last column (``a_out`` unread) but not row 0;
    ``corner``: both.
    """
    counts = {"interior": (rows - 1) * (cols - 1), "row0": cols - 1, "last_col": rows - 1,
              "corner": 1}
    return {k: v for k, v in counts.items() if v}


_PORT = re.compile(r"^\s*(input|output)\s+(signed\s+)?(\[\d+:\d+\]\s+)?\\?([\w$]+)\s*;",
                   flags=re.M)


def edge_wrapper(cell_text, cell_name, context):
    """The cell's Verilog and a wrapper module that connects it as in ``context``.

    ``interior`` passes every port through; ``row0`` ties ``psum_in`` to 0,
    ``last_col`` leaves ``a_out`` unconnected, ``corner`` does both.
    Returns ``(wrapper name, Verilog text)``.
    """
    tie_psum = context in ("row0", "corner")
    open_a_out = context in ("last_col", "corner")
    ports = _PORT.findall(cell_text.split(f"module {cell_name}", 1)[1].split("endmodule", 1)[0])
    kept, conns = [], []
    for direction, signed, width, name in ports:
        if name == "psum_in" and tie_psum:
            bits = int(width.strip()[1:].split(":")[0]) + 1 if width else 1
            conns.append(f"    .psum_in({bits}'d0)")
        elif name == "a_out" and open_a_out:
            conns.append("    .a_out()")
        else:
            kept.append((direction, signed, width, name))
            conns.append(f"    .{name}({name})")
    name = f"{cell_name}_{context}"
    lines = [cell_text, f"module {name}({', '.join(p[3] for p in kept)});"]
    lines += [f"  {d} {s}{w}{n};" for d, s, w, n in kept]
    lines += [f"  {cell_name} cell (", ",\n".join(conns), "  );", "endmodule", ""]
    return name, "\n".join(lines)


def synthesize_array(spec, out_dir, exported=None, targets=("xilinx7", "generic"),
                     flatten=False, *, edges=False, booth=None, jobs=2, pe_booth=None):
    """Synthesize the array of ``spec`` for each target; figures per target.

    Parameters
    ----------
    spec : Spec
        A spec with an ``array`` section.
    out_dir : pathlib.Path
        Build directory: the export goes there when ``exported`` is None, and
        the Yosys work directories are made (and removed) inside it, since
        YoWASP sees only the current directory tree.
    exported : dict, optional
        :func:`~shiftgen.export.array.export_array` output for ``spec``.
    targets : iterable of str
    flatten : bool
        Synthesize the combined file flattened instead (slow on large arrays:
        for checking the hierarchical method on small ones).
    edges : bool
        Hierarchical systolic arrays only: also synthesize the cell in each of
        its contexts (:data:`EDGE_METHOD`), as a flattened run optimizes it.
    booth : bool or dict, optional
        Flattened only: use the ``booth`` recipe (per target, as a dict).
        Default: the candidate the cell gets, which runs the cell candidates
        first when the cell multiplies.
    jobs : int
        Yosys processes run at once.
    pe_booth : dict, optional
        Per target, whether the PE's winning candidate was ``booth``
        (:func:`shiftgen.synth.flow_files.booth_choice`): a unit that
        multiplies then runs that candidate only, not both (a 64-row column of
        8 x 8 multipliers: minutes per candidate). Default: both candidates.

    Returns
    -------
    dict
        ``{"method": ..., "seconds": wall time, target: {...}}`` (with
        ``edges``, also ``edge_seconds``: the wall time of the edge runs,
        made after the others). Hierarchical,
        per target: ``cell`` and ``top`` (figures and recipe of each run; the
        top lists the black-box instances under ``blackboxes``),
        ``instances`` (``R * C``), ``totals``, ``recipe`` (``{"cell", "top"}``),
        ``candidate`` (the cell's: ``plain`` or ``booth``), ``candidates``
        (every cell candidate), ``yosys`` and ``seconds`` (Yosys run time
        of the target, summed over its runs); with ``edges``, also
        ``contexts`` (instances and figures per context) and
        ``uniform_totals`` (``top + R * C * cell``, what ``totals`` is without
        edges). Flattened: ``totals``, ``recipe``, ``candidate``,
        ``instances``, ``yosys``, ``seconds`` (and ``cell`` when the cell was
        synthesized to pick the recipe).

    Raises
    ------
    ToolError
        If Yosys fails, or the top does not hold one instance of the unit per
        unit of the array (``R * C`` cells or ``C`` columns).
    ValueError
        If ``edges`` is asked of an array whose unit is not a cell.
    """
    start = time.monotonic()
    out_dir = Path(out_dir)
    targets = tuple(targets)
    if spec.array is None:
        raise ValueError(f"Spec {spec.name!r} has no array section")
    if exported is None:
        out_dir.mkdir(parents=True, exist_ok=True)
        exported = export_array(spec, out_dir)
    rows, cols = spec.array.rows, spec.array.cols
    flow = dataflow(spec)
    count = flow.units(spec)
    if edges and flow.unit != "cell":
        raise ValueError(f"Edge contexts are for a systolic cell, not a {flow.unit}")
    cell_v, top_v = Path(exported["cell"]), Path(exported["top"])
    cell_name, top_name = exported["cell_name"], exported["top_name"]
    version = find_yosys().version
    multiplies = has_multiplier(cell_v.read_text())

    # The long runs go first, the others fill the other worker: a systolic top
    # (R * C instances) outlasts its cell, a broadcast column its top.
    tops, units = [], []
    if not flatten:
        tops = [(("top", t, False), run_candidate, (top_v, top_name, t, False),
                 {"libs": (cell_v,), "flatten": False, "depth": False}) for t in targets]
    need_cell = not flatten or (booth is None and multiplies)
    if need_cell:
        # A large unit is mapped part by part (generic flattens it after mapping,
        # for its depth).
        parts = flow.partition(spec.array)
        def tried(t):
            if not multiplies:
                return (False,)
            return (bool(pe_booth[t]),) if pe_booth and t in pe_booth else (False, True)
        units = [(("cell", t, b), run_candidate, (cell_v, cell_name, t, b),
                  {"partition": parts} if parts else {})
                 for t in targets for b in tried(t)]
    runs = tops + units if flow.unit == "cell" else units + tops
    results = _run_all(runs, jobs)
    cells = {t: best_candidate(t, [r for (kind, tt, _), r in results.items()
                          if kind == "cell" and tt == t])
             for t in targets} if need_cell else {}

    if flatten:
        out = {"method": FLAT_METHOD}
        choice = {}
        for t in targets:
            if isinstance(booth, dict):
                choice[t] = bool(booth.get(t, False))
            elif booth is not None:
                choice[t] = bool(booth)
            else:
                choice[t] = t in cells and "booth" in cells[t]["recipe"]
        flat = _run_all([(t, run_candidate, (exported["verilog"], top_name, t, choice[t]), {})
                         for t in targets], jobs)
        for t in targets:
            res = flat[t]
            entry = {"totals": {k: v for k, v in res.items() if k not in ("recipe", "seconds")},
                     "recipe": res["recipe"], "candidate": _candidate_name(choice[t]),
                     "unit": flow.unit, "instances": count, "yosys": version, "seconds": res["seconds"]}
            if t in cells:
                entry["cell"] = _strip(cells[t])
            out[t] = entry
        out["seconds"] = round(time.monotonic() - start, 2)
        return out

    contexts = edge_contexts(rows, cols) if edges else {}
    ctx_results = {}
    edge_start = time.monotonic()
    if contexts:
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".edges-") as tmp:
            runs = []
            for ctx in contexts:
                name, text = edge_wrapper(cell_v.read_text(), cell_name, ctx)
                path = Path(tmp) / f"{name}.v"
                path.write_text(text)
                runs += [((ctx, t), run_candidate,
                          (path, name, t, "booth" in cells[t]["recipe"]), {}) for t in targets]
            ctx_results = _run_all(runs, jobs)

    out = {"method": EDGE_METHOD if edges else METHOD if flow.unit == "cell" else COLUMN_METHOD}
    for t in targets:
        cell, top = cells[t], results[("top", t, False)]
        if top["blackboxes"] != {cell_name: count}:
            raise ToolError(f"{top_name}: expected {count} instances of {cell_name} as black "
                            f"boxes, Yosys found {top['blackboxes']}")
        plain = _sum(t, [(1, top), (count, cell)], cell.get("depth"))
        seconds = top["seconds"] + sum(r["seconds"] for (kind, tt, _), r in results.items()
                                       if kind == "cell" and tt == t)
        entry = {"cell": _strip(cell), "unit": flow.unit, "top": top, "instances": count,
                 "totals": plain,
                 "recipe": {"cell": cell["recipe"], "top": top["recipe"]},
                 "candidate": _candidate_name("booth" in cell["recipe"]),
                 "candidates": cell["candidates"], "yosys": version}
        if edges:
            parts = [(1, top)]
            entry["contexts"] = {}
            for ctx, n in contexts.items():
                res = ctx_results[(ctx, t)]
                parts.append((n, res))
                seconds += res["seconds"]
                entry["contexts"][ctx] = {"instances": n, **res}
            entry["totals"] = _sum(t, parts, cell.get("depth"))
            entry["uniform_totals"] = plain
        entry["seconds"] = round(seconds, 2)
        out[t] = entry
    if edges:
        out["edge_seconds"] = round(time.monotonic() - edge_start, 2)
    out["seconds"] = round(time.monotonic() - start, 2)
    return out


def compare(hierarchical, flattened, keys=None):
    """Per cent difference of hierarchical totals over flattened ones.

    Parameters
    ----------
    hierarchical, flattened : dict
        :func:`synthesize_array` results.
    keys : dict, optional
        ``{target: figures}`` to compare; default :data:`TOTAL_KEYS`.

    Returns
    -------
    dict
        ``{target: {key: {"hierarchical": h, "flattened": f, "diff": h - f,
        "percent": 100 * (h - f) / f}}}`` for the targets both results hold
        (``percent`` is None when ``f`` is 0).
    """
    out = {}
    for t, summed in TOTAL_KEYS.items():
        if t not in hierarchical or t not in flattened:
            continue
        h_tot, f_tot = hierarchical[t]["totals"], flattened[t]["totals"]
        out[t] = {}
        for k in (keys or {}).get(t, summed):
            h, f = h_tot.get(k, 0), f_tot.get(k, 0)
            out[t][k] = {"hierarchical": h, "flattened": f, "diff": h - f,
                         "percent": round(100 * (h - f) / f, 2) if f else None}
    return out
