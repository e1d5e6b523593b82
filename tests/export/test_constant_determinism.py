"""A constant-weight array's Verilog is byte-identical across runs, directories and hash seeds,
for both back ends."""

import os
import subprocess
import sys

from shiftgen.hdl.da4ml_graph import da4ml_available

from ..constant_support import constant_spec
from ..support import ROOT

EXPORT = """
import sys
from pathlib import Path
from shiftgen.export.array import array_name
from shiftgen.export.verilog import export
from shiftgen.hdl.constant import ConstantArray
from shiftgen.spec import load_spec

spec, out = load_spec(sys.argv[1]), Path(sys.argv[2])
for backend in sys.argv[3:]:
    d = out / backend
    d.mkdir(parents=True)
    export(spec, ConstantArray(spec, backend), d, name=array_name(spec), keep=True)
"""


def _export(spec, out, seed, backends, cwd):
    cwd.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONHASHSEED": str(seed),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", EXPORT, str(spec.path), str(out), *backends],
                          cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def test_constant_array_export_is_deterministic(tmp_path):
    spec, _ = constant_spec(tmp_path, "apot_4bit", rows=6, cols=4, backend="auto")
    backends = ["shiftadd"] + (["da4ml"] if da4ml_available() else [])
    first = _export(spec, tmp_path / "a" / "out", 1, backends, tmp_path / "a")
    second = _export(spec, tmp_path / "elsewhere" / "b", 2, backends, tmp_path / "c" / "d")
    assert first == second
    assert {n.split("/")[0] for n in first if n.endswith(".v")} == set(backends)
