"""Loading weights: .npy and .npz, with a clear error for each bad file."""

import numpy as np
import pytest

from shiftgen.errors import InputError
from shiftgen.weights.load import load_weights


def test_npy_and_single_array_npz(tmp_path):
    w = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    np.save(tmp_path / "w.npy", w)
    np.savez(tmp_path / "w.npz", layer=w)
    for name in ("w.npy", "w.npz"):
        got = load_weights(tmp_path / name)
        assert got.dtype == np.float64 and np.array_equal(got, w.astype(np.float64))


def test_npz_key_selects_an_array(tmp_path):
    np.savez(tmp_path / "w.npz", a=np.ones(3), b=np.zeros(2))
    assert load_weights(tmp_path / "w.npz", key="b").tolist() == [0.0, 0.0]


@pytest.mark.parametrize("make, fragment", [
    (lambda d: None, "no such weights file"),
    (lambda d: (d / "w.npy").write_text("not numpy"), "not a .npy or .npz file"),
    (lambda d: np.save(d / "w.npy", np.array([1.0, np.nan, 2.0])), "1 weights are NaN or infinite"),
    (lambda d: np.save(d / "w.npy", np.array([np.inf])), "NaN or infinite"),
    (lambda d: np.save(d / "w.npy", np.array(["a", "b"])),
     "dtype must be floating point, not <U1"),
    (lambda d: np.save(d / "w.npy", np.arange(3)), "dtype must be floating point, not int64"),
    (lambda d: np.save(d / "w.npy", np.array([1 + 2j])),
     "dtype must be floating point, not complex128"),
    (lambda d: np.save(d / "w.npy", np.zeros((0, 3))), "holds no weights"),
], ids=["missing", "garbage", "nan", "inf", "strings", "int", "complex", "empty"])
def test_bad_npy(tmp_path, make, fragment):
    make(tmp_path)
    with pytest.raises(InputError, match=fragment):
        load_weights(tmp_path / "w.npy")


def test_npz_with_several_arrays_needs_a_key(tmp_path):
    np.savez(tmp_path / "w.npz", a=np.ones(3), b=np.zeros(2))
    with pytest.raises(InputError, match=r"holds 2 arrays \(a, b\); choose one with --key"):
        load_weights(tmp_path / "w.npz")
    with pytest.raises(InputError, match="no array 'c'"):
        load_weights(tmp_path / "w.npz", key="c")
