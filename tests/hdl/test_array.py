# amaranth: UnusedElaboratable=no
"""The MAC array in the Amaranth simulator (cells inline) against golden.matmul."""

import numpy as np
import pytest
import yaml

from shiftgen.verify.amaranth_sim import simulate_array
from shiftgen.verify.schedule import random_jobs, schedule
from shiftgen.codebook import signed_bits
from shiftgen.errors import SpecError
from shiftgen.golden import matmul
from shiftgen.hdl.array import psum_bits
from shiftgen.spec import parse_spec

from ..support import ROOT, SPEC_PATHS


def array_spec(stem_or_path, rows, cols, decoder=None):
    """A shipped spec with an ``array`` section added."""
    path = stem_or_path
    if isinstance(path, str):
        path = ROOT / "specs" / f"{path}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["array"] = {"rows": rows, "cols": cols}
    if decoder is not None:
        doc["array"]["decoder"] = decoder
    return parse_spec(yaml.safe_dump(doc, sort_keys=False), path=path)


def assert_matches(spec, jobs, gap=0):
    got = simulate_array(spec, jobs, gap=gap)
    assert len(got) == len(jobs)
    for k, (y, (w, x)) in enumerate(zip(got, jobs)):
        expected = matmul(spec.codebook, x, w)
        assert y.shape == expected.shape, f"job {k}"
        bad = np.argwhere(y != expected)
        assert not len(bad), (f"job {k}: {len(bad)} mismatches, first at (vector, column) "
                              f"{tuple(bad[0])}: {y[tuple(bad[0])]} != {expected[tuple(bad[0])]}")
    return got


@pytest.mark.parametrize("path", SPEC_PATHS, ids=[p.stem for p in SPEC_PATHS])
def test_4x4_array_matches_golden(path):
    spec = array_spec(path, 4, 4)
    # Two jobs: the second reloads the weights after the first drains.
    assert_matches(spec, random_jobs(spec, 2, 6, seed=3))


SQ_PATHS = [p for p in SPEC_PATHS if p.stem.startswith("sq_")]


@pytest.mark.parametrize("decoder", ["column", "array"])
@pytest.mark.parametrize("path", SQ_PATHS, ids=[p.stem for p in SQ_PATHS])
def test_sq_shared_decoder_matches_golden(path, decoder):
    spec = array_spec(path, 4, 3, decoder)
    assert spec.array.decoder == decoder
    assert_matches(spec, random_jobs(spec, 2, 6, seed=4))


def test_sq_column_decoders_hold_their_own_tables(monkeypatch):
    from shiftgen.verify import amaranth_sim
    from shiftgen.verify.schedule import setup_writes
    spec = array_spec("sq_4bit", 3, 3, "column")
    assert spec.codebook.setup  # programmable: tables are written through qps_col
    writes = setup_writes(spec)
    assert {w["qps_col"] for w in writes} == {0, 1, 2}
    # Column 1's table is never written: only column 1 goes wrong.
    monkeypatch.setattr(amaranth_sim, "setup_writes",
                        lambda s: [w for w in writes if w["qps_col"] != 1])
    # The second job: random codes (the first has every code the largest).
    jobs = random_jobs(spec, 2, 6, seed=5)[1:]
    (w, x), = jobs
    (y,) = simulate_array(spec, jobs)
    want = matmul(spec.codebook, x, w)
    assert np.array_equal(y[:, [0, 2]], want[:, [0, 2]])
    assert not np.array_equal(y[:, 1], want[:, 1])


@pytest.mark.parametrize("rows, cols", [(1, 1), (1, 5), (5, 1)])
@pytest.mark.parametrize("stem, decoder", [("pot_4bit", None), ("sq_4bit", "column"),
                                           ("ausn_ausn_6x6", None)])
def test_edge_shapes(stem, decoder, rows, cols):
    spec = array_spec(stem, rows, cols, decoder)
    assert_matches(spec, random_jobs(spec, 3, 5, seed=rows * 10 + cols))


@pytest.mark.parametrize("stem", ["uniform_4x8", "sq_4bit"])
def test_gaps_between_vectors(stem):
    spec = array_spec(stem, 3, 4)
    jobs = random_jobs(spec, 2, 5, seed=7)
    cycles = schedule(spec, jobs, gap=2)
    R, C = spec.array.rows, spec.array.cols
    assert len(cycles) == sum(R + 3 * len(x) + R + C for _, x in jobs)
    assert_matches(spec, jobs, gap=2)


def test_reload_uses_the_new_weights():
    spec = array_spec("pot_4bit", 4, 4)
    rng = np.random.default_rng(5)
    x = rng.integers(-128, 128, (6, 4))
    w0 = rng.integers(0, 16, (4, 4))
    w1 = (w0 + 1 + rng.integers(0, 15, (4, 4))) % 16  # every code differs
    # The same vectors under two weight matrices: a missed reload would show.
    assert not np.array_equal(matmul(spec.codebook, x, w0), matmul(spec.codebook, x, w1))
    assert_matches(spec, [(w0, x), (w1, x), (w0, x)])


def _extreme_job(spec):
    """W and X whose every product is the largest (then the smallest) one."""
    inputs, values = spec.codebook.act_table(spec.pe.act_bits, spec.pe.act_signed)
    products = np.asarray(values)[:, None] * spec.codebook.table[None, :]
    R, C = spec.array.rows, spec.array.cols
    jobs = []
    for pick in (np.argmax, np.argmin):
        i, code = np.unravel_index(pick(products), products.shape)
        jobs.append((np.full((R, C), code), np.full((2, R), inputs[i])))
    return jobs, int(products.max()), int(products.min())


@pytest.mark.parametrize("rows", [1, 3, 4, 5])
@pytest.mark.parametrize("stem", ["uniform_4x8", "pot_4bit", "jlq_3bit", "ausn_8x4",
                                  "ausn_ausn_6x6", "apot_4bit"])
def test_psum_width_is_exact(stem, rows):
    spec = array_spec(stem, rows, 2)
    lo, hi = spec.family.product_range(spec)
    P = psum_bits(spec)
    assert P == signed_bits(rows * lo, rows * hi)
    # Exact: one bit less cannot hold both extremes.
    half = 1 << (P - 2)
    assert rows * lo < -half or rows * hi > half - 1
    jobs, p_hi, p_lo = _extreme_job(spec)
    assert (p_lo, p_hi) == (lo, hi)  # these families' codebooks reach the range
    y_hi, y_lo = assert_matches(spec, jobs)
    assert (y_hi == rows * hi).all() and (y_lo == rows * lo).all()


def test_psum_width_of_a_programmable_qps_covers_any_point():
    spec = array_spec("sq_4bit", 4, 2)
    lo, hi = spec.family.product_range(spec)
    c_lo, c_hi = spec.codebook.product_range(spec.pe.act_bits, spec.pe.act_signed)
    assert lo <= c_lo and c_hi <= hi
    assert psum_bits(spec) == signed_bits(4 * lo, 4 * hi)
    jobs, _, _ = _extreme_job(spec)
    assert_matches(spec, jobs)


BASE = "family: pot\npe: {act_bits: 8, weight_bits: 4, acc_bits: 16}\n"
SQ_EXTERNAL = ("family: sq\npe: {act_bits: 8, weight_bits: 5, acc_bits: 16}\n"
               "params: {qps: external}\n")


@pytest.mark.parametrize("text, field", [
    (BASE + "array: {rows: 0, cols: 4}\n", "array.rows"),
    (BASE + "array: {rows: 129, cols: 4}\n", "array.rows"),
    (BASE + "array: {rows: 4, cols: 0}\n", "array.cols"),
    (BASE + "array: {rows: 4}\n", "array.cols"),
    (BASE + "array: {cols: 4}\n", "array.rows"),
    (BASE + "array: {rows: 4, cols: 4, depth: 2}\n", "array.depth"),
    (BASE + "array: {rows: 4.5, cols: 4}\n", "array.rows"),
    (BASE + "array: {rows: 4, cols: 4, dataflow: output_stationary}\n", "array.dataflow"),
    (BASE + "array: {rows: 4, cols: 4, decoder: column}\n", "array.decoder"),
    (BASE + "array: {rows: 4, cols: 4, decoder: array}\n", "array.decoder"),
    (BASE + "array: {rows: 4, cols: 4, decoder: row}\n", "array.decoder"),
    (SQ_EXTERNAL + "array: {rows: 4, cols: 4, decoder: column}\n", "array.decoder"),
    (SQ_EXTERNAL + "array: {rows: 4, cols: 4, decoder: array}\n", "array.decoder"),
], ids=["rows-0", "rows-129", "cols-0", "cols-missing", "rows-missing", "unknown-key",
        "rows-float", "dataflow", "decoder-column-pot", "decoder-array-pot", "decoder-row",
        "decoder-column-sq-external", "decoder-array-sq-external"])
def test_array_section_errors(text, field):
    with pytest.raises(SpecError) as info:
        parse_spec(text, path="bad.yaml")
    assert info.value.field == field
    assert field in str(info.value)


def test_array_section_limits_are_accepted():
    for rows, cols in ((1, 1), (128, 128)):
        spec = parse_spec(BASE + f"array: {{rows: {rows}, cols: {cols}}}\n", path="ok.yaml")
        assert (spec.array.rows, spec.array.cols, spec.array.decoder) == (rows, cols, "pe")
    spec = parse_spec(SQ_EXTERNAL + "array: {rows: 2, cols: 2, decoder: pe}\n", path="ok.yaml")
    assert spec.array.decoder == "pe"


def test_schedule_refuses_wrong_shapes():
    spec = array_spec("pot_4bit", 3, 2)
    with pytest.raises(ValueError, match="shapes"):
        schedule(spec, [(np.zeros((2, 3), int), np.zeros((4, 3), int))])
    with pytest.raises(ValueError, match="shapes"):
        schedule(spec, [(np.zeros((3, 2), int), np.zeros((4, 2), int))])
