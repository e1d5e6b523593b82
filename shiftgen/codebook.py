"""The codebook: weight code -> signed integer multiplier.

It is the single source of truth that the golden model, the hardware tests,
the formal reference and the reports read (``../shared/QUANTIZERS.md``,
"Common frame"): the real weight of code ``c`` is
``alpha * 2**-F * multipliers[c]``, with ``alpha`` and ``2**-F`` kept outside
the processing element.
"""

import json
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

__all__ = ["Codebook", "act_range", "minimal_F", "signed_bits", "sign_magnitude"]


def minimal_F(levels):
    """The smallest ``F >= 0`` that makes every ``level * 2**F`` an integer.

    Parameters
    ----------
    levels : iterable of fractions.Fraction
        Non-negative levels whose denominators are powers of two.

    Raises
    ------
    ValueError
        If a level's denominator is not a power of two.
    """
    F = 0
    for level in levels:
        level = Fraction(level)
        den = level.denominator
        if den & (den - 1):
            raise ValueError(f"Level must be a dyadic rational, not {level!r}")
        F = max(F, den.bit_length() - 1)
    return F


def signed_bits(lo, hi):
    """The number of two's-complement bits that hold every integer in [lo, hi]."""
    bits = 1
    while not (-(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1):
        bits += 1
    return bits


def sign_magnitude(weight_bits, magnitudes):
    """Multipliers of a sign-magnitude code: top bit is the sign (1 = negative).

    Parameters
    ----------
    weight_bits : int
        Code width, sign included.
    magnitudes : sequence of int
        Multiplier of each magnitude code, ``2**(weight_bits-1)`` entries.
    """
    half = 1 << (weight_bits - 1)
    if len(magnitudes) != half:
        raise ValueError(f"Magnitude table must have {half} entries, not {len(magnitudes)}")
    return tuple(magnitudes) + tuple(-m for m in magnitudes)


@dataclass(frozen=True)
class Codebook:
    """Every weight code of a family configuration and its integer multiplier.

    Parameters
    ----------
    family : str
        Family name (the ``family:`` of the spec).
    weight_bits : int
        Width of a weight code, sign included.
    F : int
        Fraction bits: ``level = multiplier * 2**-F``.
    multipliers : tuple of int
        ``multipliers[code]`` for every code in ``range(2**weight_bits)``.
    params : dict
        The family's parameters, recorded in ``codebook.json``.
    fields : dict, optional
        Named bit fields of the code, recorded in ``codebook.json``.
    setup : tuple of dict, optional
        Port writes that program a run-time decoder before use, one clock
        edge each (``{"qps_we": 1, "qps_addr": code, "qps_data": d}``). Entry
        ``k`` programs magnitude code ``k``; the multipliers hold once all are
        applied. Empty for a PE without programmable state.
    activations : tuple of int, optional
        For a coded activation (AUSN x AUSN, seed 001 Appendix B.2): the
        integer value of every activation code, ``2**act_bits`` entries; the
        real activation is ``scale * 2**-act_F * activations[code]``. Empty
        (the default) when the activation is its own two's-complement or
        unsigned integer.
    act_F : int, optional
        Fraction bits of the coded activation.
    act_fields : dict, optional
        Named bit fields of the activation code.

    Raises
    ------
    ValueError
        If the table does not have one entry per code.
    """
    family: str
    weight_bits: int
    F: int
    multipliers: tuple
    params: dict = field(default_factory=dict, compare=False)
    fields: dict = field(default_factory=dict, compare=False)
    setup: tuple = ()
    activations: tuple = ()
    act_F: int = 0
    act_fields: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if not isinstance(self.weight_bits, int) or self.weight_bits < 1:
            raise ValueError(f"Weight bits must be a positive integer, not {self.weight_bits!r}")
        if len(self.multipliers) != 1 << self.weight_bits:
            raise ValueError(f"Codebook must have {1 << self.weight_bits} multipliers, "
                             f"not {len(self.multipliers)}")
        object.__setattr__(self, "multipliers", tuple(int(m) for m in self.multipliers))
        object.__setattr__(self, "setup", tuple(dict(w) for w in self.setup))
        n = len(self.activations)
        if n and (n & (n - 1) or n < 2):
            raise ValueError(f"Activation table must have a power-of-two number of entries, "
                             f"not {n}")
        object.__setattr__(self, "activations", tuple(int(v) for v in self.activations))

    @property
    def table(self):
        """The multipliers as an ``int64`` array indexed by code."""
        return np.array(self.multipliers, dtype=np.int64)

    @property
    def levels(self):
        """Sorted distinct real levels (``multiplier * 2**-F``), as floats."""
        return np.array(sorted(set(self.multipliers)), dtype=np.float64) * 2.0 ** -self.F

    def act_table(self, act_bits, act_signed):
        """Every activation input and its integer value, as two ``int64`` arrays.

        The first array holds what is driven on the ``a`` port (a signed or
        unsigned integer, or a code); the second the value it stands for in
        ``a * multiplier``. They are equal unless :attr:`activations` is set.
        """
        if self.activations:
            if len(self.activations) != 1 << act_bits:
                raise ValueError(f"Activation table has {len(self.activations)} entries, "
                                 f"not 2**{act_bits}")
            return (np.arange(len(self.activations), dtype=np.int64),
                    np.array(self.activations, dtype=np.int64))
        lo, hi = act_range(act_bits, act_signed)
        values = np.arange(lo, hi + 1, dtype=np.int64)
        return values, values

    def act_value(self, a):
        """The integer value of the activation inputs ``a`` (codes map through
        :attr:`activations`; plain activations are their own value)."""
        a = np.asarray(a, dtype=np.int64)
        if self.activations:
            return np.array(self.activations, dtype=np.int64)[a]
        return a

    def reloaded(self):
        """The codebook after reloading the decoder with its entries reversed.

        Returns ``(setup, codebook)``: the writes that load magnitude code
        ``k`` with the data of code ``N-1-k``, and the multipliers that then
        hold. Tests use it to reload a programmable PE between accumulations.
        """
        if not self.setup:
            raise ValueError("Codebook has no programmable decoder to reload")
        half = 1 << (self.weight_bits - 1)
        order = list(reversed(range(half)))
        setup = tuple({**w, **{k: v for k, v in self.setup[j].items() if k.endswith("_data")}}
                      for w, j in zip(self.setup, order))
        mags = [self.multipliers[j] for j in order]
        return setup, Codebook(family=self.family, weight_bits=self.weight_bits, F=self.F,
                               multipliers=sign_magnitude(self.weight_bits, mags),
                               params=self.params, fields=self.fields, setup=setup,
                               activations=self.activations, act_F=self.act_F,
                               act_fields=self.act_fields)

    def canonical_codes(self):
        """Per code, the lowest code with the same multiplier (a tuple; itself for most codes).

        A negative zero and any other repeated level map to one code, so logic
        that sees only canonical codes need not handle the others.
        """
        first = {}
        for code, value in enumerate(self.multipliers):
            first.setdefault(value, code)
        return tuple(first[value] for value in self.multipliers)

    def product_range(self, act_bits, act_signed):
        """The smallest and largest ``a * multiplier`` over every activation and code."""
        _, values = self.act_table(act_bits, act_signed)
        a_lo, a_hi = int(values.min()), int(values.max())
        m_lo, m_hi = min(self.multipliers), max(self.multipliers)
        corners = [a_lo * m_lo, a_lo * m_hi, a_hi * m_lo, a_hi * m_hi]
        return min(corners), max(corners)

    def product_bits(self, act_bits, act_signed):
        """Two's-complement width that holds every product."""
        return signed_bits(*self.product_range(act_bits, act_signed))

    def to_json(self):
        """The ``codebook.json`` text (deterministic)."""
        doc = {
            "family": self.family,
            "weight_bits": self.weight_bits,
            "F": self.F,
            "params": self.params,
        }
        if self.fields:
            doc["fields"] = self.fields
        if self.setup:
            doc["setup"] = list(self.setup)
        if self.activations:
            doc["act_F"] = self.act_F
            if self.act_fields:
                doc["act_fields"] = self.act_fields
            doc["activations"] = list(self.activations)
        head = json.dumps(doc, indent=1)[:-2]
        codes = ",\n".join(f'  {{"code": {c}, "multiplier": {m}}}'
                           for c, m in enumerate(self.multipliers))
        # One code per line: readable, and still plain JSON.
        return f'{head},\n "codes": [\n{codes}\n ]\n}}\n'


    @classmethod
    def from_json(cls, text):
        """Read a codebook back from its ``codebook.json`` text.

        Raises
        ------
        ValueError
            If the codes are not exactly ``0 .. 2**weight_bits - 1`` in order.
        """
        doc = json.loads(text)
        codes = doc["codes"]
        if [c["code"] for c in codes] != list(range(len(codes))):
            raise ValueError("Codebook codes must be listed in order from 0")
        return cls(family=doc["family"], weight_bits=doc["weight_bits"], F=doc["F"],
                   multipliers=tuple(c["multiplier"] for c in codes),
                   params=doc.get("params", {}), fields=doc.get("fields", {}),
                   setup=tuple(doc.get("setup", ())),
                   activations=tuple(doc.get("activations", ())), act_F=doc.get("act_F", 0),
                   act_fields=doc.get("act_fields", {}))


def act_range(act_bits, act_signed):
    """The smallest and largest activation of ``act_bits`` bits."""
    if act_signed:
        return -(1 << (act_bits - 1)), (1 << (act_bits - 1)) - 1
    return 0, (1 << act_bits) - 1
