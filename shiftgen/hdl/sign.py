"""Sign correction without a negator."""

__all__ = ["negate_if"]


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
