"""Spec files: YAML read and checked into a :class:`~shiftgen.spec.config.Spec`, once.

Every error names the file, the field, the value and what is allowed
(:class:`~shiftgen.errors.SpecError`, exit status 2). The YAML reader
(:func:`load_yaml`) refuses a key given twice, and is the one every input
file (specs, sweep grids) is read with.
"""

import dataclasses
import re
from pathlib import Path

import yaml

from ..errors import SpecError
from .config import TOP_FIELDS, ArrayConfig, PEConfig, Spec
from .schema import FieldError, load_section, show, show_key

__all__ = ["VERILOG_KEYWORDS", "valid_name", "load_yaml", "read_input", "load_spec",
           "parse_spec"]

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


def valid_name(name):
    """Whether ``name`` can be a Verilog (and SystemVerilog) module name."""
    return isinstance(name, str) and bool(_IDENTIFIER.match(name)) \
        and name not in VERILOG_KEYWORDS


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


def load_yaml(text, path):
    """The YAML document in ``text``, read safely; a key given twice is an error.

    Raises
    ------
    SpecError
        If the text is not valid YAML, holds a value Python cannot build, or
        nests too deeply; the message names ``path`` and where.
    """
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
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
    doc = load_yaml(text, path)
    if doc is None:
        raise SpecError(path, None, "is empty; a spec needs at least 'family' and 'pe'")
    if not isinstance(doc, dict):
        raise SpecError(path, None, f"must be a mapping of fields, not {show(doc)}")
    for key in doc:
        if key not in TOP_FIELDS:
            raise SpecError(path, show_key(key),
                            f"unknown field; allowed fields: {', '.join(TOP_FIELDS)}")

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
        if not valid_name(name):
            raise SpecError(path, "name", f"must be a Verilog identifier "
                                          f"([A-Za-z_][A-Za-z0-9_]*, not a keyword), "
                                          f"not {show(name)}")
    else:
        name = path.stem
        if not valid_name(name):
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
    if array is not None and array.dataflow == "constant":
        _check_constant(spec)
    return spec


def _check_constant(spec):
    """A constant array's own rules, and its weights read and checked once, at load."""
    path = spec.path
    if spec.array.decoder != "pe":
        raise SpecError(path, "array.decoder", f"does not apply to dataflow: constant (no "
                                               f"decoder: the codes are built in), not "
                                               f"{spec.array.decoder!r}")
    if spec.codebook.activations:
        raise SpecError(path, "array.dataflow", "constant needs integer activations, not an "
                                                "activation code table")
    from ..weights.constant import constant_weights
    constant_weights(spec)  # InputError naming the file and what is wrong
