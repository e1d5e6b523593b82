"""Fixtures the synthesis tests share."""

import pytest

from shiftgen.errors import ToolError
from shiftgen.synth.liberty import find_liberty, install_liberty


@pytest.fixture(scope="module")
def liberty():
    """The liberty, installed into the cache if need be; skip where it cannot be."""
    found = find_liberty()
    if found is None:
        try:
            found = install_liberty()
        except ToolError as e:
            pytest.skip(f"OSU 0.18 um liberty absent and not installable: {e}")
    return found
