"""Seeded weights and the SNR of a quantizer on them (the SNR axis of sweeps and plots)."""

import math

import numpy as np

__all__ = ["DISTRIBUTIONS", "seeded_weights", "snr_db", "quantize_for_snr"]

#: The distributions :func:`seeded_weights` draws, each of unit variance.
DISTRIBUTIONS = ("normal", "laplace")


def seeded_weights(n=1 << 16, seed=0, distribution="normal"):
    """``n`` weights from numpy's ``default_rng(seed)``: ``N(0, 1)`` or a unit-variance Laplace.

    Raises
    ------
    ValueError
        If ``distribution`` is not one of :data:`DISTRIBUTIONS`.
    """
    rng = np.random.default_rng(seed)
    if distribution == "normal":
        return rng.standard_normal(n)
    if distribution == "laplace":
        return rng.laplace(scale=1 / math.sqrt(2), size=n)
    raise ValueError(f"Distribution must be one of {', '.join(map(repr, DISTRIBUTIONS))}, "
                     f"not {distribution!r}")


def snr_db(weights, dequantized):
    """``10 log10(sum w**2 / sum (w - wq)**2)``; ``inf`` for no error."""
    w = np.asarray(weights, dtype=np.float64)
    err = float(np.sum((w - np.asarray(dequantized, dtype=np.float64)) ** 2))
    signal = float(np.sum(w * w))
    if err == 0:
        return math.inf
    return 10 * math.log10(signal / err)


def quantize_for_snr(spec, weights):
    """``spec``'s family quantizer on ``weights`` at the scale the family chooses for them.

    Returns
    -------
    (Quantized, float, str)
        The quantized weights, their SNR in dB and how the scale was chosen
        (:meth:`~shiftgen.families.base.Family.quantize_for_snr`).
    """
    weights = np.asarray(weights, dtype=np.float64)
    quantized, rule = spec.family.quantize_for_snr(spec, weights)
    return quantized, snr_db(weights, quantized.dequantize()), rule
