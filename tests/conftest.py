# amaranth: UnusedElaboratable=no
import os

import pytest
from hypothesis import HealthCheck, settings

# Property tests: CI replays the same derandomized examples every run (no flaky
# red from a new draw); `HYPOTHESIS_PROFILE=explore` draws fresh, many more.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=500, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

from shiftgen.export import export

from .support import variant_specs


@pytest.fixture(scope="session")
def variants(tmp_path_factory):
    """Extra specs (saturate, unsigned, zero code), written to files so cocotb can load them."""
    return variant_specs(tmp_path_factory.mktemp("variants"))


@pytest.fixture(scope="session")
def exported(tmp_path_factory):
    """Export a spec once per session; returns its (Verilog, codebook.json) paths."""
    cache = {}

    def get(spec):
        if spec.name not in cache:
            out = tmp_path_factory.mktemp(f"export-{spec.name}")
            _, verilog = export(spec, spec.elaborate(), out)
            codebook = out / "codebook.json"
            codebook.write_text(spec.codebook.to_json())
            cache[spec.name] = (verilog, codebook)
        return cache[spec.name]
    return get


@pytest.fixture
def any_spec(request, variants):
    """A shipped spec, or a variant named by its string parameter."""
    spec = request.param
    if isinstance(spec, str):
        spec = next(v for v in variants if v.name == spec)
    return spec
