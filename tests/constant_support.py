"""Constant-weight array specs with their weights, written into a test's directory."""

import numpy as np
import yaml

from shiftgen.spec import load_spec, parse_spec
from shiftgen.weights.quantize import quantize_matrix, write_outputs

from .support import ROOT


def pe_spec(stem):
    """The shipped PE spec ``specs/<stem>.yaml`` (no array section)."""
    return load_spec(ROOT / "specs" / f"{stem}.yaml")


def write_weights(pe, out, rows, cols, seed=2026, scale=0.02):
    """Seeded Laplace weights ``(rows, cols)`` quantized by ``pe`` into ``out``; the codes."""
    w = np.random.default_rng(seed).laplace(0.0, scale, size=(rows, cols))
    qm = quantize_matrix(pe, w)
    write_outputs(out, pe, qm)
    return np.array(qm.codes)


def constant_spec(tmp_path, stem="pot_4bit", rows=4, cols=3, backend="shiftadd", seed=2026,
                  name=None, weights="w", pipeline=None):
    """A constant array of the shipped PE ``stem`` in ``tmp_path``, its weights beside it.

    ``pipeline``: the ``array.pipeline`` written (none by default). Returns ``(spec, codes)``.
    """
    pe = pe_spec(stem)
    codes = write_weights(pe, tmp_path / weights, rows, cols, seed=seed)
    doc = yaml.safe_load((ROOT / "specs" / f"{stem}.yaml").read_text())
    doc["name"] = name or f"{stem}_{rows}x{cols}_constant"
    doc["array"] = {"rows": rows, "cols": cols, "dataflow": "constant", "weights": weights,
                    "backend": backend}
    if pipeline is not None:
        doc["array"]["pipeline"] = pipeline
    path = tmp_path / f"{doc['name']}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_spec(path), codes


def other_codes(spec, codes, seed=5):
    """Codes with other multipliers than ``codes`` in some places (same shape)."""
    table = spec.codebook.table
    rng = np.random.default_rng(seed)
    out = np.array(codes)
    while np.array_equal(table[out], table[codes]):
        r, c = rng.integers(0, out.shape[0]), rng.integers(0, out.shape[1])
        out[r, c] = rng.integers(0, 1 << spec.pe.weight_bits)
    return out


__all__ = ["pe_spec", "write_weights", "constant_spec", "other_codes", "parse_spec"]
