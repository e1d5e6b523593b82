"""Export a MAC array as Verilog: its unit module once, then the array top.

The unit is the dataflow's (:mod:`shiftgen.hdl.dataflows`): the systolic
cell, instantiated ``R x C`` times, or the broadcast column, ``C`` times.
The file holds two modules (more with a shared decoder inlined in the top)
and synthesis can map the unit once (:mod:`shiftgen.synth.array`).
"""

from ..hdl.dataflows import dataflow
from .verilog import export

__all__ = ["array_name", "export_array"]


def array_name(spec):
    """Top module name of the array of ``spec``."""
    return f"{spec.name}_array"


def export_array(spec, out_dir):
    """Write ``<name>_<unit>.{il,v}``, ``<name>_array_top.v`` and ``<name>_array.v``.

    Returns
    -------
    dict
        ``{"verilog": path of the combined file, "cell": unit Verilog,
        "top": top-only Verilog, "cell_name": unit module, "top_name": ...,
        "array": the array component}``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    flow = dataflow(spec)
    if flow.unit == "array":  # one module, no unit (dataflow: constant): its default back end
        arr = flow.component(spec)
        il, v = export(spec, arr, out_dir, name=array_name(spec), keep=True)
        return {"verilog": v, "cell": v, "top": v, "cell_name": v.stem, "top_name": v.stem,
                "array": arr}
    unit_name = f"{spec.name}_{flow.unit}"
    arr = flow.component(spec, cells="instance", name=unit_name)
    unit = arr.cell if flow.unit == "cell" else arr.column
    # The broadcast column's sums are marked keep (see shiftgen.hdl.column_sum).
    keep = flow.unit == "column"
    cell_il, cell_v = export(spec, unit, out_dir, name=unit_name, keep=keep)
    top_name = array_name(spec)
    top_il, top_v = export(spec, arr, out_dir, name=top_name, blackboxes=(cell_v.name,),
                           keep=keep)
    combined = out_dir / f"{top_name}.v"
    text = cell_v.read_text() + "\n" + top_v.read_text()
    top_only = out_dir / f"{top_name}_top.v"
    top_v.replace(top_only)
    combined.write_text(text)
    return {"verilog": combined, "cell": cell_v, "top": top_only, "cell_name": unit_name,
            "top_name": top_name, "array": arr}
