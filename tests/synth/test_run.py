"""One Yosys run of a recipe, and its entry in the tool cache."""

import pytest

from shiftgen.synth.run import run_candidate
from shiftgen.tools import yosys as yosys_mod

from ..support import shipped_spec


def test_a_cached_run_gives_the_same_result_without_yosys(exported, tmp_path, monkeypatch):
    monkeypatch.setenv("SHIFTGEN_CACHE", str(tmp_path / "cache"))
    verilog = exported(shipped_spec("pot_4bit"))[0]
    first = run_candidate(verilog, "pot_4bit", "xilinx7", False, netlist=True)
    assert len(list((tmp_path / "cache" / "synth").iterdir())) == 1

    def no_yosys(*args, **kwargs):
        raise AssertionError("Yosys ran although the cache holds the run")
    monkeypatch.setattr(yosys_mod.Yosys, "run", no_yosys)
    assert run_candidate(verilog, "pot_4bit", "xilinx7", False, netlist=True) == first
    # Another recipe, another design, or the cache off: Yosys runs.
    for args, env in (((verilog, "pot_4bit", "generic", False), None),
                      ((verilog, "pot_4bit", "xilinx7", False), "off")):
        if env:
            monkeypatch.setenv("SHIFTGEN_CACHE", env)
        with pytest.raises(AssertionError, match="Yosys ran"):
            run_candidate(*args)
    changed = tmp_path / "pot_4bit.v"
    changed.write_text(verilog.read_text().replace("endmodule", "  // edited\nendmodule"))
    monkeypatch.setenv("SHIFTGEN_CACHE", str(tmp_path / "cache"))
    with pytest.raises(AssertionError, match="Yosys ran"):
        run_candidate(changed, "pot_4bit", "xilinx7", False, netlist=True)
