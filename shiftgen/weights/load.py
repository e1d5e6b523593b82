"""Load a real-valued weight tensor from ``.npy`` or ``.npz``, checked once.

The ``.npy`` header is read and checked (dtype, shape, size against the bytes
present) before any data is, so a corrupt header is a clear error rather than
a huge allocation, and an object array is refused without unpickling.
"""

import math
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["MAX_MAGNITUDE", "MIN_PEAK", "check_values", "load_weights"]

#: Largest ``|weight|`` accepted. Quantizers sum squared weights and errors;
#: below this bound those sums stay finite in float64 for any tensor size.
MAX_MAGNITUDE = 1e100
#: Smallest non-zero peak ``max |weight|``: far below it the squares underflow
#: to zero (subnormals), and a scale fitted to them is zero.
MIN_PEAK = 1e-100

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a member, or an empty archive
# What reading a corrupt .npy or zip member raises (numpy, zipfile, zlib, lzma, bz2);
# numpy tokenizes a version 1.0 header, so an unbalanced one is a TokenError.
_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error,
                NotImplementedError, RuntimeError, KeyError, SyntaxError, tokenize.TokenError)


def _one_line(e):
    """An exception's message on one line (numpy's header errors span several)."""
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _read_header(fp, nbytes, where):
    """``(shape, fortran_order, dtype)`` of the .npy in ``fp``, holding ``nbytes`` bytes.

    Raises
    ------
    InputError
        If the header is malformed, the dtype is not floating point, the
        array is empty or 0-D, or the data does not fill the rest exactly.
    """
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fp)
        else:  # 3.0 exists only for structured dtypes with non-Latin-1 field names
            raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
    except _READ_ERRORS as e:
        raise InputError(f"{where}: not a valid .npy array ({_one_line(e)})") from None
    if dtype.kind != "f":
        # Integer or bool arrays are codes or masks, not real weights; object
        # arrays would need unpickling, which could run any code.
        raise InputError(f"{where}: dtype must be floating point, not {dtype}; save real "
                         f"weights as float16, float32 or float64")
    if len(shape) == 0:
        raise InputError(f"{where}: holds a single number (shape ()), not a weight tensor")
    count = math.prod(shape)
    if count == 0:
        raise InputError(f"{where}: holds no weights (shape {shape})")
    need, have = count * dtype.itemsize, nbytes - fp.tell()
    if need != have:
        how = "truncated" if need > have else "trailing bytes"
        raise InputError(f"{where}: corrupt .npy ({how}): its header declares shape {shape} "
                         f"of {dtype} ({need} bytes), but {have} bytes follow it")
    return shape, fortran, dtype


def _read_npy(fp, nbytes, where):
    _read_header(fp, nbytes, where)
    fp.seek(0)
    try:
        return np.lib.format.read_array(fp, allow_pickle=False)
    except _READ_ERRORS as e:
        raise InputError(f"{where}: cannot be read ({_one_line(e)})") from None


def _names(names):
    """Array names for a one-line message: a few, each plain when printable."""
    shown = [n if n.isprintable() else repr(n) for n in names[:5]]
    return ", ".join(shown + ["..."] * (len(names) > 5)) or "none"


def _read_npz(path, key):
    """The array ``key`` (or the only one) of the archive ``path``, and its name."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {}
            for info in archive.infolist():
                if not info.is_dir():  # numpy names an array by its member without .npy
                    name = info.filename
                    members[name[:-4] if name.endswith(".npy") else name] = info
            names = list(members)
            if key is None:
                if len(names) != 1:
                    raise InputError(f"{path}: holds {len(names)} arrays "
                                     f"({_names(names)}); choose one with --key")
                key = names[0]
            if key not in members:
                raise InputError(f"{path}: no array {key!r}; it holds {_names(names)}")
            where = f"{path}[{key}]"
            info = members[key]
            with archive.open(info) as fp:  # seekable: rewinding re-reads the member
                if fp.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                    raise InputError(f"{where}: not a .npy array (no NumPy magic)")
                fp.seek(0)
                return _read_npy(fp, info.file_size, where), where
    except InputError:
        raise
    except _READ_ERRORS as e:
        raise InputError(f"{path}: corrupt .npz archive ({_one_line(e)})") from None


def check_values(weights, where):
    """Check that the float ``weights`` are finite and of a magnitude quantizers handle.

    Raises
    ------
    InputError
        If a weight is NaN or infinite, above :data:`MAX_MAGNITUDE` in
        magnitude, or the largest magnitude is below :data:`MIN_PEAK` but not 0.
    """
    bad = ~np.isfinite(weights)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"{where}: {int(bad.sum())} weights are NaN or infinite "
                         f"(the first at index {first})")
    magnitude = np.abs(weights)
    peak = float(magnitude.max())
    if peak > MAX_MAGNITUDE:
        first = tuple(int(i) for i in np.argwhere(magnitude > MAX_MAGNITUDE)[0])
        raise InputError(f"{where}: weight {float(weights[first]):.6g} at index {first} is too "
                         f"large: |w| must be at most {MAX_MAGNITUDE:g} (squared errors would "
                         f"overflow); rescale the weights")
    if 0 < peak < MIN_PEAK:
        raise InputError(f"{where}: the largest |weight| is {peak:.6g}; it must be 0 or at "
                         f"least {MIN_PEAK:g} (squares would underflow); rescale the weights")


def load_weights(path, key=None):
    """The weights in ``path`` as a float64 array of at least one dimension.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npy`` file, or ``.npz`` archive (one array, or the one named ``key``).
    key : str, optional
        Array name inside an ``.npz``.

    Raises
    ------
    InputError
        If the file is missing, unreadable or corrupt; ``key`` is given for a
        ``.npy``; the dtype is not floating point (integer, bool, complex,
        object, string, structured); the array is 0-D or empty; a weight is
        NaN, infinite or beyond float64; or the magnitudes are out of range
        (:func:`check_values`).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such weights file")
    try:
        with path.open("rb") as fp:
            magic = fp.read(len(_NPY_MAGIC))
            if magic.startswith(_ZIP_MAGICS[0][:2]) and magic[:4] in _ZIP_MAGICS:
                npz = True
            elif magic == _NPY_MAGIC:
                npz = False
                if key is not None:
                    raise InputError(f"{path}: is a .npy file, which holds one array; "
                                     f"--key {key!r} selects an array of an .npz archive")
                fp.seek(0)
                array, where = _read_npy(fp, path.stat().st_size, str(path)), str(path)
            elif not magic:
                raise InputError(f"{path}: is empty, not a .npy or .npz file")
            else:
                raise InputError(f"{path}: not a .npy or .npz file (it starts with {magic!r}, "
                                 f"not the NumPy or zip magic)")
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({_one_line(e)})") from None
    if npz:
        array, where = _read_npz(path, key)
    with np.errstate(over="ignore"):  # float128 beyond float64: found just below
        weights = array.astype(np.float64)
    beyond = ~np.isfinite(weights) & np.isfinite(array)
    if beyond.any():
        first = tuple(int(i) for i in np.argwhere(beyond)[0])
        raise InputError(f"{where}: {int(beyond.sum())} weights are beyond the float64 range "
                         f"(the first at index {first})")
    check_values(weights, where)
    return weights
