"""Reading a user's liberty: what the ASIC flow needs of it, and the one-line errors."""

import json
import re

import pytest

from shiftgen.errors import InputError
from shiftgen.synth.liberty import find_liberty, read_library
from shiftgen.synth.sta import find_sta

from ..support import ROOT, shiftgen

LIBERTY = find_liberty()
needs_liberty = pytest.mark.skipif(LIBERTY is None, reason="OSU 0.18 um liberty not installed")


def _renamed(tmp_path, prefix="MY_"):
    """The OSU liberty and its cell models with every cell renamed: a library nobody else uses."""
    text = re.sub(r"^(\s*cell\s*\(\s*)(\w+)", rf"\g<1>{prefix}\2", LIBERTY.read_text(), flags=re.M)
    path = tmp_path / "mine.lib"
    path.write_text(text)
    models = LIBERTY.with_suffix(".v")
    if models.is_file():
        (tmp_path / "mine.v").write_text(
            re.sub(r"^(\s*module\s+)(\w+)", rf"\g<1>{prefix}\2", models.read_text(), flags=re.M))
    return path


def _without(tmp_path, drop):
    """The OSU liberty without the cells ``drop`` matches."""
    text = LIBERTY.read_text()
    starts = [m.start() for m in re.finditer(r"^cell\s*\(", text, flags=re.M)]
    ends = starts[1:] + [text.rindex("}")]
    kept = text[:starts[0]] + "".join(text[a:b] for a, b in zip(starts, ends)
                                      if not re.match(drop, text[a:b].split("(", 1)[1]))
    path = tmp_path / "less.lib"
    path.write_text(kept + text[ends[-1]:])
    return path


@needs_liberty
def test_osu_library_is_read():
    lib = read_library(LIBERTY)
    assert lib.driver == ("DFFPOSX1", "Q")  # DFFNEGX1 is a negative edge, DFFSR has set/reset
    assert {"DFFPOSX1", "INVX1", "NAND2X1"} <= lib.cells and len(lib.cells) == 32
    assert lib.name == "osu018_stdcells.lib" and len(lib.sha256) == 64


@needs_liberty
def test_driver_is_found_in_any_names(tmp_path):
    lib = read_library(_renamed(tmp_path))
    assert lib.driver == ("MY_DFFPOSX1", "Q") and "MY_INVX1" in lib.cells


@needs_liberty
@pytest.mark.parametrize("case, message", [
    ("missing", "cannot read the liberty: No such file or directory"),
    ("directory", "the liberty is not a file"),
    ("text", "not a liberty file (no library group)"),
    ("no_dff", "has no positive-edge D flip-flop without set or reset"),
    ("no_inverter", "lacks the combinational cells abc maps to"),
])
def test_unusable_liberty_is_one_error(tmp_path, case, message):
    path = {"missing": lambda: tmp_path / "nowhere.lib",
            "directory": lambda: tmp_path,
            "text": lambda: tmp_path / "notes.lib",
            "no_dff": lambda: _without(tmp_path, r"\s*DFFPOS"),
            "no_inverter": lambda: _without(tmp_path, r"\s*(INV|BUF|CLKBUF)"),
            }[case]()
    if case == "text":
        path.write_text("cell (INVX1) { }\n")
    with pytest.raises(InputError) as err:
        read_library(path)
    assert str(err.value).startswith(f"{path.absolute()}: ") and message in str(err.value)


@needs_liberty
@pytest.mark.parametrize("command, target", [("build", "specs/pot_4bit.yaml"),
                                             ("verify", "specs/pot_4bit.yaml"),
                                             ("sweep", "sweeps/families_40.yaml")])
def test_bad_liberty_exits_2_and_writes_nothing(tmp_path, command, target):
    work = tmp_path / "work"
    work.mkdir()
    bad = _without(tmp_path, r"\s*DFFPOS")
    proc = shiftgen(command, str(ROOT / target), "--liberty", str(bad), cwd=work)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {bad}: the liberty has no positive-edge D flip-flop")
    assert not any(work.iterdir())


@needs_liberty
@pytest.mark.skipif(find_sta() is None, reason="OpenSTA not installed")
def test_build_measures_in_the_given_liberty(tmp_path):
    lib = _renamed(tmp_path)
    proc = shiftgen("build", str(ROOT / "specs" / "pot_4bit.yaml"), "--liberty", str(lib),
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "build" / "pot_4bit"
    asic = json.loads((out / "report.json").read_text())["targets"]["asic"]
    assert asic["liberty"] == "mine.lib" and asic["liberty_sha256"] == read_library(lib).sha256
    assert set(asic["cells_by_type"]) <= read_library(lib).cells
    assert asic["cells_by_type"]["MY_DFFPOSX1"] == 16
    # The same cells under other names: the same figures as the default library's.
    default = shiftgen("build", str(ROOT / "specs" / "pot_4bit.yaml"), "--out", "osu",
                       cwd=tmp_path)
    assert default.returncode == 0, default.stderr
    osu = json.loads((tmp_path / "osu" / "pot_4bit" / "report.json").read_text())
    osu = osu["targets"]["asic"]
    assert asic["area_um2"] == osu["area_um2"]
    assert asic["critical_path_ns"] == osu["critical_path_ns"]
    assert asic["power_mw"] == osu["power_mw"]
    assert "MY_DFFPOSX1" in (out / "pot_4bit.asic.v").read_text()
