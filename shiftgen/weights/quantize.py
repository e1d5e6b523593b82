"""Quantize a real weight matrix to PE codes and write it for an array.

The matrix ``W`` has shape ``(K, N)`` with ``Y = X @ W``: ``K`` inputs (array
rows) and ``N`` outputs (array columns). The family's quantizer turns it into
codes, one per weight, and a scale, one per matrix or one per output column,
such that ``W ~ scale * 2**-F * multiplier[code]``.

``write_outputs`` writes a directory with

- ``weights.hex``: ``$readmemh`` data, one line per row ``k`` holding the
  ``N`` codes of that row, column ``j`` at bits ``[j*B +: B]``
  (:func:`write_hex`);
- ``weights.json``: the scale, ``F``, the layout and the error statistics;
- ``codes.npy``: the codes as an ``int64`` ``(K, N)`` array.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..files import StagedDir
from .load import check_values, load_weights

__all__ = ["OUTPUT_FILES", "QuantizedMatrix", "check_matrix", "default_out_dir", "error_stats",
           "hex_digits", "load_matrix", "quantize_matrix", "read_hex", "weights_doc",
           "write_hex", "write_outputs"]

#: The files of a weights directory, in the order they are written.
OUTPUT_FILES = ("weights.hex", "codes.npy", "weights.json")

_HEX_DIGITS = np.array(list("0123456789abcdef"))
_NIBBLE = np.array([1, 2, 4, 8], dtype=np.int64)


def _where(spec):
    return str(spec.path) if spec.path is not None else spec.name


def hex_digits(n_cols, weight_bits):
    """Hex digits of one ``weights.hex`` line: ``ceil(n_cols * weight_bits / 4)``."""
    return -(-n_cols * weight_bits // 4)


def layout_text(shape, weight_bits):
    """The ``layout`` entry of ``weights.json`` for a ``(K, N)`` matrix."""
    k, n = shape
    return (f"weights.hex: {k} lines, line k = row k of W (Y = X @ W), "
            f"{hex_digits(n, weight_bits)} lowercase hex digits, column j at bits "
            f"[j*{weight_bits} +: {weight_bits}] (column 0 least significant); "
            f"reg [{n * weight_bits - 1}:0] mem [0:{k - 1}]; $readmemh")


def default_out_dir(spec):
    """``build/<spec.name>/weights``: where ``shiftgen quantize`` writes by default."""
    return Path("build") / spec.name / "weights"


def check_matrix(weights, spec=None, where="weights"):
    """Check that ``weights`` is a finite floating-point ``(K, N)`` matrix.

    Parameters
    ----------
    weights : numpy.ndarray
    spec : Spec, optional
        When it has an ``array`` section (``rows``, ``cols``), the shape must
        be ``(array.rows, array.cols)``.
    where : str
        Names the weights in errors (the file).

    Raises
    ------
    InputError
        If the weights are not a 2-D, non-empty, finite floating-point array
        of magnitudes :func:`~shiftgen.weights.load.check_values` accepts, or do
        not fit the spec's array.
    """
    if not isinstance(weights, np.ndarray):
        raise InputError(f"{where}: weights must be a numpy array, not {type(weights).__name__}")
    if weights.dtype.kind != "f":
        raise InputError(f"{where}: dtype must be floating point, not {weights.dtype}")
    if weights.ndim != 2:
        raise InputError(f"{where}: shape must be 2-D (K inputs, N outputs) with Y = X @ W, "
                         f"not {weights.shape}")
    if weights.size == 0:
        raise InputError(f"{where}: holds no weights (shape {weights.shape})")
    check_values(weights, where)
    array = getattr(spec, "array", None) if spec is not None else None
    if array is not None:
        expected = (array.rows, array.cols)
        if weights.shape != expected:
            raise InputError(f"{where}: shape must be (array.rows, array.cols) = {expected} "
                             f"for spec {spec.name}, not {weights.shape}")


def load_matrix(path, key=None, spec=None):
    """The weight matrix in ``path`` (:func:`~shiftgen.weights.load.load_weights`, with
    ``key``), checked by :func:`check_matrix` against ``spec``'s ``array`` section.

    Returns
    -------
    numpy.ndarray
        ``float64``, shape ``(K, N)``.

    Raises
    ------
    InputError
        For a missing or unreadable file, a dtype other than floating point,
        a shape other than 2-D (or other than the spec's array), no weights,
        or NaN or infinite weights. The message names the file.
    """
    weights = load_weights(path, key)  # floating point only, finite, in range
    check_matrix(weights, spec, str(path) if key is None else f"{path}[{key}]")
    return weights


@dataclass(frozen=True, eq=False)
class QuantizedMatrix:
    """A quantized ``(K, N)`` weight matrix.

    Members
    -------
    codes : numpy.ndarray of int64
        ``(K, N)`` weight codes, each in ``range(2**weight_bits)``.
    scale : float or numpy.ndarray
        One scale for the matrix, or a ``(N,)`` array with one per output
        column (``scale_axis`` 1).
    dequantized : numpy.ndarray of float64
        ``(K, N)``: ``scale * 2**-F * multiplier[codes]``.
    stats : dict
        ``mse``, ``snr_db`` (``None`` when not finite: no error, or all-zero
        weights), ``max_abs_error`` and ``codes_used`` (distinct codes).
    codebook : Codebook
        The codebook the codes index.
    """
    codes: np.ndarray
    scale: object
    dequantized: np.ndarray
    stats: dict
    codebook: object

    @property
    def shape(self):
        """``(K, N)``."""
        return self.codes.shape

    @property
    def scale_axis(self):
        """``None`` for one scale, ``1`` for one per output column."""
        return None if np.ndim(self.scale) == 0 else 1


def error_stats(weights, dequantized, codes):
    """MSE, SNR in dB, largest absolute error and distinct codes of a quantization.

    ``snr_db = 10 log10(sum W**2 / sum (W - Wq)**2)``, ``None`` when that is
    not finite (no error at all, or all-zero weights with an error).
    """
    err = weights - dequantized
    energy = float(np.sum(err * err))
    signal = float(np.sum(weights * weights))
    snr = 10 * math.log10(signal / energy) if energy > 0 and signal > 0 else None
    return {"mse": float(np.mean(err * err)), "snr_db": snr,
            "max_abs_error": float(np.max(np.abs(err))),
            "codes_used": int(np.unique(codes).size)}


def _family_quantize(spec, weights):
    try:
        return spec.family.quantize(spec, weights, alpha=None)
    except ValueError as e:
        raise InputError(f"{_where(spec)}: family {spec.family.name!r} cannot quantize weights "
                         f"for this spec: {e}") from None


def _scalar_scale(alpha, spec):
    a = np.asarray(alpha, dtype=np.float64)
    if a.size != 1:
        raise RuntimeError(f"family {spec.family.name!r} returned {a.size} scales for one "
                           f"column; expected one")
    return float(a.reshape(()))


def quantize_matrix(spec, weights, per_channel=False):
    """Quantize a ``(K, N)`` weight matrix with the spec's family.

    Parameters
    ----------
    spec : Spec
    weights : numpy.ndarray
        ``float``, shape ``(K, N)``, ``Y = X @ W`` (see :func:`check_matrix`).
    per_channel : bool
        Quantize each output column ``W[:, j]`` on its own, with its own
        scale. The family sees each column as a ``(K, 1)`` matrix.

    Returns
    -------
    QuantizedMatrix

    Raises
    ------
    InputError
        If the weights are not a valid matrix for ``spec``, or the family
        cannot quantize for this spec (the AUSN ``decoder`` baseline, an SQ
        spec with ``qps: external``).
    """
    check_matrix(weights, spec)
    cb = spec.codebook
    if per_channel:
        columns = [_family_quantize(spec, weights[:, j:j + 1]) for j in range(weights.shape[1])]
        codes = np.concatenate([q.codes.reshape(-1, 1) for q in columns], axis=1)
        scale = np.array([_scalar_scale(q.alpha, spec) for q in columns])
        deq = np.concatenate([q.dequantize().reshape(-1, 1) for q in columns], axis=1)
        used = [q.codebook for q in columns]
    else:
        q = _family_quantize(spec, weights)
        codes, deq, used = q.codes, np.asarray(q.dequantize(), dtype=np.float64), [q.codebook]
        a = np.asarray(q.alpha, dtype=np.float64)
        if a.size == 1 or np.all(a == a.flat[0]):
            scale = float(a.flat[0])
        elif a.shape in ((weights.shape[1],), (1, weights.shape[1])):
            scale = a.reshape(-1).copy()
        else:
            raise RuntimeError(f"family {spec.family.name!r} returned scales of shape {a.shape}; "
                               f"expected one, or one per column")
    if any(c is not cb and c != cb for c in used):
        raise RuntimeError(f"family {spec.family.name!r} quantized with another codebook")
    if codes.shape != weights.shape or deq.shape != weights.shape:
        raise RuntimeError(f"family {spec.family.name!r} returned codes of shape {codes.shape} "
                           f"for weights of shape {weights.shape}")
    if codes.min() < 0 or codes.max() >= 1 << cb.weight_bits:
        raise RuntimeError(f"family {spec.family.name!r} returned codes outside "
                           f"0..{(1 << cb.weight_bits) - 1}")
    stats = error_stats(weights, deq, codes)
    for arr in (codes, deq) + ((scale,) if isinstance(scale, np.ndarray) else ()):
        arr.setflags(write=False)
    return QuantizedMatrix(codes=codes, scale=scale, dequantized=deq, stats=stats, codebook=cb)


def weights_doc(spec, qm):
    """The ``weights.json`` document of ``qm``, quantized for ``spec`` (JSON-ready)."""
    scale = qm.scale if qm.scale_axis is None else [float(s) for s in qm.scale]
    return {"spec": spec.name, "family": spec.family.name, "shape": list(qm.shape),
            "weight_bits": qm.codebook.weight_bits, "F": qm.codebook.F, "scale": scale,
            "scale_axis": qm.scale_axis, "layout": layout_text(qm.shape, qm.codebook.weight_bits),
            **qm.stats}


def dumps(doc):
    """``weights.json`` text: strict JSON (no NaN or Infinity), one key per line."""
    items = (f" {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in doc.items())
    return "{\n" + ",\n".join(items) + "\n}\n"


def _check_codes(codes, weight_bits):
    if not isinstance(weight_bits, int) or isinstance(weight_bits, bool) or weight_bits < 1:
        raise ValueError(f"weight_bits must be a positive integer, not {weight_bits!r}")
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.size == 0:
        raise ValueError(f"codes must be a non-empty 2-D array, not shape {codes.shape}")
    if codes.dtype.kind not in "iu":
        raise ValueError(f"codes must be integers, not dtype {codes.dtype}")
    if codes.min() < 0 or codes.max() >= 1 << weight_bits:
        raise ValueError(f"codes must be in 0..{(1 << weight_bits) - 1}, "
                         f"not {codes.min()}..{codes.max()}")
    return codes.astype(np.int64)


def hex_lines(codes, weight_bits):
    """The lines of :func:`write_hex` (without newlines)."""
    codes = _check_codes(codes, weight_bits)
    k, n = codes.shape
    digits = hex_digits(n, weight_bits)
    # Bits of each row, least significant first: column j at [j*B, (j+1)*B).
    bits = (codes[:, :, None] >> np.arange(weight_bits)) & 1
    bits = bits.reshape(k, n * weight_bits)
    bits = np.pad(bits, ((0, 0), (0, 4 * digits - n * weight_bits)))
    nibbles = bits.reshape(k, digits, 4) @ _NIBBLE  # least significant nibble first
    chars = _HEX_DIGITS[nibbles[:, ::-1]]
    return ["".join(row) for row in chars]


def write_hex(path, codes, weight_bits):
    """Write ``codes`` as ``$readmemh`` data: one line per row, the row's codes packed.

    Line ``k`` is one hex word holding ``codes[k, :]``: column ``j`` at bits
    ``[j*B +: B]`` (column 0 least significant), ``ceil(N*B/4)`` lowercase
    digits, zero-padded, no ``0x``, no comments. Verilog
    ``reg [N*B-1:0] mem [0:K-1]; $readmemh("weights.hex", mem);`` loads it.

    Parameters
    ----------
    path : str or os.PathLike
    codes : array_like of int
        Shape ``(K, N)``, each in ``range(2**weight_bits)``.
    weight_bits : int
        ``B``, the code width.

    Raises
    ------
    ValueError
        If ``codes`` is not a 2-D integer array of ``weight_bits``-bit codes.
    """
    lines = hex_lines(codes, weight_bits)
    Path(path).write_text("".join(f"{line}\n" for line in lines), encoding="ascii")


def read_hex(path, shape, weight_bits):
    """Read the codes back from a :func:`write_hex` file (its exact inverse).

    Parameters
    ----------
    path : str or os.PathLike
    shape : tuple of (int, int)
        ``(K, N)``.
    weight_bits : int

    Returns
    -------
    numpy.ndarray of int64
        Shape ``(K, N)``.

    Raises
    ------
    InputError
        If the file is missing, or does not hold ``K`` lines of
        ``ceil(N*B/4)`` hex digits with the bits above ``N*B`` clear.
    """
    path = Path(path)
    k, n = (int(v) for v in shape)
    if k < 1 or n < 1:
        raise ValueError(f"shape must be two positive integers, not {tuple(shape)!r}")
    if not isinstance(weight_bits, int) or weight_bits < 1:
        raise ValueError(f"weight_bits must be a positive integer, not {weight_bits!r}")
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise InputError(f"{path}: no such hex file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot be read: {e}") from None
    lines = text.splitlines()
    digits = hex_digits(n, weight_bits)
    if len(lines) != k:
        raise InputError(f"{path}: must have {k} lines (one per row), not {len(lines)}")
    for i, line in enumerate(lines, 1):
        if len(line) != digits or line.strip("0123456789abcdef"):
            raise InputError(f"{path}: line {i} must be {digits} lowercase hex digits, "
                             f"not {line!r}")
    nibbles = np.array([[int(c, 16) for c in line[::-1]] for line in lines], dtype=np.int64)
    bits = ((nibbles[:, :, None] >> np.arange(4)) & 1).reshape(k, 4 * digits)
    if bits[:, n * weight_bits:].any():
        row = int(np.flatnonzero(bits[:, n * weight_bits:].any(axis=1))[0]) + 1
        raise InputError(f"{path}: line {row} has bits set above bit {n * weight_bits - 1}")
    bits = bits[:, :n * weight_bits].reshape(k, n, weight_bits)
    return bits @ (np.int64(1) << np.arange(weight_bits, dtype=np.int64))


def _check_out_dir(out):
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise InputError(f"{out}: output must be a directory, not an existing file")
        others = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_FILES)
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise InputError(f"{out}: holds other files ({shown}); refusing to replace it, "
                             f"choose another --out")


def write_outputs(out_dir, spec, qm):
    """Write ``weights.hex``, ``codes.npy`` and ``weights.json`` into ``out_dir`` atomically.

    The files go to a hidden directory beside ``out_dir``, which is renamed
    into place once complete; an earlier ``out_dir`` is replaced only then.
    On any failure nothing is left behind (not even created parents).

    Parameters
    ----------
    out_dir : str or os.PathLike
    spec : Spec
    qm : QuantizedMatrix

    Returns
    -------
    dict
        The ``weights.json`` document.

    Raises
    ------
    InputError
        If ``out_dir`` is a file, or a directory holding files other than
        :data:`OUTPUT_FILES` (never deleted).
    """
    out = Path(out_dir)
    _check_out_dir(out)
    doc = weights_doc(spec, qm)
    text = dumps(doc)
    with StagedDir(out) as stage:
        write_hex(stage.path / "weights.hex", qm.codes, qm.codebook.weight_bits)
        np.save(stage.path / "codes.npy", np.asarray(qm.codes, dtype=np.int64))
        (stage.path / "weights.json").write_text(text)
    return doc
