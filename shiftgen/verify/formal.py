"""Prove a PE's Verilog equal to a reference written from the codebook alone.

The reference (:func:`reference_verilog`) is a plain ``a * multiplier[w]``
lookup and accumulator, independent of how any family builds its PE. Yosys
builds a miter of the two (``miter -equiv``) and proves its assertion with
``sat -tempinduct``: the base case from a zero state and an induction step
from any state in which the outputs agree. As ``acc`` is the PE's only state
and an output, this shows the two equal from every reachable state, for every
input sequence. No external solver is needed.

A mapped netlist is proved the same way: Xilinx primitives (``LUT6``,
``CARRY4``, ``FDRE``, ...) are replaced by Yosys's simulation models
(``+/xilinx/cells_sim.v``) first, and a generic gate netlist is plain Verilog.
When the proof fails, the base-case model Yosys prints is returned as a
readable counterexample (:func:`parse_counterexample`).
"""

import re
import shutil
from dataclasses import dataclass
import tempfile
import time
from pathlib import Path

from ..codebook import signed_bits
from ..errors import ToolError
from .verdict import Verdict
from ..tools.yosys import find_yosys

__all__ = ["Reference", "codebook_reference", "codebook_multiplier", "multiplier_bits",
           "reference_verilog", "run_sat", "prove", "parse_counterexample",
           "format_counterexample"]

# "$" cannot occur in a spec name (a plain Verilog identifier), so neither the
# reference nor the miter can clash with the design's modules (a spec named
# "miter" or "shiftgen_reference").
REF_TOP = "shiftgen$reference"
MITER = "shiftgen$miter"
#: The reference's file, in the work directory and as evidence: not an identifier
#: followed by ".v", so never the file of a spec's own Verilog (a spec named
#: "reference" writes reference.v into the build directory).
REF_FILE = "formal-reference.v"

#: Simulation models of Xilinx primitives, as Yosys's own ``equiv_opt -map`` reads them.
XILINX_MODELS = "techmap -wb -D EQUIV -autoproc -map +/xilinx/cells_sim.v"

# Words that may start a statement like an instance ("name name (" / "name #(").
_KEYWORDS = {"module", "input", "output", "inout", "wire", "reg", "assign", "always",
             "initial", "if", "else", "case", "casez", "casex", "begin", "end", "function",
             "task", "parameter", "localparam", "integer", "generate", "for", "genvar",
             "signed", "posedge", "negedge", "default", "endcase", "endmodule"}


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


def _instantiated_modules(text):
    """Module types instantiated in ``text`` (``TYPE #(`` or ``TYPE name (``)."""
    found = re.findall(r"^\s*\\?([A-Za-z_][\w$]*)(?![\w$])\s*"
                       r"(?:#\s*\(|\\?[A-Za-z_][\w$.\[\]]*(?![\w$.\[\]])\s*\()",
                       text, re.M)
    return {name for name in found if name not in _KEYWORDS}


def needs_cell_models(text):
    """Whether a Verilog file instantiates modules it does not define.

    A mapped netlist (``synth_xilinx``) instantiates primitives such as
    ``LUT6`` and ``FDRE``; :func:`prove` then reads their simulation models.
    """
    defined = set(re.findall(r"^\s*module\s+\\?([A-Za-z_$][\w$]*)", text, re.M))
    return bool(_instantiated_modules(text) - defined)


def _port_signedness(spec):
    """``{port: signed}`` of the PE inputs a counterexample shows, in order.

    ``a`` is signed as the reference reads it (a coded activation is a code).
    """
    pe, cb = spec.pe, spec.codebook
    ports = {"rst": False, "en": False, "a": pe.act_signed and not cb.activations, "w": False}
    ports.update((name, False) for name, _ in spec.family.formal_reference(spec).ports)
    return ports


def _value(bits, signed):
    """The integer of a binary string (``x``/``z`` read as 0)."""
    bits = re.sub(r"[^01]", "0", bits)
    v = int(bits, 2)
    return v - (1 << len(bits)) if signed and bits[0] == "1" else v


def parse_counterexample(spec, log):
    """The failing base case of a ``sat -tempinduct`` run, from its log.

    Parameters
    ----------
    spec : Spec
    log : str
        Log of :func:`prove`'s Yosys run (``-show-inputs -show-outputs``).

    Returns
    -------
    dict or None
        ``None`` if the log has no failing base case. Else
        ``{"steps": n, "trace": [...], "gold_acc": int, "gate_acc": int}``
        and, for a design with registers besides ``acc``, ``"registers":
        {name: {"gold": int, "gate": int}}``. Both designs start from zero;
        ``trace`` holds the inputs (``rst``, ``en``, ``a``, ``w`` and any
        extra port, as integers, ``a`` signed when the activation is) applied
        before each of the ``n`` clock edges; ``gold_acc`` (the reference,
        the expected value) and ``gate_acc`` (the design) are ``acc`` after
        them. ``inputs_at_check`` are the inputs while they are compared,
        which matter only to a design whose ``acc`` is not a register.
    """
    marker = log.rfind("model found for base case: FAIL!")
    if marker < 0:
        return None
    rows = {}
    for line in log[marker:].splitlines():
        tok = line.split()
        if len(tok) >= 3 and (tok[0].isdigit() or tok[0] == "init") and tok[1].startswith("\\"):
            rows.setdefault(tok[0], {})[tok[1][1:]] = tok[-1]
        elif tok[:1] == ["Dumping"] or line.startswith("ERROR"):
            break
    times = sorted(int(t) for t in rows if t != "init")
    if not times:
        return None
    ports = _port_signedness(spec)

    def inputs(t):
        return {name: _value(rows[str(t)][f"in_{name}"], signed)
                for name, signed in ports.items() if f"in_{name}" in rows[str(t)]}
    last = rows[str(times[-1])]
    out = {"steps": len(times) - 1, "trace": [inputs(t) for t in times[:-1]],
           "inputs_at_check": inputs(times[-1]),
           "gold_acc": _value(last.get("gold_acc", "0"), True),
           "gate_acc": _value(last.get("gate_acc", "0"), True)}
    regs = spec.family.formal_reference(spec).registers
    shown = {r: {"gold": _value(last[f"gold.{r}"], False), "gate": _value(last[f"gate.{r}"], False)}
             for r in regs if f"gold.{r}" in last and f"gate.{r}" in last}
    if shown:
        out["registers"] = shown
    return out


def _show_step(step):
    """``a=-3 w=5`` plus any other input that is not idle (``rst=1``, ``en=0``, ...)."""
    idle = {"rst": 0, "en": 1}
    parts = [f"{k}={v}" for k, v in step.items() if k in ("a", "w") or idle.get(k, 0) != v]
    return " ".join(parts)


def format_counterexample(cex):
    """One or two lines describing a counterexample from :func:`parse_counterexample`.

    The last clock edge's inputs come first, then the values of ``acc``, then
    the whole trace when there is more than one edge. Inputs at their idle
    value (``en=1``, ``rst=0``, others 0) are left out of each step.
    """
    n = cex["steps"]
    last = _show_step(cex["trace"][-1]) if n else "no clock edge"
    text = (f"{last} -> expected acc {cex['gold_acc']}, actual acc {cex['gate_acc']} "
            f"(from zero, after {n} step{'s' if n != 1 else ''}")
    if n > 1:
        text += ": " + "; ".join(f"{k + 1}: {_show_step(s)}" for k, s in enumerate(cex["trace"]))
    text += ")"
    diff = {r: v for r, v in cex.get("registers", {}).items() if v["gold"] != v["gate"]}
    if diff:
        text += "; registers " + ", ".join(f"{r} expected {v['gold']}, actual {v['gate']}"
                                           for r, v in diff.items())
    return text


def run_sat(script, work, name):
    """Run a Yosys script that ends in ``sat -verify``; its log, also when the proof fails.

    ``sat -verify`` makes Yosys exit with an error when it finds a
    counterexample; that log is the result, any other error is raised.
    """
    try:
        return find_yosys().run(script, cwd=work, name=name)
    except ToolError:
        log_path = Path(work) / f"{name}.log"
        log = log_path.read_text() if log_path.exists() else ""
        if "proof did fail" not in log:
            raise
        return log


def prove(spec, verilog_path, top=None, max_steps=8, evidence_dir=None):
    """Prove the design in ``verilog_path`` equal to the codebook reference.

    Parameters
    ----------
    spec : Spec
    verilog_path : pathlib.Path
        Any Verilog file holding the PE: generated, hand-edited, or a mapped
        netlist (a generic gate netlist, or one of Xilinx primitives, whose
        simulation models are read when the file instantiates modules it
        does not define).
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
        a counterexample, added under ``"counterexample"``
        (:func:`parse_counterexample`; ``induction_length`` is then the
        length of the failing base case); ``unproven`` that induction did
        not close within ``max_steps`` (possible for a design with more state
        than ``acc``).

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
    registers = spec.family.formal_reference(spec).registers
    proves = "".join(f" -prove gold.{n} gate.{n}" for n in registers)
    shows = "".join(f" -show gold.{n},gate.{n}" for n in registers)
    models = [XILINX_MODELS] if needs_cell_models(text) else []
    method = ("yosys: " + "".join(f"{m}; " for m in models) +
              "miter -equiv -flatten -make_assert against the reference; "
              f"sat -verify -tempinduct -prove-asserts{proves} -set-init-zero "
              f"-maxsteps {max_steps}")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=".formal-", dir=Path.cwd()) as tmp:
        work = Path(tmp)
        shutil.copyfile(verilog_path, work / "design.v")
        (work / REF_FILE).write_text(reference_verilog(spec))
        script = "\n".join([
            f"read_verilog {REF_FILE}",
            "read_verilog design.v",
            # Before anything else, so that primitives become logic sat can model
            # (and their INIT values init attributes, removed below).
            *models,
            "hierarchy -check",
            # -norom: keep the reference's case table as logic that sat can model.
            "proc -norom",
            # A case table becomes one $pmux, which sat encodes as a chain as deep as
            # the table: 512 codes (9-bit weights) exhaust YoWASP's call stack. A tree
            # of $mux is as deep as the select is wide.
            "pmuxtree",
            # A --rtl file may hold ROMs or memories; sat models them as logic.
            "memory_map",
            "setattr -unset init w:*",
            # -make_outputs: gold_acc and gate_acc show in a counterexample.
            f"miter -equiv -flatten -make_assert -make_outputs {REF_TOP} {top} {MITER}",
            f"hierarchy -top {MITER}",
            "flatten",
            "opt -fast",
            f"sat -verify -tempinduct -prove-asserts{proves} -set-init-zero -maxsteps {max_steps} "
            f"-show-inputs -show-outputs{shows} -dump_vcd counterexample.vcd {MITER}",
        ])
        log = run_sat(script, work, "formal")
        if "Induction step proven: SUCCESS!" in log:
            result = Verdict.PROVED
        elif "model found for base case: FAIL!" in log:
            result = Verdict.FAILED
        else:
            result = Verdict.UNPROVEN
        lengths = re.findall(r"Trying induction with length (\d+)", log)
        if evidence_dir is not None:
            keep = ["formal.ys", "formal.log", REF_FILE]
            if result == Verdict.FAILED:
                keep.append("counterexample.vcd")
            for name in keep:
                if (work / name).exists():
                    shutil.copyfile(work / name, Path(evidence_dir) / name)
    out = {"result": result, "method": method,
           "induction_length": int(lengths[-1]) if lengths else None,
           "seconds": round(time.monotonic() - start, 2)}
    if result == Verdict.FAILED:
        out["counterexample"] = parse_counterexample(spec, log)
    return out
