"""Prove a small MAC array's Verilog equal to an integer matmul written from the codebook.

The reference (:func:`array_reference_verilog`) knows nothing of any
dataflow's structure: a shift chain of weight rows loaded as every array
loads them (``w_load``, ``w_in``: rows ``R-1`` to 0), the sum
``y[c] = sum_r x[r] * m(W[r][c])`` formed at once from the presented vector
and a case table of the codebook's multipliers, then delayed by the
dataflow's latency for column ``c`` (its ``y_valid`` too). A harness holds
the reference and the design side by side on the same inputs and asserts,
every cycle, that both flag the same results and that a flagged result is
the same; it assumes the load protocol every array states (no vector during
a load; no load while a vector is in flight: :func:`~shiftgen.verify.schedule.schedule`
keeps it).

Yosys ``sat -seq N -prove-asserts`` checks every input sequence of ``N``
edges from reset. The bound covers every reachable state: the weights are
whatever the last ``R`` loads wrote (``R`` consecutive loads reach any
matrix), and every other register of either design holds a function of the
last ``D`` edges' inputs (``D`` = the latest column's latency); so
``N = R + D + 1`` reaches any weight matrix (the harness loads for ``R``
edges from reset) and streams any vectors through a full pipeline. For all
weights loaded and all activation vectors, the outputs equal the integer
matmul. Reloads are checked by simulation. One harness per column asserts
that column's results (and every ``y_valid``): the columns' proofs together
cover every output, and each is a far smaller SAT problem.

An array without a load port (``dataflow: constant``) is proved against the
same reference with its weight rows the constant codes it was built from
(:attr:`~shiftgen.hdl.dataflows.Dataflow.fixed_weights`); the bound is then
``D + 1`` edges, as no load precedes the vectors.
"""

import re
import shutil
import tempfile
import time
from pathlib import Path

from ..codebook import signed_bits
from ..hdl.array import psum_bits
from ..hdl.dataflows import dataflow
from .verdict import Verdict
from .formal import run_sat

__all__ = ["MAX_CELLS", "array_reference_verilog", "latencies", "prove_array"]

#: Largest ``R * C`` :func:`prove_array` accepts: the SAT problem grows with every cell.
MAX_CELLS = 16

_REF = "shiftgen$array_reference"
_HARNESS = "shiftgen$array_harness"


def latencies(spec):
    """Edges from a vector to column ``c``'s result, per column."""
    cfg = spec.array
    flow = dataflow(spec)
    if flow.per_column_valid:
        return [cfg.rows + c for c in range(cfg.cols)]
    if not flow.loads:  # built from its codes: a pipelined graph's stages are its own
        from ..hdl.constant import constant_latency
        # The spec's default back end's (array.backend, or for auto da4ml where installed).
        return [constant_latency(spec)] * cfg.cols
    return [flow.drain_of(spec)] * cfg.cols


def _activation(spec, r):
    """Verilog declarations and the expression of row ``r``'s activation value."""
    pe, cb = spec.pe, spec.codebook
    A = pe.act_bits
    raw = f"x[{(r + 1) * A - 1}:{r * A}]"
    if cb.activations:
        V = signed_bits(min(cb.activations), max(cb.activations))
        cases = "\n".join(f"      {A}'d{code}: av{r} = {'-' if v < 0 else ''}{V}'sd{abs(v)};"
                          for code, v in enumerate(cb.activations))
        decl = (f"  reg signed [{V - 1}:0] av{r};\n  always @* begin\n    case ({raw})\n"
                f"{cases}\n      default: av{r} = {V}'sd0;\n    endcase\n  end\n")
        return decl, f"av{r}"
    if pe.act_signed:
        return "", f"$signed({raw})"
    return "", f"$signed({{1'b0, {raw}}})"


def _signed_digits(value):
    """``value`` as ``[(sign, shift)]``, non-adjacent form: the fewest nonzero digits."""
    digits, k = [], 0
    while value:
        if value & 1:
            d = 2 - (value & 3)  # +1 or -1
            digits.append((d, k))
            value -= d
        value >>= 1
        k += 1
    return digits


def _times(a, value, width):
    """Verilog of ``a * value`` (a signed ``width``-bit expression) by shifts and adds."""
    digits = _signed_digits(value)
    if not digits:
        return f"{width}'sd0"
    out = ""
    for d, k in digits:
        term = f"({a} <<< {k})" if k else a
        out += (" + " if d > 0 else " - ") + term if out else ("" if d > 0 else "-") + term
    return out


def array_reference_verilog(spec, module=_REF):
    """Verilog-2005 of the reference array of ``spec`` (see the module docstring)."""
    cfg, pe, cb = spec.array, spec.pe, spec.codebook
    R, C, A, B = cfg.rows, cfg.cols, pe.act_bits, pe.weight_bits
    P = psum_bits(spec)
    lat = latencies(spec)
    valid_bits = C if dataflow(spec).per_column_valid else 1
    fixed = dataflow(spec).fixed_weights(spec)
    ports = "" if fixed is not None else " w_load, w_in,"
    lines = [f"// Reference array of {spec.name}: an integer matmul from the codebook alone.",
             f"module {module}(clk, rst, x, x_valid,{ports} y, y_valid);",
             "  input clk;", "  input rst;", f"  input [{R * A - 1}:0] x;", "  input x_valid;",
             *(() if fixed is not None else ("  input w_load;", f"  input [{C * B - 1}:0] w_in;")),
             f"  output [{C * P - 1}:0] y;", f"  output [{valid_bits - 1}:0] y_valid;"]
    if fixed is not None:  # the codes the array was built from, constant rows
        from .schedule import pack_row
        lines += [f"  wire [{C * B - 1}:0] wrow{r} = {C * B}'h{pack_row(fixed[r], B):x};"
                  for r in range(R)]
    else:
        for r in range(R):
            lines.append(f"  reg [{C * B - 1}:0] wrow{r};")
        lines.append("  always @(posedge clk)")
        lines.append("    if (rst) begin")
        lines += [f"      wrow{r} <= 0;" for r in range(R)]
        lines.append("    end else if (w_load) begin")
        lines.append("      wrow0 <= w_in;")
        lines += [f"      wrow{r} <= wrow{r - 1};" for r in range(1, R)]
        lines.append("    end")
    # A product per code, each the codebook's constant times a as a signed-digit
    # sum of shifts: SAT proves shifts and adds easily, a multiplier hardly.
    table = "\n".join(f"      {B}'d{code}: prod = {_times('a', v, P)};"
                      for code, v in enumerate(cb.multipliers))
    lines.append(f"""  function signed [{P - 1}:0] prod;
    input [{B - 1}:0] w;
    input signed [{P - 1}:0] a;
    case (w)
{table}
      default: prod = {P}'sd0;
    endcase
  endfunction""")
    for r in range(R):
        decl, _ = _activation(spec, r)
        if decl:
            lines.append(decl.rstrip("\n"))
    for c in range(C):
        terms = []
        for r in range(R):
            _, act = _activation(spec, r)
            terms.append(f"prod(wrow{r}[{(c + 1) * B - 1}:{c * B}], {act})")
        lines.append(f"  wire signed [{P - 1}:0] s{c} = " + "\n      + ".join(terms) + ";")
        for k in range(lat[c]):
            lines.append(f"  reg signed [{P - 1}:0] s{c}_{k + 1};")
        lines.append(f"  reg [{lat[c]}:1] v{c};")
        lines.append("  always @(posedge clk) begin")
        lines.append(f"    s{c}_1 <= s{c};")
        lines += [f"    s{c}_{k + 1} <= s{c}_{k};" for k in range(1, lat[c])]
        lines.append(f"    v{c} <= rst ? {lat[c]}'d0 : "
                     + (f"{{v{c}[{lat[c] - 1}:1], x_valid}};" if lat[c] > 1 else "x_valid;"))
        lines.append("  end")
        lines.append(f"  assign y[{(c + 1) * P - 1}:{c * P}] = s{c}_{lat[c]};")
    for c in range(valid_bits):
        lines.append(f"  assign y_valid[{c}] = v{c}[{lat[c]}];")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def _harness_verilog(spec, top, column):
    """The harness: reference and design on the same inputs, the protocol assumed.

    It asserts ``column``'s results and every ``y_valid`` bit; a harness per
    column together assert every output.
    """
    cfg, pe = spec.array, spec.pe
    R, C, A, B = cfg.rows, cfg.cols, pe.act_bits, pe.weight_bits
    P = psum_bits(spec)
    valid_bits = C if dataflow(spec).per_column_valid else 1
    if not dataflow(spec).loads:
        return _fixed_harness_verilog(spec, top, column)
    c, v = column, column if valid_bits > 1 else 0
    checks = [f"      if (ref_v[{v}]) assert (ref_y[{(c + 1) * P - 1}:{c * P}] == "
              f"dut_y[{(c + 1) * P - 1}:{c * P}]);"]
    return f"""\
module {_HARNESS}(clk, rst, x, x_valid, w_load, w_in);
  input clk;
  input rst;
  input [{R * A - 1}:0] x;
  input x_valid;
  input w_load;
  input [{C * B - 1}:0] w_in;
  wire [{C * P - 1}:0] ref_y, dut_y;
  wire [{valid_bits - 1}:0] ref_v, dut_v;
  {_REF} ref (.clk(clk), .rst(rst), .x(x), .x_valid(x_valid), .w_load(w_load), .w_in(w_in),
      .y(ref_y), .y_valid(ref_v));
  {top} dut (.clk(clk), .rst(rst), .x(x), .x_valid(x_valid), .w_load(w_load), .w_in(w_in),
      .y(dut_y), .y_valid(dut_v));
  // From reset: R edges load the weights, then vectors stream (any, back to back).
  reg [7:0] step;
  always @(posedge clk) step <= rst ? 8'd0 : (step < 8'd{R} ? step + 8'd1 : step);
  always @* begin
    assume (w_load == (step < 8'd{R}));
    if (step < 8'd{R}) assume (!x_valid);
    if (!rst) begin
      assert (ref_v == dut_v);
{chr(10).join(checks)}
    end
  end
endmodule
"""


def _fixed_harness_verilog(spec, top, column):
    """The harness of an array without a load port: any vectors from reset."""
    cfg, pe = spec.array, spec.pe
    R, C, A = cfg.rows, cfg.cols, pe.act_bits
    P = psum_bits(spec)
    c = column
    checks = (f"      if (ref_v[0]) assert (ref_y[{(c + 1) * P - 1}:{c * P}] == "
              f"dut_y[{(c + 1) * P - 1}:{c * P}]);")
    return f"""\
module {_HARNESS}(clk, rst, x, x_valid);
  input clk;
  input rst;
  input [{R * A - 1}:0] x;
  input x_valid;
  wire [{C * P - 1}:0] ref_y, dut_y;
  wire ref_v, dut_v;
  {_REF} ref (.clk(clk), .rst(rst), .x(x), .x_valid(x_valid), .y(ref_y), .y_valid(ref_v));
  {top} dut (.clk(clk), .rst(rst), .x(x), .x_valid(x_valid), .y(dut_y), .y_valid(dut_v));
  always @* begin
    if (!rst) begin
      assert (ref_v == dut_v);
{checks}
    end
  end
endmodule
"""


def prove_array(spec, verilog_path, top=None, steps=None, evidence_dir=None):
    """Prove the array in ``verilog_path`` equal to :func:`array_reference_verilog`.

    Parameters
    ----------
    spec : Spec
        A spec with an ``array`` of at most :data:`MAX_CELLS` cells and no
        write ports (a programmable decoder's table is not the codebook's
        until written).
    verilog_path : pathlib.Path
        The array's combined Verilog (its unit and top), generated or edited.
    top : str, optional
        Default ``<name>_array``.
    steps : int, optional
        The bound ``N`` (default ``R + D + 1``, see the module docstring).
    evidence_dir : pathlib.Path, optional
        Where to keep the harness, the reference and the Yosys log.

    Returns
    -------
    dict
        ``{"result": "proved" | "failed", "method": ..., "steps": N, "seconds": ...}``.

    Raises
    ------
    ValueError
        If the array is too large or has write ports.
    ToolError
        If Yosys cannot read the design.
    """
    from ..export.array import array_name
    cfg = spec.array
    if cfg is None or cfg.rows * cfg.cols > MAX_CELLS:
        raise ValueError(f"Array must have at most {MAX_CELLS} cells for a proof, not "
                         f"{None if cfg is None else cfg.rows * cfg.cols}")
    flow = dataflow(spec)
    if flow.loads:
        arr = flow.component(spec, cells="instance")
        arr._MustUse__silence = arr.load.cell._MustUse__silence = True  # for its ports only
        if arr.load.extra:
            raise ValueError(f"Array of {spec.name!r} has decoder write ports: its multipliers "
                             f"are not the codebook's until written, so there is no reference")
    top = top or array_name(spec)
    steps = steps or (cfg.rows if flow.loads else 0) + max(latencies(spec)) + 1
    method = (f"yosys: harness of the design and an integer-matmul reference from the "
              f"codebook, load protocol assumed, one harness per column; sat -seq {steps} "
              f"-prove-asserts -set-assumes -set-init-zero (every input sequence of {steps} "
              f"edges from reset)")
    start = time.monotonic()
    result = Verdict.PROVED
    with tempfile.TemporaryDirectory(prefix=".formal-array-", dir=Path.cwd()) as tmp:
        work = Path(tmp)
        shutil.copyfile(verilog_path, work / "design.v")
        (work / "reference.v").write_text(array_reference_verilog(spec))
        # Columns are independent given the inputs: a harness asserting one column
        # keeps only that column's cone after `opt`, and C small SAT problems are
        # solved far faster than their conjunction (4 x 4 arrays came in reach).
        for c in range(cfg.cols):
            stem = f"formal_array_col{c}"
            (work / f"{stem}.sv").write_text(_harness_verilog(spec, top, c))
            script = "\n".join([
                "read_verilog design.v",
                "read_verilog reference.v",
                f"read_verilog -formal -sv {stem}.sv",
                f"hierarchy -check -top {_HARNESS}",
                "proc -norom",
                # Yosys reads assert/assume as $check cells; sat models $assert/$assume.
                "chformal -lower",
                "flatten",
                "pmuxtree",
                "setattr -unset init w:*",
                "opt -fast",
                f"sat -verify -seq {steps} -prove-asserts -set-assumes -set-init-zero "
                f"-show-inputs {_HARNESS}",
            ])
            log = run_sat(script, work, stem)
            if not re.search(r"SAT proof finished - no model found: SUCCESS", log):
                result = Verdict.FAILED
            if evidence_dir is not None:
                for name in (f"{stem}.sv", "reference.v", f"{stem}.ys", f"{stem}.log"):
                    if (work / name).exists():
                        shutil.copyfile(work / name, Path(evidence_dir) / name)
            if result == Verdict.FAILED:
                break
    return {"result": result, "method": method, "steps": steps,
            "seconds": round(time.monotonic() - start, 2)}
