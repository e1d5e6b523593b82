"""Build a spec: export, codebook, verification, synthesis and report.

Output goes to a hidden directory beside the target and is renamed into
place only when complete, so a failed run never leaves half-written output.
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

from .errors import ShiftgenError
from .export import export
from .formal import prove
from .hdl_sim import SIMULATORS, available, run_cocotb
from .report import dumps, make_report, report_markdown
from .sim import exhaustive_stimulus, random_stimulus, simulate
from .synth import synthesize
from .yosys import find_yosys

__all__ = ["EXHAUSTIVE_LIMIT", "check_simulator", "build", "verify_rtl", "failures"]

#: Largest number of (activation, weight) pairs checked exhaustively.
EXHAUSTIVE_LIMIT = 1 << 17


def check_simulator(spec, random_steps=2000, seed=1):
    """Amaranth simulator against the golden model: exhaustive pairs + random sequence."""
    n_pairs = 1 << (spec.pe.act_bits + spec.pe.weight_bits)
    stimuli = {"random": random_stimulus(spec, random_steps, seed=seed)}
    if n_pairs <= EXHAUSTIVE_LIMIT:
        stimuli["exhaustive"] = exhaustive_stimulus(spec)
    cases = mismatches = 0
    for stimulus in stimuli.values():
        got = simulate(spec, stimulus)
        cases += len(stimulus)
        mismatches += int((got != stimulus.expected(spec)).sum())
    return {"result": "pass" if mismatches == 0 else "fail", "cases": cases,
            "mismatches": mismatches, "exhaustive": "exhaustive" in stimuli}


def _cocotb_checks(spec, verilog, codebook, simulators, work_dir, random_steps):
    out = {}
    for simulator in simulators:
        if not available(simulator):
            out[f"cocotb_{simulator}"] = {"result": "skipped", "reason": "not installed"}
            continue
        out[f"cocotb_{simulator}"] = run_cocotb(
            spec, verilog, codebook, simulator, work_dir=work_dir,
            random_steps=random_steps,
            exhaustive=(1 << (spec.pe.act_bits + spec.pe.weight_bits)) <= EXHAUSTIVE_LIMIT)
        out[f"cocotb_{simulator}"].pop("tests", None)
    return out


def _install(tmp, final):
    """Move the finished build ``tmp`` to ``final``, replacing an older one."""
    old = None
    if final.exists():
        old = final.parent / f".{final.name}.old-{os.getpid()}"
        final.rename(old)
    tmp.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build(spec, out_root="build", *, synth=True, formal=False, cocotb=(),
          random_steps=2000, progress=None):
    """Build ``spec`` into ``out_root/spec.name``.

    Parameters
    ----------
    spec : Spec
    out_root : str or os.PathLike
    synth : bool
        Run Yosys synthesis and report figures.
    formal : bool
        Also prove the exported Verilog equal to the codebook reference.
    cocotb : iterable of str
        Simulators to run the cocotb tests on.
    random_steps : int
        Length of random sequences.
    progress : callable, optional
        Called with a short message before each stage.

    Returns
    -------
    (dict, pathlib.Path, dict)
        The report, the build directory and stage timings in seconds.
    """
    say = progress or (lambda msg: None)
    out_root = Path(out_root)
    made_root = not out_root.exists()
    out_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}.partial-", dir=out_root))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a build directory is not
    times = {}
    try:
        t1 = time.monotonic()
        say("elaborate and export")
        # Amaranth elaborates inside the RTLIL conversion, so the two are timed together.
        _, verilog = export(spec, spec.elaborate(), tmp)
        codebook = tmp / "codebook.json"
        codebook.write_text(spec.codebook.to_json())
        t2 = time.monotonic()
        times["export"] = t2 - t1

        say("verify: Amaranth simulator")
        verification = {"amaranth_sim": check_simulator(spec, random_steps)}
        if formal:
            say("verify: formal")
            verification["formal"] = prove(spec, verilog, evidence_dir=tmp)
        if cocotb:
            say("verify: cocotb")
            with tempfile.TemporaryDirectory(prefix=".cocotb-", dir=out_root) as work:
                verification.update(_cocotb_checks(spec, verilog, codebook, cocotb,
                                                   Path(work), random_steps))
        t3 = time.monotonic()
        times["verify"] = t3 - t2

        synthesis = {}
        if synth:
            say("synthesize")
            synthesis = synthesize(verilog, spec.name)
        times["synth"] = time.monotonic() - t3

        report = make_report(spec, find_yosys(), synthesis, verification)
        variants = spec.family.variants(spec)
        for suffix, variant in variants.items():
            say(f"variant {suffix}")
            _, v_verilog = export(variant, variant.elaborate(), tmp)
            (tmp / f"codebook_{suffix}.json").write_text(variant.codebook.to_json())
            v_checks = {"amaranth_sim": check_simulator(variant, random_steps)}
            if formal:
                v_checks["formal"] = prove(variant, v_verilog)
            v_synth = synthesize(v_verilog, variant.name) if synth else {}
            report.setdefault("variants", {})[suffix] = {
                "name": variant.name, "targets": v_synth, "verification": v_checks}
        (tmp / "report.json").write_text(dumps(report))
        (tmp / "report.md").write_text(report_markdown(report))
        final = out_root / spec.name
        _install(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if made_root and not any(out_root.iterdir()):
            out_root.rmdir()
        raise
    return report, final, times


def verify_rtl(spec, rtl_path, *, formal=True, cocotb=SIMULATORS, random_steps=4000):
    """Check any Verilog file against ``spec`` (formal proof and cocotb).

    Raises
    ------
    ShiftgenError
        If ``rtl_path`` does not exist.
    """
    rtl_path = Path(rtl_path)
    if not rtl_path.is_file():
        raise ShiftgenError(f"{rtl_path}: no such Verilog file")
    results = {}
    with tempfile.TemporaryDirectory(prefix=".shiftgen-verify-", dir=Path.cwd()) as work:
        work = Path(work)
        codebook = work / "codebook.json"
        codebook.write_text(spec.codebook.to_json())
        if formal:
            results["formal"] = prove(spec, rtl_path)
        if cocotb:
            results.update(_cocotb_checks(spec, rtl_path, codebook, cocotb, work, random_steps))
    return results


def failures(verification, variants=None):
    """Names of the checks that did not pass (skipped ones excepted)."""
    bad = [name for name, res in verification.items()
           if res["result"] not in ("pass", "proved", "skipped")]
    for suffix, var in (variants or {}).items():
        bad += [f"{suffix}.{name}" for name in failures(var["verification"])]
    return bad

