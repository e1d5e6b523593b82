"""Spec files: YAML loaded into frozen dataclasses, validated once."""

from .config import VERILOG_KEYWORDS, ArrayConfig, PEConfig, Spec, load_spec, parse_spec, read_input

__all__ = ["PEConfig", "ArrayConfig", "Spec", "VERILOG_KEYWORDS", "load_spec", "parse_spec", "read_input"]
