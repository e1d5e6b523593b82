"""Spec files: YAML loaded into frozen dataclasses and validated once.

A spec has a name, a family, a ``pe`` section (:class:`PEConfig`) and a
``params`` section whose dataclass belongs to the family. Every error names
the file, the field, the value and what is allowed (:class:`SpecError`).
"""

import dataclasses
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from ..errors import SpecError
from .schema import FieldError, load_section, option, show, show_key

__all__ = ["PEConfig", "ArrayConfig", "Spec", "VERILOG_KEYWORDS", "load_spec", "parse_spec"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Verilog-2005 (IEEE 1364-2005 Annex B) and SystemVerilog (IEEE 1800-2017 Annex B)
# keywords: not usable as a module name, so the Verilog reads in either language
# (Yosys would write 'logic' as the escaped identifier \logic).
VERILOG_KEYWORDS = frozenset("""
    always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config
    deassign default defparam design disable edge else end endcase endconfig endfunction
    endgenerate endmodule endprimitive endspecify endtable endtask event for force forever
    fork function generate genvar highz0 highz1 if ifnone incdir include initial inout input
    instance integer join large liblist library localparam macromodule medium module nand
    negedge nmos nor noshowcancelled not notif0 notif1 or output parameter pmos posedge
    primitive pull0 pull1 pulldown pullup pulsestyle_ondetect pulsestyle_onevent rcmos real
    realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled
    signed small specify specparam strong0 strong1 supply0 supply1 table task time tran
    tranif0 tranif1 tri tri0 tri1 triand trior trireg unsigned use uwire vectored wait wand
    weak0 weak1 while wire wor xnor xor
""".split()) | frozenset("""
    accept_on alias always_comb always_ff always_latch assert assume before bind bins binsof
    bit break byte chandle checker class clocking const constraint context continue cover
    covergroup coverpoint cross dist do endchecker endclass endclocking endgroup endinterface
    endpackage endprogram endproperty endsequence enum eventually expect export extends extern
    final first_match foreach forkjoin global iff ignore_bins illegal_bins implies import
    inside int interface intersect join_any join_none let local logic longint matches modport
    new nexttime null package packed priority program property protected pure rand randc
    randcase randsequence ref reject_on restrict return s_always s_eventually s_nexttime
    s_until s_until_with sequence shortint shortreal soft solve static string strong struct
    super sync_accept_on sync_reject_on tagged this throughout timeprecision timeunit type
    typedef union unique unique0 until until_with untyped var virtual void wait_order weak
    wildcard with within
""".split())


def _field_max(cls, name):
    return next(f.metadata["max"] for f in dataclasses.fields(cls) if f.name == name)


def _valid_name(name):
    return isinstance(name, str) and bool(_IDENTIFIER.match(name)) \
        and name not in VERILOG_KEYWORDS
_TOP_FIELDS = ("name", "family", "pe", "params", "array")


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
        ``weight_stationary``: weights are loaded into the PEs and stay;
        activations flow right, partial sums flow down.
    decoder : str
        Where a weight decoder sits (``sq`` only, seed 003 section 3.5):
        ``pe`` (in every PE, default), ``column`` (one per column, on the
        load path) or ``array`` (one QPS table for the array, read by every
        column's load path).
    """
    rows: int = option(int, min=1, max=128)
    cols: int = option(int, min=1, max=128)
    dataflow: str = option(str, default="weight_stationary", choices=("weight_stationary",))
    decoder: str = option(str, default="pe", choices=("pe", "column", "array"))


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


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *anchor' merges; its keys may be overridden, not duplicated
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "found unhashable key", key_node.start_mark) from None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_spec(path):
    """Read and validate a spec file.

    Parameters
    ----------
    path : str or os.PathLike

    Raises
    ------
    SpecError
        If the file is missing, empty, not YAML, or not a valid spec.
    """
    path = Path(path)
    return parse_spec(read_input(path, "spec file"), path=path)


def read_input(path, what):
    """The UTF-8 text of an input file (a spec, a sweep grid).

    Raises
    ------
    SpecError
        If it is missing, a directory, unreadable or not UTF-8.
    """
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(path, None, "no such file") from None
    except IsADirectoryError:
        raise SpecError(path, None, f"is a directory, not a {what}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(path, None, f"cannot be read: {e}") from None


def parse_spec(text, *, path):
    """Validate spec text; ``path`` names it in errors and gives the default name."""
    path = Path(path)
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SpecError(path, None, f"invalid YAML{where}: {problem}") from None
    except (ValueError, OverflowError) as e:
        # A scalar the resolver typed but Python cannot build: a date like 2001-13-45,
        # '!!int abc', an integer of more than 4300 digits.
        raise SpecError(path, None, f"invalid YAML: a value cannot be read: {e}") from None
    except RecursionError:
        raise SpecError(path, None, "invalid YAML: nested too deeply") from None
    if doc is None:
        raise SpecError(path, None, "is empty; a spec needs at least 'family' and 'pe'")
    if not isinstance(doc, dict):
        raise SpecError(path, None, f"must be a mapping of fields, not {show(doc)}")
    for key in doc:
        if key not in _TOP_FIELDS:
            raise SpecError(path, show_key(key),
                            f"unknown field; allowed fields: {', '.join(_TOP_FIELDS)}")

    from ..families import FAMILIES
    if "family" not in doc:
        raise SpecError(path, "family", f"missing; required, one of {', '.join(FAMILIES)}")
    family_name = doc["family"]
    if not isinstance(family_name, str) or family_name not in FAMILIES:
        raise SpecError(path, "family", f"unknown family {show(family_name)}; "
                                        f"allowed: {', '.join(FAMILIES)}")
    family = FAMILIES[family_name]

    if "name" in doc:
        name = doc["name"]
        if not _valid_name(name):
            raise SpecError(path, "name", f"must be a Verilog identifier "
                                          f"([A-Za-z_][A-Za-z0-9_]*, not a keyword), "
                                          f"not {show(name)}")
    else:
        name = path.stem
        if not _valid_name(name):
            raise SpecError(path, "name", f"defaults to the file stem {name!r}, which is not "
                                          f"a Verilog identifier; set 'name'")

    if "pe" not in doc:
        raise SpecError(path, "pe", "missing; required section with act_bits, weight_bits, "
                                    "acc_bits")
    pe = load_section(PEConfig, doc["pe"], file=path, path="pe")
    lo, hi = family.weight_bits
    if not lo <= pe.weight_bits <= hi:
        raise SpecError(path, "pe.weight_bits", f"must be an integer from {lo} to {hi} "
                                                f"for family {family.name!r}, "
                                                f"not {pe.weight_bits!r}")
    params = load_section(family.Params, doc.get("params"), file=path, path="params")
    try:
        family.check(params, pe)
    except FieldError as e:
        raise SpecError(path, e.field, e.message) from None

    array = None
    if "array" in doc:
        array = load_section(ArrayConfig, doc["array"], file=path, path="array")
        if array.decoder not in family.decoder_placements:
            raise SpecError(path, "array.decoder",
                            f"must be one of {', '.join(map(repr, family.decoder_placements))} "
                            f"for family {family.name!r}, not {array.decoder!r}")
        try:
            family.check_array(params, pe, array)
        except FieldError as e:
            raise SpecError(path, e.field, e.message) from None
    spec = Spec(name=name, family=family, pe=pe, params=params, path=path, array=array)
    need = spec.codebook.product_bits(pe.act_bits, pe.act_signed)
    if pe.acc_bits < need:
        p_lo, p_hi = spec.codebook.product_range(pe.act_bits, pe.act_signed)
        top = _field_max(PEConfig, "acc_bits")
        allowed = (f"must be at least {need}" if need <= top else
                   f"no accumulator can hold it (at most {top} bits): narrow pe.act_bits "
                   f"or the weight levels")
        raise SpecError(path, "pe.acc_bits",
                        f"{pe.acc_bits} is too narrow to hold one product "
                        f"({p_lo} to {p_hi} needs {need} bits); {allowed}")
    return spec
