"""Load one spec section (a YAML mapping) into a frozen dataclass, validated once.

Each section is a frozen dataclass whose fields carry their rule in
``metadata`` (see :func:`option`). :func:`load_section` checks unknown and
missing keys, types, ranges and choices, then builds the dataclass; a
dataclass may check relations between its fields in ``__post_init__`` by
raising :class:`FieldError`.
"""

import dataclasses
import math
import reprlib
from dataclasses import MISSING

from ..errors import SpecError

__all__ = ["FieldError", "option", "load_section", "check_value", "describe", "show",
           "show_key"]


class FieldError(ValueError):
    """A section field is invalid; :func:`load_section` adds file and path.

    Parameters
    ----------
    field : str
        Name of the field within its section.
    message : str
        What is wrong and what is allowed.
    """
    def __init__(self, field, message):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def option(kind, *, default=MISSING, min=None, max=None, above=None, choices=None, item=int):
    """A dataclass field of a spec section, with its validation rule.

    Parameters
    ----------
    kind : type
        ``int``, ``bool``, ``str``, ``float``, ``dict`` (a mapping, checked
        by its owner), or ``list`` (of ``item``).
    default : object, optional
        Omitted: the field is required.
    min, max : int or float, optional
        Inclusive bounds for numbers.
    above : int or float, optional
        Exclusive lower bound (a scale must be ``above=0``: zero is no scale).
    choices : tuple of str, optional
        Allowed values.
    item : type
        ``int``, ``float`` or ``dict``: the element type of a ``list``.
    """
    if kind not in (int, bool, str, float, dict, list):
        raise TypeError(f"Option kind must be int, bool, str, float, dict or list, not {kind!r}")
    if item not in (int, float, dict):
        raise TypeError(f"List item kind must be int, float or dict, not {item!r}")
    if above is not None and min is not None:
        raise TypeError("Give min or above, not both")
    metadata = {"kind": kind, "min": min, "max": max, "above": above, "choices": choices,
                "item": item}
    if isinstance(default, list):
        default = tuple(default)
    return dataclasses.field(default=default, metadata=metadata)


def describe(meta):
    """What a field allows, in words (``an integer from 2 to 16``)."""
    kind, lo, hi, choices = meta["kind"], meta["min"], meta["max"], meta["choices"]
    if choices is not None:
        return "one of " + ", ".join(repr(c) for c in choices)
    lists = {int: "a list of integers", float: "a list of finite numbers",
             dict: "a list of mappings"}
    noun = {int: "an integer", bool: "true or false", str: "a string",
            float: "a finite number", dict: "a mapping",
            list: lists[meta.get("item", int)]}[kind]
    above = meta.get("above")
    if above is not None:
        return f"{noun} above {above}" + ("" if hi is None else f" and at most {hi}")
    if lo is not None and hi is not None:
        return f"{noun} from {lo} to {hi}"
    if lo is not None:
        return f"{noun} of at least {lo}"
    if hi is not None:
        return f"{noun} of at most {hi}"
    return noun


class _YamlRepr(reprlib.Repr):
    """``repr`` bounded in length and depth, with YAML spellings of scalars.

    A spec value can be huge (a 400-digit integer), recursive (``&a [*a]``) or
    exponential through aliases; the message stays one short line regardless.
    """
    def __init__(self):
        super().__init__()  # Python 3.11 takes no limits here; set them below
        self.maxlevel, self.maxlist, self.maxdict, self.maxset = 3, 8, 6, 6
        self.maxstring, self.maxlong, self.maxother = 60, 40, 60

    def repr_bool(self, value, level):
        return "true" if value else "false"

    def repr_NoneType(self, value, level):
        return "null"

    def repr_float(self, value, level):
        if math.isfinite(value):
            return repr(value)
        return ".nan" if math.isnan(value) else ".inf" if value > 0 else "-.inf"


_REPR = _YamlRepr()


def show(value):
    """A value as the YAML author wrote it (``true``, not ``True``; ``.inf``, not ``inf``)."""
    return _REPR.repr(value)


def show_key(key):
    """A mapping key for a dotted field path: plain when printable, else as written."""
    if isinstance(key, str) and key.isprintable() and key.strip() == key and key:
        return key
    return show(key)  # repr: a newline in a key cannot break the one-line message


def _finite(value):
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the float range
        return False


def _type_ok(kind, value, item=int):
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        # .nan and .inf are YAML floats, but no scale or level; nor is 1e400 as an int.
        return isinstance(value, (int, float)) and not isinstance(value, bool) \
            and _finite(value)
    if kind is list:
        return isinstance(value, list) and all(_type_ok(item, v) for v in value)
    return isinstance(value, kind)  # str, dict


def check_value(meta, value):
    """Whether ``value`` meets the rule in a field's ``metadata`` (type, range, choices)."""
    kind, lo, hi, choices = meta["kind"], meta["min"], meta["max"], meta["choices"]
    if not _type_ok(kind, value, meta.get("item", int)):
        return False
    if choices is not None and value not in choices:
        return False
    above = meta.get("above")
    items = value if kind is list else [value] if kind in (int, float) else []
    return all((lo is None or v >= lo) and (hi is None or v <= hi)
               and (above is None or v > above) for v in items)


def load_section(cls, data, *, file, path):
    """Build the frozen dataclass ``cls`` from the mapping ``data``.

    Parameters
    ----------
    cls : type
        A frozen dataclass whose fields were made with :func:`option`.
    data : dict or None
        The YAML mapping; ``None`` stands for an empty section.
    file : str
        The spec file, for error messages.
    path : str
        Dotted path of the section (``pe``), for error messages; empty for
        the top level of a file.

    Raises
    ------
    SpecError
        If a key is unknown or missing, or a value has the wrong type or is
        out of range.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError(file, path or None, f"must be a mapping of fields, not {show(data)}")

    def at(name):
        return f"{path}.{name}" if path else name
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in data:
        if key not in fields:
            allowed = ", ".join(fields) or "none"
            raise SpecError(file, at(show_key(key)),
                            f"unknown field; allowed fields: {allowed}")
    values = {}
    for name, f in fields.items():
        meta = f.metadata
        where = at(name)
        if name not in data:
            if f.default is MISSING:
                raise SpecError(file, where, f"missing; required, {describe(meta)}")
            continue
        value = data[name]
        if not check_value(meta, value):
            raise SpecError(file, where, f"must be {describe(meta)}, not {show(value)}")
        values[name] = tuple(value) if isinstance(value, list) else value
    try:
        return cls(**values)
    except FieldError as e:
        raise SpecError(file, at(e.field), e.message) from None
