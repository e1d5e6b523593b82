"""Flow files of a build directory: FuseSoC core, Vivado OOC script, Yosys scripts."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from shiftgen import __version__
from shiftgen.synth.flow_files import (DEFAULT_PART, booth_choice, core_version, recipe_scripts,
                                 write_flow_files, write_yosys_scripts)
from shiftgen.spec import parse_spec
from shiftgen.synth.pe import synthesize
from shiftgen.tools.yosys import find_yosys

from ..support import shipped_spec

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("synth.test_flow_files")

NAME = "pot_4bit"


def _write(out_dir, verilog, **kwargs):
    """Copy the exported PE into ``out_dir`` and write its flow files there."""
    out_dir.mkdir(exist_ok=True)
    shutil.copy(verilog, out_dir / verilog.name)
    files = [verilog.name]
    kwargs.setdefault("recipes", recipe_scripts(files, NAME))
    return write_flow_files(out_dir, name=NAME, top=NAME, verilog_files=files, **kwargs)


@pytest.fixture(scope="module")
def verilog(exported):
    return exported(shipped_spec(NAME))[0]


@pytest.fixture(scope="module")
def flow_dir(verilog, tmp_path_factory):
    out = tmp_path_factory.mktemp("flow") / NAME
    _write(out, verilog)
    return out


def test_writes_the_core_the_vivado_script_and_one_yosys_script_per_target(flow_dir):
    assert sorted(p.name for p in flow_dir.iterdir()) == [
        f"{NAME}.core", f"{NAME}.v", "vivado_ooc.tcl", "yosys_generic.ys", "yosys_xilinx7.ys"]


def test_core_file_is_capi2_with_the_four_targets(flow_dir):
    text = (flow_dir / f"{NAME}.core").read_text()
    assert text.startswith("CAPI=2:\n")
    core = yaml.safe_load(text.split("\n", 1)[1])
    assert core["name"] == f"shiftgen:generated:{NAME}:{__version__}"
    assert core["filesets"] == {"rtl": {"files": [f"{NAME}.v"], "file_type": "verilogSource"}}
    targets = core["targets"]
    assert set(targets) == {"default", "lint", "sim", "synth"}
    assert targets["default"] == {"filesets": ["rtl"]}
    for t in ("lint", "sim", "synth"):
        assert targets[t]["filesets"] == ["rtl"] and targets[t]["toplevel"] == NAME
    assert targets["lint"]["flow"] == "lint"
    assert targets["lint"]["flow_options"] == {"tool": "verilator", "verilator_options": ["-Wall"]}
    assert targets["sim"]["flow_options"]["tool"] == "icarus"
    synth = targets["synth"]["flow_options"]
    assert synth["tool"] == "yosys" and synth["arch"] == "xilinx"
    assert "-nodsp" in synth["yosys_synth_options"]


def test_vivado_script_runs_out_of_context_without_dsps(flow_dir):
    text = (flow_dir / "vivado_ooc.tcl").read_text()
    assert "vivado -mode batch -source vivado_ooc.tcl" in text
    assert "seed 002 Table 10" in text and "Zynq-7000" in text
    commands = [l for l in text.splitlines() if l and not l.startswith("#")]
    assert f"read_verilog {NAME}.v" in commands
    assert f"synth_design -top {NAME} -part {DEFAULT_PART} -mode out_of_context -max_dsp 0" \
        in commands
    assert "report_utilization -file utilization.rpt" in commands
    assert any(c.startswith("report_timing_summary") for c in commands)
    assert commands.index(f"read_verilog {NAME}.v") < commands.index(
        "report_utilization -file utilization.rpt")


def test_part_is_a_parameter(verilog, tmp_path):
    _write(tmp_path, verilog, part="xc7a100tcsg324-1")
    assert f"synth_design -top {NAME} -part xc7a100tcsg324-1 " in \
        (tmp_path / "vivado_ooc.tcl").read_text()


@pytest.mark.parametrize("part", ["", "xc7z020 clg400", "xc7z020;exit", "../x", None, 7])
def test_bad_part_is_refused_before_anything_is_written(verilog, tmp_path, part):
    with pytest.raises(ValueError, match="Part must be .*" + re.escape(f"not {part!r}")):
        _write(tmp_path, verilog, part=part)
    assert [p.name for p in tmp_path.iterdir()] == [verilog.name]


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "pot 4bit"}, "Name must be"),
    ({"top": "4bit"}, "Top must be"),
    ({"verilog_files": ["../elsewhere.v"]}, "must be inside"),
    ({"verilog_files": ["missing.v"]}, "must exist"),
    ({"verilog_files": []}, "non-empty list"),
    ({"recipes": {"xilinx7": "synth_xilinx"}}, "Recipe must be"),
    ({"recipes": {"xilinx7": ["read_verilog a.v\nexit"]}}, "Recipe must be"),
    ({"recipes": {"xilinx 7": ["stat"]}}, "Recipe target must be"),
    ({"report_path": "targets"}, "Report path must contain"),
    ({"prefix": "a/b"}, "Prefix must be"),
    ({"lint_waivers": ["-Wall"]}, "Lint waiver must be"),
])
def test_bad_arguments(verilog, tmp_path, kwargs, message):
    shutil.copy(verilog, tmp_path / verilog.name)
    args = {"name": NAME, "top": NAME, "verilog_files": [verilog.name], **kwargs}
    with pytest.raises(ValueError, match=message):
        write_flow_files(tmp_path, **args)


def test_output_is_deterministic(verilog, flow_dir, tmp_path):
    again = tmp_path / "again"
    _write(again, verilog)
    for path in flow_dir.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    written = _write(again, verilog)  # rewriting in place changes nothing either
    assert all(p.read_bytes() == (flow_dir / p.name).read_bytes() for p in written)


def test_core_version_is_a_valid_fusesoc_version():
    assert core_version("0.1.0") == "0.1.0"
    assert core_version("1.2.dev3+g1a2b.dirty") == "1.2.dev3.g1a2b.dirty"
    assert core_version("2.0-rc1") == "2.0.rc1"  # '-r<digits>' would read as a core revision
    assert core_version("dev") == "0.dev"


def test_recipes_follow_the_winning_candidate():
    scripts = recipe_scripts(["a.v", "b.v"], "top", booth={"xilinx7": True})
    x, g = scripts["xilinx7"], scripts["generic"]
    assert x[0] == g[0] == "read_verilog a.v b.v"
    assert x[1:5] == ["proc", "opt", "wreduce", "booth"]
    assert not any("booth" in c for c in g)
    top = recipe_scripts(["t.v"], "t", libs=["c.v"], flatten=False, depth=False)
    assert top["xilinx7"][:3] == ["read_verilog -lib c.v", "read_verilog t.v",
                                  "synth_xilinx -top t -nodsp -noiopad -noclkbuf"]
    assert not any("ltp" in c or "-flatten" in c for c in top["generic"])
    assert booth_choice({"xilinx7": {"recipe": "proc; opt; wreduce; booth; synth_xilinx"},
                         "generic": {"recipe": "synth -top t -flatten"}}) == \
        {"xilinx7": True, "generic": False}


def _xilinx(cells):
    return {"LUT": sum(v for k, v in cells.items() if re.fullmatch(r"LUT\d", k)),
            "FF": sum(v for k, v in cells.items() if re.fullmatch(r"FD[A-Z]*", k)),
            "CARRY4": cells.get("CARRY4", 0)}


def test_yosys_script_reproduces_the_reported_figures(verilog, flow_dir):
    # The script as a user runs it, beside shiftgen's own run (the two at once).
    script = subprocess.Popen([find_yosys().command, "-q", "-s", "yosys_xilinx7.ys"],
                              cwd=flow_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    report = synthesize(flow_dir / verilog.name, NAME, targets=("xilinx7",))["xilinx7"]
    output = script.communicate()[0]
    assert script.returncode == 0, output
    lines = (flow_dir / "yosys_xilinx7.ys").read_text().splitlines()
    assert lines[0].startswith("#") and "reproduces report.json targets.xilinx7" in lines[1]
    assert "yosys -s yosys_xilinx7.ys" in "\n".join(lines[:4])
    commands = [l for l in lines if not l.startswith("#")]
    assert commands[0] == f"read_verilog {NAME}.v"
    assert "; ".join(commands[1:-2]) == report["recipe"]
    stat = json.loads((flow_dir / f"stat_{NAME}_xilinx7.json").read_text())
    cells = stat["modules"][f"\\{NAME}"]["num_cells_by_type"]
    assert _xilinx(cells) == {k: report[k] for k in ("LUT", "FF", "CARRY4")}
    assert report["LUT"] > 0 and report["FF"] == 16


def _fusesoc(flow_dir, tmp_path, *args):
    pytest.importorskip("fusesoc")
    env = {**os.environ, **{v: str(tmp_path / v.lower()) for v in
                            ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")}}
    return subprocess.run([sys.executable, "-m", "fusesoc.main", "--cores-root", str(flow_dir),
                           *args], cwd=tmp_path, env=env, capture_output=True, text=True)


def _run_target(flow_dir, tmp_path, target, name=NAME):
    proc = _fusesoc(flow_dir, tmp_path, "run", "--build-root", str(tmp_path / "fsb"),
                    "--target", target, f"shiftgen:generated:{name}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_fusesoc_accepts_the_core(flow_dir, tmp_path):
    proc = _fusesoc(flow_dir, tmp_path, "core-info", f"shiftgen:generated:{NAME}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"shiftgen:generated:{NAME}:{__version__}" in proc.stdout
    for target in ("default", "lint", "sim", "synth"):
        assert re.search(rf"^{target}\s+:", proc.stdout, re.M), target


@pytest.mark.skipif(not all(map(shutil.which, ("iverilog", "vvp", "make"))),
                    reason="Icarus Verilog (or make) is not installed")
def test_fusesoc_sim_target_elaborates_in_icarus(flow_dir, tmp_path):
    proc = _run_target(flow_dir, tmp_path, "sim")
    assert f"iverilog -s{NAME}" in proc.stdout and "vvp" in proc.stdout


def test_fusesoc_lint_target_runs_verilator_wall(flow_dir, tmp_path):
    pytest.importorskip("fusesoc")
    from shiftgen.verify.cocotb_runner import _verilator_env
    _verilator_env()
    if shutil.which("verilator") is None or shutil.which("make") is None:
        pytest.skip("verilator (or make) is not installed")
    proc = _run_target(flow_dir, tmp_path, "lint")
    assert "verilator" in proc.stdout


ARRAY_SPEC = """name: pot_2x2
family: pot
pe: {act_bits: 8, weight_bits: 4, acc_bits: 16}
array: {rows: 2, cols: 2}
"""


@pytest.fixture(scope="module")
def array_dir(tmp_path_factory):
    """A 2 x 2 PoT array exported with its flow files beside the PE's, as a build does."""
    from shiftgen.export.array import export_array
    out = tmp_path_factory.mktemp("array")
    ex = export_array(parse_spec(ARRAY_SPEC, path="pot_2x2.yaml"), out)
    cell, top = ex["cell_name"], ex["top_name"]
    write_flow_files(out, name=top, top=top, verilog_files=[ex["verilog"].name],
                     lint_waivers=("DECLFILENAME", "PINMISSING"), prefix="array_")
    write_yosys_scripts(out, recipe_scripts([ex["cell"].name], cell), prefix="array_cell_",
                        report_path="array.targets.{target}.cell")
    write_yosys_scripts(out, recipe_scripts([ex["top"].name], top, libs=[ex["cell"].name],
                                            flatten=False, depth=False),
                        prefix="array_top_", report_path="array.targets.{target}.top")
    return out


def test_array_flow_files_sit_beside_the_pe_without_clashing(array_dir):
    names = {p.name for p in array_dir.iterdir()}
    assert {"pot_2x2_array.core", "array_vivado_ooc.tcl", "array_cell_yosys_xilinx7.ys",
            "array_top_yosys_generic.ys"} <= names
    assert "vivado_ooc.tcl" not in names and "yosys_xilinx7.ys" not in names
    assert "vivado -mode batch -source array_vivado_ooc.tcl" in \
        (array_dir / "array_vivado_ooc.tcl").read_text()
    top = (array_dir / "array_top_yosys_xilinx7.ys").read_text()
    assert "reproduces report.json array.targets.xilinx7.top" in top
    assert "read_verilog -lib pot_2x2_cell.v\nread_verilog pot_2x2_array_top.v\n" in top
    core = yaml.safe_load((array_dir / "pot_2x2_array.core").read_text().split("\n", 1)[1])
    assert core["targets"]["lint"]["flow_options"]["verilator_options"] == \
        ["-Wall", "-Wno-DECLFILENAME", "-Wno-PINMISSING"]


def test_fusesoc_lint_target_runs_on_the_array(array_dir, tmp_path):
    pytest.importorskip("fusesoc")
    from shiftgen.verify.cocotb_runner import _verilator_env
    _verilator_env()
    if shutil.which("verilator") is None or shutil.which("make") is None:
        pytest.skip("verilator (or make) is not installed")
    _run_target(array_dir, tmp_path, "lint", "pot_2x2_array")
