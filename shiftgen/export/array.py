"""Export a MAC array as Verilog: the cell module once, then the array top.

The array top instantiates the cell by name ``R x C`` times, so the file
holds two modules (three with a shared decoder inlined in the top) and
synthesis can map the cell once (:mod:`shiftgen.synth.array`).
"""

from .verilog import export
from ..hdl.array import WeightStationaryArray

__all__ = ["array_name", "export_array"]


def array_name(spec):
    """Top module name of the array of ``spec``."""
    return f"{spec.name}_array"


def export_array(spec, out_dir):
    """Write ``<name>_cell.{il,v}``, ``<name>_array_top.v`` and ``<name>_array.v``.

    Returns
    -------
    dict
        ``{"verilog": path of the combined file, "cell": cell Verilog,
        "top": top-only Verilog, "cell_name": ..., "top_name": ..., "array": the
        WeightStationaryArray}``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    arr = WeightStationaryArray(spec, cells="instance")
    cell_il, cell_v = export(spec, arr.cell, out_dir, name=arr.cell_name)
    top_name = array_name(spec)
    top_il, top_v = export(spec, arr, out_dir, name=top_name, blackboxes=(cell_v.name,))
    combined = out_dir / f"{top_name}.v"
    text = cell_v.read_text() + "\n" + top_v.read_text()
    top_only = out_dir / f"{top_name}_top.v"
    top_v.replace(top_only)
    combined.write_text(text)
    return {"verilog": combined, "cell": cell_v, "top": top_only, "cell_name": arr.cell_name,
            "top_name": top_name, "array": arr}
