"""Regenerate the weight directories of the shipped constant-weight array specs.

Seed 001 Table 4's configuration is a 64 x 64 array. Its weights here are
``Laplace(0, 0.02)`` from numpy's ``default_rng(2026)``, shape ``(64, 64)``
with ``Y = X @ W`` (issue 15), quantized by ``shiftgen quantize`` with each
PE spec (its family's own rule: PoT scales by ``max|W|`` and rounds in the
log domain, seed 002 section 3.1) into ``specs/arrays/weights/<pe spec>_64x64/``,
which ``specs/arrays/<pe spec>_64x64_constant.yaml`` names. Nothing is downloaded.

Usage: python scripts/make_constant_weights.py [PE_SPEC ...]   (default: specs/pot_4bit.yaml)
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

from shiftgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = 2026  # fixed: the shipped weights must be reproducible
SCALE = 0.02
SHAPE = (64, 64)


def layer_weights(seed=SEED, shape=SHAPE, scale=SCALE):
    """The seeded Laplace weight matrix ``W`` (``(K, N)``, ``Y = X @ W``)."""
    return np.random.default_rng(seed).laplace(0.0, scale, size=shape)


def out_dir(pe_spec, shape=SHAPE):
    """``specs/arrays/weights/<pe spec stem>_<K>x<N>``."""
    return ROOT / "specs" / "arrays" / "weights" / f"{Path(pe_spec).stem}_{shape[0]}x{shape[1]}"


def make(pe_spec):
    """Quantize the seeded weights with ``pe_spec`` into :func:`out_dir`; the exit status."""
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "layer.npy"
        np.save(weights, layer_weights())
        return main(["quantize", str(pe_spec), "--weights", str(weights),
                     "--out", str(out_dir(pe_spec))])


if __name__ == "__main__":
    specs = sys.argv[1:] or [str(ROOT / "specs" / "pot_4bit.yaml")]
    sys.exit(max(make(s) for s in specs))
