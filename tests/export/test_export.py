# amaranth: UnusedElaboratable=no
"""Exported Verilog: lint-clean, deterministic, readable by Icarus and Yosys."""

import shutil
import subprocess

import pytest

from shiftgen.export.verilog import export
from shiftgen.verify.cocotb_runner import available

from ..support import all_spec_params, shipped_spec


@pytest.mark.skipif(not available("verilator"), reason="verilator not installed")
@pytest.mark.parametrize("any_spec", all_spec_params(), indirect=True)
def test_verilator_lint_wall_clean(any_spec, exported):
    verilog, _ = exported(any_spec)
    proc = subprocess.run(["verilator", "--lint-only", "-Wall", str(verilog)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "%Warning" not in proc.stderr


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="iverilog not installed")
@pytest.mark.parametrize("any_spec", all_spec_params(), indirect=True)
def test_icarus_reads_it(any_spec, exported, tmp_path):
    verilog, _ = exported(any_spec)
    proc = subprocess.run(["iverilog", "-g2005", "-o", str(tmp_path / "a.out"), str(verilog)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("any_spec", all_spec_params(), indirect=True)
def test_ports_follow_the_pe_interface(any_spec, exported):
    text = exported(any_spec)[0].read_text()
    pe = any_spec.pe
    assert f"module {any_spec.name}(" in text
    assert f"input {'signed ' if pe.act_signed else ''}[{pe.act_bits - 1}:0] a;" in text
    assert f"input [{pe.weight_bits - 1}:0] w;" in text or \
        f"input signed [{pe.weight_bits - 1}:0] w;" in text
    assert f"output signed [{pe.acc_bits - 1}:0] acc;" in text
    for port in ("clk", "rst", "en"):
        assert f"input {port};" in text


def test_same_spec_gives_byte_identical_output(tmp_path):
    spec = shipped_spec("pot_4bit")
    outputs = []
    for run in ("one", "two"):
        out = tmp_path / run
        out.mkdir()
        il, v = export(spec, spec.elaborate(), out)
        outputs.append((il.read_bytes(), v.read_bytes()))
        assert sorted(p.name for p in out.iterdir()) == ["pot_4bit.il", "pot_4bit.v"]
    assert outputs[0] == outputs[1]
    # No absolute paths or source locations leak into the output.
    assert b"/tmp" not in outputs[0][1] and b"src" not in outputs[0][1]
