"""Bit-exact NumPy golden model of a PE, generic over the codebook.

``acc <- overflow(acc + a * multiplier[w])`` on each enabled clock edge, where
``overflow`` is two's-complement wrap-around or saturation at ``acc_bits``
(``../shared/QUANTIZERS.md``, "Common frame"). A synchronous reset clears the
accumulator and wins over ``en``.
"""

import numpy as np

__all__ = ["wrap", "saturate", "products", "mac_step", "mac_run", "matmul"]


def wrap(x, bits):
    """Two's-complement wrap-around of the integers ``x`` to ``bits`` bits."""
    x = np.asarray(x, dtype=np.int64)
    half = np.int64(1) << np.int64(bits - 1)
    return ((x + half) & ((half << np.int64(1)) - np.int64(1))) - half


def saturate(x, bits):
    """Clamp the integers ``x`` to the ``bits``-bit two's-complement range."""
    x = np.asarray(x, dtype=np.int64)
    half = 1 << (bits - 1)
    return np.clip(x, -half, half - 1)


def products(codebook, a, w):
    """``a * multiplier[w]`` for arrays of activations and weight codes.

    A coded activation (:attr:`Codebook.activations`) stands for its value.
    """
    return codebook.act_value(a) * codebook.table[np.asarray(w, dtype=np.int64)]


def _limit(pe):
    return wrap if pe.overflow == "wrap" else saturate


def mac_step(codebook, pe, acc, a, w):
    """The accumulator after one enabled edge, for arrays of (acc, a, w).

    Parameters
    ----------
    codebook : Codebook
    pe : PEConfig
    acc, a, w : array_like of int
        Accumulator before the edge, activation, weight code.
    """
    return _limit(pe)(np.asarray(acc, dtype=np.int64) + products(codebook, a, w), pe.acc_bits)


def mac_run(codebook, pe, a, w, en=None, rst=None, acc0=0):
    """The accumulator after each clock edge of a sequence.

    Parameters
    ----------
    codebook : Codebook
    pe : PEConfig
    a, w : array_like of int
        Activation and weight code applied before each edge.
    en, rst : array_like of bool, optional
        Enable (default all 1) and synchronous reset (default all 0).
    acc0 : int
        Accumulator before the first edge.

    Returns
    -------
    numpy.ndarray of int64
        ``acc`` as seen after each edge.
    """
    p = products(codebook, a, w)
    n = len(p)
    en = np.ones(n, dtype=bool) if en is None else np.asarray(en, dtype=bool)
    rst = np.zeros(n, dtype=bool) if rst is None else np.asarray(rst, dtype=bool)
    if pe.overflow == "wrap":
        # Wrap-around is modular, so a running sum restarted at each reset is exact
        # (int64 arrays wrap modulo 2**64, a multiple of 2**acc_bits).
        c = np.where(rst, 0, np.where(en, p, 0))
        cs = np.cumsum(c) + np.int64(acc0)
        idx = np.where(rst, np.arange(n), -1)
        last = np.maximum.accumulate(idx) if n else idx
        base = np.where(last >= 0, cs[np.maximum(last, 0)], 0)
        return wrap(cs - base, pe.acc_bits)
    out = np.empty(n, dtype=np.int64)
    acc = int(acc0)
    for t in range(n):
        if rst[t]:
            acc = 0
        elif en[t]:
            acc = int(saturate(acc + int(p[t]), pe.acc_bits))
        out[t] = acc
    return out


def matmul(codebook, x, w):
    """``Y = X . M(W)``: what a MAC array computes, exactly.

    Parameters
    ----------
    codebook : Codebook
    x : array_like of int, shape (N, R)
        N activation vectors (inputs as driven: integers, or codes when the
        activation is coded).
    w : array_like of int, shape (R, C)
        Weight codes.

    Returns
    -------
    numpy.ndarray of int64, shape (N, C)
        No wrap-around: the array's partial sums are wide enough
        (:func:`shiftgen.hdl.array.psum_bits`).
    """
    x = codebook.act_value(x)
    m = codebook.table[np.asarray(w, dtype=np.int64)]
    if x.ndim != 2 or m.ndim != 2 or x.shape[1] != m.shape[0]:
        raise ValueError(f"Shapes must be (N, R) and (R, C), not {x.shape} and {m.shape}")
    return x @ m
