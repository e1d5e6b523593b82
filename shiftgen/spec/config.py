"""The validated spec: one frozen dataclass per section.

A spec has a name, a family, a ``pe`` section (:class:`PEConfig`), a
``params`` section whose dataclass belongs to the family, and an optional
``array`` section (:class:`ArrayConfig`). :mod:`shiftgen.spec.load` reads
them from YAML and checks them once.
"""

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .schema import FieldError, option

__all__ = ["TOP_FIELDS", "DATAFLOWS", "PEConfig", "ArrayConfig", "Spec"]

#: The top-level fields of a spec file, in the order they are documented.
TOP_FIELDS = ("name", "family", "pe", "params", "array")


@dataclass(frozen=True)
class PEConfig:
    """The ``pe`` section: port widths and arithmetic of one processing element.

    Members
    -------
    act_bits : int
        Width of the activation port ``a``.
    weight_bits : int
        Width of the weight-code port ``w``, sign included.
    acc_bits : int
        Width of the accumulator register ``acc``.
    act_signed : bool
        Activations are two's complement (default) or unsigned.
    overflow : str
        ``wrap`` (two's-complement wrap-around, default) or ``saturate``
        (clamp to ``[-2**(acc_bits-1), 2**(acc_bits-1) - 1]``).
    saturate : bool
        ``saturate: true`` is shorthand for ``overflow: saturate``; after
        loading, ``saturate == (overflow == "saturate")`` always holds.

    Raises
    ------
    FieldError
        If ``saturate: true`` is given together with ``overflow: wrap``.
    """
    act_bits: int = option(int, min=1, max=16)
    weight_bits: int = option(int, min=1, max=16)
    acc_bits: int = option(int, min=2, max=48)
    act_signed: bool = option(bool, default=True)
    overflow: str = option(str, default=None, choices=("wrap", "saturate"))
    saturate: bool = option(bool, default=None)

    def __post_init__(self):
        overflow, saturate = self.overflow, self.saturate
        if overflow is None:
            overflow = "saturate" if saturate else "wrap"
        elif saturate is not None and saturate != (overflow == "saturate"):
            raise FieldError("saturate", f"{'true' if saturate else 'false'} contradicts "
                                         f"overflow: {overflow}; give one of them")
        # Normalized, so equal arithmetic gives equal configs (and sweep cache keys).
        object.__setattr__(self, "overflow", overflow)
        object.__setattr__(self, "saturate", overflow == "saturate")


#: The array dataflows (:mod:`shiftgen.hdl.dataflows`).
DATAFLOWS = ("weight_stationary", "broadcast", "constant")
#: Products per chain of a broadcast column when the spec gives none.
DEFAULT_CHAIN = 16


@dataclass(frozen=True)
class ArrayConfig:
    """The optional ``array`` section: a MAC array of the spec's PE.

    Members
    -------
    rows : int
        ``R``, the length of an activation vector (the inner dimension of
        ``Y = X . W``).
    cols : int
        ``C``, the number of outputs per vector.
    dataflow : str
        ``weight_stationary`` (default): a systolic array; weights stay in
        the PEs, activations flow right, partial sums flow down.
        ``broadcast``: each row's activation is registered once and drives
        every column in the same cycle; each column sums its ``R`` products
        in chains of adders and a balanced tree over the chains.
        ``constant``: the weights are fixed and baked into shift-add logic
        (:mod:`shiftgen.hdl.constant`); no load port.
    pipeline : int
        ``broadcast`` and ``constant``: a register stage after every ``K``
        levels of a column's sum, counting its chains as one level, or of
        the constant array's adder graph, by adder depth (default 0: only
        the output register).
    chain : int
        ``broadcast`` only: products added one after the other in a chain
        before the balanced tree (default 16, at most ``rows``; 1 is a plain
        balanced tree of the products).
    decoder : str
        Where a weight decoder sits, for a family whose decoder the array
        can share (seed 003 section 3.5): ``pe`` (in every PE, default),
        ``column`` (one per column, on the load path) or ``array`` (one
        table for the array, read by every column's load path).
    weights : str
        ``constant`` only, required: the ``shiftgen quantize`` output
        directory holding the codes, relative to the spec file.
    backend : str
        ``constant`` only: ``auto`` (default: both back ends synthesized,
        the smaller kept), ``shiftadd`` (one adder tree per column) or
        ``da4ml`` (da4ml's shared subexpressions).
    """
    rows: int = option(int, min=1, max=128)
    cols: int = option(int, min=1, max=128)
    dataflow: str = option(str, default="weight_stationary", choices=DATAFLOWS)
    decoder: str = option(str, default="pe", choices=("pe", "column", "array"))
    pipeline: int = option(int, default=None, min=0, max=16)
    chain: int = option(int, default=None, min=1, max=128)
    weights: str = option(str, default=None)
    backend: str = option(str, default=None, choices=("auto", "shiftadd", "da4ml"))

    def __post_init__(self):
        constant = ("weights", "backend")
        if self.dataflow == "constant":
            if self.weights is None:
                raise FieldError("weights", "missing; required with dataflow: constant, the "
                                            "shiftgen quantize output directory of the codes")
            if self.chain is not None:
                raise FieldError("chain", "does not apply to dataflow: constant (one adder "
                                          "graph, no chains); leave it out")
            # Normalized, so the default written out or left out is one config.
            object.__setattr__(self, "pipeline", self.pipeline or 0)
            object.__setattr__(self, "backend", self.backend or "auto")
            return
        for name in constant:
            if getattr(self, name) is not None:
                raise FieldError(name, f"applies to dataflow: constant only, not to "
                                       f"dataflow: {self.dataflow}; leave it out")
        if self.dataflow == "broadcast":
            chain = self.chain if self.chain is not None else min(DEFAULT_CHAIN, self.rows)
            if chain > self.rows:
                raise FieldError("chain", f"must be at most array.rows = {self.rows}, "
                                          f"not {chain}")
            # Normalized, so the default written out or left out is one config.
            object.__setattr__(self, "chain", chain)
            object.__setattr__(self, "pipeline", self.pipeline or 0)
            return
        if self.pipeline is not None:
            raise FieldError("pipeline", f"applies to dataflow: broadcast or constant only, "
                                         f"not to dataflow: {self.dataflow}; leave it out")
        if self.chain is not None:
            raise FieldError("chain", f"applies to dataflow: broadcast only, not to "
                                      f"dataflow: {self.dataflow}; leave it out")


@dataclass(frozen=True)
class Spec:
    """A validated spec.

    Members
    -------
    name : str
        Top module and build directory name.
    family : Family
        The quantizer family (see :mod:`shiftgen.families`).
    pe : PEConfig
        The processing element's widths and arithmetic.
    params : object
        The family's parameter dataclass.
    path : pathlib.Path or None
        The file the spec came from.
    array : ArrayConfig or None
        The MAC array to build from the PE, if the spec has one.
    """
    name: str
    family: object
    pe: PEConfig
    params: object
    path: Path = field(default=None, compare=False)
    array: ArrayConfig = None

    @cached_property
    def codebook(self):
        """The family's :class:`~shiftgen.codebook.Codebook` for this spec."""
        return self.family.codebook(self.params, self.pe.weight_bits)

    def elaborate(self):
        """A new PE component for this spec."""
        return self.family.pe(self)
