"""Load one spec section (a YAML mapping) into a frozen dataclass, validated once.

Each section is a frozen dataclass whose fields carry their rule in
``metadata`` (see :func:`option`). :func:`load_section` checks unknown and
missing keys, types, ranges and choices, then builds the dataclass; a
dataclass may check relations between its fields in ``__post_init__`` by
raising :class:`FieldError`.
"""

import dataclasses
from dataclasses import MISSING

from .errors import SpecError

__all__ = ["FieldError", "option", "load_section", "describe", "show"]


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


def option(kind, *, default=MISSING, min=None, max=None, choices=None, item=int):
    """A dataclass field of a spec section, with its validation rule.

    Parameters
    ----------
    kind : type
        ``int``, ``bool``, ``str``, ``float``, or ``list`` (of ``item``).
    default : object, optional
        Omitted: the field is required.
    min, max : int or float, optional
        Inclusive bounds for numbers.
    choices : tuple of str, optional
        Allowed values.
    item : type
        ``int`` or ``float``: the element type of a ``list``.
    """
    if kind not in (int, bool, str, float, list):
        raise TypeError(f"Option kind must be int, bool, str, float or list, not {kind!r}")
    if item not in (int, float):
        raise TypeError(f"List item kind must be int or float, not {item!r}")
    metadata = {"kind": kind, "min": min, "max": max, "choices": choices, "item": item}
    if isinstance(default, list):
        default = tuple(default)
    return dataclasses.field(default=default, metadata=metadata)


def describe(meta):
    """What a field allows, in words (``an integer from 2 to 16``)."""
    kind, lo, hi, choices = meta["kind"], meta["min"], meta["max"], meta["choices"]
    if choices is not None:
        return "one of " + ", ".join(repr(c) for c in choices)
    noun = {int: "an integer", bool: "true or false", str: "a string",
            float: "a number",
            list: "a list of integers" if meta.get("item", int) is int else "a list of numbers"
            }[kind]
    if lo is not None and hi is not None:
        return f"{noun} from {lo} to {hi}"
    if lo is not None:
        return f"{noun} of at least {lo}"
    if hi is not None:
        return f"{noun} of at most {hi}"
    return noun


def show(value):
    """A value as the YAML author wrote it (``true``, not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return repr(value)


def _type_ok(kind, value, item=int):
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is list:
        return isinstance(value, list) and all(_type_ok(item, v) for v in value)
    return isinstance(value, kind)


def _check_value(meta, value):
    kind, lo, hi, choices = meta["kind"], meta["min"], meta["max"], meta["choices"]
    if not _type_ok(kind, value, meta.get("item", int)):
        return False
    if choices is not None and value not in choices:
        return False
    items = value if kind is list else [value] if kind in (int, float) else []
    return all((lo is None or v >= lo) and (hi is None or v <= hi) for v in items)


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
        Dotted path of the section (``pe``), for error messages.

    Raises
    ------
    SpecError
        If a key is unknown or missing, or a value has the wrong type or is
        out of range.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError(file, path, f"must be a mapping of fields, not {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in data:
        if key not in fields:
            allowed = ", ".join(fields) or "none"
            raise SpecError(file, f"{path}.{key}", f"unknown field; allowed fields: {allowed}")
    values = {}
    for name, f in fields.items():
        meta = f.metadata
        where = f"{path}.{name}"
        if name not in data:
            if f.default is MISSING:
                raise SpecError(file, where, f"missing; required, {describe(meta)}")
            continue
        value = data[name]
        if not _check_value(meta, value):
            raise SpecError(file, where, f"must be {describe(meta)}, not {show(value)}")
        values[name] = tuple(value) if isinstance(value, list) else value
    try:
        return cls(**values)
    except FieldError as e:
        raise SpecError(file, f"{path}.{e.field}", e.message) from None
