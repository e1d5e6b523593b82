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
from dataclasses import dataclass
import tempfile
import time
from pathlib import Path

from .codebook import signed_bits
from .errors import ToolError
from .yosys import find_yosys

__all__ = ["Reference", "codebook_reference", "codebook_multiplier", "multiplier_bits",
           "reference_verilog", "prove"]

REF_TOP = "shiftgen_reference"


def codebook_multiplier(spec):
    """Verilog that sets ``m`` from ``w`` by a case table of the codebook."""
    cb, W = spec.codebook, spec.pe.weight_bits
    M = multiplier_bits(spec)
    cases = "\n".join(f"      {W}'d{code}: m = {'-' if v < 0 else ''}{M}'sd{abs(v)};"
                      for code, v in enumerate(cb.multipliers))
    return f"""\
  always @* begin
    case (w)
{cases}
      default: m = {M}'sd0;
    endcase
  end"""


def multiplier_bits(spec):
    """Width of the signed multiplier ``m`` in the reference."""
    cb = spec.codebook
    return signed_bits(min(cb.multipliers), max(cb.multipliers))


@dataclass(frozen=True)
class Reference:
    """How the formal reference forms the multiplier ``m`` of a family.

    Members
    -------
    logic : str
        Verilog that sets the signed ``reg m`` from ``w`` (and ``ports``).
    m_bits : int
        Width of ``m``: enough for every multiplier ``logic`` can produce.
    ports : tuple of (str, str)
        Extra ports, as (name, Verilog declaration).
    registers : tuple of str
        Registers the PE and the reference share by name (a decoder's state),
        proved equal alongside ``acc`` so that induction can close.
    """
    logic: str
    m_bits: int
    ports: tuple = ()
    registers: tuple = ()


def codebook_reference(spec):
    """The default :class:`Reference`: a case table of the codebook."""
    return Reference(logic=codebook_multiplier(spec), m_bits=multiplier_bits(spec))


def reference_verilog(spec, module=REF_TOP):
    """Verilog-2005 of the behavioural reference PE of ``spec``.

    ``acc <- acc + a * m`` with ``m`` from the family's
    :meth:`~shiftgen.families.base.Family.formal_reference` (default: a case
    table of the codebook, :func:`codebook_multiplier`), so the reference
    never follows the PE's structure.
    """
    pe = spec.pe
    A, W, ACC = pe.act_bits, pe.weight_bits, pe.acc_bits
    ref = spec.family.formal_reference(spec)
    M = ref.m_bits
    cb = spec.codebook
    a_signed = "signed " if pe.act_signed and not cb.activations else ""
    a_logic = ""
    if cb.activations:
        # A coded activation (AUSN x AUSN) is looked up by a case table too.
        V = signed_bits(min(cb.activations), max(cb.activations))
        cases = "\n".join(f"      {A}'d{code}: av = {'-' if v < 0 else ''}{V}'sd{abs(v)};"
                           for code, v in enumerate(cb.activations))
        a_logic = (f"  reg signed [{V - 1}:0] av;\n  always @* begin\n    case (a)\n{cases}\n"
                   f"      default: av = {V}'sd0;\n    endcase\n  end\n")
        a_expr, a_width = "av", V
    else:
        a_expr = "a" if pe.act_signed else "$signed({1'b0, a})"
        a_width = A + (0 if pe.act_signed else 1)
    # Wide enough for any multiplier the reference can form (a programmable
    # decoder may hold more than the spec's points), so nothing truncates.
    P = a_width + M
    S = max(ACC, P) + 1
    if pe.overflow == "wrap":
        update = f"acc <= sum[{ACC - 1}:0];"
    else:
        hi, lo = (1 << (ACC - 1)) - 1, 1 << (ACC - 1)
        update = (f"acc <= (sum > {S}'sd{hi}) ? {ACC}'sd{hi} : "
                  f"(sum < -{S}'sd{lo}) ? -{ACC}'sd{lo} : sum[{ACC - 1}:0];")
    port_names = "".join(f", {name}" for name, _ in ref.ports)
    port_decls = "".join(f"  input {decl};\n" for _, decl in ref.ports)
    return f"""\
// Reference PE of {spec.name}, written from its arithmetic definition alone.
module {module}(clk, rst, en, a, w, acc{port_names});
  input clk;
  input rst;
  input en;
  input {a_signed}[{A - 1}:0] a;
  input [{W - 1}:0] w;
{port_decls}  output reg signed [{ACC - 1}:0] acc;
  reg signed [{M - 1}:0] m;
  wire signed [{P - 1}:0] product;
  wire signed [{S - 1}:0] sum;
{a_logic}{ref.logic}
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
    # State beyond acc (a decoder register) is matched by name in both designs and
    # proved equal too, so that induction can close.
    proves = "".join(f" -prove gold.{n} gate.{n}"
                     for n in spec.family.formal_reference(spec).registers)
    method = ("yosys: miter -equiv -flatten -make_assert against the reference; "
              f"sat -verify -tempinduct -prove-asserts{proves} -set-init-zero "
              f"-maxsteps {max_steps}")
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
            f"sat -verify -tempinduct -prove-asserts{proves} -set-init-zero -maxsteps {max_steps} "
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
