"""Mutants of a generated PE: does the verification catch a one-place bug?

Each mutant changes the exported Verilog of a PE in one place, the way a slip
in a generator or a hand edit would:

``shift``
    One shift amount is off by one: a variable shifter's amount has its low
    bit inverted, or (where Yosys has turned constant shifts into wiring
    selected by a multiplexer, as in APoT and the jumping shifter) one
    constant shift moves one place further.
``mux``
    One multiplexer's select is inverted (its two data inputs swapped),
    preferring one in the datapath to the enable/reset multiplexers.
``sign``
    The weight's sign bit is read inverted everywhere the PE uses it.

A family without a shifter (a multiplier baseline) has no ``shift`` mutant.
The mutation is made on the Yosys JSON netlist of the exported Verilog after
``proc`` and written back as Verilog with the same module and ports, so every
checker (:func:`shiftgen.verify.formal.prove`, cocotb) runs on it unchanged.
"""

import json
from pathlib import Path

from amaranth.lib import data

from ..tools.yosys import find_yosys

__all__ = ["KINDS", "Netlist", "weight_sign_bit", "mutate_shift", "mutate_mux", "mutate_sign",
           "make_mutants"]

KINDS = ("shift", "mux", "sign")

_SHIFT_CELLS = ("$shl", "$sshl", "$shr", "$sshr", "$shift", "$shiftx")


def weight_sign_bit(spec):
    """Index of the sign bit in the PE's weight code ``w``."""
    pe = spec.elaborate()
    pe._MustUse__silence = True  # built only to read its signature, never elaborated
    shape = pe.signature.members["w"].shape
    if isinstance(shape, data.StructLayout) and "sign" in shape.members:
        return shape["sign"].offset
    return spec.pe.weight_bits - 1  # a two's-complement code: its top bit


class Netlist:
    """One module of Yosys ``write_json`` output, with helpers to rewire it."""

    def __init__(self, doc, top):
        self.doc = doc
        self.module = doc["modules"][top]
        self.cells = self.module["cells"]
        self.ports = {name: p["bits"] for name, p in self.module["ports"].items()}
        self._next = 1 + max(b for bits in self._all_bits() for b in bits if isinstance(b, int))

    def _all_bits(self):
        yield from self.ports.values()
        for net in self.module["netnames"].values():
            yield net["bits"]
        for cell in self.cells.values():
            yield from cell["connections"].values()

    def inverter(self, bit, name):
        """A new ``$not`` cell of ``bit``; returns its output bit."""
        out = self._next
        self._next += 1
        self.cells[name] = {
            "hide_name": 1, "type": "$not", "attributes": {},
            "parameters": {"A_SIGNED": "0", "A_WIDTH": "1", "Y_WIDTH": "1"},
            "port_directions": {"A": "input", "Y": "output"},
            "connections": {"A": [bit], "Y": [out]}}
        return out

    def inputs(self, cell):
        """Names of ``cell``'s input ports, sorted."""
        return self._ports(cell, "input")

    def outputs(self, cell):
        """Names of ``cell``'s output ports, sorted."""
        return self._ports(cell, "output")

    @staticmethod
    def _ports(cell, direction):
        dirs = cell["port_directions"]
        return [p for p in sorted(cell["connections"]) if dirs.get(p) == direction]

    def invert_at(self, bit, name, cells=None):
        """Read ``bit`` inverted (through a new ``$not`` cell ``name``) at every input
        of the ``cells`` (names; default every cell) that reads it.

        Returns
        -------
        list of (str, str)
            The ``(cell, port)`` inputs rewired; empty if none reads ``bit``.
        """
        inverted = None
        users = []
        for cell_name in sorted(self.cells if cells is None else cells):
            cell = self.cells[cell_name]
            for port in self.inputs(cell):
                bits = cell["connections"][port]
                if bit in bits:
                    if inverted is None:
                        inverted = self.inverter(bit, name)
                    cell["connections"][port] = [inverted if b == bit else b for b in bits]
                    users.append((cell_name, port))
        return users


def mutate_shift(net, cells=None):
    """Mutate one shift among ``cells`` (names; default every cell of ``net``)."""
    names = sorted(net.cells if cells is None else cells)
    # A variable shifter: the amount's low bit inverted (amount +/- 1).
    for name in names:
        cell = net.cells[name]
        if cell["type"] in _SHIFT_CELLS:
            amount = cell["connections"]["B"]
            if isinstance(amount[0], int):
                amount[0] = net.inverter(amount[0], "$mutant$shift")
                return f"{cell['type']} {name}: shift amount bit 0 inverted"
    # A constant shift turned into wiring: a multiplexer input whose bottom bit
    # is fill (a constant or the same bit as the next) moves up one more place.
    for name in names:
        cell = net.cells[name]
        if cell["type"] != "$mux":
            continue
        for port in ("A", "B"):
            bits = cell["connections"][port]
            shifted = len(bits) > 2 and (bits[0] in ("0", "1") or bits[0] == bits[1])
            moved = [bits[0]] + bits[:-1]
            if shifted and any(isinstance(b, int) for b in bits) and moved != bits:
                cell["connections"][port] = moved
                return f"$mux {name}: constant shift of input {port} one place further"
    return None


def mutate_mux(net, cells=None):
    """Swap one multiplexer's inputs among ``cells`` (names; default every cell)."""
    control = {b for p in ("en", "rst") for b in net.ports.get(p, [])}
    muxes = [n for n in sorted(net.cells if cells is None else cells)
             if net.cells[n]["type"] == "$mux"]
    # Prefer the datapath: a select that is not the enable or reset input.
    muxes.sort(key=lambda n: net.cells[n]["connections"]["S"][0] in control)
    for name in muxes:
        conn = net.cells[name]["connections"]
        if conn["A"] != conn["B"]:
            conn["A"], conn["B"] = conn["B"], conn["A"]
            return f"$mux {name}: select inverted"
    return None


def mutate_sign(net, sign_bit):
    users = net.invert_at(net.ports["w"][sign_bit], "$mutant$sign")
    if not users:
        return None
    return f"w[{sign_bit}] (sign) inverted at {len(users)} cell(s)"


def make_mutants(spec, verilog_path, out_dir, kinds=KINDS):
    """Write one mutant of the PE in ``verilog_path`` per kind to ``out_dir``.

    Parameters
    ----------
    spec : Spec
    verilog_path : pathlib.Path
        The exported Verilog of ``spec``'s PE (top module ``spec.name``).
    out_dir : pathlib.Path
        Where ``mutant_<kind>.v`` files go.
    kinds : iterable of str
        Any of :data:`KINDS`.

    Returns
    -------
    dict
        ``{kind: (path, description)}`` for each kind the PE has (a PE
        without a shifter has no ``shift`` mutant).

    Raises
    ------
    ValueError
        If a kind is not one of :data:`KINDS`.
    """
    kinds = tuple(kinds)
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"Mutant kind must be one of {', '.join(KINDS)}, not {kind!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    yosys = find_yosys()
    (out_dir / "design.v").write_text(Path(verilog_path).read_text())
    # proc only: keep the multiplexers and shifters as the export wrote them.
    yosys.run("read_verilog design.v\nproc\nopt_clean\nwrite_json design.json",
              cwd=out_dir, name="mutants_read")
    original = (out_dir / "design.json").read_text()
    out = {}
    for kind in kinds:
        net = Netlist(json.loads(original), spec.name)
        if kind == "shift":
            what = mutate_shift(net)
        elif kind == "mux":
            what = mutate_mux(net)
        else:
            what = mutate_sign(net, weight_sign_bit(spec))
        if what is None:
            continue
        (out_dir / f"mutant_{kind}.json").write_text(json.dumps(net.doc))
        yosys.run(f"read_json mutant_{kind}.json\nwrite_verilog -noattr mutant_{kind}.v",
                  cwd=out_dir, name=f"mutant_{kind}")
        out[kind] = (out_dir / f"mutant_{kind}.v", what)
    return out
