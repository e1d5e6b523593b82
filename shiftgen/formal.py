"""Prove a PE's Verilog equal to a reference written from the codebook alone.

The reference (:func:`reference_verilog`) is a plain ``a * multiplier[w]``
lookup and accumulator, independent of how any family builds its PE. Yosys
builds a miter of the two (``miter -equiv``) and proves its assertion with
``sat -tempinduct``: the base case from a zero state and an induction step
from any state in which the outputs agree. As ``acc`` is the PE's only state
and an output, this shows the two equal from every reachable state, for every
input sequence. No external solver is needed.
"""

import re
import shutil
import tempfile
import time
from pathlib import Path

from .codebook import signed_bits
from .errors import ToolError
from .yosys import find_yosys

__all__ = ["reference_verilog", "prove"]

REF_TOP = "shiftgen_reference"


def reference_verilog(spec, module=REF_TOP):
    """Verilog-2005 of the behavioural reference PE of ``spec``."""
    cb, pe = spec.codebook, spec.pe
    A, W, ACC = pe.act_bits, pe.weight_bits, pe.acc_bits
    M = signed_bits(min(cb.multipliers), max(cb.multipliers))
    P = cb.product_bits(A, pe.act_signed)
    a_signed = "signed " if pe.act_signed else ""
    a_expr = "a" if pe.act_signed else "$signed({1'b0, a})"
    cases = "\n".join(f"      {W}'d{code}: m = {'-' if v < 0 else ''}{M}'sd{abs(v)};"
                      for code, v in enumerate(cb.multipliers))
    if pe.overflow == "wrap":
        update = f"acc <= sum[{ACC - 1}:0];"
    else:
        hi, lo = (1 << (ACC - 1)) - 1, 1 << (ACC - 1)
        update = (f"acc <= (sum > {ACC + 1}'sd{hi}) ? {ACC}'sd{hi} : "
                  f"(sum < -{ACC + 1}'sd{lo}) ? -{ACC}'sd{lo} : sum[{ACC - 1}:0];")
    return f"""\
// Reference PE of {spec.name}, written from its codebook alone.
module {module}(clk, rst, en, a, w, acc);
  input clk;
  input rst;
  input en;
  input {a_signed}[{A - 1}:0] a;
  input [{W - 1}:0] w;
  output reg signed [{ACC - 1}:0] acc;
  reg signed [{M - 1}:0] m;
  wire signed [{P - 1}:0] product;
  wire signed [{ACC}:0] sum;
  always @* begin
    case (w)
{cases}
      default: m = {M}'sd0;
    endcase
  end
  assign product = {a_expr} * m;
  assign sum = acc + product;
  always @(posedge clk)
    if (rst) acc <= {ACC}'sd0;
    else if (en) {update}
endmodule
"""


def prove(spec, verilog_path, top=None, max_steps=8, evidence_dir=None):
    """Prove the design in ``verilog_path`` equal to the codebook reference.

    Parameters
    ----------
    spec : Spec
    verilog_path : pathlib.Path
        Any Verilog file holding the PE (generated, hand-edited, a netlist).
    top : str, optional
        Its top module; default ``spec.name``.
    max_steps : int
        Longest induction to try.
    evidence_dir : pathlib.Path, optional
        Where to keep ``formal.ys``, ``formal.log`` and, on failure,
        ``counterexample.vcd``.

    Returns
    -------
    dict
        ``{"result": "proved" | "failed" | "unproven", "method": ...,
        "induction_length": n, "seconds": ...}``. ``failed`` means Yosys found
        a counterexample; ``unproven`` that induction did not close within
        ``max_steps`` (possible for a design with more state than ``acc``).

    Raises
    ------
    ToolError
        If Yosys cannot read the file or the ports do not match.
    """
    top = top or spec.name
    verilog_path = Path(verilog_path)
    text = verilog_path.read_text()
    modules = re.findall(r"^\s*module\s+\\?([A-Za-z_$][\w$]*)", text, re.M)
    if top not in modules:
        found = ", ".join(modules) or "none"
        raise ToolError(f"{verilog_path}: no module {top!r} to prove (modules found: {found})")
    method = ("yosys: miter -equiv -flatten -make_assert against the codebook reference; "
              f"sat -verify -tempinduct -prove-asserts -set-init-zero -maxsteps {max_steps}")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=".formal-", dir=Path.cwd()) as tmp:
        work = Path(tmp)
        shutil.copyfile(verilog_path, work / "design.v")
        (work / "reference.v").write_text(reference_verilog(spec))
        script = "\n".join([
            "read_verilog reference.v",
            "read_verilog design.v",
            "hierarchy -check",
            # -norom: keep the reference's case table as logic that sat can model.
            "proc -norom",
            # A --rtl file may hold ROMs or memories; sat models them as logic.
            "memory_map",
            "setattr -unset init w:*",
            f"miter -equiv -flatten -make_assert {REF_TOP} {top} miter",
            "hierarchy -top miter",
            "flatten",
            "opt -fast",
            f"sat -verify -tempinduct -prove-asserts -set-init-zero -maxsteps {max_steps} "
            "-show-inputs -show-outputs -dump_vcd counterexample.vcd miter",
        ])
        try:
            log = find_yosys().run(script, cwd=work, name="formal")
        except ToolError:
            log_path = work / "formal.log"
            log = log_path.read_text() if log_path.exists() else ""
            if "proof did fail" not in log:
                raise
        if "Induction step proven: SUCCESS!" in log:
            result = "proved"
        elif "model found for base case: FAIL!" in log:
            result = "failed"
        else:
            result = "unproven"
        lengths = re.findall(r"Trying induction with length (\d+)", log)
        if evidence_dir is not None:
            keep = ["formal.ys", "formal.log", "reference.v"]
            if result == "failed":
                keep.append("counterexample.vcd")
            for name in keep:
                if (work / name).exists():
                    shutil.copyfile(work / name, Path(evidence_dir) / name)
    return {"result": result, "method": method,
            "induction_length": int(lengths[-1]) if lengths else None,
            "seconds": round(time.monotonic() - start, 2)}
