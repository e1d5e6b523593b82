"""Run an external tool: one place that starts, waits for, and stops child processes.

Every tool shiftgen drives (Yosys, SymbiYosys, apt-get, simulators, timing
and place-and-route tools) runs through :func:`run`. It keeps track of the
running children so that an interrupt (Ctrl-C, SIGTERM) reaches the ones
started from worker threads too (:func:`kill_running`), which a signal alone
does not, and it reaps every child before returning or raising, so no work
directory is removed under a running tool.
"""

import os
import signal
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..errors import ToolError

__all__ = ["Completed", "run", "kill_running", "parallel_map"]

_RUNNING = set()
_RUNNING_LOCK = threading.Lock()


@dataclass(frozen=True)
class Completed:
    """What a finished tool run left.

    Members
    -------
    returncode : int or None
        ``None`` when the run was stopped at its timeout.
    stdout, stderr : str
    """
    returncode: object
    stdout: str
    stderr: str

    @property
    def timed_out(self):
        return self.returncode is None

    def first_line(self, marker=None):
        """The first output line holding ``marker`` (else the last line), stripped."""
        lines = [line.strip() for line in (self.stdout + self.stderr).splitlines()
                 if line.strip()]
        hits = [line for line in lines if marker and marker in line]
        return (hits or lines[-1:] or ["(no output)"])[0]


def kill_running():
    """Kill every tool process this process started that is still running."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for proc in running:
        _kill(proc)


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the tool and whatever it started
    except (ProcessLookupError, PermissionError):
        proc.kill()


def run(args, *, cwd=None, env=None, timeout=None, stdin=None):
    """Run ``args`` to completion and return what it printed.

    Parameters
    ----------
    args : list of str
    cwd : pathlib.Path, optional
    env : dict, optional
    timeout : float, optional
        Seconds before the tool (and every process it started) is killed;
        the result then has ``returncode`` ``None``.
    stdin : str, optional
        Text sent to the tool's standard input.

    Returns
    -------
    Completed

    Raises
    ------
    ToolError
        If the program cannot be started.
    """
    try:
        # A session of its own, so that a kill reaches the tool's own children.
        proc = subprocess.Popen(args, cwd=cwd, env=env, text=True, start_new_session=True,
                                stdin=subprocess.PIPE if stdin is not None else
                                subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise ToolError(f"cannot run {args[0]}: {e}") from None
    with proc:
        with _RUNNING_LOCK:
            _RUNNING.add(proc)
        try:
            try:
                stdout, stderr = proc.communicate(input=stdin, timeout=timeout)
                code = proc.returncode
            except subprocess.TimeoutExpired:
                _kill(proc)
                stdout, stderr = proc.communicate()
                code = None
        except BaseException:
            # Interrupted: stop the tool and reap it before the caller removes
            # the directory it writes into.
            _kill(proc)
            proc.wait()
            raise
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(proc)
    return Completed(code, stdout, stderr)


def parallel_map(fn, items, jobs):
    """``[fn(x) for x in items]``, ``jobs`` at a time in threads (each runs a tool).

    On an interrupt in the calling thread the workers' tools are killed, so
    the call returns at once instead of waiting for them to finish.
    """
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(fn, x) for x in items]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            kill_running()
            raise
