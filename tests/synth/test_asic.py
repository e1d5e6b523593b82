"""OSU 0.18 um standard-cell area from a real Yosys run of the exported Verilog."""

import pytest

from shiftgen.synth import asic
from shiftgen.synth.asic import asic_area
from shiftgen.synth.liberty import find_liberty, install_liberty
from shiftgen.errors import InputError, ToolError

from ..support import shipped_spec

# Its module fixtures are computed once: every test of the module on one worker.
pytestmark = pytest.mark.xdist_group("synth.test_asic")


@pytest.fixture(scope="module")
def areas(exported, liberty):
    return {stem: asic_area(exported(shipped_spec(stem))[0], stem, liberty=liberty)
            for stem in ("pot_4bit", "uniform_8x8")}


def test_areas_are_positive_and_mapped(areas, liberty):
    for stem, a in areas.items():
        assert a["area_um2"] > 0
        assert 0 < a["sequential_area_um2"] < a["area_um2"]
        assert a["cells"] == sum(a["cells_by_type"].values()) > 0
        assert not [k for k in a["cells_by_type"] if k.startswith("$")]
        assert a["liberty"] == liberty.name == "osu018_stdcells.lib"
        assert a["recipe"].startswith(f"synth -flatten -top {stem}")
        assert "dfflibmap -liberty" in a["recipe"] and "abc -liberty" in a["recipe"]
        assert a["yosys"].startswith("Yosys ")


def test_accumulator_is_flip_flops_with_reset_in_logic(areas):
    # The synchronous reset is logic in front of plain D flip-flops, one per accumulator bit.
    assert areas["pot_4bit"]["cells_by_type"]["DFFPOSX1"] == 16
    assert areas["uniform_8x8"]["cells_by_type"]["DFFPOSX1"] == 24


def test_multiplier_pe_is_larger_than_shift_pe(areas):
    assert areas["uniform_8x8"]["area_um2"] > areas["pot_4bit"]["area_um2"]


def test_multiplier_gets_its_best_recipe(areas):
    u = areas["uniform_8x8"]
    assert len(u["candidates"]) == 2 and any("-booth" in c["recipe"] for c in u["candidates"])
    assert u["area_um2"] == min(c["area_um2"] for c in u["candidates"])
    assert len(areas["pot_4bit"]["candidates"]) == 1


def test_area_is_deterministic(exported, liberty, areas, tmp_path):
    verilog = exported(shipped_spec("pot_4bit"))[0]
    again = asic_area(verilog, "pot_4bit", liberty=liberty, work_dir=tmp_path)
    assert again == areas["pot_4bit"]
    # work_dir keeps the mapped netlist and the log.
    assert (tmp_path / "plain" / "netlist.v").is_file()
    assert "Chip area" in (tmp_path / "plain" / "asic.log").read_text()


def test_liberty_without_flip_flops_fails(exported, liberty, tmp_path):
    text = liberty.read_text()
    text = text[:text.index("cell (DFFNEGX1)")] + text[text.index("cell (FAX1)"):]
    text = text[:text.index("cell (LATCH)")] + text[text.index("cell (MUX2X1)"):]
    trimmed = tmp_path / "noff.lib"
    trimmed.write_text(text)
    # Refused when read, before Yosys runs (mapping would leave $_DFF_P_ cells).
    with pytest.raises(InputError, match="no positive-edge D flip-flop"):
        asic_area(exported(shipped_spec("pot_4bit"))[0], "pot_4bit", liberty=trimmed)


def test_unmapped_cells_are_refused():
    with pytest.raises(ToolError, match=r"\$_DFF_P_"):
        asic.check_mapped("pe", {"NAND2X1": 3, "$_DFF_P_": 1}, {"NAND2X1"}, "x.lib")


def test_no_liberty_is_reported_not_raised(monkeypatch, tmp_path):
    monkeypatch.delenv("SHIFTGEN_LIBERTY", raising=False)
    monkeypatch.setattr(asic, "find_liberty", lambda: None)
    result = asic_area(tmp_path / "never_read.v", "pe")
    assert result["area_um2"] is None
    assert "qflow-tech-osu018" in result["reason"] and "--install" in result["reason"]


def test_missing_shiftgen_liberty_is_reported(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere.lib"
    monkeypatch.setenv("SHIFTGEN_LIBERTY", str(missing))
    assert find_liberty() is None
    result = asic_area(tmp_path / "never_read.v", "pe")
    assert result["area_um2"] is None and str(missing) in result["reason"]


def test_find_liberty_order(monkeypatch, tmp_path):
    monkeypatch.delenv("SHIFTGEN_LIBERTY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cached = tmp_path / "cache/shiftgen/osu018/usr/share/qflow/tech/osu018/osu018_stdcells.lib"
    cached.parent.mkdir(parents=True)
    cached.write_text("library(x) {}\n")
    assert find_liberty() == cached
    mine = tmp_path / "mine.lib"
    mine.write_text("library(y) {}\n")
    monkeypatch.setenv("SHIFTGEN_LIBERTY", str(mine))
    assert find_liberty() == mine


def test_install_without_apt_get_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError, match="apt-get not found"):
        install_liberty(tmp_path / "dest")
