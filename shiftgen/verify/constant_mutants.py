"""Mutants of a pipelined constant-weight array: one path a register short.

A pipelined constant array (:mod:`shiftgen.hdl.constant`) is right only if
every path from an input to an output crosses the same number of registers
(:class:`~shiftgen.hdl.adder_graph.Pipeline`): a delay register left out
where a shallow operand meets a deep one adds a value of one vector to a
partial sum of the next. :func:`make_register_mutant` makes exactly that
slip: one delay register of the adder graph (a ``<n><node>_d<k>`` signal)
becomes a wire, every other register untouched. As for the other mutants
(:mod:`shiftgen.verify.mutants`), the change is made on the Yosys JSON
netlist after ``proc`` and written back as Verilog with the same top module
and ports, so cocotb and :func:`~shiftgen.verify.formal_array.prove_array`
run on it unchanged.
"""

import json
import re
from pathlib import Path

from ..export.array import array_name
from ..tools.yosys import find_yosys

__all__ = ["graph_registers", "make_register_mutant"]

# A delay register of the adder graph: node n's value k edges late.
_DELAY = re.compile(r"^n(\d+)_d(\d+)$")


def graph_registers(module):
    """The adder graph's delay registers of a Yosys JSON module: ``{netname: $dff cell}``.

    Sorted by node, then by delay, so a mutant's choice is deterministic.
    """
    by_q = {tuple(c["connections"]["Q"]): name for name, c in module["cells"].items()
            if c["type"] == "$dff"}
    found = {}
    for net, info in module["netnames"].items():
        if _DELAY.match(net) and tuple(info["bits"]) in by_q:
            found[net] = by_q[tuple(info["bits"])]
    return dict(sorted(found.items(), key=lambda kv: tuple(map(int, _DELAY.match(kv[0]).groups()))))


def make_register_mutant(spec, verilog_path, out_dir, index=0):
    """Write a mutant of the constant array in ``verilog_path`` with one delay register a wire.

    Parameters
    ----------
    spec : Spec
        A spec with ``array.dataflow: constant``.
    verilog_path : pathlib.Path
        The array's Verilog (one module, ``<name>_array``), pipelined.
    out_dir : pathlib.Path
        Where ``<top>_mutant.v`` and the Yosys files go.
    index : int
        Which delay register (in :func:`graph_registers` order).

    Returns
    -------
    (pathlib.Path, str)
        The mutant's Verilog (same top module and ports) and what was changed.

    Raises
    ------
    ValueError
        If the spec is not a constant array's, or the design has no delay
        register ``index`` (an array without pipeline stages has none).
    """
    cfg = spec.array
    if cfg is None or cfg.dataflow != "constant":
        raise ValueError(f"Spec must have an array section with dataflow: constant, "
                         f"not {cfg!r}")
    top = array_name(spec)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    yosys = find_yosys()
    (out_dir / "design.v").write_text(Path(verilog_path).read_text())
    yosys.run(f"read_verilog design.v\nhierarchy -top {top}\nproc\nopt_clean\n"
              f"write_json design.json", cwd=out_dir, name="constant_mutant_read")
    doc = json.loads((out_dir / "design.json").read_text())
    module = doc["modules"][top]
    registers = list(graph_registers(module).items())
    if not 0 <= index < len(registers):
        raise ValueError(f"Register index must be below the design's {len(registers)} "
                         f"delay registers, not {index!r}")
    net, cell = registers[index]
    conn = module["cells"][cell]["connections"]
    width = len(conn["Q"])
    # A buffer in the register's place: its readers get the value one edge early.
    module["cells"][cell] = {
        "hide_name": 1, "type": "$pos", "attributes": {},
        "parameters": {"A_SIGNED": "0", "A_WIDTH": format(width, "032b"),
                       "Y_WIDTH": format(width, "032b")},
        "port_directions": {"A": "input", "Y": "output"},
        "connections": {"A": conn["D"], "Y": conn["Q"]}}
    (out_dir / "mutant.json").write_text(json.dumps(doc))
    path = out_dir / f"{top}_mutant.v"
    yosys.run(f"read_json mutant.json\nwrite_verilog -noattr {path.name}", cwd=out_dir,
              name="constant_mutant_write")
    return path, f"delay register {net} ({width} bits) made a wire"
