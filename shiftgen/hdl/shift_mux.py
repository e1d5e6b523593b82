"""A MUX over copies of the activation shifted by constants."""

from amaranth.hdl import Array, Const, Signal, signed

__all__ = ["shift_mux"]


def shift_mux(m, a, exponents, select, F, width, name=None):
    """``a * 2**(F - e)`` for the option ``e = exponents[select]``, or 0 for ``None``.

    Shifts by constants are wires, so a term costs one MUX, not a barrel
    shifter (seed 003 section 3.5); select values past the options give 0.

    Parameters
    ----------
    m : Module
    a : Value
        Signed activation.
    exponents : sequence of int or None
        Option ``k`` is ``2**-exponents[k]``; ``None`` is zero.
    select : Value
        Option index.
    F : int
        Fraction bits of the codebook (every ``e <= F``).
    width : int
        Width of the signed result.
    name : str, optional

    Returns
    -------
    Signal
    """
    zero = Const(0, signed(width))
    copies = [zero if e is None else a << (F - e) for e in exponents]
    copies += [zero] * ((1 << len(select)) - len(copies))
    term = Signal(signed(width), name=name)
    m.d.comb += term.eq(Array(copies)[select])
    return term
