"""Mutants of an exported MAC array: one cell's product wrong, every other cell untouched.

:func:`make_array_mutant` copies the array's unit module (the
weight-stationary cell or the broadcast column, see
:mod:`shiftgen.hdl.dataflows`), mutates the copy in one place of one
product, and has exactly one instance of the top use the copy:

- weight-stationary: the cell ``(row, col)`` instance (``cell_<row>_<col>``);
  only its product is wrong, so only column ``col``'s outputs can be;
- broadcast: the column ``col`` instance (``column_<col>``), whose copy has
  only row ``row``'s product wrong (the other rows' products, the weight
  chain and the sum are untouched).

The kinds are those of :mod:`shiftgen.verify.mutants`, confined to the one
product:

``sign``
    The weight's sign bit read inverted by the product (the weight chain
    still shifts the true code on, so the cells below or the next rows load
    the right weights).
``shift``
    One shift of the product off by one (a variable shifter's amount, or a
    constant shift turned into multiplexer wiring).
``mux``
    One datapath multiplexer of the product with its inputs swapped (never
    a reset or load multiplexer).
``select``
    One decode line of the product (a one-bit compare or reduction, such as
    the selects of an AND-OR multiplexer) inverted.

A unit that has no such place in its product (a broadcast column has no
shifter: its shifts are AND-OR selects) has no mutant of that kind.

The mutation is made, as for a PE, on the Yosys JSON netlist of the unit
after ``proc``. The copy, named ``<unit>_mutant``, is written back as
Verilog and appended to the array's Verilog; the top keeps its name and
ports, so :func:`~shiftgen.verify.cocotb_runner.run_cocotb_array` (and
:func:`~shiftgen.verify.formal_array.prove_array`) run on the mutant
unchanged.
"""

import json
import re
from collections import Counter
from pathlib import Path

from ..export.array import array_name
from ..hdl.dataflows import dataflow
from ..tools.yosys import find_yosys
from .mutants import Netlist, mutate_mux, mutate_shift, weight_sign_bit

__all__ = ["ARRAY_KINDS", "unit_instance", "make_array_mutant"]

ARRAY_KINDS = ("sign", "shift", "mux", "select")

# The multiplexers of the weight chain and the registers are selected by these ports.
_CONTROL_PORTS = ("w_load", "rst")
# One-bit decode cells (a select line of the product).
_SELECT_CELLS = ("$eq", "$ne", "$logic_not", "$reduce_or", "$reduce_and", "$reduce_bool")


def unit_instance(spec, row, col):
    """Name of the top's instance of the unit that forms the product of cell ``(row, col)``."""
    return f"cell_{row}_{col}" if dataflow(spec).unit == "cell" else f"column_{col}"


def _is_register(cell):
    return cell["type"].startswith(("$dff", "$adff", "$sdff", "$aldff", "$dlatch", "$ff"))


def _weight_chain(net):
    """The unit's weight registers in load order (row 0 first, fed by ``w_in``).

    Returns
    -------
    list of (list, set)
        Per row: the register's output bits and the load cells (the register
        and the load and reset multiplexers in front of it).
    """
    control = {b for p in _CONTROL_PORTS for b in net.ports.get(p, [])}
    driver = {}
    for name, cell in net.cells.items():
        for port in net.outputs(cell):
            for bit in cell["connections"][port]:
                driver[bit] = name

    def sources(bits, q, loads):
        # The data feeding register input ``bits`` through load/reset multiplexers:
        # neither constants nor the register's own output (the hold input).
        name = driver.get(bits[0])
        cell = net.cells.get(name)
        if (cell is not None and cell["type"] == "$mux" and cell["connections"]["Y"] == bits
                and cell["connections"]["S"][0] in control):
            loads.add(name)
            conn = cell["connections"]
            return sources(conn["A"], q, loads) + sources(conn["B"], q, loads)
        if all(isinstance(b, str) for b in bits) or bits == q:
            return []
        return [tuple(bits)]

    fed_by = {}
    for name, cell in net.cells.items():
        if cell["type"] == "$dff":
            q = cell["connections"]["Q"]
            loads = {name}
            src = sources(cell["connections"]["D"], q, loads)
            if len(src) == 1:
                fed_by[src[0]] = (q, loads)
    chain = []
    bits = tuple(net.ports["w_in"])
    while bits in fed_by:
        q, loads = fed_by.pop(bits)
        chain.append((q, loads))
        bits = tuple(q)
    return chain


def _product_cells(net, chain, row):
    """The cells only row ``row``'s weight reaches (its product's logic), up to registers.

    Logic that another row's weight also reaches (a broadcast column's sum,
    from the row's chain adder on) is not the row's own.
    """
    loads = set().union(*(cells for _, cells in chain))
    readers = {}
    for name, cell in net.cells.items():
        if name in loads or _is_register(cell):
            continue
        for port in net.inputs(cell):
            for bit in cell["connections"][port]:
                readers.setdefault(bit, set()).add(name)
    reach = Counter()
    mine = set()
    for r, (q, _) in enumerate(chain):
        seen, frontier = set(), list(q)
        while frontier:
            bit = frontier.pop()
            for name in readers.get(bit, ()):
                if name not in seen:
                    seen.add(name)
                    cell = net.cells[name]
                    for port in net.outputs(cell):
                        frontier += cell["connections"][port]
        reach.update(seen)
        if r == row:
            mine = seen
    return {name for name in mine if reach[name] == 1}


def _mutate(net, kind, chain, row, cell_spec):
    """Apply ``kind`` to row ``row``'s product; its description, or None."""
    cells = _product_cells(net, chain, row)
    control = {b for p in _CONTROL_PORTS for b in net.ports.get(p, [])}
    if kind == "sign":
        bit = chain[row][0][weight_sign_bit(cell_spec)]
        users = net.invert_at(bit, "$mutant$sign", cells=cells)
        return (f"the weight's sign bit inverted at {len(users)} input(s) of the "
                f"product") if users else None
    if kind == "shift":
        return mutate_shift(net, cells)
    if kind == "mux":
        datapath = {n for n in cells if net.cells[n]["type"] == "$mux"
                    and net.cells[n]["connections"]["S"][0] not in control}
        return mutate_mux(net, datapath)
    for name in sorted(cells):
        cell = net.cells[name]
        if cell["type"] in _SELECT_CELLS and len(cell["connections"]["Y"]) == 1:
            users = net.invert_at(cell["connections"]["Y"][0], "$mutant$select")
            if users:
                return f"{cell['type']} {name}: select inverted at {len(users)} input(s)"
    return None


def make_array_mutant(spec, verilog_path, out_dir, row, col, kind="sign"):
    """Write a mutant of the array in ``verilog_path`` whose cell ``(row, col)`` is wrong.

    Parameters
    ----------
    spec : Spec
        A spec with an ``array`` section.
    verilog_path : pathlib.Path
        The array's combined Verilog (:func:`~shiftgen.export.array.export_array`).
    out_dir : pathlib.Path
        Where ``<top>_mutant.v`` and the Yosys files go.
    row, col : int
        The cell whose product is wrong.
    kind : str
        One of :data:`ARRAY_KINDS`.

    Returns
    -------
    (pathlib.Path, str) or None
        The mutant's Verilog (same top module and ports) and what was changed;
        ``None`` if the product has no place of that kind.

    Raises
    ------
    ValueError
        If the spec has no array, the cell or the kind is out of range, or the
        Verilog does not hold the unit's weight chain or the instance.
    """
    cfg = spec.array
    if cfg is None:
        raise ValueError(f"Spec must have an array section, not {cfg!r}")
    if kind not in ARRAY_KINDS:
        raise ValueError(f"Mutant kind must be one of {', '.join(ARRAY_KINDS)}, not {kind!r}")
    if not (0 <= row < cfg.rows and 0 <= col < cfg.cols):
        raise ValueError(f"Cell must be within the {cfg.rows} x {cfg.cols} array, not "
                         f"({row}, {col})")
    flow = dataflow(spec)
    unit = f"{spec.name}_{flow.unit}"
    mutant_unit = f"{unit}_mutant"
    top = array_name(spec)
    text = Path(verilog_path).read_text()
    instance = unit_instance(spec, row, col)
    pattern = re.compile(rf"^(\s*){re.escape(unit)}(\s+\\?{instance}\s*\()", re.M)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"{verilog_path} must instantiate {unit} as {instance} exactly once")
    if re.search(rf"^module {re.escape(mutant_unit)}\b", text, re.M):
        raise ValueError(f"{verilog_path} already holds a module {mutant_unit}")

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    yosys = find_yosys()
    (out_dir / "design.v").write_text(text)
    # The unit alone, proc only: its multiplexers and shifters as the export wrote them.
    yosys.run(f"read_verilog design.v\nhierarchy -top {unit}\nproc\nopt_clean\n"
              f"write_json unit.json", cwd=out_dir, name="array_mutant_read")
    doc = json.loads((out_dir / "unit.json").read_text())
    net = Netlist(doc, unit)
    chain = _weight_chain(net)
    local = row if flow.unit == "column" else 0
    expected = cfg.rows if flow.unit == "column" else 1
    if len(chain) != expected:
        raise ValueError(f"{unit} must hold a chain of {expected} weight register(s) fed by "
                         f"w_in, not {len(chain)}")
    cell_spec = spec if cfg.decoder == "pe" else spec.family.shared_decoder.cell_spec(spec)
    what = _mutate(net, kind, chain, local, cell_spec)
    if what is None:
        return None
    # Only the mutated copy: the submodules it instantiates stay the array's own.
    doc["modules"] = {mutant_unit: net.module}
    (out_dir / "mutant_unit.json").write_text(json.dumps(doc))
    yosys.run("read_json mutant_unit.json\nwrite_verilog -noattr mutant_unit.v",
              cwd=out_dir, name="array_mutant_write")
    mutated = pattern.sub(rf"\g<1>{mutant_unit}\g<2>", text)
    path = out_dir / f"{top}_mutant.v"
    path.write_text(mutated + "\n" + (out_dir / "mutant_unit.v").read_text())
    return path, f"cell ({row}, {col}), in {instance} (a {mutant_unit}): {what}"
