# amaranth: UnusedElaboratable=no
"""Builds are atomic: an interrupted or failed build never leaves a half
directory and never replaces a good earlier build."""

import os
import signal
import subprocess
import sys
import time

import pytest

from shiftgen.files import recover
from shiftgen.flows import build as build_mod
from shiftgen.flows.build import build
from shiftgen.cli import main
from shiftgen.errors import ToolError

from ..support import ROOT, shipped_spec

SPEC = ROOT / "specs" / "pot_4bit.yaml"


def snapshot(directory):
    """Every file under ``directory`` with its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def hidden(out_root):
    return sorted(p.name for p in out_root.iterdir() if p.name.startswith("."))


@pytest.fixture
def good_build(tmp_path):
    """``tmp_path/build/pot_4bit``, a good build (no synthesis: fast)."""
    out_root = tmp_path / "build"
    _, final, _ = build(shipped_spec("pot_4bit"), out_root, synth=False)
    return out_root, final, snapshot(final)


def fail_in_verification(exc):
    def check(spec, *args, **kwargs):
        raise exc
    return check


@pytest.mark.parametrize("exc", [ToolError("yosys crashed"), KeyboardInterrupt(),
                                 MemoryError()], ids=["tool_error", "interrupt", "memory"])
def test_a_build_that_stops_halfway_leaves_nothing_and_keeps_the_good_one(
        good_build, monkeypatch, exc):
    out_root, final, before = good_build
    monkeypatch.setattr(build_mod, "check_pe", fail_in_verification(exc))
    with pytest.raises(type(exc)):
        build(shipped_spec("pot_4bit"), out_root, synth=False)
    assert snapshot(final) == before
    assert sorted(p.name for p in out_root.iterdir()) == ["pot_4bit"]


def test_a_failed_first_build_leaves_no_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(build_mod, "check_pe", fail_in_verification(ToolError("x")))
    with pytest.raises(ToolError):
        build(shipped_spec("pot_4bit"), tmp_path / "new" / "build", synth=False)
    assert not (tmp_path / "new" / "build").exists()


def test_a_build_that_fails_a_check_is_kept_beside_the_good_one(good_build, monkeypatch,
                                                                 capsys):
    out_root, final, before = good_build
    real = build_mod.check_pe

    def mismatching(spec, *args, **kwargs):
        return {**real(spec, *args, **kwargs), "result": "fail", "mismatches": 1}
    monkeypatch.setattr(build_mod, "check_pe", mismatching)
    assert main(["build", str(SPEC), "--out", str(out_root), "--no-synth"]) == 1
    # Progress lines ("  .. stage") go to stderr too; the error is the last line.
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if not line.startswith("  .. ")] == err[-1:]
    assert err[-1].startswith("error: pot_4bit: verification failed: amaranth_sim")
    failed = out_root / "pot_4bit.failed"
    assert str(failed / "report.md") in err[-1]
    assert snapshot(final) == before
    assert (failed / "report.json").exists() and (failed / "pot_4bit.v").exists()
    assert hidden(out_root) == []
    # The next good build clears the evidence of the failed one.
    monkeypatch.setattr(build_mod, "check_pe", real)
    assert main(["build", str(SPEC), "--out", str(out_root), "--no-synth"]) == 0
    assert sorted(p.name for p in out_root.iterdir()) == ["pot_4bit"]


def start_build(out_root):
    # No tool cache: the signals must reach real Yosys runs.
    return subprocess.Popen(
        [sys.executable, "-m", "shiftgen", "build", str(SPEC), "--out", str(out_root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SHIFTGEN_CACHE": "off"})


def wait_for_partial(proc, out_root, timeout=120):
    """Wait until ``proc`` has written into its partial directory."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        partial = list(out_root.glob(".pot_4bit.partial-*"))
        if partial and any(partial[0].iterdir()):
            return partial[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the build never started writing")


def wait_for_stage(proc, stage):
    """Read the progress lines on stderr until ``stage`` starts."""
    for line in proc.stderr:
        if line.strip() == f".. {stage}":
            return
    raise AssertionError(f"the build ended before {stage!r}: {proc.communicate()}")


@pytest.mark.parametrize("stage", ["export", "synthesize"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["term", "int"])
def test_a_signalled_build_cleans_up(good_build, sig, stage):
    out_root, final, before = good_build
    proc = start_build(out_root)
    if stage == "export":
        partial = wait_for_partial(proc, out_root)
    else:
        # Synthesis runs Yosys in worker threads, which a signal does not reach.
        wait_for_stage(proc, "synthesize")
        time.sleep(1)
        partial = wait_for_partial(proc, out_root)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "error: interrupted"
    assert "Traceback" not in err and "Warning" not in err
    assert not partial.exists() and hidden(out_root) == []
    assert snapshot(final) == before


def test_a_killed_build_is_cleared_by_the_next(good_build):
    out_root, final, before = good_build
    proc = start_build(out_root)
    partial = wait_for_partial(proc, out_root)
    proc.kill()  # SIGKILL: no handler runs; the partial directory stays
    proc.communicate(timeout=60)
    assert partial.exists() and snapshot(final) == before
    build(shipped_spec("pot_4bit"), out_root, synth=False)
    assert hidden(out_root) == []
    assert snapshot(final) == before


def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_recover_restores_a_good_build_caught_between_the_two_renames(tmp_path):
    old = tmp_path / f".pot_4bit.old-{dead_pid()}"
    old.mkdir()
    (old / "pot_4bit.v").write_text("good")
    recover(tmp_path, "pot_4bit")
    assert (tmp_path / "pot_4bit" / "pot_4bit.v").read_text() == "good"
    assert hidden(tmp_path) == []


def test_recover_leaves_a_live_build_alone(tmp_path):
    live = tmp_path / f".pot_4bit.partial-{os.getpid()}-abc"
    live.mkdir()
    dead = tmp_path / f".pot_4bit.partial-{dead_pid()}-abc"
    dead.mkdir()
    other = tmp_path / f".pot_4bitx.partial-{dead_pid()}-abc"  # another spec's
    other.mkdir()
    recover(tmp_path, "pot_4bit")
    assert live.exists() and not dead.exists() and other.exists()
