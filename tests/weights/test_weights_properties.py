"""Property tests: every bad ``--weights`` file is one clean error line, exit status 2.

``shiftgen quantize SPEC --weights W --out DIR`` and ``shiftgen fit SPEC
--weights W --out FILE`` run in this process on weights that are invalid by
construction: a wrong shape, NaN or infinity, a dtype other than floating
point, no weights, magnitudes no quantizer handles, a corrupt ``.npy`` or
``.npz``, or a missing or ambiguous ``--key``. Each must give status 2, one
``error:`` line naming the file, no traceback, and leave the output (an earlier
``DIR`` included) exactly as it was.
"""

import contextlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.extra import numpy as hnp

from shiftgen.cli import main
from shiftgen.weights.quantize import OUTPUT_FILES

from ..support import ROOT

SPECS = ROOT / "specs"
QUANTIZE_SPECS = [SPECS / "pot_4bit.yaml", SPECS / "sq_3bit.yaml", SPECS / "jlq_3bit.yaml"]
ARRAY_SPEC = SPECS / "arrays" / "pot_4bit_8x8.yaml"  # array: rows 8, cols 8
FIT_SPECS = [SPECS / "sq_3bit.yaml", SPECS / "ausn_8x4.yaml"]


def budget(n):
    """``n`` examples in CI (derandomized, the same each run); the profile's own when exploring."""
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
        return settings(max_examples=n)
    return settings()


def snapshot(root):
    """Every path under ``root`` with its bytes (None for a directory)."""
    return {str(p.relative_to(root)): None if p.is_dir() else p.read_bytes()
            for p in sorted(root.rglob("*"))}


def run(command, write, *, spec=None, key=None, per_channel=False, pre_create=False,
        allow_ok=False):
    """Run ``shiftgen COMMAND`` on the weights ``write(path)`` makes, in a fresh directory.

    ``pre_create``: quantize's output directory already holds an earlier result,
    which must survive. Returns (status, stderr, weights path).
    """
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "weights_under_test.npy"
        suffix = write(path)
        if suffix:  # the writer chose another name (.npz)
            path = path.with_suffix(suffix)
        if command == "quantize":
            out = tmp / "q" / "weights"
            if pre_create:
                out.mkdir(parents=True)
                for name in OUTPUT_FILES:
                    (out / name).write_text(f"earlier {name}\n")
            spec = spec or QUANTIZE_SPECS[0]
        else:
            out = tmp / "fitted.yaml"
            spec = spec or FIT_SPECS[0]
        args = [command, str(spec), "--weights", str(path), "--out", str(out)]
        if key is not None:
            args += ["--key", key]
        if per_channel is not False:
            args += ["--per-channel"] if command == "quantize" else ["--per-channel",
                                                                     str(per_channel)]
        before = snapshot(tmp)
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = main(args)
        err = stderr.getvalue()
        if currently_in_test_context():
            note(f"{' '.join(args[:1] + args[3:])}\nstatus {status}, stderr: {err!r}")
        if status == 0 and allow_ok:
            assert err == ""
            return status, err, path
        assert status == 2, err
        assert stdout.getvalue() == ""
        assert "Traceback" not in err and "internal error" not in err
        assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
        assert str(path) in err, err
        assert snapshot(tmp) == before  # nothing written, nothing removed
        return status, err, path


def saver(array, **kwargs):
    return lambda path: np.save(path, array, **kwargs)


commands = st.sampled_from(["quantize", "fit"])
float_dtypes = st.sampled_from([np.float16, np.float32, np.float64, np.longdouble])
values = st.floats(-100, 100, allow_nan=False, width=16)  # exact in every float dtype


def float_arrays(min_dims=1, max_dims=4, max_side=5):
    return st.tuples(float_dtypes, hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                                                    max_side=max_side)).flatmap(
        lambda t: hnp.arrays(t[0], t[1], elements=values))


# --- shape -------------------------------------------------------------------------

@budget(50)
@given(st.data(), st.booleans())
def test_wrong_shape_is_rejected(data, pre_create):
    command = data.draw(commands)
    if command == "fit":  # fit takes any tensor of at least one dimension, not a scalar
        w = np.array(data.draw(values), dtype=data.draw(float_dtypes))
        run(command, saver(w))
        return
    # quantize takes a (K, N) matrix: not 0-D, 1-D, or 3-D and up.
    w = data.draw(st.one_of(float_arrays(0, 0), float_arrays(1, 1), float_arrays(3, 6, 3)))
    _, err, _ = run(command, saver(w), pre_create=pre_create,
                    per_channel=data.draw(st.booleans()))
    assert str(w.shape) in err


@budget(25)
@given(hnp.array_shapes(min_dims=2, max_dims=2, max_side=12).filter(lambda s: s != (8, 8)),
       st.booleans())
def test_matrix_not_the_spec_array_is_rejected(shape, pre_create):
    w = np.ones(shape)
    _, err, _ = run("quantize", saver(w), spec=ARRAY_SPEC, pre_create=pre_create)
    assert "(array.rows, array.cols) = (8, 8)" in err and str(shape) in err


@budget(30)
@given(float_arrays(1, 3).filter(lambda w: np.any(w != 0)), st.data())
def test_fit_axis_outside_the_weights_is_rejected(w, data):
    axis = data.draw(st.one_of(st.integers(w.ndim, w.ndim + 5),
                               st.integers(-w.ndim - 5, -w.ndim - 1)))
    _, err, _ = run("fit", saver(w), per_channel=axis)
    assert f"not {axis}" in err


# --- values ------------------------------------------------------------------------

@budget(50)
@given(commands, float_arrays(2, 2), st.data(), st.booleans())
def test_nan_or_inf_is_rejected(command, w, data, pre_create):
    flat = w.reshape(-1)
    spots = data.draw(st.sets(st.integers(0, flat.size - 1), min_size=1, max_size=4))
    for i in spots:
        flat[i] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    _, err, _ = run(command, saver(w), pre_create=pre_create)
    assert f"{len(spots)} weights are NaN or infinite" in err


@budget(40)
@given(commands, hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
                            elements=st.floats(-1, 1)), st.data(), st.booleans())
def test_magnitude_out_of_range_is_rejected(command, w, data, pre_create):
    if data.draw(st.booleans()):  # one weight too large: squared errors would overflow
        w.reshape(-1)[data.draw(st.integers(0, w.size - 1))] = \
            data.draw(st.floats(1.0000001e100, 1e308)) * data.draw(st.sampled_from([1, -1]))
        fragment = "is too large"
    else:  # all weights far below any scale: their squares underflow
        w.reshape(-1)[0] = 0.5  # a non-zero peak
        w = w * data.draw(st.floats(1e-323, 1e-101))  # the peak stays above 0
        fragment = "the largest |weight|"
    _, err, _ = run(command, saver(w), pre_create=pre_create)
    assert fragment in err


@budget(10)
@given(float_arrays(1, 3).map(lambda w: w * 0))
def test_fit_to_all_zero_weights_is_rejected(w):
    _, err, _ = run("fit", saver(w))
    assert "weights are zero; there is nothing to fit" in err


# --- dtype -------------------------------------------------------------------------

def other_dtype_arrays():
    """Arrays of every dtype but floating point; integer and bool are codes, not weights."""
    shapes = hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)
    numeric = st.one_of(hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(),
                        hnp.boolean_dtypes(), hnp.complex_number_dtypes(),
                        hnp.byte_string_dtypes(), hnp.unicode_string_dtypes(),
                        hnp.datetime64_dtypes(), hnp.timedelta64_dtypes())
    plain = st.tuples(numeric, shapes).flatmap(lambda t: hnp.arrays(*t))
    structured = shapes.map(lambda s: np.zeros(s, dtype=[("w", "f8"), ("b", "i4")]))
    objects = st.lists(st.one_of(st.floats(), st.none(), st.text(max_size=2)),
                       min_size=1, max_size=4).map(lambda v: np.array(v, dtype=object))
    return st.one_of(plain, structured, objects)


@budget(60)
@given(commands, other_dtype_arrays(), st.booleans())
def test_non_float_dtype_is_rejected(command, w, pre_create):
    _, err, _ = run(command, saver(w, allow_pickle=True), pre_create=pre_create)
    assert "dtype must be floating point" in err


@budget(25)
@given(commands, float_dtypes, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0,
                                                max_side=3).filter(lambda s: 0 in s),
       st.booleans())
def test_empty_array_is_rejected(command, dtype, shape, pre_create):
    _, err, _ = run(command, saver(np.zeros(shape, dtype=dtype)), pre_create=pre_create)
    assert "holds no weights" in err


# --- corrupt files -----------------------------------------------------------------

def npy_bytes(w):
    buffer = io.BytesIO()
    np.save(buffer, w)
    return buffer.getvalue()


def writer(data, suffix=None):
    def write(path):
        path.with_suffix(suffix or ".npy").write_bytes(data)
        return suffix
    return write


@budget(60)
@given(commands, st.data(), st.booleans())
def test_corrupt_npy_is_rejected(command, data, pre_create):
    kind = data.draw(st.sampled_from(["random", "truncated", "magic_flip", "key_flip"]))
    if kind == "random":
        blob = data.draw(st.binary(max_size=300))
    else:
        blob = bytearray(npy_bytes(data.draw(float_arrays(2, 2))))
        if kind == "truncated":  # shorter by at least one byte: header or data cut
            blob = blob[:data.draw(st.integers(0, len(blob) - 1))]
        elif kind == "magic_flip":  # '\x93NUMPY' and the version must be exact
            i = data.draw(st.integers(0, 6))
            blob[i] ^= data.draw(st.integers(1, 255)) if i < 6 else 0x80
        else:  # a dict key of the header misspelt: numpy requires all three
            spans = [(blob.index(k), len(k)) for k in (b"descr", b"fortran_order", b"shape")]
            start, n = data.draw(st.sampled_from(spans))
            blob[start + data.draw(st.integers(0, n - 1))] ^= 0x20 | data.draw(
                st.integers(1, 0x1f))  # a letter to another character
        blob = bytes(blob)
    note(f"{kind}: {blob[:80]!r}")
    run(command, writer(blob), pre_create=pre_create)


@budget(60)
@given(commands, float_arrays(2, 2), st.data())
def test_any_header_byte_change_is_handled(command, w, data):
    """No byte of the header can crash the loader: the result is a clean exit, 0 or 2."""
    blob = bytearray(npy_bytes(w))
    header_end = blob.index(b"\n") + 1
    i = data.draw(st.integers(0, header_end - 1))
    blob[i] = data.draw(st.integers(0, 255).filter(lambda b: b != blob[i]))
    run(command, writer(bytes(blob)), allow_ok=True)


def npz_writer(arrays, compressed=False, mutate=None):
    def write(path):
        buffer = io.BytesIO()
        (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
        blob = buffer.getvalue()
        path.with_suffix(".npz").write_bytes(mutate(blob) if mutate else blob)
        return ".npz"
    return write


names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)


@budget(50)
@given(commands, st.data(), st.booleans())
def test_bad_npz_is_rejected(command, data, pre_create):
    kind = data.draw(st.sampled_from(["no_array", "several_no_key", "missing_key",
                                      "truncated", "data_flip", "key_for_npy"]))
    w = data.draw(float_arrays(2, 2))
    key = None
    if kind == "no_array":
        write, fragment = npz_writer({}), "holds 0 arrays"
    elif kind == "several_no_key":
        keys = data.draw(st.lists(names, min_size=2, max_size=4, unique=True))
        write, fragment = npz_writer({k: w for k in keys}), f"holds {len(keys)} arrays"
    elif kind == "missing_key":
        keys = data.draw(st.lists(names, min_size=1, max_size=3, unique=True))
        key = data.draw(names.filter(lambda k: k not in keys))
        write, fragment = npz_writer({k: w for k in keys}), f"no array {key!r}"
    elif kind == "truncated":  # the archive's directory is at its end
        compressed = data.draw(st.booleans())
        size = len(npz_bytes({"w": w}, compressed))
        cut = data.draw(st.integers(0, size - 1))
        write, fragment = npz_writer({"w": w}, compressed, lambda b: b[:cut]), ""
    elif kind == "data_flip":  # a stored member's byte changed: its CRC-32 no longer matches
        def flip(blob, at=data.draw(st.floats(0, 1, exclude_max=True)),
                 by=data.draw(st.integers(1, 255))):
            start, size = member_data(blob)
            blob = bytearray(blob)
            blob[start + int(at * size)] ^= by
            return bytes(blob)
        write, fragment = npz_writer({"w": w}, mutate=flip), ""
    else:  # --key names an array of an archive; a .npy holds one
        key = data.draw(names)
        write, fragment = saver(w), "--key"
    _, err, _ = run(command, write, key=key, pre_create=pre_create)
    assert fragment in err


def npz_bytes(arrays, compressed=False):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def member_data(blob):
    """(offset, size) of the first member's stored bytes in a zip archive."""
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        info = archive.infolist()[0]
    local = blob[info.header_offset:info.header_offset + 30]
    name_len = int.from_bytes(local[26:28], "little")
    extra_len = int.from_bytes(local[28:30], "little")
    return info.header_offset + 30 + name_len + extra_len, info.compress_size


# --- bugs found here, kept as plain cases ------------------------------------------------

def test_integer_weights_rejected_by_fit_and_quantize():
    """fit used to take integer weights that quantize refused; both refuse them now."""
    for command in ("quantize", "fit"):
        _, err, _ = run(command, saver(np.arange(12, dtype=np.int32).reshape(3, 4)))
        assert "dtype must be floating point, not int32" in err


def test_header_declaring_a_huge_shape_is_not_allocated():
    """A header claiming 10**11 float64 made numpy allocate 745 GiB (MemoryError)."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
    header += " " * (117 - len(header)) + "\n"
    blob = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + bytes(64)
    _, err, _ = run("quantize", writer(blob))
    assert "corrupt .npy (truncated)" in err and "(100000000000,)" in err


def test_unbalanced_header_is_an_input_error():
    """numpy tokenizes the header: an unclosed '{' raised tokenize.TokenError (internal error)."""
    blob = bytearray(npy_bytes(np.zeros((1, 1), dtype=np.float16)))
    blob[blob.index(b"}")] = ord(" ")
    _, err, _ = run("quantize", writer(bytes(blob)))
    assert "not a valid .npy array" in err


def test_damaged_npz_member_is_an_input_error():
    """A bad CRC in an .npz member escaped as zipfile.BadZipFile (internal error)."""
    def flip(blob):
        start, size = member_data(blob)
        return blob[:start + size // 2] + bytes([blob[start + size // 2] ^ 1]) + \
            blob[start + size // 2 + 1:]
    _, err, _ = run("fit", npz_writer({"w": np.ones((4, 4))}, mutate=flip))
    assert "corrupt .npz archive" in err


def test_longdouble_beyond_float64_is_rejected():
    """float128 values above the float64 range overflowed in the cast (a RuntimeWarning)."""
    w = np.full((2, 2), np.longdouble(10) ** 400)
    if not np.isfinite(w).all():
        return  # longdouble is float64 on this platform: nothing beyond float64 exists
    _, err, _ = run("quantize", saver(w))
    assert "4 weights are beyond the float64 range" in err
