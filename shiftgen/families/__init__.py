"""The quantizer families. Adding one: a new module and a line here."""

from .apot import Apot
from .ausn import Ausn
from .jlq import Jlq
from .pot import Pot
from .sq import Sq
from .uniform import Uniform

__all__ = ["FAMILIES"]

#: Family name -> family object, in the order the CLI lists them.
FAMILIES = {family.name: family for family in (
    Uniform(),
    Pot(),
    Apot(),
    Sq(),
    Jlq(),
    Ausn(),
)}
