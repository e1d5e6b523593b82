# amaranth: UnusedElaboratable=no
"""Property tests: random valid specs of every family and style build and verify.

The strategies draw spec *documents* (YAML text) that the spec rules say are
valid: ``pe`` widths in the family's range, ``acc_bits`` from the least that
holds one product up to 48, signed and unsigned activations, wrap and
saturate (spelled ``overflow:`` or ``saturate: true``), and every field and
choice of the family's ``params``. Each document must parse; its PE must
elaborate, export, match the golden model exhaustively in the Amaranth
simulator and be proved equal to the codebook reference by Yosys (its
variants too). A second property adds a small ``array:`` section and checks
the array against ``golden.matmul``.

Widths stay small (``act_bits + weight_bits <= MAX_PAIR_BITS``) so the
simulator check is exhaustive and fast. The default (CI) run replays a few
derandomized examples per family; ``pytest -m slow`` runs many more, and
``HYPOTHESIS_PROFILE=explore`` draws fresh ones.
"""

import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shiftgen.flows.build import build
from shiftgen.verify.verdict import report_failures
from shiftgen.codebook import act_range, signed_bits
from shiftgen.errors import SpecError
from shiftgen.export.verilog import export
from shiftgen.families import FAMILIES
from shiftgen.families.sq import select_bits
from shiftgen.families.sq_search import OPTIONS, universal_set
from shiftgen.spec import VERILOG_KEYWORDS, parse_spec

#: Largest act_bits + weight_bits drawn: 2**12 pairs keep the simulator quick.
MAX_PAIR_BITS = 12
#: Examples per family in the default run, and in the slow run.
CI_EXAMPLES = 4
SLOW_EXAMPLES = 40
ARRAY_CI_EXAMPLES = 4
ARRAY_SLOW_EXAMPLES = 30

# Module names the tools around the PE use themselves; a spec may take any of them.
_AWKWARD_NAMES = ["miter", "shiftgen_reference", "reference", "formal", "codebook", "report",
                  "gold", "gate", "top", "acc", "a", "w", "clk", "rst", "en", "m", "sum",
                  "product", "exported", "_", "vivado_ooc", "yosys_xilinx7"]


def _names():
    """A spec's ``name`` (or None: the file stem), awkward ones included."""
    drawn = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True).filter(
        lambda s: s not in VERILOG_KEYWORDS)
    return st.one_of(st.none(), st.sampled_from(_AWKWARD_NAMES), drawn)


def _min_acc_bits(family, params, pe):
    """The least ``acc_bits`` that holds one product of the configuration.

    Worked out here from the codebook's multipliers (and, for a programmable
    SQ decoder, the largest universal-set point), not by the spec loader.
    """
    cls = FAMILIES[family].Params
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    p = cls(**fields)
    cb = FAMILIES[family].codebook(p, pe["weight_bits"])
    if cb.activations:
        a_lo, a_hi = min(cb.activations), max(cb.activations)
    else:
        a_lo, a_hi = act_range(pe["act_bits"], pe.get("act_signed", True))
    m_lo, m_hi = min(cb.multipliers), max(cb.multipliers)
    if family == "sq" and params.get("qps") == "programmable":
        top = max(universal_set(params.get("universal_set", 5))) * (1 << cb.F)
        m_lo, m_hi = min(m_lo, -int(top)), max(m_hi, int(top))
    corners = [a * m for a in (a_lo, a_hi) for m in (m_lo, m_hi)]
    return signed_bits(min(corners), max(corners))


@st.composite
def _overflow(draw):
    """``pe`` keys for the overflow mode, and the mode they mean."""
    mode = draw(st.sampled_from(["wrap", "saturate"]))
    spell = draw(st.sampled_from(["default", "overflow", "shorthand", "both"]))
    if spell == "default":
        return ({} if mode == "wrap" else {"saturate": True}), mode
    if spell == "overflow":
        return {"overflow": mode}, mode
    if spell == "shorthand":
        return {"saturate": mode == "saturate"}, mode
    return {"overflow": mode, "saturate": mode == "saturate"}, mode


@st.composite
def _pe(draw, family, params, weight_bits, act_bits=None, act_signed=None):
    """The ``pe`` section, with ``acc_bits`` from the minimum up to 48."""
    if act_bits is None:
        act_bits = draw(st.integers(1, min(16, MAX_PAIR_BITS - weight_bits)))
    pe = {"act_bits": act_bits, "weight_bits": weight_bits}
    if act_signed is None:
        signed = draw(st.sampled_from([None, True, False]))
        if signed is not None:
            pe["act_signed"] = signed
    else:
        pe["act_signed"] = act_signed
    need = _min_acc_bits(family, params, pe)
    assume(need <= 48)
    pe["acc_bits"] = draw(st.one_of(st.just(max(need, 2)), st.integers(max(need, 2), 48),
                                    st.integers(max(need, 2), min(need + 3, 48))))
    keys, mode = draw(_overflow())
    pe.update(keys)
    return pe, mode


def _maybe(draw, params, key, strategy):
    """Set ``params[key]`` from ``strategy`` or leave it to its default."""
    if draw(st.booleans()):
        params[key] = draw(strategy)


_ALPHA = st.one_of(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False),
                   st.integers(1, 100))


@st.composite
def uniform_docs(draw):
    wb = draw(st.integers(2, min(16, MAX_PAIR_BITS - 1)))
    params = {}
    pe, mode = draw(_pe("uniform", params, wb))
    return {"family": "uniform", "pe": pe, "params": draw(st.sampled_from([None, {}]))}, mode


@st.composite
def pot_docs(draw):
    wb = draw(st.integers(2, 6))
    params = {}
    _maybe(draw, params, "zero", st.booleans())
    _maybe(draw, params, "rounding", st.sampled_from(["log", "linear"]))
    pe, mode = draw(_pe("pot", params, wb))
    return {"family": "pot", "pe": pe, "params": params}, mode


@st.composite
def apot_docs(draw):
    wb = draw(st.integers(3, 7))
    params = {}
    _maybe(draw, params, "encoding", st.sampled_from(["terms", "sorted"]))
    _maybe(draw, params, "alpha", _ALPHA)
    pe, mode = draw(_pe("apot", params, wb))
    return {"family": "apot", "pe": pe, "params": params}, mode


def _point(value):
    """A universal-set point as YAML would carry it: a float, or an int when whole."""
    return st.sampled_from([float(value), int(value)] if value.denominator == 1
                           else [float(value)])


@st.composite
def sq_docs(draw):
    option = draw(st.integers(1, 5))
    qps = draw(st.sampled_from(["fixed", "programmable", "external"]))
    params = {"qps": qps}
    if option != 5 or draw(st.booleans()):
        params["universal_set"] = option
    allowed = universal_set(option)
    if qps == "external":
        A, B = OPTIONS[option]
        wb = 1 + select_bits(A) + select_bits(B)
        assume(wb < MAX_PAIR_BITS)
        if draw(st.booleans()):
            params["points"] = []
    else:
        # 2**(wb-1) points must fit in the universal set.
        top = max(w for w in range(2, 8) if 1 << (w - 1) <= len(allowed))
        wb = draw(st.integers(2, top))
        chosen = draw(st.permutations(allowed).map(lambda p: p[:1 << (wb - 1)]))
        params["points"] = [draw(_point(v)) for v in chosen]
    _maybe(draw, params, "alpha", _ALPHA)
    pe, mode = draw(_pe("sq", params, wb))
    return {"family": "sq", "pe": pe, "params": params}, mode


@st.composite
def jlq_docs(draw):
    wb = draw(st.integers(2, 5))
    zero = draw(st.booleans())
    x_last = (1 << (wb - 1)) - 1 - zero
    act_bits = draw(st.integers(1, min(16, MAX_PAIR_BITS - wb)))
    # The largest multiplier is 2**max(i, s * x_last): keep it within acc_bits <= 48.
    room = 46 - act_bits
    s = draw(st.integers(1, max(1, min(8, room // max(x_last, 1)))))
    i = draw(st.integers(-24, min(8, room)))
    params = {"s": s, "i": i}
    if zero or draw(st.booleans()):
        params["zero"] = zero
    _maybe(draw, params, "style", st.sampled_from(["jumping", "shifter"]))
    _maybe(draw, params, "alpha", _ALPHA)
    pe, mode = draw(_pe("jlq", params, wb, act_bits=act_bits))
    return {"family": "jlq", "pe": pe, "params": params}, mode


def _parts(draw, max_bits, max_parts):
    """A list of 1..3-bit part widths, non-empty, summing to at most ``max_bits``."""
    parts = [draw(st.integers(1, min(3, max_bits)))]
    while len(parts) < max_parts and sum(parts) < max_bits and draw(st.booleans()):
        parts.append(draw(st.integers(1, min(3, max_bits - sum(parts)))))
    return parts


@st.composite
def ausn_docs(draw):
    coded_act = draw(st.booleans())
    basic = draw(st.integers(1, 4))
    # weight_bits = 1 + basic + sum(sub) <= 9, and the pair stays small.
    budget = min(8, MAX_PAIR_BITS - (3 if coded_act else 2)) - basic
    assume(budget >= 1)
    sub = _parts(draw, budget, 4)
    params = {"basic": basic}
    if sub != [1] or draw(st.booleans()):
        params["sub"] = sub
    _maybe(draw, params, "style", st.sampled_from(["superposition", "decoder"]))
    wb = 1 + basic + sum(sub)
    act_bits = act_signed = None
    if coded_act:
        act_budget = MAX_PAIR_BITS - wb - 1
        assume(act_budget >= 1)
        params["act_basic"] = draw(st.integers(1, min(4, act_budget)))
        if act_budget > params["act_basic"] and draw(st.booleans()):
            params["act_sub"] = _parts(draw, act_budget - params["act_basic"], 3)
        act_bits = 1 + params["act_basic"] + sum(params.get("act_sub", []))
        act_signed = False
    elif draw(st.booleans()):
        params["act_basic"] = 0
    pe, mode = draw(_pe("ausn", params, wb, act_bits=act_bits, act_signed=act_signed))
    return {"family": "ausn", "pe": pe, "params": params}, mode


DOCS = {"uniform": uniform_docs, "pot": pot_docs, "apot": apot_docs, "sq": sq_docs,
        "jlq": jlq_docs, "ausn": ausn_docs}


@st.composite
def spec_texts(draw, family, array=False):
    """``(yaml text, doc, overflow mode)`` of a valid spec of ``family``."""
    doc, mode = draw(DOCS[family]())
    name = draw(_names())
    if name is not None:
        doc = {"name": name, **doc}
    if doc.get("params") is None and draw(st.booleans()):
        doc.pop("params", None)
    if array:
        section = {"rows": draw(st.integers(1, 4)), "cols": draw(st.integers(1, 4))}
        if family == "sq" and doc["params"]["qps"] != "external":
            placement = draw(st.sampled_from([None, "pe", "column", "array"]))
        else:
            placement = draw(st.sampled_from([None, "pe"]))
        if placement is not None:
            section["decoder"] = placement
        if draw(st.booleans()):
            section["dataflow"] = "weight_stationary"
        doc["array"] = section
    text = yaml.safe_dump(doc, default_flow_style=draw(st.sampled_from([False, None, True])),
                          sort_keys=draw(st.booleans()))
    return text, doc, mode


def _parse(text, doc, mode, family):
    spec = parse_spec(text, path=f"prop_{family}.yaml")
    assert spec.family.name == family
    assert spec.name == doc.get("name", f"prop_{family}")
    assert spec.pe.overflow == mode and spec.pe.saturate == (mode == "saturate")
    assert spec.pe.acc_bits == doc["pe"]["acc_bits"]
    return spec


def _check_built(spec, report, out):
    """Every check of a build passed, exhaustively, with a proof, for the PE and its variants."""
    assert report_failures(report) == [], report
    assert out.name == spec.name
    sim = report["verification"]["amaranth_sim"]
    assert sim["result"] == "pass" and sim["mismatches"] == 0 and sim["exhaustive"], sim
    assert report["verification"]["formal"]["result"] == "proved", report["verification"]
    verilog = (out / f"{spec.name}.v").read_text()
    assert re.search(rf"^module {spec.name}\s*\(", verilog, re.M), verilog[:300]
    want = set(spec.family.variants(spec))
    assert set(report.get("variants", {})) == want
    for suffix, var in report.get("variants", {}).items():
        v = var["verification"]
        assert v["amaranth_sim"]["result"] == "pass" and v["amaranth_sim"]["exhaustive"], v
        assert v["formal"]["result"] == "proved", v


def check_valid_spec(text, doc, mode, family, determinism=False):
    spec = _parse(text, doc, mode, family)
    with tempfile.TemporaryDirectory(prefix="shiftgen-prop-") as tmp:
        report, out, _ = build(spec, tmp, synth=False, formal=True, random_steps=300)
        _check_built(spec, report, out)
        if determinism:
            # Same spec, same bytes: export again elsewhere and compare.
            again = Path(tmp) / "again"
            again.mkdir()
            il, v = export(spec, spec.elaborate(), again)
            assert v.read_bytes() == (out / v.name).read_bytes()
            assert il.read_bytes() == (out / il.name).read_bytes()
    return spec


def check_valid_array_spec(text, doc, mode, family):
    spec = _parse(text, doc, mode, family)
    assert (spec.array.rows, spec.array.cols) == (doc["array"]["rows"], doc["array"]["cols"])
    with tempfile.TemporaryDirectory(prefix="shiftgen-prop-array-") as tmp:
        report, out, _ = build(spec, tmp, synth=False, formal=False, random_steps=100)
        assert report_failures(report) == [], report
        arr = report["array"]["verification"]["amaranth_sim"]
        assert arr["result"] == "pass" and arr["mismatches"] == 0 and arr["cases"] > 0, arr
        assert (out / f"{spec.name}_array.v").exists()
    return spec


FAMILY_NAMES = list(FAMILIES)


@pytest.mark.parametrize("family", FAMILY_NAMES)
@settings(max_examples=CI_EXAMPLES)
@given(data=st.data())
def test_random_valid_spec_builds_and_is_proved(family, data):
    text, doc, mode = data.draw(spec_texts(family), label="spec")
    check_valid_spec(text, doc, mode, family, determinism=True)


@pytest.mark.parametrize("family", FAMILY_NAMES)
@settings(max_examples=ARRAY_CI_EXAMPLES)
@given(data=st.data())
def test_random_valid_array_spec_matches_matmul(family, data):
    text, doc, mode = data.draw(spec_texts(family, array=True), label="spec")
    check_valid_array_spec(text, doc, mode, family)


@pytest.mark.parametrize("family", FAMILY_NAMES)
@settings(max_examples=30)
@given(data=st.data())
def test_the_least_accumulator_is_exact(family, data):
    """The minimum ``acc_bits`` the strategies work out parses; one bit less is refused."""
    text, doc, mode = data.draw(spec_texts(family), label="spec")
    pe = doc["pe"]
    need = _min_acc_bits(family, doc.get("params") or {}, pe)
    assume(need > 2)
    for acc_bits, ok in ((need, True), (need - 1, False)):
        low = yaml.safe_dump({**doc, "pe": {**pe, "acc_bits": acc_bits}})
        if ok:
            assert parse_spec(low, path="least.yaml").pe.acc_bits == need
        else:
            with pytest.raises(SpecError, match=rf"pe\.acc_bits: {acc_bits} is too narrow"):
                parse_spec(low, path="least.yaml")


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILY_NAMES)
@settings(max_examples=SLOW_EXAMPLES)
@given(data=st.data())
def test_many_random_valid_specs_build_and_are_proved(family, data):
    text, doc, mode = data.draw(spec_texts(family), label="spec")
    check_valid_spec(text, doc, mode, family)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILY_NAMES)
@settings(max_examples=ARRAY_SLOW_EXAMPLES)
@given(data=st.data())
def test_many_random_valid_array_specs_match_matmul(family, data):
    text, doc, mode = data.draw(spec_texts(family, array=True), label="spec")
    check_valid_array_spec(text, doc, mode, family)


# Specs the properties above found broken, kept as plain tests.
REGRESSIONS = {
    # The formal miter and reference were modules "miter" and "shiftgen_reference":
    # a spec of either name failed its proof with a Yosys error.
    "name_miter": "name: miter\nfamily: uniform\npe: {act_bits: 1, weight_bits: 2, acc_bits: 3}\n",
    "name_shiftgen_reference": "name: shiftgen_reference\nfamily: pot\n"
                               "pe: {act_bits: 3, weight_bits: 3, acc_bits: 8}\n",
    # The proof's evidence reference.v overwrote the PE's Verilog of a spec named "reference".
    "name_reference": "name: reference\nfamily: pot\npe: {act_bits: 3, weight_bits: 3, acc_bits: 8}\n",
    # random_stimulus allocated a whole overflow burst (3 * 2**30 steps, 24 GiB) when
    # the accumulator is far wider than a product.
    "wide_acc_uniform": "family: uniform\npe: {act_bits: 1, weight_bits: 2, acc_bits: 32}\n",
    "wide_acc_sq_external": "family: sq\npe: {act_bits: 1, weight_bits: 5, acc_bits: 36}\n"
                            "params: {qps: external}\n",
    "wide_acc_jlq": "family: jlq\npe: {act_bits: 1, weight_bits: 2, acc_bits: 32}\n"
                    "params: {s: 1, i: 0}\n",
    "wide_acc_pot_48": "family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 48, "
                       "saturate: true}\n",
    # A 512-code case table in the formal reference (9-bit weights) was one $pmux whose
    # SAT encoding exhausted YoWASP's call stack ("wasm trap: call stack exhausted").
    "ausn_9bit_weights": "family: ausn\npe: {act_bits: 1, weight_bits: 9, acc_bits: 17}\n"
                         "params: {basic: 1, sub: [1, 3, 3]}\n",
    "uniform_9bit_weights": "family: uniform\npe: {act_bits: 3, weight_bits: 9, acc_bits: 12}\n",
}


@pytest.mark.parametrize("text", [pytest.param(t, id=k) for k, t in REGRESSIONS.items()])
def test_regression(text):
    doc = yaml.safe_load(text)
    pe = doc["pe"]
    mode = pe.get("overflow", "saturate" if pe.get("saturate") else "wrap")
    # For "reference": _check_built reads reference.v back and finds the PE's module.
    check_valid_spec(text, doc, mode, doc["family"])
