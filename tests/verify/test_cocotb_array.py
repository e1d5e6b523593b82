# amaranth: UnusedElaboratable=no
"""cocotb (shiftgen.verify.cocotb_array) on exported MAC arrays, with Icarus and Verilator.

Every family as an 8 x 8 array on Icarus, pot_4bit as 16 x 16 on both
simulators, and two families as 8 x 8 on Verilator (each Verilator build
compiles C++ for 20 to 60 s, so it runs on few designs). Each run has two or
more jobs, so the array reloads its weights between matrices.
"""

from dataclasses import replace

import numpy as np
import pytest
import yaml

from shiftgen.export.array import export_array
from shiftgen.verify.schedule import random_jobs
from shiftgen.golden import matmul
from shiftgen.hdl.array import psum_bits
from shiftgen.verify.cocotb_runner import available, run_cocotb_array
from shiftgen.spec import load_spec

from ..support import ROOT

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("verify.test_cocotb_array")

FAMILY_SPECS = ["uniform_4x8", "pot_4bit", "apot_4bit", "sq_4bit", "jlq_3bit", "ausn_8x4",
                "ausn_ausn_6x6"]

needs = {s: pytest.mark.skipif(not available(s), reason=f"{s} not installed")
         for s in ("icarus", "verilator")}


@pytest.fixture(scope="session")
def exported_array(tmp_path_factory):
    """``get(stem, rows, cols, decoder=None)``: (spec, Verilog path), exported once a session.

    The spec is written to a file (the cocotb process loads it from there).
    """
    cache = {}

    def get(stem, rows, cols, decoder=None):
        key = (stem, rows, cols, decoder)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"array-{stem}-{rows}x{cols}-{decoder or 'pe'}")
            doc = yaml.safe_load((ROOT / "specs" / f"{stem}.yaml").read_text())
            doc["array"] = {"rows": rows, "cols": cols}
            if decoder:
                doc["array"]["decoder"] = decoder
            path = out / f"{stem}.yaml"
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
            spec = load_spec(path)
            cache[key] = (spec, export_array(spec, out)["verilog"])
        return cache[key]
    return get


def check_pass(result, jobs, cols):
    assert result["failed_tests"] == 0
    assert result["mismatches"] == 0
    assert result["result"] == "pass"
    # Every output value of every job was compared.
    assert [j["cases"] for j in result["jobs"]] == [len(x) * cols for _, x in jobs]
    assert all(j["mismatches"] == 0 for j in result["jobs"])
    assert result["cases"] == sum(len(x) for _, x in jobs) * cols
    assert result["cycles"] > 0


def two_weight_matrices(jobs):
    """The jobs load different weights, so passing needs the reload."""
    return not np.array_equal(jobs[0][0], jobs[1][0])


@needs["icarus"]
@pytest.mark.parametrize("stem", FAMILY_SPECS)
def test_8x8_every_family_on_icarus(stem, exported_array, tmp_path):
    spec, verilog = exported_array(stem, 8, 8)
    jobs = random_jobs(spec, 2, 24, seed=1)
    assert two_weight_matrices(jobs)
    result = run_cocotb_array(spec, verilog, jobs, "icarus", work_dir=tmp_path)
    check_pass(result, jobs, 8)


# Verilator compiles each array for ~30 s: CI runs one Verilator array (sq 8 x 8,
# below); the 16 x 16 and uniform runs are in the slow set.
@pytest.mark.parametrize("simulator", [
    pytest.param("icarus", marks=needs["icarus"]),
    pytest.param("verilator", marks=[needs["verilator"], pytest.mark.slow])])
def test_16x16_pot_4bit(simulator, exported_array, tmp_path):
    spec, verilog = exported_array("pot_4bit", 16, 16)
    jobs = random_jobs(spec, 2, 64, seed=2)
    result = run_cocotb_array(spec, verilog, jobs, simulator, work_dir=tmp_path)
    check_pass(result, jobs, 16)


@needs["icarus"]
@pytest.mark.parametrize("decoder", ["column", "array"])
def test_sq_shared_decoder_on_icarus(decoder, exported_array, tmp_path):
    spec, verilog = exported_array("sq_4bit", 8, 8, decoder)
    assert spec.codebook.setup  # the QPS writes go through the shared decoder's port
    jobs = random_jobs(spec, 2, 24, seed=3)
    result = run_cocotb_array(spec, verilog, jobs, "icarus", work_dir=tmp_path)
    check_pass(result, jobs, 8)


@needs["verilator"]
@pytest.mark.parametrize("stem", [pytest.param("uniform_4x8", marks=pytest.mark.slow),
                                  "sq_4bit"])
def test_8x8_on_verilator(stem, exported_array, tmp_path):
    spec, verilog = exported_array(stem, 8, 8)
    jobs = random_jobs(spec, 2, 48, seed=4)
    result = run_cocotb_array(spec, verilog, jobs, "verilator", work_dir=tmp_path)
    check_pass(result, jobs, 8)


@needs["icarus"]
def test_weights_reload_between_matrices(exported_array, tmp_path):
    """Three matrices, no reset between them: the same X under W0, W1, then W0 again."""
    spec, verilog = exported_array("pot_4bit", 8, 8)
    rng = np.random.default_rng(6)
    x = rng.integers(-128, 128, (16, 8))
    w0 = rng.integers(0, 16, (8, 8))
    w1 = (w0 + rng.integers(1, 16, (8, 8))) % 16  # every code changes
    y0, y1 = matmul(spec.codebook, x, w0), matmul(spec.codebook, x, w1)
    assert np.count_nonzero(y0 != y1) > 0.9 * y0.size  # a missed reload would show
    jobs = [(w0, x), (w1, x), (w0, x[::-1])]
    result = run_cocotb_array(spec, verilog, jobs, "icarus", work_dir=tmp_path, gap=1)
    check_pass(result, jobs, 8)
    assert len(result["jobs"]) == 3


def _swap_columns(text, spec):
    """The last row's psum of columns 0 and 1 drive each other's output."""
    P = psum_bits(spec)
    a, b = f".psum_out(y[{P - 1}:0])", f".psum_out(y[{2 * P - 1}:{P}])"
    assert text.count(a) == text.count(b) == 1
    return text.replace(a, "@A@").replace(b, a).replace("@A@", b)


def _drop_valid(text, spec):
    """Column 1 never flags a result."""
    old = "else y_valid[1] <= y_valid[0];"
    assert text.count(old) == 1
    return text.replace(old, "else y_valid[1] <= 1'h0;")


def _early_valid(text, spec):
    """Column 0 flags its result one cycle early."""
    R = spec.array.rows
    old = f"else y_valid[0] <= valid{R - 1};"
    assert text.count(old) == 1
    return text.replace(old, f"else y_valid[0] <= valid{R - 2};")


@needs["icarus"]
@pytest.mark.parametrize("mutate", [_swap_columns, _drop_valid, _early_valid],
                         ids=["swap-columns", "drop-valid", "early-valid"])
def test_cocotb_catches_a_broken_array(mutate, exported_array, tmp_path):
    spec, verilog = exported_array("pot_4bit", 8, 8)
    broken = tmp_path / "broken.v"
    broken.write_text(mutate(verilog.read_text(), spec))
    jobs = random_jobs(spec, 2, 16, seed=7)
    result = run_cocotb_array(spec, broken, jobs, "icarus", work_dir=tmp_path)
    assert result["result"] == "fail"
    assert result["failed_tests"] == 1
    assert result["mismatches"] > 0
    if mutate is _drop_valid:
        assert "expected 32 results per column" in result["error"]


def test_spec_file_must_hold_the_spec(exported_array, tmp_path):
    spec, verilog = exported_array("pot_4bit", 8, 8)
    other = load_spec(ROOT / "specs" / "pot_4bit.yaml")  # no array section
    with pytest.raises(ValueError, match="array section"):
        run_cocotb_array(other, verilog, [], "icarus", work_dir=tmp_path)
    path = tmp_path / "pot_4bit.yaml"
    path.write_text(spec.path.read_text().replace("rows: 8", "rows: 4"))
    with pytest.raises(ValueError, match="does not hold this spec"):
        run_cocotb_array(replace(spec, path=path), verilog, [], "icarus", work_dir=tmp_path)
