"""Spec loading: every bad spec is one SpecError naming file, field, value and what is allowed."""

import subprocess
import sys
from pathlib import Path

import pytest

from shiftgen.errors import SpecError
from shiftgen.families import FAMILIES
from shiftgen.spec import PEConfig, load_spec, parse_spec

SPECS = Path(__file__).resolve().parents[2] / "specs"
SPEC_PATHS = sorted(SPECS.glob("*.yaml"))

UNI_PE = "pe: {act_bits: 8, weight_bits: 4, acc_bits: 16}\n"


def pot(pe="act_bits: 8, weight_bits: 4, acc_bits: 16", params=None):
    text = f"family: pot\npe: {{{pe}}}\n"
    return text if params is None else text + f"params: {{{params}}}\n"


def uniform(pe="act_bits: 8, weight_bits: 4, acc_bits: 16"):
    return f"family: uniform\npe: {{{pe}}}\n"


MISSING_FILE = object()
DIRECTORY = object()
# The start of a constant array's section (its weights directory is read only after the spec).
CONSTANT = "array: {rows: 4, cols: 4, dataflow: constant, weights: w, "

# id -> (file name, text, field path or None for whole-file errors, fragments of the message)
BAD = {
    # family
    "unknown_family": ("s.yaml", "family: foo\n" + UNI_PE, "family",
                       ["'foo'", "uniform", "pot"]),
    "family_int": ("s.yaml", "family: 3\n" + UNI_PE, "family", ["3", "uniform", "pot"]),
    "family_list": ("s.yaml", "family: [pot]\n" + UNI_PE, "family", ["['pot']", "pot"]),
    "missing_family": ("s.yaml", UNI_PE, "family", ["missing", "uniform", "pot"]),
    # structure
    "missing_acc_bits": ("s.yaml", uniform("act_bits: 8, weight_bits: 4"), "pe.acc_bits",
                         ["missing", "integer from 2 to 48"]),
    "missing_pe": ("s.yaml", "family: uniform\n", "pe",
                   ["missing", "act_bits", "weight_bits", "acc_bits"]),
    "unknown_top_field": ("s.yaml", uniform() + "extra: 1\n", "extra",
                          ["unknown field", "name, family, pe, params"]),
    "unknown_pe_field": ("s.yaml", uniform("act_bits: 8, weight_bits: 4, acc_bits: 16, foo: 1"),
                         "pe.foo", ["unknown field", "act_bits", "overflow"]),
    "unknown_pot_param": ("s.yaml", pot(params="zero: false, foo: 1"), "params.foo",
                          ["unknown field", "zero", "rounding"]),
    "unknown_uniform_param": ("s.yaml", uniform() + "params: {foo: 1}\n", "params.foo",
                              ["unknown field", "none"]),
    # types
    "act_bits_str": ("s.yaml", uniform('act_bits: "8", weight_bits: 4, acc_bits: 16'),
                     "pe.act_bits", ["'8'", "integer from 1 to 16"]),
    "act_bits_float": ("s.yaml", uniform("act_bits: 8.5, weight_bits: 4, acc_bits: 16"),
                       "pe.act_bits", ["8.5", "integer from 1 to 16"]),
    "act_bits_bool": ("s.yaml", uniform("act_bits: true, weight_bits: 4, acc_bits: 16"),
                      "pe.act_bits", ["true", "integer from 1 to 16"]),
    "act_signed_int": ("s.yaml", uniform("act_bits: 8, weight_bits: 4, acc_bits: 16, "
                                         "act_signed: 1"),
                       "pe.act_signed", ["not 1", "true or false"]),
    "overflow_int": ("s.yaml", uniform("act_bits: 8, weight_bits: 4, acc_bits: 16, overflow: 3"),
                     "pe.overflow", ["not 3", "'wrap'", "'saturate'"]),
    "zero_str": ("s.yaml", pot(params='zero: "no"'), "params.zero", ["'no'", "true or false"]),
    "pe_list": ("s.yaml", "family: uniform\npe: [1, 2]\n", "pe", ["[1, 2]", "mapping"]),
    "params_list": ("s.yaml", pot() + "params: [1]\n", "params", ["[1]", "mapping"]),
    # widths
    "act_bits_0": ("s.yaml", uniform("act_bits: 0, weight_bits: 4, acc_bits: 16"),
                   "pe.act_bits", ["not 0", "integer from 1 to 16"]),
    "act_bits_1000": ("s.yaml", uniform("act_bits: 1000, weight_bits: 4, acc_bits: 16"),
                      "pe.act_bits", ["1000", "integer from 1 to 16"]),
    "act_bits_negative": ("s.yaml", uniform("act_bits: -8, weight_bits: 4, acc_bits: 16"),
                          "pe.act_bits", ["-8", "integer from 1 to 16"]),
    "weight_bits_0": ("s.yaml", uniform("act_bits: 8, weight_bits: 0, acc_bits: 16"),
                      "pe.weight_bits", ["not 0", "integer from 1 to 16"]),
    "uniform_weight_bits_1": ("s.yaml", uniform("act_bits: 8, weight_bits: 1, acc_bits: 16"),
                              "pe.weight_bits", ["not 1", "from 2 to 16", "uniform"]),
    "acc_bits_1": ("s.yaml", uniform("act_bits: 8, weight_bits: 4, acc_bits: 1"),
                   "pe.acc_bits", ["not 1", "integer from 2 to 48"]),
    "acc_bits_4096": ("s.yaml", uniform("act_bits: 8, weight_bits: 4, acc_bits: 4096"),
                      "pe.acc_bits", ["4096", "integer from 2 to 48"]),
    "acc_bits_negative": ("s.yaml", uniform("act_bits: 8, weight_bits: 4, acc_bits: -16"),
                          "pe.acc_bits", ["-16", "integer from 2 to 48"]),
    "pot_weight_bits_7": ("s.yaml", pot("act_bits: 8, weight_bits: 7, acc_bits: 40"),
                          "pe.weight_bits", ["not 7", "from 2 to 6", "pot"]),
    # choices
    "overflow_clamp": ("s.yaml", uniform("act_bits: 8, weight_bits: 4, acc_bits: 16, "
                                         "overflow: clamp"),
                       "pe.overflow", ["'clamp'", "'wrap'", "'saturate'"]),
    "rounding_nearest": ("s.yaml", pot(params="rounding: nearest"), "params.rounding",
                         ["'nearest'", "'log'", "'linear'"]),
    # accumulator narrower than one product
    # pot 8x4: a in [-128, 127], m in [-128, 128]; (-128)*(-128) = 16384 needs 16 bits.
    "acc_too_narrow_pot": ("s.yaml", pot("act_bits: 8, weight_bits: 4, acc_bits: 15"),
                           "pe.acc_bits", ["15", "16384", "16 bits", "at least 16"]),
    # uniform 8x8: (-128)*(-128) = 16384 needs 16 bits.
    "acc_too_narrow_uniform": ("s.yaml", uniform("act_bits: 8, weight_bits: 8, acc_bits: 15"),
                               "pe.acc_bits", ["15", "16 bits", "at least 16"]),
    # unsigned 8-bit act x 4-bit uniform: [0,255]*[-8,7] = [-2040, 1785] needs 12 bits.
    "acc_too_narrow_unsigned": ("s.yaml", uniform("act_bits: 8, weight_bits: 4, acc_bits: 11, "
                                                  "act_signed: false"),
                                "pe.acc_bits", ["11", "-2040", "12 bits", "at least 12"]),
    # array dataflows
    "array_dataflow_unknown": ("s.yaml", uniform() + "array: {rows: 4, cols: 4, dataflow: mesh}\n",
                               "array.dataflow", ["'mesh'", "broadcast", "weight_stationary"]),
    "array_pipeline_negative": ("s.yaml", uniform() + "array: {rows: 4, cols: 4, "
                                "dataflow: broadcast, pipeline: -1}\n", "array.pipeline", ["-1"]),
    "array_pipeline_too_big": ("s.yaml", uniform() + "array: {rows: 4, cols: 4, "
                               "dataflow: broadcast, pipeline: 17}\n", "array.pipeline", ["17"]),
    "array_pipeline_ws": ("s.yaml", uniform() + "array: {rows: 4, cols: 4, pipeline: 2}\n",
                          "array.pipeline", ["broadcast or constant only", "weight_stationary"]),
    # A constant array takes the broadcast array's pipeline values, and only those.
    "array_pipeline_constant_negative": ("s.yaml", uniform() + CONSTANT + "pipeline: -1}\n",
                                         "array.pipeline", ["not -1", "integer from 0 to 16"]),
    "array_pipeline_constant_too_big": ("s.yaml", uniform() + CONSTANT + "pipeline: 17}\n",
                                        "array.pipeline", ["not 17", "integer from 0 to 16"]),
    "array_pipeline_constant_bool": ("s.yaml", uniform() + CONSTANT + "pipeline: true}\n",
                                     "array.pipeline", ["not true", "integer from 0 to 16"]),
    "array_pipeline_constant_str": ("s.yaml", uniform() + CONSTANT + "pipeline: \"2\"}\n",
                                    "array.pipeline", ["not '2'", "integer from 0 to 16"]),
    "array_pipeline_constant_float": ("s.yaml", uniform() + CONSTANT + "pipeline: 1.5}\n",
                                      "array.pipeline", ["not 1.5", "integer from 0 to 16"]),
    "array_chain_ws": ("s.yaml", uniform() + "array: {rows: 4, cols: 4, chain: 2}\n",
                       "array.chain", ["broadcast only"]),
    "array_chain_over_rows": ("s.yaml", uniform() + "array: {rows: 4, cols: 4, "
                              "dataflow: broadcast, chain: 8}\n", "array.chain",
                              ["at most array.rows = 4", "not 8"]),
    # file-level problems
    "yaml_syntax": ("s.yaml", "family: pot\npe:\n  act_bits: 8\n weight_bits: 4\n", None,
                    ["invalid YAML", "line 4"]),
    "yaml_unclosed": ("s.yaml", "family: pot\npe: {act_bits: 8\n", None,
                      ["invalid YAML", "line 3"]),
    "empty_file": ("s.yaml", "", None, ["empty"]),
    "only_comments": ("s.yaml", "# nothing\n# here\n", None, ["empty"]),
    "top_level_list": ("s.yaml", "- family\n- pe\n", None, ["mapping", "['family', 'pe']"]),
    "top_level_scalar": ("s.yaml", "hello\n", None, ["mapping", "'hello'"]),
    "missing_file": ("nope.yaml", MISSING_FILE, None, ["no such file"]),
    "directory": ("adir.yaml", DIRECTORY, None, ["directory"]),
    "duplicate_pe_key": ("s.yaml", "family: pot\npe:\n  act_bits: 8\n  act_bits: 9\n"
                                   "  weight_bits: 4\n  acc_bits: 16\n",
                         None, ["duplicate key 'act_bits'", "line 4"]),
    "duplicate_top_key": ("s.yaml", uniform() + "family: pot\n", None,
                          ["duplicate key 'family'", "line 3"]),
    # names
    "name_leading_digit": ("s.yaml", 'name: "9bad"\n' + uniform(), "name",
                           ["'9bad'", "Verilog identifier"]),
    "name_dash": ("s.yaml", 'name: "has-dash"\n' + uniform(), "name",
                  ["'has-dash'", "Verilog identifier"]),
    "name_int": ("s.yaml", "name: 5\n" + uniform(), "name", ["not 5", "Verilog identifier"]),
    "stem_not_identifier": ("my-spec.yaml", uniform(), "name",
                            ["'my-spec'", "Verilog identifier"]),
}

# The CLI costs a subprocess each: a representative subset.
CLI_KINDS = ["unknown_family", "missing_acc_bits", "act_bits_bool", "pot_weight_bits_7",
             "acc_too_narrow_pot", "yaml_syntax", "duplicate_pe_key", "name_dash",
             "missing_file", "array_dataflow_unknown", "array_pipeline_ws",
             "array_pipeline_constant_negative", "array_pipeline_constant_str"]


def write_case(tmp_path, kind):
    filename, text, _, _ = BAD[kind]
    path = tmp_path / filename
    if text is DIRECTORY:
        path.mkdir()
    elif text is not MISSING_FILE:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_spec_api(tmp_path, kind):
    _, _, field, fragments = BAD[kind]
    path = write_case(tmp_path, kind)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    err = info.value
    text = str(err)
    assert "\n" not in text
    assert err.file == str(path)
    assert text.startswith(str(path) + ":")
    assert err.field == field
    if field is not None:
        assert text.startswith(f"{path}: {field}: ")
    for fragment in fragments:
        # Look in the message proper, so the file name cannot supply a fragment.
        assert fragment in err.message, (fragment, err.message)


@pytest.mark.parametrize("kind", CLI_KINDS)
def test_bad_spec_cli(tmp_path, kind):
    _, _, field, fragments = BAD[kind]
    path = write_case(tmp_path, kind)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "shiftgen", "build", str(path), "--out", str(out), "--no-synth"],
        cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")
    assert proc.stderr.endswith("\n") and proc.stderr.count("\n") == 1, proc.stderr
    assert str(path) in proc.stderr
    if field is not None:
        assert f" {field}: " in proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr
    assert proc.stdout == ""
    assert not out.exists()


@pytest.mark.parametrize("text", [
    uniform() + "? [a, b]\n: 1\n",
    "family: uniform\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16, ? {x: 1} : 2}\n",
], ids=["top_level", "in_pe"])
def test_unhashable_key_is_spec_error(text):
    with pytest.raises(SpecError, match="invalid YAML at line .*unhashable key"):
        parse_spec(text, path="x.yaml")


@pytest.mark.parametrize("name", ["module", "wire", "endmodule", "logic", "bit", "export"])
def test_verilog_keyword_is_not_a_name(name):
    with pytest.raises(SpecError, match=f"name: .*not a keyword.*'{name}'"):
        parse_spec(f"name: {name}\n" + uniform(), path="x.yaml")


@pytest.mark.parametrize("path", SPEC_PATHS, ids=lambda p: p.stem)
def test_shipped_spec_loads(path):
    spec = load_spec(path)
    assert spec.name == path.stem
    assert spec.path == path
    assert FAMILIES[spec.family.name] is spec.family
    assert len(spec.codebook.multipliers) == 1 << spec.pe.weight_bits


def test_shipped_specs_exist():
    assert {p.stem for p in SPEC_PATHS} >= {"pot_4bit", "uniform_4x8", "uniform_8x8"}


def test_shipped_spec_values():
    spec = load_spec(SPECS / "pot_4bit.yaml")
    assert spec.pe == PEConfig(act_bits=8, weight_bits=4, acc_bits=16, act_signed=True,
                               overflow="wrap")
    assert spec.params.zero is False
    assert spec.params.rounding == "log"


def test_name_defaults_to_stem(tmp_path):
    path = tmp_path / "my_pe_2.yaml"
    path.write_text(uniform())
    assert load_spec(path).name == "my_pe_2"


def test_explicit_name_overrides_stem(tmp_path):
    path = tmp_path / "file_stem.yaml"
    path.write_text("name: _Other9\n" + uniform())
    assert load_spec(path).name == "_Other9"


def test_explicit_name_allows_bad_stem(tmp_path):
    path = tmp_path / "not-an-identifier.yaml"
    path.write_text("name: fine\n" + uniform())
    assert load_spec(path).name == "fine"


def test_defaults():
    spec = parse_spec(uniform(), path="d.yaml")
    assert spec.pe.act_signed is True
    assert spec.pe.overflow == "wrap"
    spec = parse_spec(pot(), path="d.yaml")
    assert spec.params.zero is False
    assert spec.params.rounding == "log"


def test_explicit_options():
    spec = parse_spec(pot("act_bits: 8, weight_bits: 4, acc_bits: 16, act_signed: false, "
                          "overflow: saturate", params="zero: true, rounding: linear"),
                      path="o.yaml")
    assert spec.pe.act_signed is False
    assert spec.pe.overflow == "saturate"
    assert spec.params.zero is True
    assert spec.params.rounding == "linear"


@pytest.mark.parametrize("text", [
    # Smallest legal widths: a in [-1, 0], m in [-2, 1] -> products [-1, 2] need 3 bits.
    uniform("act_bits: 1, weight_bits: 2, acc_bits: 3"),
    # 16x16: (-32768)**2 = 2**30 needs 32 bits.
    uniform("act_bits: 16, weight_bits: 16, acc_bits: 32"),
    pot("act_bits: 8, weight_bits: 2, acc_bits: 10"),
    # pot 6-bit: F = 31, (-32768)*(-2**31) = 2**46 needs 48 bits, the widest accumulator.
    pot("act_bits: 16, weight_bits: 6, acc_bits: 48"),
], ids=["uniform_min", "uniform_16x16", "pot_2bit", "pot_6bit_acc48"])
def test_boundary_widths_accepted(text):
    parse_spec(text, path="b.yaml")


@pytest.mark.parametrize("text, need", [
    (uniform("act_bits: 1, weight_bits: 2, acc_bits: 2"), 3),
    (uniform("act_bits: 16, weight_bits: 16, acc_bits: 31"), 32),
    (pot("act_bits: 16, weight_bits: 6, acc_bits: 47"), 48),
], ids=["uniform_min", "uniform_16x16", "pot_6bit"])
def test_one_bit_short_rejected(text, need):
    with pytest.raises(SpecError) as info:
        parse_spec(text, path="b.yaml")
    assert info.value.field == "pe.acc_bits"
    assert f"at least {need}" in info.value.message


def test_parse_spec_path_names_errors():
    with pytest.raises(SpecError) as info:
        parse_spec("family: foo\n", path="some/where.yaml")
    assert info.value.file == str(Path("some/where.yaml"))
    assert str(info.value).startswith("some/where.yaml: family: ")


@pytest.mark.parametrize("value", [None, 0, 1, 2, 16])
def test_constant_array_takes_a_pipeline(tmp_path, value):
    from ..constant_support import constant_spec
    spec, _ = constant_spec(tmp_path, pipeline=value)
    assert spec.array.pipeline == (value or 0)  # none written is 0, as for broadcast


def test_constant_array_still_refuses_a_chain(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(uniform() + CONSTANT + "chain: 2}\n")
    with pytest.raises(SpecError, match="array.chain: does not apply to dataflow: constant"):
        load_spec(path)
