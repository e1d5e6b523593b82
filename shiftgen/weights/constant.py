"""The weight codes a constant-weight array is built from: a ``shiftgen quantize`` directory.

A spec with ``array.dataflow: constant`` names a directory written by
``shiftgen quantize`` (:func:`~shiftgen.weights.quantize.write_outputs`) in
``array.weights``, relative to the spec file. :func:`constant_weights` reads
it and checks it once against the spec:

- the directory exists and holds ``weights.json``, ``codes.npy`` and
  ``weights.hex``, each readable;
- ``weights.json`` is for this spec's codebook: the same ``family``,
  ``weight_bits`` and ``F`` (codes quantized for another spec mean other
  multipliers);
- the shape is the array's, ``(array.rows, array.cols)``;
- every code is an integer code of the codebook (``0 .. 2**weight_bits - 1``);
- ``weights.hex`` holds the same codes as ``codes.npy``.

Anything else is an :class:`~shiftgen.errors.InputError` naming the file.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .quantize import read_hex

__all__ = ["ConstantWeights", "weights_dir", "constant_weights", "codes_digest"]


@dataclass(frozen=True, eq=False)
class ConstantWeights:
    """The checked codes of a constant-weight array.

    Members
    -------
    directory : pathlib.Path
        The ``shiftgen quantize`` output directory.
    codes : numpy.ndarray of int64
        ``(R, C)`` weight codes (read-only).
    doc : dict
        ``weights.json``.
    sha256 : str
        :func:`codes_digest` of the codes: what the report records.
    """
    directory: Path
    codes: np.ndarray
    doc: dict
    sha256: str

    def summary(self):
        """The report's ``array.weights`` entry (JSON-ready)."""
        keys = ("spec", "family", "shape", "weight_bits", "F", "scale", "snr_db", "codes_used")
        return {"directory": str(self.directory), "sha256": self.sha256,
                **{k: self.doc[k] for k in keys if k in self.doc}}


def codes_digest(codes):
    """SHA-256 of a code matrix (shape and ``int64`` little-endian values), hex."""
    codes = np.ascontiguousarray(np.asarray(codes, dtype="<i8"))
    head = f"{codes.shape[0]}x{codes.shape[1]}:".encode()
    return hashlib.sha256(head + codes.tobytes()).hexdigest()


def weights_dir(spec):
    """The directory ``spec``'s ``array.weights`` names, relative to the spec file."""
    path = Path(spec.array.weights)
    if not path.is_absolute() and spec.path is not None:
        path = Path(spec.path).parent / path
    return path


def _read_doc(path):
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: missing; the weights directory must be written by "
                         f"shiftgen quantize") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{path}: cannot be read as JSON ({' '.join(str(e).split())})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: must hold a JSON object, not {type(doc).__name__}")
    return doc


def _read_codes(path):
    try:
        codes = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: missing; the weights directory must be written by "
                         f"shiftgen quantize") from None
    except (OSError, ValueError, EOFError) as e:
        raise InputError(f"{path}: not a readable .npy array ({' '.join(str(e).split())})") \
            from None
    if not isinstance(codes, np.ndarray) or codes.dtype.kind not in "iu":
        raise InputError(f"{path}: codes must be integers, not dtype "
                         f"{getattr(codes, 'dtype', type(codes).__name__)}")
    return codes


def _load(spec):
    directory = weights_dir(spec)
    cfg, cb = spec.array, spec.codebook
    if not directory.is_dir():
        what = "not a directory" if directory.exists() else "no such weights directory"
        raise InputError(f"{directory}: {what} (array.weights of {spec.name}; write it with "
                         f"shiftgen quantize)")
    doc_path = directory / "weights.json"
    doc = _read_doc(doc_path)
    for key, want in (("family", cb.family), ("weight_bits", cb.weight_bits), ("F", cb.F)):
        if doc.get(key) != want:
            raise InputError(f"{doc_path}: codes for another spec: {key} is "
                             f"{doc.get(key)!r}, spec {spec.name} needs {want!r}")
    shape = (cfg.rows, cfg.cols)
    if doc.get("shape") != list(shape):
        raise InputError(f"{doc_path}: shape must be (array.rows, array.cols) = {shape} for "
                         f"spec {spec.name}, not {doc.get('shape')!r}")
    codes_path = directory / "codes.npy"
    codes = _read_codes(codes_path)
    if codes.shape != shape:
        raise InputError(f"{codes_path}: shape must be (array.rows, array.cols) = {shape} for "
                         f"spec {spec.name}, not {codes.shape}")
    top = (1 << cb.weight_bits) - 1
    bad = (codes < 0) | (codes > top)
    if bad.any():
        r, c = (int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"{codes_path}: code {int(codes[r, c])} at row {r}, column {c} is "
                         f"outside the codebook (codes 0..{top})")
    codes = codes.astype(np.int64)
    hex_path = directory / "weights.hex"
    if not hex_path.is_file():
        raise InputError(f"{hex_path}: missing; the weights directory must be written by "
                         f"shiftgen quantize")
    if not np.array_equal(read_hex(hex_path, shape, cb.weight_bits), codes):
        raise InputError(f"{hex_path}: holds other codes than {codes_path.name}")
    codes.setflags(write=False)
    return ConstantWeights(directory=directory, codes=codes, doc=doc, sha256=codes_digest(codes))


_CACHE = {}


def _stamp(directory):
    """What :func:`constant_weights` caches on: the files' sizes and modification times."""
    out = []
    for name in ("weights.json", "codes.npy", "weights.hex"):
        try:
            st = (directory / name).stat()
            out.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((name, None, None))
    return tuple(out)


def constant_weights(spec):
    """The checked codes of ``spec``'s constant array (:class:`ConstantWeights`).

    Read once per directory state (the files' sizes and times), so the build,
    the checks and the report see the same codes.

    Raises
    ------
    InputError
        If the directory is missing or unreadable, holds codes for another
        spec, of another shape or outside the codebook, or its files disagree.
    """
    directory = weights_dir(spec)
    cb = spec.codebook
    key = (str(directory.resolve()), _stamp(directory), cb.family, cb.weight_bits, cb.F,
           cb.multipliers, spec.array.rows, spec.array.cols)
    hit = _CACHE.get(key)
    if hit is None:
        hit = _CACHE[key] = _load(spec)
    return hit
