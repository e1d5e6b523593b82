"""Property tests: every invalid spec is one clean error line, exit status 2, no output.

Each test starts from a valid spec document (the shipped specs, the array
specs and the variants of ``tests/support.py``) and applies one mutation that
makes it invalid by construction: a wrong type, a value out of range, a broken
relation between fields, a missing or unknown field, malformed YAML, bytes
that are not UTF-8, or a duplicate key. ``shiftgen build`` then runs in this
process, and must refuse it the way a user sees it: ``error: <file>: ...`` on
one line, status 2, no traceback, and nothing written to ``--out``.
"""

import contextlib
import dataclasses
import io
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, note, settings
from hypothesis.control import currently_in_test_context
from hypothesis import strategies as st

from shiftgen.cli import main
from shiftgen.codebook import signed_bits
from shiftgen.families import FAMILIES
from shiftgen.spec import ArrayConfig, PEConfig, parse_spec

from ..support import ROOT, VARIANT_TEXTS

BASE_PATHS = sorted((ROOT / "specs").glob("*.yaml")) + sorted((ROOT / "specs" / "arrays")
                                                              .glob("*.yaml"))
# A constant-weight array's spec names a weights directory beside it (array.weights), which
# the mutated copies in a temporary directory lack: its own checks are in
# tests/weights/test_constant_weights.py.
BASES = {p.stem: p.read_text() for p in BASE_PATHS if "dataflow: constant" not in p.read_text()}
BASES.update(VARIANT_TEXTS)
TOP_FIELDS = ("name", "family", "pe", "params", "array")
SECTIONS = ("pe", "params", "array")
# A valid array section for bases without one, so every base can be mutated at that depth.
SMALL_ARRAY = {"rows": 4, "cols": 3}


def base_doc(name):
    doc = yaml.safe_load(BASES[name])
    doc.setdefault("name", name)  # the temp file's stem is not the base's name
    return doc


def section_class(doc, section):
    return {"pe": PEConfig, "array": ArrayConfig}.get(section) \
        or FAMILIES[doc["family"]].Params


def options(cls):
    """``{name: metadata}`` of a section dataclass: the rules the loader enforces."""
    return {f.name: f.metadata for f in dataclasses.fields(cls)}


# --- YAML text: how a document is written to the file ---------------------------------

def flow(value):
    """One YAML flow node for ``value`` (no line breaks, no document end marker)."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10 ** 9)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def block(doc, dup=None):
    """The document in block style, sections indented; ``dup`` = (section or None, key, value)
    adds that pair once more to that mapping (YAML text can say a key twice, a dict cannot)."""
    lines = []
    for key, value in doc.items():
        if isinstance(value, dict) and key in SECTIONS:
            pairs = list(value.items())
            if dup is not None and dup[0] == key:
                pairs.append(dup[1:])
            lines.append(f"{flow(key)}:" if pairs else f"{flow(key)}: {{}}")
            lines += [f"  {flow(k)}: {flow(v)}" for k, v in pairs]
        else:
            lines.append(f"{flow(key)}: {flow(value)}")
    if dup is not None and dup[0] is None:
        lines.append(f"{flow(dup[1])}: {flow(dup[2])}")
    return "\n".join(lines) + "\n"


def shown(value):
    """How the error shows a small value: YAML spellings of scalars, Python's otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ".inf" if value > 0 else "-.inf"
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, dict):
        try:  # reprlib lists a mapping's keys sorted when it can
            keys = sorted(value)
        except TypeError:
            keys = list(value)
        return "{" + ", ".join(f"{shown(k)}: {shown(value[k])}" for k in keys) + "}"
    return repr(value)


# --- running the command line ----------------------------------------------------------

def run_build(data, pre_create):
    """``shiftgen build FILE --out OUT --no-synth`` in this process, on ``data`` as the file.

    Returns (status, stdout, stderr, file path); asserts that nothing was written.
    """
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "spec_under_test.yaml"
        path.write_bytes(data)
        out = tmp / "out"
        if pre_create:
            out.mkdir()
        before = sorted(p.name for p in tmp.iterdir())
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = main(["build", str(path), "--out", str(out), "--no-synth"])
        assert sorted(p.name for p in tmp.iterdir()) == before  # no stray temp files
        if pre_create:
            assert list(out.iterdir()) == []
        else:
            assert not out.exists()
        return status, stdout.getvalue(), stderr.getvalue(), path


def check_rejected(data, pre_create, field=None, value=None, fragment=None):
    """The build refuses ``data``: status 2, one ``error:`` line naming the file (and field)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    status, out, err, path = run_build(data, pre_create)
    if currently_in_test_context():  # shown with a failing example
        note(f"file: {data!r}\nstderr: {err!r}")
    assert status == 2, err
    assert out == ""
    assert "Traceback" not in err and "internal error" not in err
    assert err.startswith(f"error: {path}: ") and err.endswith("\n"), err
    assert err.count("\n") == 1, err
    if field is not None:
        assert err.startswith(f"error: {path}: {field}: "), (field, err)
    if value is not None:
        message = err[len(f"error: {path}: {field}: "):]
        assert value in message, (value, err)
    if fragment is not None:
        assert fragment in err, (fragment, err)


def budget(n):
    """``n`` examples in CI (derandomized, the same each run); the profile's own when exploring."""
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
        return settings(max_examples=n)
    return settings()


bases = st.sampled_from(sorted(BASES))


@st.composite
def base_and_section(draw, sections=("top",) + SECTIONS):
    """A base document with its array section present, and a depth to mutate at."""
    name = draw(bases)
    doc = base_doc(name)
    doc.setdefault("array", dict(SMALL_ARRAY))
    doc.setdefault("params", {})
    section = draw(st.sampled_from(sections))
    if section == "params" and not options(section_class(doc, "params")):
        section = "pe"  # uniform has no params
    return doc, section


# --- values --------------------------------------------------------------------------

ints = st.integers(-10 ** 30, 10 ** 30)  # longer ones are shown by their ends only
small_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
scalars = st.one_of(st.none(), st.booleans(), ints,
                    st.floats(allow_nan=True, allow_infinity=True), small_text)
small_lists = st.lists(scalars, max_size=3)
small_maps = st.dictionaries(st.text("abcxyz", min_size=1, max_size=3), scalars, max_size=2)


def wrong_type_values(meta):
    """Values of another YAML type than the option's kind (bool is not an int, nor vice versa)."""
    kind = meta["kind"]
    others = {
        int: st.one_of(st.none(), st.booleans(), st.floats(), small_text, small_lists,
                       small_maps),
        bool: st.one_of(st.none(), st.integers(-5, 5), st.floats(), small_text, small_lists,
                        small_maps),
        str: st.one_of(st.none(), st.booleans(), ints, st.floats(), small_lists,
                       small_maps),
        float: st.one_of(st.none(), st.booleans(), small_text, small_lists, small_maps),
        # A list of the right length but a wrong item: a bool, a string, a list, null.
        list: st.one_of(st.none(), st.booleans(), ints, small_text, small_maps,
                        st.lists(st.one_of(st.none(), st.booleans(), small_text,
                                           st.lists(ints, max_size=2)),
                                 min_size=1, max_size=3)),
    }[kind]
    if kind is float:  # an int is a number; a bool is not, nor a string
        return others
    if kind is list and meta["item"] is int:
        return st.one_of(others, st.lists(st.floats(), min_size=1, max_size=3)
                         .filter(lambda v: any(isinstance(x, float) for x in v)))
    return others


HUGE = st.sampled_from([10 ** 30, -10 ** 30, 2 ** 63, -2 ** 63, 10 ** 18])
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])


def out_of_range_values(meta):
    """Values of the right kind that break min/max/above/choices or finiteness, or None."""
    kind, lo, hi, above, choices = (meta["kind"], meta["min"], meta["max"],
                                    meta.get("above"), meta["choices"])
    if choices is not None:
        return small_text.filter(lambda s: s not in choices)
    if kind is int:
        parts = [HUGE.filter(lambda v: not lo <= v <= hi)]
        if lo is not None:
            parts.append(st.integers(lo - 1000, lo - 1))
        if hi is not None:
            parts.append(st.integers(hi + 1, hi + 1000))
        return st.one_of(parts)
    if kind is float:
        parts = [NON_FINITE, st.integers(10 ** 309, 10 ** 320)]  # no float can hold it
        if above is not None:
            parts.append(st.floats(max_value=above, allow_nan=False, allow_infinity=False))
        return st.one_of(parts)
    if kind is list:
        if meta["item"] is float:
            item = NON_FINITE
        else:
            item = st.one_of(st.integers(max_value=meta["min"] - 1),
                             st.integers(min_value=meta["max"] + 1), HUGE)
        return st.tuples(st.lists(st.integers(1, 2), max_size=2), item).map(
            lambda t: t[0] + [t[1]])
    return None  # bool: every bool is in range


def set_value(doc, section, key, value):
    (doc if section == "top" else doc[section])[key] = value


def dotted(section, key):
    return key if section == "top" else f"{section}.{key}"


# --- the properties ------------------------------------------------------------------

@budget(100)
@given(base_and_section(), st.data(), st.booleans())
def test_wrong_type_is_rejected(case, data, pre_create):
    doc, section = case
    if section == "top":
        key = data.draw(st.sampled_from(["name", "family", "pe", "params", "array"]))
        if key in SECTIONS:  # a section that is not a mapping (null would be an empty one)
            value = data.draw(st.one_of(st.booleans(), ints, st.floats(), small_text,
                                        st.lists(ints, max_size=3)))
        else:  # a name or family that is not a string
            value = data.draw(st.one_of(st.none(), st.booleans(), ints, st.floats(),
                                        st.lists(ints, min_size=1, max_size=3)))
    else:
        rules = options(section_class(doc, section))
        key = data.draw(st.sampled_from(sorted(rules)))
        value = data.draw(wrong_type_values(rules[key]))
    set_value(doc, section, key, value)
    text = block(doc)
    loaded = yaml.safe_load(text)  # the value as YAML reads it back
    loaded = loaded[key] if section == "top" else loaded[section][key]
    check_rejected(text, pre_create, dotted(section, key), shown(loaded))


@budget(100)
@given(base_and_section(SECTIONS), st.data(), st.booleans())
def test_out_of_range_is_rejected(case, data, pre_create):
    doc, section = case
    rules = options(section_class(doc, section))
    ranged = sorted(k for k, m in rules.items() if out_of_range_values(m) is not None)
    key = data.draw(st.sampled_from(ranged))
    value = data.draw(out_of_range_values(rules[key]))
    set_value(doc, section, key, value)
    text = block(doc)
    loaded = yaml.safe_load(text)[section][key]
    expected = shown(loaded) if not (isinstance(loaded, int) and abs(loaded) > 10 ** 40) \
        else str(loaded)[:12]  # a 300-digit integer is shown by its ends
    check_rejected(text, pre_create, dotted(section, key), expected)


@budget(60)
@given(st.sampled_from(["family", "name"]), st.data(), st.booleans())
def test_bad_family_or_name_is_rejected(key, data, pre_create):
    doc = base_doc(data.draw(bases))
    if key == "family":
        value = data.draw(small_text.filter(lambda s: s not in FAMILIES))
    else:  # not a Verilog identifier, or a keyword
        value = data.draw(st.one_of(
            st.sampled_from(["module", "wire", "endmodule", "9lives", "has-dash", "a b", ""]),
            small_text.filter(lambda s: not s.isidentifier() or not s.isascii())))
    doc[key] = value
    check_rejected(block(doc), pre_create, key, repr(value))


def product_bits(spec):
    """Bits of the widest product the PE can form: the codebook's, or the family's wider range."""
    lo, hi = spec.codebook.product_range(spec.pe.act_bits, spec.pe.act_signed)
    f_lo, f_hi = spec.family.product_range(spec)
    return signed_bits(min(lo, f_lo), max(hi, f_hi))


@st.composite
def broken_relation(draw):
    """(document, field, shown value): fields valid alone, invalid together."""
    name = draw(bases)
    doc = base_doc(name)
    spec = parse_spec(BASES[name], path=f"{name}.yaml")
    family, pe = spec.family, doc["pe"]
    kinds = ["saturate", "decoder_pe_only"] if family.decoder_placements == ("pe",) \
        else ["saturate"]
    need = product_bits(spec)
    if need > 2:
        kinds.append("acc_too_narrow")
    lo, hi = family.weight_bits
    if [b for b in range(1, 17) if not lo <= b <= hi]:
        kinds.append("family_weight_bits")
    if family.name == "ausn":
        kinds.append("ausn_weight_bits")
    if family.name == "sq":
        kinds.append("sq_points" if spec.params.qps != "external" else "sq_external")
    kind = draw(st.sampled_from(kinds))
    note(f"base {name}, relation {kind}")
    if kind == "saturate":
        overflow = draw(st.sampled_from(["wrap", "saturate"]))
        pe.update(overflow=overflow, saturate=overflow == "wrap")
        return doc, "pe.saturate", shown(overflow == "wrap")
    if kind == "acc_too_narrow":
        pe["acc_bits"] = draw(st.integers(2, min(need, 49) - 1))
        return doc, "pe.acc_bits", str(pe["acc_bits"])
    if kind == "family_weight_bits":
        pe["weight_bits"] = draw(st.sampled_from([b for b in range(1, 17)
                                                  if not lo <= b <= hi]))
        return doc, "pe.weight_bits", str(pe["weight_bits"])
    if kind == "ausn_weight_bits":
        need_w = 1 + spec.params.basic + sum(spec.params.sub)
        pe["weight_bits"] = draw(st.integers(lo, hi).filter(lambda b: b != need_w))
        return doc, "pe.weight_bits", str(pe["weight_bits"])
    if kind == "decoder_pe_only":
        doc["array"] = {**doc.get("array", SMALL_ARRAY),
                        "decoder": draw(st.sampled_from(["column", "array"]))}
        return doc, "array.decoder", repr(doc["array"]["decoder"])
    if kind == "sq_external":
        if draw(st.booleans()):
            doc["array"] = {**doc.get("array", SMALL_ARRAY),
                            "decoder": draw(st.sampled_from(["column", "array"]))}
            return doc, "array.decoder", repr(doc["array"]["decoder"])
        doc["params"]["points"] = [1.0]
        return doc, "params.points", None
    points = list(spec.params.points)
    how = draw(st.sampled_from(["fewer", "more", "outside", "repeated"]))
    if how == "fewer":
        del points[draw(st.integers(0, len(points) - 1))]
    elif how == "more":
        points.append(points[0])
    elif how == "outside":  # 0.3 and 3 are in no universal set (sums of powers of two <= 2)
        points[draw(st.integers(0, len(points) - 1))] = draw(st.sampled_from([0.3, 3.0, -1.0]))
    else:
        points[-1] = points[0]
    doc["params"]["points"] = points
    return doc, "params.points", None


@budget(60)
@given(broken_relation(), st.booleans())
def test_broken_relation_is_rejected(case, pre_create):
    doc, field, value = case
    check_rejected(block(doc), pre_create, field, value)


@budget(60)
@given(base_and_section(), st.data(), st.booleans())
def test_missing_required_field_is_rejected(case, data, pre_create):
    doc, section = case
    if section == "top":
        key = data.draw(st.sampled_from(["family", "pe"]))
    else:
        required = sorted(f.name for f in dataclasses.fields(section_class(doc, section))
                          if f.default is dataclasses.MISSING)
        assume(required)  # pot, apot, sq, uniform params: every field has a default
        key = data.draw(st.sampled_from(required))
    (doc if section == "top" else doc[section]).pop(key, None)
    check_rejected(block(doc), pre_create, dotted(section, key), fragment="missing")


identifier_keys = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)
odd_keys = st.one_of(st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False),
                     small_text.filter(lambda s: s.strip() and not s.isidentifier()))


@budget(60)
@given(base_and_section(), st.one_of(identifier_keys, odd_keys), st.booleans())
def test_unknown_key_is_rejected(case, key, pre_create):
    doc, section = case
    allowed = TOP_FIELDS if section == "top" else options(section_class(doc, section))
    assume(key not in allowed)
    (doc if section == "top" else doc[section])[key] = 1
    plain = isinstance(key, str) and key.isidentifier()
    check_rejected(block(doc), pre_create, dotted(section, key) if plain else None,
                   fragment="unknown field")


@budget(100)
@given(base_and_section(), st.data(), st.booleans())
def test_duplicate_key_is_rejected(case, data, pre_create):
    doc, section = case
    mapping = doc if section == "top" else doc[section]
    assume(mapping)
    key = data.draw(st.sampled_from(sorted(mapping, key=str)))
    # The same value again, or another: a key said twice is an error either way.
    value = data.draw(st.one_of(st.just(mapping[key]), scalars))
    dup = (None if section == "top" else section, key, value)
    check_rejected(block(doc, dup), pre_create, fragment=f"duplicate key {key!r}")


# --- malformed files ------------------------------------------------------------------

@st.composite
def malformed(draw):
    """Bytes that are no valid spec: broken YAML, not UTF-8, empty, or not a mapping."""
    doc = base_doc(draw(bases))
    kind = draw(st.sampled_from(["truncated", "closer_first", "opener_last", "tab", "garbage",
                                 "not_utf8", "blank", "not_mapping"]))
    note(f"malformed: {kind}")
    if kind == "truncated":
        # One flow mapping cut before its closing brace: the brace is never closed.
        text = flow(doc)
        return text[:draw(st.integers(0, len(text) - 1))].encode()
    if kind == "closer_first":
        return (draw(st.sampled_from(["]", "}", "] ", "}}"])) + block(doc)).encode()
    if kind == "opener_last":
        return (block(doc) + draw(st.sampled_from(["[", "{", "[[", "{a: [", "- ["]))).encode()
    if kind == "tab":
        lines = block(doc).split("\n")
        indented = [i for i, line in enumerate(lines) if line.startswith("  ")]
        i = draw(st.sampled_from(indented))
        lines[i] = "\t" + lines[i][2:]  # YAML forbids tabs in indentation
        return "\n".join(lines).encode()
    if kind == "garbage":
        # Without 'family' (and escapes that could spell it) no bytes are a valid spec.
        return draw(st.binary(max_size=200).filter(
            lambda b: b"family" not in b and b"\\" not in b))
    if kind == "not_utf8":
        data = block(doc).encode()
        at = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xfe", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80"]))
        return data[:at] + bad + data[at:]
    if kind == "blank":
        lines = draw(st.lists(st.one_of(st.text(" \t\r", max_size=5),
                                        st.text(" ", max_size=3).map(lambda s: s + "# note")),
                              max_size=4))
        return "\n".join(lines).encode()
    value = draw(st.one_of(scalars, st.lists(scalars, max_size=4)))
    return (flow(value) + "\n").encode()


@budget(120)
@given(malformed(), st.booleans())
def test_malformed_file_is_rejected(data, pre_create):
    check_rejected(data, pre_create)


# --- examples for bugs found here (kept as plain cases: they must stay fixed) --------------

@pytest.mark.parametrize("text, field, fragment", [
    # Python refuses to parse a 5000-digit integer (ValueError): was "internal error".
    ("family: pot\npe: {act_bits: " + "7" * 5000 + ", weight_bits: 4, acc_bits: 16}\n",
     None, "invalid YAML"),
    # The YAML resolver calls it a date, datetime refuses month 13: was "internal error".
    ("family: pot\npe: {act_bits: 2001-13-45, weight_bits: 4, acc_bits: 16}\n",
     None, "month must be in 1..12"),
    ("family: pot\npe: {act_bits: !!int eight, weight_bits: 4, acc_bits: 16}\n",
     None, "invalid YAML"),
    ("family: pot\npe: " + "[" * 3000 + "]" * 3000 + "\n", None, "nested too deeply"),
    # NaN in the QPS: Fraction(nan) raised ValueError: was "internal error".
    ("family: sq\npe: {act_bits: 8, weight_bits: 2, acc_bits: 16}\n"
     "params: {points: [.nan, 1]}\n", "params.points", "not [.nan, 1]"),
    ("family: sq\npe: {act_bits: 8, weight_bits: 2, acc_bits: 16}\n"
     "params: {points: [0.5, 1], alpha: .inf}\n", "params.alpha", "not .inf"),
    # A zero scale divides by zero when quantizing; it was accepted.
    ("family: apot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16}\nparams: {alpha: 0}\n",
     "params.alpha", "above 0, not 0"),
    # A newline in a key broke the one-line message.
    ('family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16, "a\\nb": 1}\n',
     "pe.'a\\nb'", "unknown field"),
    ("family: pot\nnull: 1\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16}\n",
     "null", "unknown field"),
    # A self-referencing value must not recurse when shown.
    ("family: pot\npe: {act_bits: &a [*a], weight_bits: 4, acc_bits: 16}\n",
     "pe.act_bits", "[[[[...]]]]"),
    # No accumulator is wide enough: say so instead of "at least 129" (the maximum is 48).
    ("family: jlq\npe: {act_bits: 8, weight_bits: 5, acc_bits: 48}\nparams: {s: 8, i: -24}\n",
     "pe.acc_bits", "no accumulator can hold it (at most 48 bits)"),
], ids=["int_5000_digits", "bad_date", "int_tag", "deep_nesting", "nan_point", "inf_alpha",
        "zero_alpha", "newline_key", "null_key", "recursive_value", "acc_beyond_max"])
def test_found_cases_are_rejected(text, field, fragment):
    check_rejected(text, False, field, fragment=fragment)


def test_merge_key_is_accepted():
    """'<<: *anchor' is YAML; the duplicate-key check had made it an error."""
    spec = parse_spec("family: pot\npe: &pe {act_bits: 8, weight_bits: 4, acc_bits: 16}\n"
                      "params: {<<: {zero: true}, rounding: linear}\n", path="m.yaml")
    assert spec.params.zero is True and spec.params.rounding == "linear"


# --- the real process ----------------------------------------------------------------

SUBPROCESS_CASES = {
    "wrong_type": "family: pot\npe: {act_bits: [8], weight_bits: 4, acc_bits: 16}\n",
    "huge": "family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 1000000000000000000000}\n",
    "unknown_key": "family: jlq\npe: {act_bits: 8, weight_bits: 3, acc_bits: 16}\n"
                   "params: {s: 1, i: 0, shift: 2}\n",
    "truncated": "{family: pot, pe: {act_bits: 8, weight_",
    "not_utf8": "family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16}\n# \udcff\n",
    "duplicate": "family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16}\n"
                 "array: {rows: 2, cols: 2, rows: 3}\n",
    "int_5000_digits": "family: pot\npe: {act_bits: " + "7" * 5000 + "}\n",
}


@pytest.mark.parametrize("kind", SUBPROCESS_CASES)
def test_real_process_exits_2(tmp_path, kind):
    path = tmp_path / "spec_under_test.yaml"
    path.write_bytes(SUBPROCESS_CASES[kind].encode("utf-8", "surrogateescape"))
    out = tmp_path / "out"
    # The console script once, 'python -m shiftgen' otherwise (both are documented).
    script = Path(sys.executable).with_name("shiftgen")
    command = [str(script)] if kind == "wrong_type" and script.exists() \
        else [sys.executable, "-m", "shiftgen"]
    proc = subprocess.run(command + ["build", str(path), "--out", str(out), "--no-synth"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {path}: ") and proc.stderr.count("\n") == 1
    assert proc.stdout == ""
    assert not out.exists()
