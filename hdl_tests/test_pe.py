"""cocotb tests of an exported PE, generic over its codebook.

The test bodies live in :mod:`shiftgen.verify.cocotb_pe`, so that ``shiftgen verify``
runs the very same tests from an installed package; this module is what
``tests/test_hdl_sim.py`` hands to ``cocotb_tools.runner``. A new family only
adds specs: nothing here names a family.
"""

from shiftgen.verify.cocotb_pe import pe_exhaustive, pe_random, pe_reload

__all__ = ["pe_exhaustive", "pe_random", "pe_reload"]
