"""Export a PE to RTLIL and to lint-clean Verilog-2005.

Amaranth writes RTLIL. Its Verilog, written as is by Yosys, trips
``verilator -Wall``: operands narrower than their result (``WIDTHEXPAND``),
intermediate wires whose carry bits nobody reads (``UNUSEDSIGNAL``) and
registers with both an initializer and a process (``PROCASSINIT``). The export
therefore runs Yosys to lower processes, flatten and trim result widths
(``wreduce``), then :func:`legalize` makes every operand as wide as the
operation, and Yosys writes the Verilog. ``pmuxtree`` turns parallel
multiplexers into ``?:`` trees first, since Yosys writes ``$pmux`` as a
function whose inputs can shadow the module's ports. The accumulator's initial value is
dropped: ``rst`` defines it, as in any ASIC flow.
"""

import json

from amaranth.back import rtlil

from ..tools.yosys import find_yosys

__all__ = ["export", "legalize"]

# Operations whose Verilog result width is the width of their operands.
_BINARY_TO_Y = {"$add", "$sub", "$mul", "$and", "$or", "$xor", "$xnor"}
_UNARY_TO_Y = {"$not", "$neg", "$pos"}
_SHIFT_LEFT = {"$shl", "$sshl"}
_SHIFT_RIGHT = {"$shr", "$sshr"}
_COMPARE = {"$eq", "$ne", "$lt", "$le", "$gt", "$ge", "$eqx", "$nex"}


def _param(value):
    return int(value, 2) if isinstance(value, str) else int(value)


def _resize(bits, width, signed):
    """Sign- or zero-extend (or truncate) a JSON bit list to ``width``."""
    if len(bits) >= width:
        return bits[:width]
    fill = bits[-1] if signed and bits else "0"
    return bits + [fill] * (width - len(bits))


def _set_operand(cell, port, width, signed):
    cell["connections"][port] = _resize(cell["connections"][port], width, signed)
    cell["parameters"][f"{port}_WIDTH"] = width


def legalize(module, keep=False):
    """Make a Yosys JSON module's Verilog free of width and unused-bit warnings.

    Operands are sign- or zero-extended (by their own signedness, as Yosys
    cell semantics define) to the width Verilog evaluates the operation at;
    extension and truncation of low-order-exact operations do not change any
    result bit. Named wires that are only partly read are left unnamed.

    Parameters
    ----------
    module : dict
        One module of Yosys ``write_json`` output; changed in place.
    keep : bool
        Wires marked ``keep`` keep their names (and the mark), whatever their bits.
    """
    for cell in module["cells"].values():
        kind, p = cell["type"], cell["parameters"]
        if kind == "$logic_not" and _param(p["A_WIDTH"]) > 1:
            # '!x' of a vector truncates in Verilator's eyes; 'x == 0' says the same.
            width = _param(p["A_WIDTH"])
            cell["type"] = kind = "$eq"
            p["B_SIGNED"], p["B_WIDTH"] = p["A_SIGNED"], width
            cell["connections"]["B"] = ["0"] * width
            cell["port_directions"]["B"] = "input"
        if kind in _BINARY_TO_Y | _COMPARE:
            signed = _param(p["A_SIGNED"]) and _param(p["B_SIGNED"])
            width = _param(p["Y_WIDTH"]) if kind in _BINARY_TO_Y else \
                max(_param(p["A_WIDTH"]), _param(p["B_WIDTH"]))
            _set_operand(cell, "A", width, signed)
            _set_operand(cell, "B", width, signed)
        elif kind in _UNARY_TO_Y | _SHIFT_LEFT:
            _set_operand(cell, "A", _param(p["Y_WIDTH"]), _param(p["A_SIGNED"]))
        elif kind in _SHIFT_RIGHT and _param(p["A_WIDTH"]) < _param(p["Y_WIDTH"]):
            _set_operand(cell, "A", _param(p["Y_WIDTH"]), _param(p["A_SIGNED"]))

    read = set()
    driven_by = {}  # bit -> all output bits of the cell that drives it
    for cell in module["cells"].values():
        for port, bits in cell["connections"].items():
            if cell["port_directions"].get(port) == "input":
                read.update(b for b in bits if isinstance(b, int))
            else:
                outputs = frozenset(b for b in bits if isinstance(b, int))
                for b in outputs:
                    driven_by[b] = outputs
    ports = module["ports"]
    named = set()
    for port in ports.values():
        named.update(b for b in port["bits"] if isinstance(b, int))
        if port["direction"] == "output":
            read.update(b for b in port["bits"] if isinstance(b, int))
    # A wire keeps its name only if it owns its bits outright: each read, none
    # named twice, and no cell output only partly covered. Otherwise Yosys
    # writes alias assignments whose bits nobody reads (UNUSEDSIGNAL).
    for name in sorted(module["netnames"], key=lambda n: (n not in ports, n)):
        if name in ports:
            continue
        if keep and module["netnames"][name]["attributes"].get("keep"):
            named |= set(b for b in module["netnames"][name]["bits"] if isinstance(b, int))
            continue
        bits = module["netnames"][name]["bits"]
        own = set(bits)
        keep = (all(isinstance(b, int) and b in read for b in bits)
                and len(own) == len(bits) and not own & named
                and all(driven_by.get(b, frozenset()) <= own for b in bits))
        if keep:
            named |= own
        else:
            del module["netnames"][name]


def _only_keep(netlist):
    """Drop every attribute but ``keep`` (wires) and ``blackbox`` (modules)."""
    for module in netlist["modules"].values():
        module["attributes"] = {k: v for k, v in module.get("attributes", {}).items()
                                if k == "blackbox"}
        for cell in module.get("cells", {}).values():
            cell["attributes"] = {}
        for net in module.get("netnames", {}).values():
            net["attributes"] = {k: v for k, v in net.get("attributes", {}).items()
                                 if k == "keep"}


def export(spec, pe, out_dir, name=None, blackboxes=(), keep=False):
    """Write ``{name}.il`` and ``{name}.v`` of ``pe`` into ``out_dir``.

    Parameters
    ----------
    spec : Spec
        Gives the top module name.
    pe : wiring.Component
        The elaborated-to-be PE (or array, or array cell).
    out_dir : pathlib.Path
        Build directory (also Yosys's working directory).
    name : str, optional
        Top module name; default ``spec.name``.
    blackboxes : sequence of str
        Verilog files in ``out_dir`` whose modules ``pe`` instantiates; they
        are read as black boxes and not written again.
    keep : bool
        Write the ``keep`` marks of signals (``(* keep *)``), which tell
        synthesis to keep a sum a sum (:mod:`shiftgen.hdl.column_sum`); no
        other attribute is written either way.

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The RTLIL and Verilog files.
    """
    name = name or spec.name
    il_path = out_dir / f"{name}.il"
    il_path.write_text(rtlil.convert(pe, name=name, emit_src=False))
    yosys = find_yosys()
    yosys.run("\n".join([
        *(f"read_verilog -lib {path}" for path in blackboxes),
        f"read_rtlil {name}.il",
        f"hierarchy -top {name}",
        # -norom: a decoder table stays logic, not an initial-block ROM that
        # ASIC flows and SAT-based proofs cannot take.
        "proc -norom",
        "flatten",
        "opt -purge",
        # Yosys writes $pmux as a Verilog function whose inputs shadow ports
        # (VARHIDDEN); a tree of ?: is plain and lint-clean.
        "pmuxtree",
        "opt -purge",
        "wreduce",
        "opt_clean -purge",
        "setattr -unset init w:*",
        "write_json export.json",
    ]), cwd=out_dir, name="export")
    netlist = json.loads((out_dir / "export.json").read_text())
    legalize(netlist["modules"][name], keep=keep)
    if keep:
        _only_keep(netlist)
    (out_dir / "export.json").write_text(json.dumps(netlist))
    yosys.run("\n".join([
        # Black boxes come back from the JSON and are not written.
        "read_json export.json",
        f"write_verilog {'' if keep else '-noattr '}{name}.v",
    ]), cwd=out_dir, name="export_verilog")
    for tmp in ("export.json", "export.ys", "export.log", "export_verilog.ys",
                "export_verilog.log"):
        (out_dir / tmp).unlink()
    return il_path, out_dir / f"{name}.v"
