"""Sign correction without a negator."""

__all__ = ["negate_if", "signed_sum"]


def negate_if(value, sign):
    """``(addend, carry)`` such that ``addend + carry == (-value if sign else value)``.

    Inverting every bit and adding one is two's-complement negation
    (``-x = ~x + 1``); the inversion is one XOR per bit, which synthesis folds
    into the adder's LUTs, and the ``+ 1`` rides on the accumulator's carry-in.

    Parameters
    ----------
    value : Value
        Signed value to negate conditionally.
    sign : Value
        One bit; 1 negates.
    """
    value = value.as_signed()
    flipped = (value.as_unsigned() ^ sign.replicate(len(value))).as_signed()
    return flipped, sign


def signed_sum(m, total, width, sign, name="magnitude"):
    """Name the non-negative sum of a PE's terms, then apply the weight's sign.

    Parameters
    ----------
    m : Module
    total : Value
        Sum of the shifted terms.
    width : int
        Width of the signed magnitude signal.
    sign : Value
        One bit; 1 negates.

    Returns
    -------
    (Value, Value)
        ``(addend, carry)`` for :meth:`~shiftgen.hdl.pe.MacPE.product`.
    """
    from amaranth.hdl import Signal, signed
    magnitude = Signal(signed(width), name=name)
    m.d.comb += magnitude.eq(total)
    return negate_if(magnitude, sign)
