"""``shiftgen sweep``: grid expansion, grid errors, the cache, and local and Dask backends."""

import json
import re
import textwrap
from pathlib import Path

import pytest

from shiftgen.flows import sweep
from shiftgen.cli import main
from shiftgen.errors import InputError, SpecError, ToolError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "sweeps" / "families_40.yaml"

SMALL = """\
name: small
weights: {count: 256, seed: 3}
points:
  - family: jlq
    pe: {act_bits: 4, acc_bits: 16}
    params: {i: 0}
    grid: {params.style: [jumping, shifter], pe.weight_bits: [2, 3], params.s: [1, 2]}
  - family: pot
    name: potz
    pe: {act_bits: 4, weight_bits: 3, acc_bits: 12}
    grid: {params.zero: [false, true]}
  - family: uniform
    pe: {act_bits: 4, weight_bits: 2, acc_bits: 8}
"""

# Four quick designs (3-bit activations): the real builds of the backend tests.
TINY = """\
name: tiny
weights: {count: 512, seed: 1}
points:
  - family: pot
    pe: {act_bits: 3, acc_bits: 10}
    grid: {pe.weight_bits: [2, 3]}
  - family: jlq
    pe: {act_bits: 3, weight_bits: 2, acc_bits: 10}
    params: {i: 0}
    grid: {params.s: [1, 2]}
"""


def _grid(text, tmp_path, name="grid.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# ---------------------------------------------------------------------------
# Expansion and naming


def test_expansion_order_and_names(tmp_path):
    grid = sweep.parse_grid(SMALL, path=tmp_path / "small.yaml")
    names = [p.name for p in grid.points]
    assert names[:8] == [
        "jlq_jumping_w2_s1", "jlq_jumping_w2_s2", "jlq_jumping_w3_s1", "jlq_jumping_w3_s2",
        "jlq_shifter_w2_s1", "jlq_shifter_w2_s2", "jlq_shifter_w3_s1", "jlq_shifter_w3_s2"]
    assert names[8:] == ["potz_nozero", "potz_zero", "uniform"]
    assert grid.name == "small" and grid.skipped == ()
    assert grid.weights == {"distribution": "normal", "count": 256, "seed": 3}
    p = grid.points[6]
    assert p.entry == 0 and p.values == {"params.style": "shifter", "pe.weight_bits": 3,
                                         "params.s": 1}
    # The canonical spec has every default filled in.
    assert p.canonical == {"name": "jlq_shifter_w3_s1", "family": "jlq",
                           "pe": {"act_bits": 4, "weight_bits": 3, "acc_bits": 16,
                                  "act_signed": True, "overflow": "wrap",
                                  "saturate": False},
                           "params": {"s": 1, "i": 0, "zero": False, "style": "shifter",
                                      "alpha": 1.0}}
    assert grid.points[-1].values == {}


def test_expansion_is_deterministic_and_each_point_is_a_spec(tmp_path):
    from shiftgen.spec import parse_spec
    a = sweep.parse_grid(SMALL, path=tmp_path / "small.yaml")
    b = sweep.parse_grid(SMALL, path=tmp_path / "small.yaml")
    assert a == b
    for p in a.points:
        spec = parse_spec(p.text, path=f"{p.name}.yaml")
        assert spec.name == p.name


@pytest.mark.parametrize("key,value,part", [
    ("pe.weight_bits", 4, "w4"), ("pe.act_bits", 6, "a6"), ("pe.acc_bits", 20, "acc20"),
    ("params.i", -1, "im1"), ("params.alpha", 0.5, "alpha0p5"), ("params.zero", True, "zero"),
    ("params.zero", False, "nozero"), ("params.style", "shifter", "shifter"),
    ("params.sub", [1, 2], "sub1x2"), ("params.points", [0.25, 1.0], "points0p25x1p0"),
])
def test_name_parts(key, value, part):
    assert sweep.point_name("p", {key: value}) == f"p_{part}"


def test_skip_invalid_leaves_out_and_lists(tmp_path):
    text = """\
    points:
      - family: ausn
        pe: {act_bits: 8, acc_bits: 24}
        grid: {pe.weight_bits: [3, 4], params.basic: [1, 2], params.sub: [[1], [2]]}
        skip_invalid: true
    """
    grid = sweep.parse_grid(textwrap.dedent(text), path=tmp_path / "ausn_grid.yaml")
    assert grid.name == "ausn_grid"  # the file stem
    assert [p.name for p in grid.points] == ["ausn_w3_basic1_sub1", "ausn_w4_basic1_sub2",
                                             "ausn_w4_basic2_sub1"]
    assert len(grid.skipped) == 5
    assert grid.skipped[0] == {"entry": 0, "values": {"pe.weight_bits": 3, "params.basic": 1,
                                                      "params.sub": [2]},
                               "reason": "pe.weight_bits: must be 4 (sign + basic 1 + sub [2]), "
                                         "not 3"}


def test_sq_without_points_is_fitted_by_the_task(tmp_path):
    text = """\
    points:
      - family: sq
        pe: {act_bits: 8, acc_bits: 16}
        grid: {pe.weight_bits: [2, 3]}
    """
    grid = sweep.parse_grid(textwrap.dedent(text), path=tmp_path / "g.yaml")
    assert [p.canonical["params"]["points"] for p in grid.points] == ["fit", "fit"]
    assert "points" not in grid.points[0].text


MEASURES = {"format": sweep.task.RESULT_FORMAT, "clock_mhz": 100.0,
            "liberty": {"name": "osu018_stdcells.lib", "sha256": "0" * 64},
            "sta": "OpenSTA 2.0.17", "nextpnr": "nextpnr-0.11.1"}


def test_keys(tmp_path):
    grid = sweep.parse_grid(SMALL, path=tmp_path / "small.yaml")
    p, q = grid.points[:2]
    w = grid.weights
    key = sweep.point_key(p, w, "Yosys 0.70", MEASURES)
    assert len(key) == 64 and key == sweep.point_key(p, dict(w), "Yosys 0.70", dict(MEASURES))
    assert key != sweep.point_key(q, w, "Yosys 0.70", MEASURES)
    assert key != sweep.point_key(p, w, "Yosys 0.71", MEASURES)
    assert key != sweep.point_key(p, {**w, "seed": 4}, "Yosys 0.70", MEASURES)
    # Whatever the energy and fmax figures depend on is in the key: the result's
    # format, the clock, the liberty, and OpenSTA and nextpnr (installed or not).
    for field, value in (("format", MEASURES["format"] - 1), ("clock_mhz", 250.0),
                         ("liberty", {**MEASURES["liberty"], "sha256": "1" * 64}),
                         ("sta", None), ("nextpnr", None)):
        assert key != sweep.point_key(p, w, "Yosys 0.70", {**MEASURES, field: value}), field
    # A default written out or left out is the same design.
    same = sweep.parse_grid(SMALL.replace("params: {i: 0}", "params: {i: 0, zero: false}"),
                            path=tmp_path / "small.yaml")
    assert sweep.point_key(same.points[0], w, "Yosys 0.70", MEASURES) == key


def test_keys_of_results_without_energy_are_not_this_sweeps(tmp_path):
    """An entry keyed before the energy figures existed is never looked up."""
    from shiftgen import __version__
    from shiftgen.cache import content_key
    grid = sweep.parse_grid(SMALL, path=tmp_path / "small.yaml")
    p, w = grid.points[0], grid.weights
    before = content_key({"spec": p.canonical, "weights": w, "shiftgen": __version__,
                          "yosys": "Yosys 0.70"})
    assert sweep.point_key(p, w, "Yosys 0.70", MEASURES) != before


def test_measurement_settings_name_the_tools_found():
    from shiftgen.synth.ecp5 import find_nextpnr
    from shiftgen.synth.liberty import find_liberty
    from shiftgen.synth.sta import find_sta
    got = sweep.task.measurement_settings(125)
    assert got["format"] == sweep.task.RESULT_FORMAT and got["clock_mhz"] == 125.0
    assert (got["sta"] is None) == (find_sta() is None)
    assert (got["nextpnr"] is None) == (find_nextpnr() is None)
    lib = find_liberty()
    assert (got["liberty"] is None) == (lib is None)
    if lib is not None:
        import hashlib
        assert got["liberty"] == {"name": lib.name,
                                  "sha256": hashlib.sha256(lib.read_bytes()).hexdigest()}
    if find_nextpnr() is not None:
        assert got["nextpnr"].startswith("nextpnr-")
    assert sweep.task.measurement_settings(125) == got


def test_shipped_grid():
    grid = sweep.load_grid(SHIPPED)
    assert len(grid.points) >= 40
    families = {p.family for p in grid.points}
    assert families == {"uniform", "pot", "apot", "jlq", "ausn", "sq"}
    assert {p.canonical["params"]["style"] for p in grid.points if p.family == "jlq"} == \
        {"jumping", "shifter"}
    assert {p.canonical["params"]["qps"] for p in grid.points if p.family == "sq"} == {"fixed"}
    assert len({p.weight_bits for p in grid.points}) >= 5


# ---------------------------------------------------------------------------
# Bad grid files: exit 2, one line naming the file, nothing written

BAD_GRIDS = {
    "unknown_top_key": ("points: [{family: pot, pe: {act_bits: 4, weight_bits: 3, "
                        "acc_bits: 12}}]\njobs: 3\n", "jobs: unknown field; allowed fields: "
                        "name, weights, skip_invalid, points"),
    "unknown_entry_key": ("points: [{family: pot, pe: {act_bits: 4, weight_bits: 3, "
                          "acc_bits: 12}, array: {rows: 2}}]\n",
                          "points[0].array: unknown field"),
    "bad_yaml": ("points: [{family: pot\n", "invalid YAML"),
    "empty_file": ("", "is empty; a grid needs at least 'points'"),
    "no_points": ("name: x\npoints: []\n", "points: must be a non-empty list"),
    "empty_grid": ("points: [{family: pot, pe: {act_bits: 4, weight_bits: 3, acc_bits: 12}, "
                   "grid: {}}]\n", "points[0].grid: must be a non-empty mapping"),
    "empty_grid_list": ("points: [{family: pot, pe: {act_bits: 4, acc_bits: 12}, "
                        "grid: {pe.weight_bits: []}}]\n",
                        "points[0].grid.pe.weight_bits: must be a non-empty list of values, "
                        "not []"),
    "no_such_grid_field": ("points: [{family: pot, pe: {act_bits: 4, acc_bits: 12}, "
                           "grid: {pe.weight_bits: [2], params.s: [1]}}]\n",
                           "points[0].grid.params.s: unknown grid field for family 'pot'; "
                           "allowed: pe.act_bits, pe.weight_bits, pe.acc_bits, pe.act_signed, "
                           "pe.overflow, pe.saturate, params.zero, params.rounding"),
    "grid_field_without_section": ("points: [{family: pot, pe: {act_bits: 4, acc_bits: 12}, "
                                   "grid: {weight_bits: [2]}}]\n",
                                   "points[0].grid.weight_bits: unknown grid field"),
    "wrong_type": ("points: [{family: pot, pe: {act_bits: 4, acc_bits: 12}, "
                   "grid: {pe.weight_bits: [2, three]}}]\n",
                   "points[0].grid.pe.weight_bits[1]: must be an integer from 1 to 16, "
                   "not 'three'"),
    "wrong_choice": ("points: [{family: jlq, pe: {act_bits: 4, weight_bits: 2, acc_bits: 12}, "
                     "params: {s: 1, i: 0}, grid: {params.style: [jumping, jumpy]}}]\n",
                     "points[0].grid.params.style[1]: must be one of 'jumping', 'shifter', "
                     "not 'jumpy'"),
    "grid_not_a_list": ("points: [{family: pot, pe: {act_bits: 4, acc_bits: 12}, "
                        "grid: {pe.weight_bits: 3}}]\n",
                        "points[0].grid.pe.weight_bits: must be a non-empty list of values, "
                        "not 3"),
    "fixed_wrong_type": ("points: [{family: pot, pe: {act_bits: four, weight_bits: 3, "
                         "acc_bits: 12}}]\n",
                         "points[0].pe.act_bits: must be an integer from 1 to 16, not 'four'"),
    "unknown_family": ("points: [{family: fft, pe: {act_bits: 4}}]\n",
                       "points[0].family: unknown family 'fft'; allowed: uniform, pot"),
    "set_twice": ("points: [{family: pot, pe: {act_bits: 4, weight_bits: 3, acc_bits: 12}, "
                  "grid: {pe.weight_bits: [2, 3]}}]\n",
                  "points[0].grid.pe.weight_bits: also set in points[0].pe"),
    "invalid_point": ("points: [{family: pot, pe: {act_bits: 8, acc_bits: 12}, "
                      "grid: {pe.weight_bits: [3, 5]}}]\n",
                      "points[0] (pe.weight_bits=5): pe.acc_bits: 12 is too narrow to hold "
                      "one product (-4194304 to 4194304 needs 24 bits); must be at least 24 "
                      "(skip_invalid: true leaves out such combinations)"),
    "all_skipped": ("skip_invalid: true\npoints: [{family: pot, pe: {act_bits: 8, "
                    "acc_bits: 8}, grid: {pe.weight_bits: [5, 6]}}]\n",
                    "points: every one of the 2 combinations is invalid"),
    "duplicate_names": ("points:\n- {family: pot, pe: {act_bits: 4, acc_bits: 12}, "
                        "grid: {pe.weight_bits: [2, 3]}}\n"
                        "- {family: pot, pe: {act_bits: 5, acc_bits: 12}, "
                        "grid: {pe.weight_bits: [3]}}\n",
                        "points[1] (pe.weight_bits=3): point name 'pot_w3' is also made by "
                        "points[0]"),
    "weights_field": ("weights: {distribution: uniform}\npoints: [{family: pot, "
                      "pe: {act_bits: 4, weight_bits: 3, acc_bits: 12}}]\n",
                      "weights.distribution: must be one of 'normal', 'laplace', "
                      "not 'uniform'"),
    "weights_count": ("weights: {count: 2.5}\npoints: [{family: pot, "
                      "pe: {act_bits: 4, weight_bits: 3, acc_bits: 12}}]\n",
                      "weights.count: must be an integer from 16 to 1048576, not 2.5"),
    "duplicate_key": ("points: []\npoints: []\n", "duplicate key 'points'"),
}


@pytest.mark.parametrize("case", BAD_GRIDS)
def test_bad_grid_exits_2_with_one_line_and_writes_nothing(case, tmp_path, capsys):
    text, expected = BAD_GRIDS[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"error: {path}: ")
    assert expected in lines[0]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_missing_and_directory_grid_files(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    assert main(["sweep", str(missing), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"error: {missing}: no such file\n"
    assert main(["sweep", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}: is a directory, not a grid file\n"
    assert not (tmp_path / "out").exists()


def test_bad_jobs(tmp_path, capsys):
    path = _grid(TINY, tmp_path)
    assert main(["sweep", str(path), "--jobs", "0", "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == "error: --jobs must be at least 1, not 0\n"
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------
# The cache, with a stand-in task (jobs=1 runs the points in this process)


#: The reasons the stand-in task gives for a missing figure.
NO_STA = "timing and power: OpenSTA (sta) not installed; apt-get install opensta"
NO_SIM = "simulated activity: the gate-level run could not be made"


@pytest.fixture
def fake_task(monkeypatch):
    """Replace ``run_point`` by a quick stand-in; returns the names it was called with.

    Its figures follow the weight bits and the family; ``fake.no_asic`` and
    ``fake.no_simulated`` name points whose ASIC figures (all, or the
    simulated energy) it leaves out with a reason, ``fake.measures`` is what
    it says it measured with.
    """
    import yaml

    from shiftgen.tools.yosys import find_yosys
    version = find_yosys().version
    calls = []
    failing = set()

    def fake(spec_text, weights_cfg, work_root, fitted=(), clock_mhz=None, liberty=None, *,
             progress=None):
        doc = yaml.safe_load(spec_text)
        calls.append(doc["name"])
        if doc["name"] in failing:
            raise ToolError("yosys failed: ERROR: boom")
        bits = doc["pe"]["weight_bits"]
        # jlq costs more energy per bit than pot, so the fronts differ from the LUT front.
        energy = (3.0 if doc["family"] == "jlq" else 2.0) * bits
        figures = {"energy_pj_vectorless": energy, "energy_pj_simulated": 0.75 * energy,
                   "asic_fmax_mhz": 400.0 / bits, "ecp5_fmax_mhz": 200.0 / bits}
        missing = {}
        asic = {"liberty": "osu018_stdcells.lib", "clock_mhz": clock_mhz,
                "conditions": "pre-layout, typical corner, no wire load, ideal clock",
                "activity": {"vectorless": "every net toggles 0.5 times per clock period",
                             "simulated": "Icarus on the PE's random stream"},
                "sta": "OpenSTA 2.0.17", "reason": None}
        if doc["name"] in fake.no_asic:
            figures.update(energy_pj_vectorless=None, energy_pj_simulated=None,
                           asic_fmax_mhz=None)
            missing.update(dict.fromkeys(("energy_pj_vectorless", "energy_pj_simulated",
                                          "asic_fmax_mhz"), NO_STA))
            asic.update(reason=NO_STA, activity=None, sta=None)
        elif doc["name"] in fake.no_simulated:
            figures["energy_pj_simulated"] = None
            missing["energy_pj_simulated"] = NO_SIM
        return {"result": {"family": doc["family"], "weight_bits": bits, "act_bits": 4,
                           "acc_bits": 12, "product_bits": 4 + bits, "F": 0, "params": {},
                           "lut": 10 * bits, "ff": 12, "carry4": 3, "gates": 50 * bits,
                           "depth": 20, **figures, "missing": missing, "asic": asic,
                           "ecp5": {"device": "LFE5U-25F-CABGA256", "seeds": {"1": 1.0},
                                    "wrapper": "every input registered"},
                           "snr_db": 6.0 * bits, "scale": 1.0,
                           "scale_rule": "fake", "fit": None, "yosys": version},
                "timing": {"total": 0.01}, "measures": fake.measures(clock_mhz, liberty)}

    real = sweep.task.measurement_settings
    settings = {}

    def measures(clock_mhz, liberty=None):
        if (clock_mhz, liberty) not in settings:
            settings[clock_mhz, liberty] = real(clock_mhz, liberty)
        return settings[clock_mhz, liberty]

    monkeypatch.setattr(sweep.task, "run_point", fake)
    monkeypatch.setattr(sweep.task, "measurement_settings", measures)
    fake.calls, fake.failing, fake.no_asic, fake.no_simulated = calls, failing, set(), set()
    fake.measures = measures
    return fake


def test_rerun_computes_nothing_new(tmp_path, fake_task):
    path = _grid(TINY, tmp_path)
    out = tmp_path / "out"
    first = sweep.run_sweep(sweep.load_grid(path), out, jobs=1)
    assert sorted(fake_task.calls) == ["jlq_s1", "jlq_s2", "pot_w2", "pot_w3"]
    assert first["run"]["computed"] == 4 and first["run"]["cached"] == 0
    assert len(list((out / "cache").glob("*.json"))) == 4
    for name in ("sweep.json", "sweep.csv", "sweep.md", "pareto.png", "pareto.svg",
                 "pareto_energy.png", "pareto_energy.svg"):
        assert (out / name).stat().st_size > 0
    assert not (out / ".work").exists()

    fake_task.calls.clear()
    again = sweep.run_sweep(sweep.load_grid(path), out, jobs=1)
    assert fake_task.calls == []
    assert again["run"]["computed"] == 0 and again["run"]["cached"] == 4
    assert sweep.comparable(again) == sweep.comparable(first)
    assert all(t["cached"] for t in again["timings"].values())

    # One more point: only it runs. A damaged cache file is computed again.
    bigger = TINY + ("  - family: uniform\n"
                     "    pe: {act_bits: 3, weight_bits: 2, acc_bits: 10}\n")
    (out / "cache" / f"{again['points'][0]['key']}.json").write_text("{")
    fake_task.calls.clear()
    third = sweep.run_sweep(sweep.load_grid(_grid(bigger, tmp_path)), out, jobs=1)
    assert sorted(fake_task.calls) == sorted(["uniform", again["points"][0]["name"]])
    assert third["run"]["computed"] == 2 and third["run"]["cached"] == 3


def test_outputs_sorted_with_pareto(tmp_path, fake_task):
    out = tmp_path / "out"
    doc = sweep.run_sweep(sweep.load_grid(_grid(TINY, tmp_path)), out, jobs=1)
    assert [p["name"] for p in doc["points"]] == ["pot_w2", "pot_w3", "jlq_s1", "jlq_s2"]
    assert json.loads((out / "sweep.json").read_text()) == doc
    csv_lines = (out / "sweep.csv").read_text().splitlines()
    assert csv_lines[0].startswith("name,family,weight_bits,act_bits,acc_bits,product_bits,lut")
    assert [line.split(",")[0] for line in csv_lines[1:]] == ["pot_w2", "pot_w3", "jlq_s1",
                                                              "jlq_s2"]
    md = (out / "sweep.md").read_text()
    assert "| pot_w2 | pot | 2 |" in md
    # Fake figures: LUT and SNR both grow with the bits, so every point is on the front.
    assert all(p["pareto"] for p in doc["points"])
    assert (out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _front_by_hand(rows, cost):
    """The cost/SNR Pareto front, by definition: no other point as cheap and as good, one better."""
    ok = [r for r in rows if r[cost] is not None and r["snr_db"] is not None]
    return {r["name"] for r in ok
            if not any(q[cost] <= r[cost] and q["snr_db"] >= r["snr_db"]
                       and (q[cost] < r[cost] or q["snr_db"] > r["snr_db"]) for q in ok)}


def test_energy_and_fmax_with_fronts_and_reasons(tmp_path, fake_task):
    fake_task.no_asic.add("jlq_s1")
    fake_task.no_simulated.add("pot_w3")
    out = tmp_path / "out"
    doc = sweep.run_sweep(sweep.load_grid(_grid(TINY, tmp_path)), out, jobs=1)
    rows = {r["name"]: r for r in doc["points"]}
    # The task's figures reach the rows; a missing one is None with its reason, never 0.
    assert rows["pot_w2"]["energy_pj_vectorless"] == 4.0
    assert rows["pot_w2"]["asic_fmax_mhz"] == 200.0 and rows["pot_w2"]["ecp5_fmax_mhz"] == 100.0
    assert rows["pot_w3"]["energy_pj_simulated"] is None
    assert rows["pot_w3"]["missing"] == {"energy_pj_simulated": NO_SIM}
    assert rows["jlq_s1"]["energy_pj_vectorless"] is None
    assert rows["jlq_s1"]["missing"]["asic_fmax_mhz"] == NO_STA
    assert rows["jlq_s1"]["ecp5_fmax_mhz"] is not None
    for source in ("vectorless", "simulated"):
        field = f"energy_pj_{source}"
        on = {r["name"] for r in doc["points"] if r[f"pareto_energy_{source}"]}
        assert on == _front_by_hand(doc["points"], field), source
    # Fake figures: jlq_s2 has pot_w3's SNR at more energy, so it is off the
    # energy front; the vectorless front lacks jlq_s1, which has no figure.
    assert not rows["jlq_s2"]["pareto_energy_vectorless"]
    assert not rows["jlq_s1"]["pareto_energy_vectorless"]
    assert doc["asic"]["clock_mhz"] == 100.0
    assert doc["tools"]["sta"] == sweep.task.measurement_settings(100.0)["sta"]

    md = (out / "sweep.md").read_text()
    assert "| pJ/MAC vectorless | pJ/MAC simulated | ASIC fmax MHz | ECP5 fmax MHz |" in md
    notes = [line for line in md.splitlines() if line.startswith("- [")]
    assert notes == [f"- [1] pot_w3: {NO_SIM}", f"- [2] jlq_s1: {NO_STA}"]  # in row order
    pot_w3 = next(line for line in md.splitlines() if line.startswith("| pot_w3 |"))
    assert "| — [1] |" in pot_w3 and "| 6 |" in pot_w3  # vectorless 6 pJ, simulated missing
    assert "every net toggles 0.5 times per clock period" in md and "at 100 MHz" in md

    import csv
    table = list(csv.DictReader((out / "sweep.csv").read_text().splitlines()))
    by_name = {r["name"]: r for r in table}
    assert by_name["pot_w3"]["energy_pj_simulated"] == ""
    assert json.loads(by_name["pot_w3"]["missing"]) == {"energy_pj_simulated": NO_SIM}
    assert float(by_name["pot_w2"]["energy_pj_simulated"]) == rows["pot_w2"]["energy_pj_simulated"]
    assert by_name["jlq_s2"]["pareto_energy_vectorless"] == "false"

    from rich.console import Console
    from shiftgen.reports.sweep import energy_panels, terminal_table
    import io
    console = Console(width=250, record=True, file=io.StringIO())
    console.print(terminal_table(doc).rich())
    text = console.export_text()
    assert "— [n]: no figure, because:" in text
    assert f"[1] pot_w3: {NO_SIM}" in text and f"[2] jlq_s1: {NO_STA}" in text
    panels = energy_panels(doc)
    assert [p["left_out"] for p in panels] == [[("jlq_s1", NO_STA)],
                                               [("pot_w3", NO_SIM), ("jlq_s1", NO_STA)]]
    assert "osu018_stdcells.lib" in panels[0]["xlabel"] and "100 MHz" in panels[0]["xlabel"]
    assert panels[1]["title"].startswith("simulated activity: Icarus")
    for name in ("pareto_energy.png", "pareto_energy.svg"):
        assert (out / name).stat().st_size > 0


def test_cached_entry_without_the_energy_fields_is_computed_again(tmp_path, fake_task):
    path = _grid(TINY, tmp_path)
    out = tmp_path / "out"
    sweep.run_sweep(sweep.load_grid(path), out, jobs=1)
    # An entry that has its key but lacks a field of this shiftgen's results.
    entry = next((out / "cache").glob("*.json"))
    doc = json.loads(entry.read_text())
    del doc["result"]["energy_pj_simulated"]
    entry.write_text(json.dumps(doc))
    fake_task.calls.clear()
    again = sweep.run_sweep(sweep.load_grid(path), out, jobs=1)
    assert fake_task.calls == [doc["spec"]["name"]] and again["run"]["computed"] == 1
    assert "energy_pj_simulated" in json.loads(entry.read_text())["result"]


def test_worker_measuring_otherwise_is_refused(tmp_path, fake_task):
    measures = fake_task.measures
    fake_task.measures = lambda clock, liberty=None: {**measures(clock, liberty),
                                                      "sta": "OpenSTA 9.9"}
    with pytest.raises(ToolError, match="the worker measured with sta 'OpenSTA 9.9'"):
        sweep.run_sweep(sweep.load_grid(_grid(TINY, tmp_path)), tmp_path / "out", jobs=1)


def test_clock_reaches_the_task_and_the_key(tmp_path, fake_task):
    path = _grid(TINY, tmp_path)
    out = tmp_path / "out"
    first = sweep.run_sweep(sweep.load_grid(path), out, jobs=1)
    fake_task.calls.clear()
    fast = sweep.run_sweep(sweep.load_grid(path), out, jobs=1, clock_mhz=250)
    assert len(fake_task.calls) == 4 and fast["asic"]["clock_mhz"] == 250.0
    assert all(r["asic"]["clock_mhz"] == 250 for r in fast["points"])
    assert {r["key"] for r in fast["points"]}.isdisjoint(r["key"] for r in first["points"])
    for bad in (0, -100.0, float("nan"), "100", True):
        with pytest.raises(InputError, match=f"clock_mhz must be a positive number of MHz, "
                                             f"not {re.escape(repr(bad))}"):
            sweep.run_sweep(sweep.load_grid(path), out, jobs=1, clock_mhz=bad)


def test_liberty_reaches_the_task_and_the_key(tmp_path, fake_task):
    from shiftgen.synth.liberty import find_liberty
    if find_liberty() is None:
        pytest.skip("OSU 0.18 um liberty not installed")
    path = _grid(TINY, tmp_path)
    out = tmp_path / "out"
    first = sweep.run_sweep(sweep.load_grid(path), out, jobs=1)
    mine = tmp_path / "mine.lib"
    mine.write_text(find_liberty().read_text() + "\n/* another library */\n")
    fake_task.calls.clear()
    other = sweep.run_sweep(sweep.load_grid(path), out, jobs=1, liberty=mine)
    assert len(fake_task.calls) == 4
    assert {r["key"] for r in other["points"]}.isdisjoint(r["key"] for r in first["points"])
    with pytest.raises(InputError, match="not a liberty file"):
        sweep.run_sweep(sweep.load_grid(path), out, jobs=1, liberty=path)


def test_failed_point_is_one_line_and_the_rest_is_cached(tmp_path, fake_task, capsys):
    path = _grid(TINY, tmp_path)
    out = tmp_path / "out"
    fake_task.failing.add("pot_w3")
    assert main(["sweep", str(path), "--out", str(out), "--jobs", "1", "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"error: 1 of 4 points failed (the other points are cached in "
                            f"{out / 'cache'}); first: pot_w3: yosys failed: ERROR: boom\n")
    assert len(list((out / "cache").glob("*.json"))) == 3
    assert sorted(p.name for p in out.iterdir()) == ["cache"]
    fake_task.failing.clear()
    fake_task.calls.clear()
    assert main(["sweep", str(path), "--out", str(out), "--jobs", "1", "--json"]) == 0
    assert fake_task.calls == ["pot_w3"]
    doc = json.loads(capsys.readouterr().out)
    assert doc["run"]["cached"] == 3 and doc["count"] == 4


def test_cli_table(tmp_path, fake_task, capsys):
    path = _grid(TINY, tmp_path)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "jlq_s2" in out and "LUT" in out
    assert out.splitlines()[-1].startswith("sweep tiny: 4 points (4 computed, 0 cached, "
                                           "0 skipped) on local (in this process)")


# ---------------------------------------------------------------------------
# Real builds: a local process pool and a Dask LocalCluster give the same results


def _local_cluster():
    # No dashboard: it would want a free port 8787 (a warning when taken) and bokeh.
    distributed = pytest.importorskip("distributed")
    return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                    dashboard_address=None)


def _run_both(grid_path, tmp_path):
    grid = sweep.load_grid(grid_path)
    local = sweep.run_sweep(grid, tmp_path / "local", jobs=2)
    with _local_cluster() as cluster:
        dask = sweep.run_sweep(grid, tmp_path / "dask", scheduler=cluster.scheduler_address)
    return local, dask


def test_local_and_dask_give_identical_results(tmp_path):
    local, dask = _run_both(_grid(TINY, tmp_path), tmp_path)
    assert local["run"]["computed"] == dask["run"]["computed"] == 4
    assert local["run"]["backend"] == "local (2 processes)"
    assert dask["run"]["backend"].startswith("dask tcp://")
    assert sweep.comparable(local) == sweep.comparable(dask)
    assert (json.dumps(sweep.comparable(json.loads((tmp_path / "local" / "sweep.json")
                                                   .read_text())), sort_keys=True)
            == json.dumps(sweep.comparable(json.loads((tmp_path / "dask" / "sweep.json")
                                                      .read_text())), sort_keys=True))
    for name in ("sweep.csv", "sweep.md"):
        assert (tmp_path / "local" / name).read_text() == (tmp_path / "dask" / name).read_text()
    # Same cache keys, same results: either cache serves the other's grid.
    assert sorted(p.name for p in (tmp_path / "local" / "cache").iterdir()) == \
        sorted(p.name for p in (tmp_path / "dask" / "cache").iterdir())
    rows = {p["name"]: p for p in local["points"]}
    assert rows["pot_w3"]["check"]["result"] == "pass"
    assert rows["pot_w3"]["lut"] > 0 and rows["pot_w3"]["snr_db"] > rows["pot_w2"]["snr_db"]
    assert rows["jlq_s1"]["scale_rule"].startswith("least-squares alpha")
    from shiftgen.synth.ecp5 import find_nextpnr
    from shiftgen.synth.sta import find_sta
    for r in local["points"]:
        if find_sta() is None:
            assert r["energy_pj_vectorless"] is None and r["asic_fmax_mhz"] is None
            assert "sta" in r["missing"]["energy_pj_vectorless"]
        else:
            asic = r["asic"]
            for source in ("vectorless", "simulated"):
                # One MAC per clock: pJ per MAC = mW / MHz * 1000.
                total = asic["power_mw"][source]["total"]
                assert r[f"energy_pj_{source}"] == pytest.approx(
                    total / asic["clock_mhz"] * 1e3, rel=1e-5, abs=1e-6), (r["name"], source)
            assert r["asic_fmax_mhz"] == pytest.approx(1000 / asic["critical_path_ns"],
                                                       rel=1e-3)
            assert asic["sta"].startswith("OpenSTA") and asic["clock_mhz"] == 100.0
        if find_nextpnr() is not None:
            assert r["ecp5_fmax_mhz"] >= r["ecp5"]["fmax_min_mhz"] > 0
        if find_sta() is not None and find_nextpnr() is not None:
            assert r["missing"] == {}, r["name"]
    assert (tmp_path / "local" / "pareto_energy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = sweep.run_sweep(sweep.load_grid(tmp_path / "grid.yaml"), tmp_path / "dask")
    assert again["run"]["computed"] == 0
    assert sweep.comparable(again) == sweep.comparable(dask)


def test_unreachable_scheduler_is_a_tool_error(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import distributed

    def refuse(address, **kwargs):
        raise OSError(f"Timed out trying to connect to {address} after 20 s")

    monkeypatch.setattr(distributed, "Client", refuse)
    grid = sweep.load_grid(_grid(TINY, tmp_path))
    with pytest.raises(ToolError, match="cannot reach the Dask scheduler at tcp://nowhere:1"):
        sweep.run_sweep(grid, tmp_path / "out", scheduler="tcp://nowhere:1")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_shipped_grid_local_and_dask(tmp_path):
    """The 40+ point grid, locally and on a LocalCluster (several minutes)."""
    local, dask = _run_both(SHIPPED, tmp_path)
    assert local["count"] >= 40
    assert sweep.comparable(local) == sweep.comparable(dask)
    again = sweep.run_sweep(sweep.load_grid(SHIPPED), tmp_path / "local")
    assert again["run"]["computed"] == 0 and again["run"]["cached"] == local["count"]


def test_grid_error_is_spec_error(tmp_path):
    with pytest.raises(SpecError) as e:
        sweep.parse_grid("points: [{family: pot}]\n", path=tmp_path / "g.yaml")
    assert e.value.exit_code == 2
