"""da4ml's own Verilog of a constant array's matrix, synthesized with shiftgen's xilinx7 recipe.

The figure issue 15 compares against: the same integer matrix (the spec's
codes through its codebook) traced with da4ml 0.6 (``FixedVariableArray.from_kif``,
``comb_trace(x, x @ M)``) and written by da4ml's ``RTLModel(..., flavor='verilog')``,
every adder output marked ``keep`` (as the issue's measurement did), combinational
(no input or output register), then one flattened ``synth_xilinx -nodsp`` run by
the Yosys shiftgen uses. ``shiftgen build`` reports its own writer's figures of
da4ml's graph beside the shiftadd back end; this script gives da4ml's writer's.

Usage: python scripts/da4ml_reference.py SPEC [--out DIR]   (prints JSON)
"""

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def da4ml_verilog(spec, out_dir):
    """Write da4ml's Verilog of ``spec``'s constant matrix into ``out_dir``; (path, top)."""
    from da4ml.codegen import RTLModel
    from da4ml.trace import FixedVariableArray, comb_trace
    from shiftgen.weights.constant import constant_weights
    matrix = spec.codebook.table[constant_weights(spec).codes].astype(np.float32)
    rows = spec.array.rows
    A = spec.pe.act_bits
    signed = spec.pe.act_signed
    x = FixedVariableArray.from_kif(np.full(rows, signed), np.full(rows, A - signed),
                                    np.zeros(rows, dtype=int))
    comb = comb_trace(x, x @ matrix)
    top = f"{spec.name}_da4ml"
    with tempfile.TemporaryDirectory() as tmp:
        RTLModel(comb, top, Path(tmp) / "prj", flavor="verilog").write()
        src = Path(tmp) / "prj" / "src"
        body = (src / f"{top}.v").read_text()
        adder = (src / "static" / "shift_adder.v").read_text()
    # keep on every value wire, so Yosys keeps each adder an adder (issue 15).
    body = re.sub(r"^(\s*)wire ", r"\1(* keep *) wire ", body, flags=re.M)
    path = Path(out_dir) / f"{top}.v"
    path.write_text(adder + "\n" + body)
    return path, top


def main(argv=None):
    from shiftgen.spec import load_spec
    from shiftgen.synth.run import run_candidate
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec")
    parser.add_argument("--out", default="build/da4ml_reference")
    args = parser.parse_args(argv)
    spec = load_spec(args.spec)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path, top = da4ml_verilog(spec, out)
    start = time.monotonic()
    res = run_candidate(path, top, "xilinx7", False)
    res = {k: v for k, v in res.items() if k != "cells"}
    print(json.dumps({"spec": spec.name, "verilog": str(path), **res,
                      "seconds": round(time.monotonic() - start, 1)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
