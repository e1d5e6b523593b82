"""``shiftgen quantize``: weight matrix -> codes, $readmemh data, scale and error figures."""

import json
import math
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from shiftgen.weights import quantize as qmod
from shiftgen.cli import main
from shiftgen.errors import InputError
from shiftgen.verify.cocotb_runner import available
from shiftgen.weights.quantize import (check_matrix, load_matrix, quantize_matrix, read_hex,
                               write_hex, write_outputs)
from shiftgen.spec import load_spec

from ..support import ROOT, SPEC_PATHS

K, N = 16, 8


def matrix(k=K, n=N, seed=0):
    return np.random.default_rng(seed).normal(size=(k, n))


def spec_params():
    return [pytest.param(load_spec(p), id=p.stem) for p in SPEC_PATHS]


def check_result(spec, w, qm, tmp_path):
    B, cb = spec.pe.weight_bits, spec.codebook
    assert qm.codes.shape == w.shape and qm.codes.dtype == np.int64
    assert 0 <= qm.codes.min() and qm.codes.max() < 1 << B
    # The real weight is scale * 2**-F * multiplier[code].
    scale = np.asarray(qm.scale, dtype=np.float64)
    assert np.array_equal(qm.dequantized, scale * (cb.table[qm.codes] * 2.0 ** -cb.F))
    err = w - qm.dequantized
    snr = 10 * math.log10(np.sum(w ** 2) / np.sum(err ** 2))
    assert qm.stats["mse"] == pytest.approx(np.mean(err ** 2), rel=1e-12)
    assert qm.stats["snr_db"] == pytest.approx(snr, rel=1e-12)
    assert qm.stats["max_abs_error"] == pytest.approx(np.max(np.abs(err)), rel=1e-12)
    assert qm.stats["codes_used"] == len(set(qm.codes.ravel().tolist()))
    # $readmemh file: K lines of ceil(N*B/4) lowercase hex digits, exact round trip.
    hex_path = tmp_path / "w.hex"
    write_hex(hex_path, qm.codes, B)
    text = hex_path.read_text()
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == w.shape[0] + 1
    digits = -(-w.shape[1] * B // 4)
    assert all(len(line) == digits and not line.strip("0123456789abcdef")
               for line in lines[:-1])
    assert np.array_equal(read_hex(hex_path, w.shape, B), qm.codes)
    for k, line in enumerate(lines[:-1]):
        word = int(line, 16)
        assert [(word >> (j * B)) & ((1 << B) - 1) for j in range(w.shape[1])] == \
            qm.codes[k].tolist()


@pytest.mark.parametrize("spec", spec_params())
def test_every_spec_quantizes_a_matrix(spec, tmp_path):
    w = matrix()
    qm = quantize_matrix(spec, w)
    assert isinstance(qm.scale, float) and qm.scale_axis is None
    assert qm.codes.tolist() == spec.family.quantize(spec, w).codes.tolist()
    check_result(spec, w, qm, tmp_path)


@pytest.mark.parametrize("spec", spec_params())
def test_every_spec_quantizes_per_channel(spec, tmp_path):
    w = matrix(seed=1) * np.linspace(0.1, 3, N)  # columns of different ranges
    qm = quantize_matrix(spec, w, per_channel=True)
    assert qm.scale_axis == 1 and qm.scale.shape == (N,)
    for j in range(N):  # each column as the family quantizes it alone, as a 1-D array
        q = spec.family.quantize(spec, w[:, j])
        assert qm.codes[:, j].tolist() == q.codes.tolist()
        assert qm.scale[j] == q.alpha
    check_result(spec, w, qm, tmp_path)


def test_pot_exact_levels_have_no_error():
    spec = load_spec(ROOT / "specs" / "pot_4bit.yaml")
    w = np.array([[1.0, -0.5], [0.25, -2.0 ** -7]])
    qm = quantize_matrix(spec, w)
    # Sign-magnitude: magnitude code e stands for 2**-e, the top bit for the sign.
    assert qm.codes.tolist() == [[0, 8 | 1], [2, 8 | 7]]
    assert qm.scale == 1.0 and np.array_equal(qm.dequantized, w)
    assert qm.stats == {"mse": 0.0, "snr_db": None, "max_abs_error": 0.0, "codes_used": 4}


def test_pot_hand_computed_error(tmp_path):
    spec = load_spec(ROOT / "specs" / "pot_4bit.yaml")
    # scale = max|W| = 1; log rounding: 0.75 -> 2**0 (decision point 2**-0.5).
    qm = quantize_matrix(spec, np.array([[1.0], [0.75]]))
    assert qm.dequantized.tolist() == [[1.0], [1.0]]
    assert qm.stats["mse"] == 0.03125  # 0.25**2 / 2
    assert qm.stats["snr_db"] == pytest.approx(10 * math.log10(25))  # 1.5625 / 0.0625
    assert qm.stats["max_abs_error"] == 0.25
    assert qm.stats["codes_used"] == 1


def test_hex_layout_by_hand(tmp_path):
    path = tmp_path / "h.hex"
    write_hex(path, np.array([[1, 2, 7], [7, 0, 5]]), 3)  # 9 bits -> 3 digits
    assert path.read_text() == "1d1\n147\n"  # 7<<6 | 2<<3 | 1, 5<<6 | 0<<3 | 7
    write_hex(path, np.array([[0x9, 0x0], [0xf, 0x2]]), 4)
    assert path.read_text() == "09\n2f\n"


def test_write_hex_rejects_bad_codes(tmp_path):
    with pytest.raises(ValueError, match=r"codes must be in 0\.\.7, not 0\.\.8"):
        write_hex(tmp_path / "h.hex", np.array([[0, 8]]), 3)
    with pytest.raises(ValueError, match="2-D"):
        write_hex(tmp_path / "h.hex", np.array([1, 2]), 3)
    with pytest.raises(ValueError, match="integers"):
        write_hex(tmp_path / "h.hex", np.array([[1.0]]), 3)
    assert not (tmp_path / "h.hex").exists()


@pytest.mark.parametrize("text, fragment", [
    ("1d1\n", "must have 2 lines"),
    ("1d1\n14\n", "line 2 must be 3 lowercase hex digits"),
    ("1d1\n14G\n", "line 2 must be 3"),
    ("1D1\n147\n", "line 1 must be 3"),
    ("1d1\n347\n", "line 2 has bits set above bit 8"),
])
def test_read_hex_rejects_bad_files(tmp_path, text, fragment):
    path = tmp_path / "h.hex"
    path.write_text(text)
    with pytest.raises(InputError, match=fragment):
        read_hex(path, (2, 3), 3)


@pytest.mark.skipif(not available("icarus"), reason="iverilog not installed")
@pytest.mark.parametrize("stem, k, n", [("apot_5bit", 6, 7), ("jlq_3bit", 4, 5),
                                        ("uniform_8x8", 3, 9)])
def test_readmemh_loads_the_codes(tmp_path, stem, k, n):
    spec = load_spec(ROOT / "specs" / f"{stem}.yaml")
    qm = quantize_matrix(spec, matrix(k, n, seed=2))
    B = spec.pe.weight_bits
    write_hex(tmp_path / "weights.hex", qm.codes, B)
    (tmp_path / "tb.v").write_text(f"""
module tb;
  reg [{n * B - 1}:0] mem [0:{k - 1}];
  integer r, c;
  initial begin
    $readmemh("weights.hex", mem);
    for (r = 0; r < {k}; r = r + 1)
      for (c = 0; c < {n}; c = c + 1)
        $display("%0d", mem[r][c * {B} +: {B}]);
  end
endmodule
""")
    subprocess.run(["iverilog", "-Wall", "-o", "tb.vvp", "tb.v"], cwd=tmp_path, check=True)
    out = subprocess.run(["vvp", "-n", "tb.vvp"], cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout
    assert [int(v) for v in out.split()] == qm.codes.ravel().tolist()
    assert "warning" not in out.lower()


def test_spec_array_section_fixes_the_shape():
    spec = SimpleNamespace(name="arr", array=SimpleNamespace(rows=4, cols=2))
    check_matrix(np.zeros((4, 2)), spec)
    with pytest.raises(InputError, match=r"w\.npy: shape must be \(array\.rows, array\.cols\) "
                                         r"= \(4, 2\) for spec arr, not \(2, 4\)"):
        check_matrix(np.zeros((2, 4)), spec, "w.npy")
    check_matrix(np.zeros((2, 4)), SimpleNamespace(name="none", array=None))


def test_load_matrix_keeps_float32(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, matrix().astype(np.float32))
    w = load_matrix(path)
    assert w.dtype == np.float64 and w.shape == (K, N)


# --- the command line ---------------------------------------------------------------

def run(capsys, *args):
    status = main(["quantize", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_json(tmp_path, capsys):
    np.save(tmp_path / "w.npy", matrix())
    out_dir = tmp_path / "o" / "weights"
    status, out, err = run(capsys, ROOT / "specs" / "pot_4bit.yaml", "--weights",
                           tmp_path / "w.npy", "--out", out_dir, "--json")
    assert status == 0, err
    doc = json.loads(out)
    assert out == (out_dir / "weights.json").read_text()
    assert sorted(p.name for p in out_dir.iterdir()) == ["codes.npy", "weights.hex",
                                                         "weights.json"]
    assert not [p for p in out_dir.parent.iterdir() if p.name.startswith(".")]
    assert doc["spec"] == "pot_4bit" and doc["family"] == "pot"
    assert doc["shape"] == [K, N] and doc["weight_bits"] == 4 and doc["F"] == 7
    assert doc["scale_axis"] is None and doc["scale"] == float(np.max(np.abs(matrix())))
    assert set(doc) >= {"layout", "mse", "snr_db", "max_abs_error", "codes_used"}
    codes = np.load(out_dir / "codes.npy")
    assert codes.dtype == np.int64
    assert np.array_equal(read_hex(out_dir / "weights.hex", (K, N), 4), codes)
    qm = quantize_matrix(load_spec(ROOT / "specs" / "pot_4bit.yaml"), matrix())
    assert np.array_equal(codes, qm.codes) and doc["mse"] == qm.stats["mse"]


def test_cli_text_per_channel_and_replace(tmp_path, capsys):
    np.save(tmp_path / "w.npy", matrix())
    out_dir = tmp_path / "weights"
    spec = ROOT / "specs" / "sq_3bit.yaml"
    status, out, err = run(capsys, spec, "--weights", tmp_path / "w.npy", "--out", out_dir)
    assert status == 0, err
    assert out.startswith(f"sq_3bit: {K} x {N} weights -> {out_dir}: MSE ")
    assert " dB, scale " in out and out.count("\n") == 1
    status, out, err = run(capsys, spec, "--weights", tmp_path / "w.npy", "--out", out_dir,
                           "--per-channel", "--json")  # replaces the earlier output
    assert status == 0, err
    doc = json.loads((out_dir / "weights.json").read_text())
    assert doc["scale_axis"] == 1 and len(doc["scale"]) == N
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npy", "weights"]


def test_cli_default_out_dir(tmp_path, capsys, monkeypatch):
    np.save(tmp_path / "w.npy", matrix())
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, ROOT / "specs" / "uniform_4x8.yaml", "--weights", "w.npy")
    assert status == 0, err
    assert (tmp_path / "build" / "uniform_4x8" / "weights" / "weights.hex").is_file()
    assert f"-> {Path('build') / 'uniform_4x8' / 'weights'}:" in out


def test_cli_exact_weights_print_inf(tmp_path, capsys):
    np.save(tmp_path / "w.npy", np.array([[1.0, -0.5], [0.25, 0.125]]))
    status, out, err = run(capsys, ROOT / "specs" / "pot_4bit.yaml", "--weights",
                           tmp_path / "w.npy", "--out", tmp_path / "o")
    assert status == 0, err
    assert "MSE 0, SNR inf dB, scale 1" in out
    assert json.loads((tmp_path / "o" / "weights.json").read_text())["snr_db"] is None


BAD_INPUTS = {
    "missing": (lambda p: None, "no such weights file"),
    "corrupt": (lambda p: p.write_bytes(b"\x93NUMPY garbage"), "not a valid .npy array"),
    "1-D": (lambda p: np.save(p, np.ones(5)), "shape must be 2-D (K inputs, N outputs)"),
    "3-D": (lambda p: np.save(p, np.ones((2, 3, 4))), "not (2, 3, 4)"),
    "NaN": (lambda p: np.save(p, np.array([[1.0, np.nan]])), "1 weights are NaN or infinite"),
    "inf": (lambda p: np.save(p, np.array([[np.inf, -np.inf]])),
            "2 weights are NaN or infinite"),
    "int": (lambda p: np.save(p, np.ones((2, 2), dtype=np.int64)),
            "dtype must be floating point, not int64"),
    "object": (lambda p: np.save(p, np.array([[1.0, None]], dtype=object)),
               "dtype must be floating point, not object"),
    "empty": (lambda p: np.save(p, np.ones((0, 4))), "holds no weights"),
}


@pytest.mark.parametrize("kind", BAD_INPUTS)
def test_cli_bad_weights_exit_2(tmp_path, capsys, kind):
    make, fragment = BAD_INPUTS[kind]
    path = tmp_path / "w.npy"
    make(path)
    check_bad(tmp_path, capsys, ["--weights", path], fragment, str(path))


@pytest.mark.parametrize("key, fragment", [
    (None, "holds 2 arrays (a, b); choose one with --key"),
    ("c", "no array 'c'; it holds a, b"),
])
def test_cli_bad_npz_key_exit_2(tmp_path, capsys, key, fragment):
    path = tmp_path / "w.npz"
    np.savez(path, a=matrix(), b=matrix())
    args = ["--weights", path] + (["--key", key] if key else [])
    check_bad(tmp_path, capsys, args, fragment, str(path))


def test_cli_npz_key_selects(tmp_path, capsys):
    path = tmp_path / "w.npz"
    np.savez(path, a=matrix(), b=np.ones((2, 2), dtype=np.int32))
    status, _, err = run(capsys, ROOT / "specs" / "pot_4bit.yaml", "--weights", path,
                         "--key", "a", "--out", tmp_path / "o")
    assert status == 0, err
    check_bad(tmp_path, capsys, ["--weights", path, "--key", "b"],
              "dtype must be floating point, not int32", f"{path}[b]", out="o2")


def test_decoder_baseline_quantizes_to_its_superposition_levels():
    """One rule for both AUSN styles: the decoder baseline's code is the rank of the level
    Algorithm 1 picks, so it stands for the same weights as the superposition PE."""
    w = matrix(seed=4)
    for stem in ("ausn_8x4", "ausn_8x5", "ausn_8x8"):
        sup = load_spec(ROOT / "specs" / f"{stem}.yaml")
        dec = load_spec(ROOT / "specs" / f"{stem}_decoder.yaml")
        qs, qd = quantize_matrix(sup, w), quantize_matrix(dec, w)
        assert np.array_equal(qs.dequantized, qd.dequantized) and qs.scale == qd.scale
        assert not np.array_equal(qs.codes, qd.codes)  # rank codes, not part codes


def test_cli_spec_without_levels_exit_2(tmp_path, capsys):
    """A PE without its decoder (SQ qps: external) has no levels of its own to quantize to."""
    np.save(tmp_path / "w.npy", matrix())
    spec = tmp_path / "sq_external.yaml"
    spec.write_text("family: sq\npe: {act_bits: 8, weight_bits: 5, acc_bits: 16}\n"
                    "params: {qps: external}\n")
    check_bad(tmp_path, capsys, ["--weights", tmp_path / "w.npy"],
              "family 'sq' cannot quantize", str(spec), spec=spec)


def test_cli_refuses_to_replace_other_files(tmp_path, capsys):
    np.save(tmp_path / "w.npy", matrix())
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "notes.txt").write_text("keep")
    status, out, err = run(capsys, ROOT / "specs" / "pot_4bit.yaml", "--weights",
                           tmp_path / "w.npy", "--out", tmp_path / "o")
    assert status == 2 and out == ""
    assert err.startswith("error: ") and "holds other files (notes.txt)" in err
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["notes.txt"]


def test_failed_write_leaves_the_earlier_output(tmp_path, capsys, monkeypatch):
    spec = load_spec(ROOT / "specs" / "pot_4bit.yaml")
    out_dir = tmp_path / "o" / "weights"
    write_outputs(out_dir, spec, quantize_matrix(spec, matrix()))
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}

    def broken_save(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(qmod.np, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_outputs(out_dir, spec, quantize_matrix(spec, matrix(seed=5)))
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == before
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["weights"]
    with pytest.raises(OSError, match="disk full"):  # new parents are removed again
        write_outputs(tmp_path / "new" / "deep" / "w", spec, quantize_matrix(spec, matrix()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def check_bad(tmp_path, capsys, args, fragment, name, spec=ROOT / "specs" / "pot_4bit.yaml",
              out="out"):
    before = sorted(p.name for p in tmp_path.iterdir())
    status, stdout, err = run(capsys, spec, *args, "--out", tmp_path / out / "weights")
    assert status == 2, err
    assert stdout == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert fragment in err and name in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temp dir
