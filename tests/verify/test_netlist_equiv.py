# amaranth: UnusedElaboratable=no
"""Mapped netlists are proved equal to the spec, so a wrong synthesis script shows.

One shipped spec per family is synthesized for ``xilinx7`` and ``generic``
(the candidate the build keeps; uniform_4x8 keeps ``booth``, and a small
multiplier variant covers the plain recipes), and each mapped netlist is
proved equal to the codebook reference: Xilinx primitives through Yosys's
simulation models, generic gates as plain Verilog. A netlist with one LUT
INIT bit flipped, or two MUX inputs swapped, must fail. ``pytest -m slow``
proves the kept netlists of every shipped spec.
"""

import re

import pytest

from shiftgen.verify.formal import needs_cell_models, prove
from shiftgen.synth.pe import synthesize
from shiftgen.synth.recipes import TARGETS, has_multiplier, netlist_name
from shiftgen.synth.run import run_candidate
from shiftgen.tools.process import parallel_map

from ..support import SPEC_PATHS, shipped_spec

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("verify.test_netlist_equiv")

#: One small shipped spec per family.
FAMILY_SPECS = ("pot_4bit", "apot_4bit", "sq_2bit", "jlq_2bit", "ausn_6x6", "uniform_4x8")
#: A small multiplier PE (a variant of tests/support.py) for the plain, non-booth
#: candidates: uniform_4x8's plain ones take ~12 s each to prove (slow sweep).
SMALL_MULTIPLIER = "uniform_unsigned_saturate"


def _default_candidates():
    """(spec name, target, booth): the candidate each target keeps (booth for
    uniform_4x8), plus the plain candidates of a small multiplier."""
    out = [(stem, t, stem == "uniform_4x8") for stem in FAMILY_SPECS for t in TARGETS]
    return out + [(SMALL_MULTIPLIER, t, False) for t in TARGETS]


def _all_candidates(spec, verilog):
    """(name, target, booth) of every candidate :func:`synthesize` runs."""
    booths = (False, True) if has_multiplier(verilog.read_text()) else (False,)
    return [(spec.name, target, booth) for target in TARGETS for booth in booths]


def _netlists(specs, cands, exported, out):
    """Synthesize the candidates (two Yosys runs at once) and write each netlist.

    Returns ``{(name, target, booth): path}``.
    """
    # Export first, in this thread: Amaranth elaboration is not run in workers.
    verilogs = {name: exported(spec)[0] for name, spec in specs.items()}

    def run(cand):
        name, target, booth = cand
        return run_candidate(verilogs[name], name, target, booth, netlist=True)["_netlist"]
    paths = {}
    for (name, target, booth), text in zip(cands, parallel_map(run, cands, 2)):
        path = out / f"{name}.{target}{'.booth' if booth else ''}.v"
        path.write_text(text)
        paths[name, target, booth] = path
    return paths


@pytest.fixture(scope="module")
def specs(variants):
    out = {stem: shipped_spec(stem) for stem in FAMILY_SPECS}
    out[SMALL_MULTIPLIER] = next(v for v in variants if v.name == SMALL_MULTIPLIER)
    return out


@pytest.fixture(scope="module")
def netlists(specs, exported, tmp_path_factory):
    return _netlists(specs, _default_candidates(), exported,
                     tmp_path_factory.mktemp("netlists"))


@pytest.mark.parametrize("name, target, booth", [
    pytest.param(*c, id=f"{c[0]}-{c[1]}{'-booth' if c[2] else ''}")
    for c in _default_candidates()])
def test_mapped_netlist_is_proved_equal(name, target, booth, netlists, specs):
    path = netlists[name, target, booth]
    assert needs_cell_models(path.read_text()) == (target == "xilinx7")
    result = prove(specs[name], path)
    assert result["result"] == "proved", result
    assert result["induction_length"] == 1
    assert ("cells_sim.v" in result["method"]) == (target == "xilinx7")


def test_the_candidates_cover_what_synthesize_keeps(specs, exported):
    # uniform_4x8 keeps booth on both targets (else its default tests miss the kept one);
    # multipliers have two candidates per target, the others one.
    for name, spec in specs.items():
        cands = _all_candidates(spec, exported(spec)[0])
        assert len(cands) == (4 if spec.family.name == "uniform" else 2), name
    assert all(c in _all_candidates(specs[c[0]], exported(specs[c[0]])[0])
               for c in _default_candidates())


def _flip_first_lut_init_bit(text):
    """Flip bit 0 of the first LUT's INIT: the output for all-zero inputs."""
    m = re.search(r"LUT\d #\(\s*\.INIT\((\d+)'h([0-9a-f]+)\)", text)
    assert m, "no LUT in the netlist"
    width, value = int(m.group(1)), int(m.group(2), 16) ^ 1
    digits = (width + 3) // 4
    return text[:m.start(1)] + f"{width}'h{value:0{digits}x}" + text[m.end(2):]


def _swap_first_mux_inputs(text):
    """``s ? x : y`` -> ``s ? y : x`` in the first MUX gate."""
    mutated, n = re.subn(r"= (\S+) \? (\S+) : (\S+);", r"= \1 ? \3 : \2;", text, count=1)
    assert n == 1, "no MUX in the netlist"
    return mutated


@pytest.mark.parametrize("target, mutate", [("xilinx7", _flip_first_lut_init_bit),
                                            ("generic", _swap_first_mux_inputs)])
def test_a_broken_netlist_fails(target, mutate, netlists, tmp_path):
    spec = shipped_spec("pot_4bit")
    broken = tmp_path / "broken.v"
    text = netlists["pot_4bit", target, False].read_text()
    broken.write_text(mutate(text))
    assert broken.read_text() != text
    result = prove(spec, broken)
    assert result["result"] == "failed", result
    cex = result["counterexample"]
    assert cex["gold_acc"] != cex["gate_acc"]


def test_a_verify_build_writes_and_proves_its_netlists(netlists, tmp_path):
    from shiftgen.flows.build import build
    spec = shipped_spec("jlq_2bit")
    report, out, _ = build(spec, tmp_path, formal=True, random_steps=100)
    checks = report["verification"]
    for target in TARGETS:
        assert checks[f"formal_{target}"]["result"] == "proved", checks
        result = report["targets"][target]
        name = netlist_name(spec.name, target)
        assert result["netlist"] == name
        assert all("netlist" not in c and "_netlist" not in c for c in result["candidates"])
        # Same bytes as the fixture's netlist, from another Yosys run elsewhere.
        assert (out / name).read_bytes() == netlists[spec.name, target, False].read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("stem", [p.stem for p in SPEC_PATHS])
def test_every_shipped_spec_kept_netlist_is_proved_equal(stem, exported, tmp_path):
    # The netlists a build writes and `shiftgen verify` proves. (A plain,
    # non-booth 8 x 8 multiplier netlist, never kept, takes over 7 minutes.)
    spec = shipped_spec(stem)
    results = synthesize(exported(spec)[0], spec.name, netlist_dir=tmp_path)
    for target, res in results.items():
        result = prove(spec, tmp_path / res["netlist"])
        assert result["result"] == "proved", (target, result)
