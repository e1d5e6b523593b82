"""The quantizer families. Adding one: a new module and a line here.

A family from another package registers itself with :func:`register`, or
through the ``shiftgen.families`` entry-point group (its value names a
:class:`~shiftgen.families.base.Family` subclass or instance), which every
shiftgen process (worker processes and cocotb runs included) loads.
"""

from importlib.metadata import entry_points

from .apot import Apot
from .ausn import Ausn
from .base import Family
from .jlq import Jlq
from .pot import Pot
from .sq import Sq
from .uniform import Uniform

__all__ = ["FAMILIES", "register"]

#: Family name -> family object, in the order the CLI lists them.
FAMILIES = {family.name: family for family in (
    Uniform(),
    Pot(),
    Apot(),
    Sq(),
    Jlq(),
    Ausn(),
)}


def register(family):
    """Add ``family`` (a :class:`~shiftgen.families.base.Family` instance) to :data:`FAMILIES`.

    Raises
    ------
    TypeError
        If ``family`` is not a Family instance.
    ValueError
        If its name is not a lowercase identifier, or is taken by another family.
    """
    if not isinstance(family, Family):
        raise TypeError(f"Family must be a Family instance, not {family!r}")
    name = family.name
    if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
        raise ValueError(f"Family name must be a lowercase identifier, not {name!r}")
    if name in FAMILIES and FAMILIES[name] is not family:
        raise ValueError(f"Family name {name!r} is taken by {FAMILIES[name]!r}")
    FAMILIES[name] = family
    return family


def _load_entry_points():
    for point in entry_points(group="shiftgen.families"):
        obj = point.load()
        register(obj() if isinstance(obj, type) else obj)


_load_entry_points()
