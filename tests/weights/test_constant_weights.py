"""The weights of a constant-weight array: read from a shiftgen quantize directory, checked once.

Every kind of bad input exits 2 with one line naming the file and what is
wrong, and writes nothing.
"""

import contextlib
import io
import json
import shutil

import numpy as np
import pytest

from shiftgen.cli import main
from shiftgen.errors import InputError
from shiftgen.spec import load_spec
from shiftgen.weights.constant import codes_digest, constant_weights, weights_dir

from ..constant_support import constant_spec, pe_spec, write_weights


def _build_fails(tmp_path, spec_path, fragment):
    """``shiftgen build --no-synth`` on ``spec_path``: exit 2, one line with ``fragment``,
    nothing written."""
    out = tmp_path / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["build", str(spec_path), "--out", str(out), "--no-synth"])
    err = stderr.getvalue()
    assert status == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert fragment in err, err
    assert "Traceback" not in err
    assert not out.exists()
    return err


def test_weights_are_read_and_recorded(tmp_path):
    spec, codes = constant_spec(tmp_path)
    cw = constant_weights(spec)
    assert np.array_equal(cw.codes, codes)
    assert cw.directory == tmp_path / "w"
    assert cw.sha256 == codes_digest(codes)
    summary = cw.summary()
    assert summary["spec"] == "pot_4bit" and summary["shape"] == [4, 3]
    assert summary["sha256"] == cw.sha256


def test_weights_path_is_relative_to_the_spec(tmp_path, monkeypatch):
    spec, _ = constant_spec(tmp_path)
    monkeypatch.chdir("/")
    assert weights_dir(spec) == tmp_path / "w"
    constant_weights(spec)


def test_digest_depends_on_the_codes():
    a = np.zeros((2, 2), dtype=np.int64)
    b = a.copy()
    b[1, 1] = 1
    assert codes_digest(a) != codes_digest(b)
    assert codes_digest(a) != codes_digest(a.reshape(1, 4))


def test_missing_directory(tmp_path):
    spec, _ = constant_spec(tmp_path)
    shutil.rmtree(tmp_path / "w")
    err = _build_fails(tmp_path, spec.path, "no such weights directory")
    assert str(tmp_path / "w") in err


def test_directory_is_a_file(tmp_path):
    spec, _ = constant_spec(tmp_path)
    shutil.rmtree(tmp_path / "w")
    (tmp_path / "w").write_text("x")
    _build_fails(tmp_path, spec.path, "not a directory")


def test_unreadable_weights_json(tmp_path):
    spec, _ = constant_spec(tmp_path)
    (tmp_path / "w" / "weights.json").write_text("{not json")
    err = _build_fails(tmp_path, spec.path, "cannot be read as JSON")
    assert "weights.json" in err


def test_missing_codes(tmp_path):
    spec, _ = constant_spec(tmp_path)
    (tmp_path / "w" / "codes.npy").unlink()
    _build_fails(tmp_path, spec.path, "codes.npy: missing")


def test_corrupt_codes(tmp_path):
    spec, _ = constant_spec(tmp_path)
    (tmp_path / "w" / "codes.npy").write_bytes(b"\x93NUMPY garbage")
    _build_fails(tmp_path, spec.path, "codes.npy: not a readable .npy array")


def test_float_codes(tmp_path):
    spec, codes = constant_spec(tmp_path)
    np.save(tmp_path / "w" / "codes.npy", codes.astype(np.float64))
    _build_fails(tmp_path, spec.path, "codes must be integers")


def test_codes_for_another_family(tmp_path):
    spec, _ = constant_spec(tmp_path)
    shutil.rmtree(tmp_path / "w")
    write_weights(pe_spec("apot_4bit"), tmp_path / "w", 4, 3)
    err = _build_fails(tmp_path, spec.path, "codes for another spec: family is 'apot'")
    assert "weights.json" in err


def test_codes_for_another_width(tmp_path):
    spec, _ = constant_spec(tmp_path, "ausn_8x4")
    shutil.rmtree(tmp_path / "w")
    write_weights(pe_spec("ausn_8x5"), tmp_path / "w", 4, 3)
    _build_fails(tmp_path, spec.path, "codes for another spec: weight_bits is 5")


def test_wrong_shape(tmp_path):
    spec, _ = constant_spec(tmp_path)
    shutil.rmtree(tmp_path / "w")
    write_weights(pe_spec("pot_4bit"), tmp_path / "w", 5, 3)
    _build_fails(tmp_path, spec.path, "shape must be (array.rows, array.cols) = (4, 3)")


def test_codes_shape_disagrees_with_json(tmp_path):
    spec, codes = constant_spec(tmp_path)
    np.save(tmp_path / "w" / "codes.npy", codes[:3])
    _build_fails(tmp_path, spec.path, "codes.npy: shape must be")


def test_codes_outside_the_codebook(tmp_path):
    spec, codes = constant_spec(tmp_path)
    bad = codes.copy()
    bad[2, 1] = 16  # 4-bit codes are 0..15
    np.save(tmp_path / "w" / "codes.npy", bad)
    _build_fails(tmp_path, spec.path, "code 16 at row 2, column 1 is outside the codebook")


def test_hex_disagrees_with_codes(tmp_path):
    spec, codes = constant_spec(tmp_path)
    other = codes.copy()
    other[0, 0] ^= 1
    np.save(tmp_path / "w" / "codes.npy", other)
    _build_fails(tmp_path, spec.path, "weights.hex: holds other codes than codes.npy")


def test_weights_are_rechecked_when_they_change(tmp_path):
    spec, codes = constant_spec(tmp_path)
    constant_weights(spec)
    bad = codes.copy()
    bad[0, 0] = -1
    np.save(tmp_path / "w" / "codes.npy", bad)
    with pytest.raises(InputError, match="outside the codebook"):
        constant_weights(load_spec(spec.path))


@pytest.mark.parametrize("text, fragment", [
    ("dataflow: constant", "array.weights: missing; required with dataflow: constant"),
    ("dataflow: constant, weights: w, chain: 2", "array.chain: does not apply"),
    ("dataflow: constant, weights: w, pipeline: -1", "array.pipeline: must be an integer from 0 "
                                                     "to 16, not -1"),
    ("dataflow: broadcast, weights: w", "array.weights: applies to dataflow: constant only"),
    ("dataflow: constant, weights: w, backend: hand", "array.backend: must be one of"),
])
def test_spec_rules(tmp_path, text, fragment):
    path = tmp_path / "s.yaml"
    path.write_text("family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16}\n"
                    f"array: {{rows: 4, cols: 3, {text}}}\n")
    err = _build_fails(tmp_path, path, fragment)
    assert err.startswith(f"error: {path}: ")


def test_quantize_output_json_is_what_the_check_reads(tmp_path):
    spec, _ = constant_spec(tmp_path)
    doc = json.loads((tmp_path / "w" / "weights.json").read_text())
    assert (doc["family"], doc["weight_bits"], doc["F"]) == (
        spec.codebook.family, spec.codebook.weight_bits, spec.codebook.F)
