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

from .golden.exports import export_design
from .support import variant_specs


@pytest.fixture(scope="session", autouse=True)
def tool_cache(tmp_path_factory):
    """One tool cache (synthesis runs) for the whole test run, every worker and every
    ``shiftgen`` process the tests start: a design synthesized by one test is not
    synthesized again by another. It starts empty, so each run measures afresh."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / "shiftgen-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHIFTGEN_CACHE", str(path))
        yield path


@pytest.fixture(scope="session")
def variants(tmp_path_factory):
    """Extra specs (saturate, unsigned, zero code), written to files so cocotb can load them."""
    return variant_specs(tmp_path_factory.mktemp("variants"))


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory):
    """Export a spec once per session (as ``shiftgen build`` does, variants and array
    included); returns ``(directory, {file: sha256})``."""
    cache = {}

    def get(spec):
        if spec.name not in cache:
            out = tmp_path_factory.mktemp(f"export-{spec.name}")
            cache[spec.name] = (out, export_design(spec, out))
        return cache[spec.name]
    return get


@pytest.fixture(scope="session")
def golden_export(export_dir):
    """``{file: sha256}`` of a spec's exports (:func:`tests.golden.exports.export_design`)."""
    return lambda spec: export_dir(spec)[1]


@pytest.fixture(scope="session")
def exported(export_dir):
    """Export a spec once per session; returns its (Verilog, codebook.json) paths."""
    def get(spec):
        out, _ = export_dir(spec)
        return out / f"{spec.name}.v", out / "codebook.json"
    return get


@pytest.fixture
def any_spec(request, variants):
    """A shipped spec, or a variant named by its string parameter."""
    spec = request.param
    if isinstance(spec, str):
        spec = next(v for v in variants if v.name == spec)
    return spec
