"""What a quantizer family provides: one class per family module."""

import numpy as np

__all__ = ["Family", "Quantized", "nearest_codes", "sign_magnitude_codes"]


class Quantized:
    """Weight codes and the scale that turns them back into real weights.

    Parameters
    ----------
    codes : numpy.ndarray of int
        One weight code per weight.
    alpha : float or numpy.ndarray
        Scale: ``w ~ alpha * 2**-F * multiplier[code]``.
    codebook : Codebook
    """
    def __init__(self, codes, alpha, codebook):
        self.codes = np.asarray(codes, dtype=np.int64)
        self.alpha = alpha
        self.codebook = codebook

    def dequantize(self):
        """The real weights the codes stand for."""
        cb = self.codebook
        return self.alpha * (cb.table[self.codes].astype(np.float64) * 2.0 ** -cb.F)


def nearest_codes(codebook, x, candidates=None):
    """The code whose level is nearest to each ``x`` (in level units), linear domain.

    Levels are ``multiplier * 2**-F``. A tie goes to the smaller magnitude.
    Of several codes with the same multiplier the lowest code is used.

    Parameters
    ----------
    codebook : Codebook
    x : array_like of float
    candidates : iterable of int, optional
        Codes to choose from (default: all); a sign-magnitude family passes
        its non-negative codes and rounds magnitudes.
    """
    x = np.asarray(x, dtype=np.float64)
    canon = {}
    codes_in = range(len(codebook.multipliers)) if candidates is None else candidates
    for code in codes_in:
        canon.setdefault(codebook.multipliers[code], code)
    mults = np.array(sorted(canon), dtype=np.int64)
    codes = np.array([canon[int(v)] for v in mults], dtype=np.int64)
    levels = mults * 2.0 ** -codebook.F
    hi = np.clip(np.searchsorted(levels, x), 1, len(levels) - 1) if len(levels) > 1 \
        else np.zeros(x.shape, dtype=np.int64)
    lo = hi - 1 if len(levels) > 1 else hi
    d_lo = np.abs(x - levels[lo])
    d_hi = np.abs(x - levels[hi])
    pick_hi = (d_hi < d_lo) | ((d_hi == d_lo) & (np.abs(levels[hi]) < np.abs(levels[lo])))
    return codes[np.where(pick_hi, hi, lo)]


def sign_magnitude_codes(codebook, x):
    """Sign-magnitude codes of the levels nearest to ``x`` (in level units).

    The magnitude rounds to the nearest non-negative level (linear domain,
    :func:`nearest_codes`); the sign bit is set for negative ``x`` unless the
    level is zero, so a zero weight never gets the negative code.
    """
    x = np.asarray(x, dtype=np.float64)
    half = 1 << (codebook.weight_bits - 1)
    mag_codes = nearest_codes(codebook, np.abs(x), candidates=range(half))
    negative = (x < 0) & (codebook.table[mag_codes] != 0)
    return mag_codes | (negative.astype(np.int64) << (codebook.weight_bits - 1))


class Family:
    """A quantizer family: parameters, codebook, quantizer and PE.

    Subclasses set the class attributes and implement the methods. Adding a
    family is one new module holding such a subclass, plus a line in
    :data:`shiftgen.families.FAMILIES`.

    Members
    -------
    name : str
        The ``family:`` value in specs.
    Params : type
        Frozen dataclass of the ``params:`` section (fields made with
        :func:`shiftgen.spec.schema.option`).
    PE : type
        The PE component class (a :class:`~shiftgen.hdl.pe.MacPE`), built
        from the spec.
    weight_bits : tuple of (int, int)
        Inclusive range of ``pe.weight_bits`` the family supports.
    """
    name = None
    Params = None
    PE = None
    weight_bits = (1, 16)

    def check(self, params, pe):
        """Check relations between ``params`` and the ``pe`` section.

        Raises
        ------
        shiftgen.spec.schema.FieldError
            With the full dotted field path (``params.zero``).
        """

    def codebook(self, params, weight_bits):
        """The :class:`~shiftgen.codebook.Codebook` of this configuration."""
        raise NotImplementedError  # pragma: no cover

    def pe(self, spec, *, assertions=False):
        """A new PE component (a :class:`~shiftgen.hdl.pe.MacPE`) for ``spec``.

        ``assertions`` adds the invariant ``Assert`` statements (for
        :mod:`shiftgen.verify.invariants` and simulation; never exported).
        """
        return self.PE(spec, assertions=assertions)

    def product_range(self, spec):
        """The smallest and largest product the PE can form.

        The codebook's range by default; a family whose PE can be loaded with
        other multipliers at run time (a programmable decoder) widens it.
        """
        return spec.codebook.product_range(spec.pe.act_bits, spec.pe.act_signed)

    def array_cell_spec(self, spec):
        """The spec of the array cell when the array decodes weights on load.

        Only a family with a decoder that can be shared (``sq``) has one;
        the default refuses (the spec check keeps ``array.decoder: pe``).
        """
        raise NotImplementedError  # pragma: no cover

    def array_decoder(self, spec, ports):
        """A load-path decoder component with ``ports`` read ports (``sq`` only)."""
        raise NotImplementedError  # pragma: no cover

    decoder_placements = ("pe",)
    #: A shared load-path decoder's write-enable port (in the codebook's setup
    #: writes), and the column-address port an array with one decoder per
    #: column adds so that a write reaches one column's decoder only.
    decoder_write_enable = None
    decoder_column_address = None

    def check_array(self, params, pe, array):
        """Check the ``array`` section against the family's parameters.

        Raises
        ------
        shiftgen.spec.schema.FieldError
        """

    def formal_reference(self, spec):
        """How the formal reference forms the multiplier: a :class:`~shiftgen.verify.formal.Reference`.

        The default is a case table of the codebook. A family whose PE holds
        state beyond ``acc`` (a programmable decoder) returns its own.
        """
        from ..verify.formal import codebook_reference
        return codebook_reference(spec)

    def fit(self, spec, weights, per_channel_axis=None):
        """Fit the family's parameters to ``weights``.

        Returns
        -------
        (dict, dict)
            Updates to the spec's ``params`` section, and a JSON-ready summary.

        Raises
        ------
        shiftgen.errors.InputError
            If the family has nothing to fit.
        """
        from ..errors import InputError
        raise InputError(f"family {self.name!r} has no parameters to fit")

    def variants(self, spec):
        """Related designs to build and report beside ``spec``: ``{suffix: Spec}``."""
        return {}

    def quantize(self, spec, weights, alpha=None):
        """Quantize real weights to codes; returns :class:`Quantized`.

        Parameters
        ----------
        spec : Spec
        weights : numpy.ndarray
        alpha : float, optional
            Scale to use instead of the family's own choice.
        """
        raise NotImplementedError  # pragma: no cover

    def __repr__(self):
        return f"<family {self.name}>"
