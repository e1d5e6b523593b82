"""Spec files: YAML loaded into frozen dataclasses, validated once.

:mod:`~shiftgen.spec.config` holds the dataclasses, :mod:`~shiftgen.spec.schema`
the field rules and their checks, :mod:`~shiftgen.spec.load` the reading.
"""

from .config import ArrayConfig, PEConfig, Spec
from .load import VERILOG_KEYWORDS, load_spec, load_yaml, parse_spec, read_input

__all__ = ["PEConfig", "ArrayConfig", "Spec", "VERILOG_KEYWORDS", "load_spec", "load_yaml",
           "parse_spec", "read_input"]
