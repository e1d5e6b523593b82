"""``uniform``: the multiplier-based baseline (seed 002 Table 10, seed 004 Table VIII).

The weight code is an n-bit two's-complement integer and the PE multiplies.
Synthesis runs it through the strongest Yosys recipe (booth included), so
ratios of the shift designs against it are fair (``QUANTIZERS.md``).
"""

from dataclasses import dataclass

import numpy as np
from amaranth.hdl import signed

from ..codebook import Codebook
from ..hdl.pe import MacPE
from .base import Family, Quantized

__all__ = ["UniformParams", "UniformPE", "Uniform"]


@dataclass(frozen=True)
class UniformParams:
    """The ``params`` section of a ``uniform`` spec: no parameters."""


class UniformPE(MacPE):
    """Multiplier PE: ``acc <- acc + a * w`` with ``w`` two's complement."""

    def __init__(self, spec, *, assertions=False):
        self.weight_shape = signed(spec.pe.weight_bits)
        super().__init__(spec, assertions=assertions)

    def product(self, m):
        return self.act_as_signed() * self.w, 0


class Uniform(Family):
    name = "uniform"
    Params = UniformParams
    PE = UniformPE
    weight_bits = (2, 16)
    scale_rule = "max|W|"
    plot_style = ("s", "#000000")

    def codebook(self, params, weight_bits):
        half = 1 << (weight_bits - 1)
        mults = tuple(c - (c >= half) * (1 << weight_bits) for c in range(1 << weight_bits))
        return Codebook(family=self.name, weight_bits=weight_bits, F=0, multipliers=mults,
                        params={})

    #: Widest code whose formal reference is the codebook's case table; a wider
    #: one (2**W entries make the proof slow: 12 bits took ~29 s) uses the
    #: codebook's definition, the code read as two's complement.
    CASE_TABLE_BITS = 8

    def formal_reference(self, spec):
        W = spec.pe.weight_bits
        if W <= self.CASE_TABLE_BITS:
            return super().formal_reference(spec)
        from ..verify.formal import Reference
        return Reference(logic="  always @* m = w;", m_bits=W)

    def quantize(self, spec, weights, alpha=None):
        """Symmetric uniform quantization: ``alpha = max|W| / (2**(n-1) - 1)``."""
        n = spec.pe.weight_bits
        top = (1 << (n - 1)) - 1
        weights = np.asarray(weights, dtype=np.float64)
        if alpha is None:
            peak = float(np.max(np.abs(weights))) if weights.size else 0.0
            alpha = peak / top if peak > 0 else 1.0
        values = np.clip(np.floor(weights / alpha + 0.5), -top, top).astype(np.int64)
        return Quantized(values & ((1 << n) - 1), alpha, spec.codebook)
