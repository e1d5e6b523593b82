# amaranth: UnusedElaboratable=no
"""``examples/digits_demo.py`` in its reduced form: every family, 16 images through the array."""

import importlib
import json

import numpy as np
import pytest

from .support import ROOT

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("test_examples")

pytest.importorskip("sklearn")

SAMPLES = 16


@pytest.fixture(scope="module")
def demo():
    # On sys.path by name, so the demo's spawned simulation workers import it too.
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT / "examples"))
        yield importlib.import_module("digits_demo")


@pytest.fixture(scope="module")
def result(demo):
    """``main(["--samples", "16", "--json"])``: its exit status and its JSON."""
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = demo.main(["--samples", str(SAMPLES), "--json"])
    return status, json.loads(out.getvalue())


def test_array_matches_golden(demo, result):
    status, doc = result
    assert status == 0
    assert [r["family"] for r in doc["families"]] == list(demo.CONFIGS)
    for row in doc["families"]:
        assert row["array_samples"] == SAMPLES, row["family"]
        assert row["mismatches"] == 0, row["family"]
    assert doc["mismatches"] == 0
    assert doc["array"] == {"rows": 64, "cols": 16, "samples": SAMPLES}


def test_accuracy(result):
    _, doc = result
    net = doc["network"]
    assert net["converged"]
    assert net["float_accuracy"] > 0.9
    assert doc["dataset"]["test"] == 450
    for row in doc["families"]:
        assert row["accuracy"] > 0.8, row["family"]
        # auto: the scale granularity with the higher weight SNR
        assert row["snr_db"] == max(row["snr_db_by_scale"].values())
        assert row["snr_db_by_scale"][row["scale_mode"]] == row["snr_db"]
        assert abs(row["accuracy"] - net["float_accuracy"] - row["delta"]) < 1e-12
    uniform = next(r for r in doc["families"] if r["family"] == "uniform")
    assert abs(uniform["delta"]) <= 0.02  # 8-bit weights: as good as float


def test_table(demo, result):
    _, doc = result
    text = demo.format_table(doc)
    assert f"array-checked samples: {SAMPLES} of 450" in text
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + len(demo.CONFIGS)


def test_quantized_layer_is_the_real_layer(demo):
    """Per channel and per layer, each family's integer outputs scale back to ``X @ W_q``."""
    _, x_test, _, _ = demo.load_data()
    rng = np.random.default_rng(0)
    w = rng.laplace(scale=0.02, size=(64, 16))
    for per_channel in (True, False):
        for name in demo.CONFIGS.values():
            fitted, drop = demo.fit_spec(name, w, per_channel)
            spec = demo.make_spec(name, fitted, drop)
            qm = demo.quantize_layer(spec, w, per_channel)
            assert qm.codes.shape == w.shape
            assert np.ndim(qm.scale) == (1 if per_channel else 0), name
            y = demo.golden.matmul(spec.codebook, x_test, qm.codes)
            np.testing.assert_allclose(y * np.asarray(qm.scale) * 2.0 ** -spec.codebook.F,
                                       x_test @ qm.dequantized, rtol=1e-9, atol=1e-12)
            assert qm.stats["snr_db"] > 5, (name, per_channel)


def test_mismatch_is_counted(demo):
    """A wrong array output shows up as a mismatch (and in the exit status via ``mismatches``)."""
    _, x_test, _, y_test = demo.load_data()
    rng = np.random.default_rng(1)
    net = demo.Network(rng.normal(scale=0.05, size=(64, 16)), np.zeros(16),
                       rng.normal(size=(16, 10)), np.zeros(10))
    prep = demo.run_family("pot_4bit", net, x_test, 4, "layer")
    y = prep["golden"][:4].copy()
    assert demo._finish(prep, y, 0.0, net, y_test, 0.5)["mismatches"] == 0
    y[2, 3] += 1
    assert demo._finish(prep, y, 0.0, net, y_test, 0.5)["mismatches"] == 1


@pytest.fixture(scope="module")
def constant_result(demo, tmp_path_factory):
    """``--constant`` for PoT: its layer baked into a constant-weight array and built."""
    import contextlib
    import io
    out = io.StringIO()
    where = tmp_path_factory.mktemp("digits-constant")
    with contextlib.redirect_stdout(out):
        status = demo.main(["--samples", str(SAMPLES), "--families", "pot", "--constant",
                            str(where), "--json"])
    return status, json.loads(out.getvalue()), where


def test_constant_layer_matches_golden_and_is_measured(demo, result, constant_result):
    status, doc, where = constant_result
    assert status == 0 and doc["mismatches"] == 0
    row, = doc["families"]
    c = row["constant"]
    assert c["array_samples"] == SAMPLES and c["mismatches"] == 0
    # The same codes as the weight-stationary layer: the same outputs, the same accuracy.
    loadable = next(r for r in result[1]["families"] if r["family"] == "pot")
    assert c["accuracy"] == row["accuracy"] == loadable["accuracy"]
    assert set(c["build_checks"].values()) == {"pass"}
    assert c["backend"] in ("shiftadd", "da4ml") and c["LUT"] > 0
    report = json.loads((where / "pot" / "build" / "pot_4bit" / "report.json").read_text())
    assert report["array"]["targets"]["xilinx7"]["totals"]["LUT"] == c["LUT"]
    asic = report["array"]["targets"]["asic"]
    assert asic["meets_clock"] and asic["clock_mhz"] == c["clock_mhz"] == demo.CONSTANT_CLOCK_MHZ
    # mW / MHz is nJ a cycle, one image a cycle.
    assert c["energy_nj_per_inference"] == pytest.approx(
        asic["power_mw"]["vectorless"]["total"] / asic["clock_mhz"], rel=1e-6)
    text = demo.format_table(doc)
    assert f"| pot | {c['backend']} | {c['LUT']} |" in text
