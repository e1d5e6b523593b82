"""The command line: build, verify, outputs and exit statuses."""

import json

import numpy as np
import pytest

from shiftgen.verify.cocotb_runner import available
from shiftgen.spec import load_spec

from .support import ROOT, shiftgen

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("test_cli")


@pytest.fixture(scope="module")
def pot_build(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("cli")
    proc = shiftgen("build", str(ROOT / "specs" / "pot_4bit.yaml"), cwd=cwd)
    return proc, cwd / "build" / "pot_4bit"


def test_build_writes_every_output(pot_build):
    proc, out = pot_build
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "codebook.json", "pot_4bit.asic.v", "pot_4bit.core", "pot_4bit.generic.v", "pot_4bit.il",
        "pot_4bit.v", "pot_4bit.xilinx7.v", "report.json", "report.md", "vivado_ooc.tcl",
        "yosys_generic.ys", "yosys_xilinx7.ys"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]
    assert "LUT / FF / CARRY4" in proc.stdout


def test_report_json_has_the_promised_fields(pot_build):
    report = json.loads((pot_build[1] / "report.json").read_text())
    assert report["tools"]["yosys"].startswith("Yosys ")
    x = report["targets"]["xilinx7"]
    for key in ("LUT", "FF", "CARRY4", "LUT1", "LUT6", "MUXF7", "MUXF8", "recipe"):
        assert key in x
    g = report["targets"]["generic"]
    assert g["total"] == sum(g["cells"].values())
    assert report["depth"] == g["depth"] > 0
    a = report["targets"]["asic"]
    assert a["liberty"] == "osu018_stdcells.lib" and a["netlist"] == "pot_4bit.asic.v"
    assert a["area_um2"] > 0 and 0 < a["critical_path_ns"] < 1000 / a["clock_mhz"]
    assert a["fmax_mhz"] == pytest.approx(1000 / a["critical_path_ns"], rel=1e-3)
    power = a["power_mw"]["vectorless"]
    assert set(power) == {"internal", "switching", "leakage", "total"} and power["total"] > 0
    assert a["energy_pj_per_mac"]["vectorless"] == pytest.approx(
        power["total"] / a["clock_mhz"] * 1e3, rel=1e-4)
    assert a["conditions"] == "pre-layout, typical corner, no wire load, ideal clock"
    assert a["power_mw"]["simulated"]["total"] > 0
    dp = a["datapath"]  # seed 002 Fig. 4's combinational part: smaller than the PE
    assert 0 < dp["area_um2"] < a["area_um2"]
    assert 0 < dp["power_mw"]["vectorless"]["total"] < power["total"]
    assert report["verification"]["icarus_asic_netlist"] == {
        "result": "pass", "cases": 2000, "mismatches": 0}
    e = report["targets"]["ecp5"]
    assert e["device"] == "LFE5U-25F-CABGA256" and e["fmax_mhz"] > 0 and list(e["seeds"]) == ["1"]
    sim = report["verification"]["amaranth_sim"]
    assert sim == {"result": "pass", "cases": sim["cases"], "mismatches": 0, "exhaustive": True}
    codebook = json.loads((pot_build[1] / "codebook.json").read_text())
    assert codebook["family"] == "pot" and codebook["F"] == 7
    assert [c["multiplier"] for c in codebook["codes"]][:3] == [128, 64, 32]


def test_rebuild_is_byte_identical(pot_build, tmp_path):
    proc = shiftgen("build", str(ROOT / "specs" / "pot_4bit.yaml"), "--out", "other",
                    "--no-synth", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("pot_4bit.v", "pot_4bit.il", "codebook.json"):
        assert (tmp_path / "other" / "pot_4bit" / name).read_bytes() == \
            (pot_build[1] / name).read_bytes()


def test_verify_formal_only(tmp_path):
    proc = shiftgen("verify", str(ROOT / "specs" / "pot_4bit.yaml"), "--formal", "--no-synth",
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "build" / "pot_4bit" / "report.json").read_text())
    assert report["verification"]["formal"]["result"] == "proved"
    assert not any(k.startswith("cocotb") for k in report["verification"])


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
def test_verify_everything_from_a_relative_out_dir(tmp_path):
    proc = shiftgen("verify", str(ROOT / "specs" / "pot_4bit.yaml"), "--no-synth",
                    "--simulator", "icarus", "--out", "rel/out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "rel" / "out" / "pot_4bit" / "report.json").read_text())
    checks = report["verification"]
    assert checks["formal"]["result"] == "proved"
    assert checks["cocotb_icarus"]["result"] == "pass"
    assert checks["cocotb_icarus"]["mismatches"] == 0
    assert checks["cocotb_icarus"]["cases"] == 4097 + 4000
    assert sorted(p.name for p in (tmp_path / "rel" / "out").iterdir()) == ["pot_4bit"]
    assert "formal.log" in {p.name for p in (tmp_path / "rel" / "out" / "pot_4bit").iterdir()}


def test_verify_rtl_rejects_a_hand_edit(pot_build, tmp_path):
    edited = tmp_path / "edited.v"
    edited.write_text((pot_build[1] / "pot_4bit.v").read_text()
                      .replace("if (rst) acc <= 16'h0000;", "if (rst) acc <= 16'h0001;"))
    proc = shiftgen("verify", str(ROOT / "specs" / "pot_4bit.yaml"), "--formal",
                    "--rtl", str(edited), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: {edited}: verification failed: formal"]
    assert "failed" in proc.stdout


def test_verify_rtl_accepts_the_generated_file(pot_build, tmp_path):
    proc = shiftgen("verify", str(ROOT / "specs" / "pot_4bit.yaml"), "--formal", "--json",
                    "--rtl", str(pot_build[1] / "pot_4bit.v"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["formal"]["result"] == "proved"


def test_verify_rtl_missing_file(tmp_path):
    proc = shiftgen("verify", str(ROOT / "specs" / "pot_4bit.yaml"), "--rtl", "nope.v",
                    cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: nope.v: no such Verilog file"


def _conv_weights(tmp_path):
    rng = np.random.default_rng(5)
    path = tmp_path / "w.npy"
    np.save(path, rng.laplace(0, 0.02, (16, 8, 3, 3)))
    return path


def test_fit_writes_a_spec_and_prints_json(tmp_path):
    weights = _conv_weights(tmp_path)
    proc = shiftgen("fit", str(ROOT / "specs" / "sq_3bit.yaml"), "--weights", str(weights),
                    "--json", "--out", "fitted.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert len(summary["qps"]) == 4 and summary["qps"] == sorted(summary["qps"])
    assert summary["alpha"] > 0 and summary["loss"] > 0 and summary["subsets"] == 1365
    spec = load_spec(tmp_path / "fitted.yaml")
    assert list(spec.params.points) == summary["qps"]
    assert spec.params.alpha == summary["alpha"]
    assert spec.name == "sq_3bit"
    # w ~ alpha * sign * q: the loss the CLI reports is the loss of that quantizer.
    w = np.load(weights)
    q = spec.family.quantize(spec, w)
    assert np.sum((w - q.dequantize()) ** 2) == pytest.approx(summary["loss"], rel=1e-9)


def test_fit_per_channel_alpha(tmp_path):
    weights = _conv_weights(tmp_path)
    proc = shiftgen("fit", str(ROOT / "specs" / "sq_2bit.yaml"), "--weights", str(weights),
                    "--per-channel", "0", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert len(summary["alpha"]) == 16
    # The shipped spec's layer alpha would be stale next to 16 channel alphas.
    assert load_spec(ROOT / "specs" / "sq_2bit.yaml").params.alpha is not None
    assert load_spec(tmp_path / "sq_2bit_fit.yaml").params.alpha is None


@pytest.mark.parametrize("args, fragment", [
    (["--weights", "missing.npy"], "missing.npy: no such weights file"),
    (["--weights", "nan.npy"], "1 weights are NaN or infinite"),
    (["--weights", "ok.npy", "--per-channel", "5"], "--per-channel must be an axis"),
], ids=["missing", "nan", "bad_axis"])
def test_fit_bad_input_exits_2(tmp_path, args, fragment):
    np.save(tmp_path / "nan.npy", np.array([0.1, np.nan]))
    np.save(tmp_path / "ok.npy", np.array([0.1, -0.2]))
    proc = shiftgen("fit", str(ROOT / "specs" / "sq_3bit.yaml"), *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert fragment in proc.stderr
    assert not list(tmp_path.glob("*.yaml"))


def test_fit_refuses_a_family_without_parameters(tmp_path):
    np.save(tmp_path / "ok.npy", np.array([0.1, -0.2]))
    proc = shiftgen("fit", str(ROOT / "specs" / "pot_4bit.yaml"), "--weights", "ok.npy",
                    cwd=tmp_path)
    assert proc.returncode == 2
    assert "family 'pot' has no parameters to fit" in proc.stderr


def test_jlq_snr_json(tmp_path):
    proc = shiftgen("jlq-snr", "--s", "2", "--i", "-4", "--bits", "2", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # seed 004 Table I: s = 2, i = -4, 2-bit: 8.76 dB.
    assert json.loads(proc.stdout)["snr_db"] == pytest.approx(8.76, abs=0.05)


def test_jlq_snr_bad_argument_exits_2(tmp_path):
    proc = shiftgen("jlq-snr", "--s", "0", "--i", "-1", "--bits", "3", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: jlq-snr: ") and proc.stderr.count("\n") == 1


def test_fit_ausn_chooses_the_split(tmp_path):
    weights = _conv_weights(tmp_path)
    proc = shiftgen("fit", str(ROOT / "specs" / "ausn_8x5.yaml"), "--weights", str(weights),
                    "--json", "--out", "fitted.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    spec = load_spec(tmp_path / "fitted.yaml")
    assert (spec.params.basic, list(spec.params.sub)) == (summary["basic"], summary["sub"])
    assert spec.params.basic + sum(spec.params.sub) == 4
    assert summary["loss"] == min(c["error"] for c in summary["candidates"])


@pytest.mark.parametrize("command, target", [("build", "specs/pot_4bit.yaml"),
                                             ("sweep", "sweeps/families_40.yaml")])
@pytest.mark.parametrize("clock", ["0", "-5", "1e9"])
def test_bad_clock_is_one_line(command, target, clock, tmp_path):
    proc = shiftgen(command, str(ROOT / target), "--clock-mhz", clock, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --clock-mhz must be a clock in MHz")
    assert "Traceback" not in proc.stderr and not any(tmp_path.iterdir())


def test_power_at_a_clock_the_pe_cannot_meet_is_refused(tmp_path):
    from shiftgen.export.verilog import export
    from shiftgen.synth.asic import asic_target
    from shiftgen.synth.sta import find_sta
    if find_sta() is None:
        pytest.skip("OpenSTA not installed")
    spec = load_spec(ROOT / "specs" / "pot_4bit.yaml")
    _, verilog = export(spec, spec.elaborate(), tmp_path)
    res = asic_target(verilog, spec.name, tmp_path, clock_mhz=1000.0)
    assert res["power_mw"] is None and res["critical_path_ns"] > 1.0
    assert res["reason"].startswith("power refused: the critical path of")
