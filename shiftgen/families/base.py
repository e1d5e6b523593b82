"""What a quantizer family provides: one class per family module."""

import numpy as np

__all__ = ["Family", "SharedDecoder", "Quantized", "nearest_codes", "sign_magnitude_codes"]


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


class SharedDecoder:
    """A weight decoder that an array can share among its cells, on the load path.

    Seed 003 section 3.5: the PE without its decoder takes the decoded
    fields; one decoder serves a column (``array.decoder: column``) or, with
    one read port per column, the whole array (``array``). A family whose
    decoder can be shared sets :attr:`Family.shared_decoder` to one of these.

    Members
    -------
    placements : tuple of str
        The ``array.decoder`` values besides ``pe`` it supports.
    write_enable : str or None
        The decoder's write-enable port (a programmable table; it appears in
        the codebook's setup writes), or ``None`` for a constant decoder.
    column_address : str or None
        The port an array with one decoder per column adds, so that a write
        reaches one column's decoder only.
    """
    placements = ("column", "array")
    write_enable = None
    column_address = None

    def cell_spec(self, spec):
        """The spec of the decoder-free cell the array is built from."""
        raise NotImplementedError  # pragma: no cover

    def component(self, spec, ports):
        """A load-path decoder component with ``ports`` read ports.

        Its signature has ``code`` (``ports`` weight codes in), ``decoded``
        (the cell's weight words out) and any write port of its table.
        """
        raise NotImplementedError  # pragma: no cover


class Family:
    """A quantizer family: parameters, codebook, quantizer, PE, and what else differs by family.

    Subclasses set the class attributes and implement the methods. Adding a
    family is one new module holding such a subclass, plus a line in
    :data:`shiftgen.families.FAMILIES` (or :func:`shiftgen.families.register`
    from another package). Nothing outside ``shiftgen/families/`` names a
    family: every command asks the family object.

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
    scale_rule : str
        How :meth:`quantize` chooses its scale when given none, in words
        (reports and plots say it beside each SNR).
    plot_style : tuple of (str, str)
        Matplotlib marker and colour of the family's points in plots.
    shared_decoder : SharedDecoder or None
        The decoder an array may share among its cells, if the family has one.
    """
    name = None
    Params = None
    PE = None
    weight_bits = (1, 16)
    scale_rule = "family default"
    plot_style = ("X", "#777777")
    shared_decoder = None

    @property
    def decoder_placements(self):
        """The ``array.decoder`` values the family allows: ``pe``, and the shared ones."""
        extra = self.shared_decoder.placements if self.shared_decoder is not None else ()
        return ("pe", *extra)
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
            Scale to use instead of the family's own choice
            (:attr:`scale_rule`).

        Raises
        ------
        ValueError
            If this configuration cannot quantize (a PE without its decoder
            has no levels of its own); callers turn it into an input error.
        """
        raise NotImplementedError  # pragma: no cover

    def quantize_for_snr(self, spec, weights):
        """Quantize seeded weights at the scale the family would choose for them.

        The SNR axis of sweeps and plots compares families on the same
        weights, so a scale a spec fixed for other data (a fitted ``alpha``)
        is chosen again here. The default is :meth:`quantize` with its own
        rule.

        Returns
        -------
        (Quantized, str)
            The quantized weights and how the scale was chosen.
        """
        return self.quantize(spec, weights), self.scale_rule

    def row_terms(self, spec):
        """Values each row of a broadcast array forms once for all its cells.

        Returns
        -------
        dict
            ``{name: (shape, form)}``: ``form(a)`` builds the value from the
            row's activation ``a`` (the activation port's value). Default:
            none. A cell reads them with ``cell.term(name)``.
        """
        return {}

    def broadcast_product(self, cell, m):
        """The product of one broadcast cell, as :meth:`~shiftgen.hdl.pe.MacPE.product` gives it.

        ``cell`` has the PE's ``a`` and ``w`` (and its row terms,
        ``cell.term(name)``); the logic goes into ``m``, the column's module.
        Unless the array shares a decoder or the PE has a write port (a
        programmable decoder, whose codes may change meaning), ``w`` holds canonical codes only
        (:meth:`~shiftgen.codebook.Codebook.canonical_codes`: the load path maps
        a negative zero to zero), so the product need not handle the others.
        The column adds ``addend + carry``, with the carry as an adder's
        carry-in (:class:`~shiftgen.hdl.column_sum.ColumnSum`), so a
        sign-magnitude product is best an inverted magnitude and its
        ``+1``. Default: the PE's own :meth:`product`.
        """
        return cell.product(m)

    def sweep_fitted(self, params, pe):
        """What a sweep point leaves to be fitted to the sweep's weights when it runs.

        Parameters
        ----------
        params, pe : dict
            The point's ``params`` and ``pe`` sections as written (no defaults).

        Returns
        -------
        (tuple of str, dict)
            The ``params`` fields :meth:`fit` fills at run time (none by
            default), and ``params`` with stand-ins that bound any fit, so
            that the point can be checked before it runs.
        """
        return (), params

    def add_commands(self, subparsers, parents):
        """Add the family's own ``shiftgen`` subcommands.

        Each parser sets ``func`` (``parser.set_defaults(func=...)``), a
        callable taking the parsed arguments and returning the exit status;
        ``parents`` holds the shared option parsers (``json``, ``out``,
        ``jobs``) by name.
        """

    def __repr__(self):
        return f"<family {self.name}>"
