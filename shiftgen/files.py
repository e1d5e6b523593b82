"""Write files and directories atomically: staged beside their place, renamed in.

Every output shiftgen writes goes through here, so a reader sees the old
content or the new, never half of either, and an interrupted or failed write
leaves nothing behind:

- :func:`write_text` and :func:`write_bytes` write one file;
- :class:`StagedDir` builds a whole directory under a hidden name beside its
  place and renames it in when complete, replacing an earlier one only then;
- :func:`recover` clears what a killed :class:`StagedDir` left (``SIGKILL``,
  power loss), and puts back an earlier directory caught between two renames.
"""

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["write_text", "write_bytes", "StagedDir", "recover"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _missing_parents(path):
    """The ancestors of ``path`` that do not exist yet, innermost first."""
    out = []
    parent = Path(path).parent
    while not parent.exists():
        out.append(parent)
        parent = parent.parent
    return out


def _remove_empty(dirs):
    for d in dirs:  # innermost first
        try:
            d.rmdir()
        except OSError:
            break


def write_bytes(path, data):
    """Write ``data`` to ``path`` atomically (parents made as needed).

    The bytes go to a hidden file beside ``path`` that is renamed over it, so
    ``path`` holds either its old content or ``data``. The file gets the
    permissions a plain ``open(path, "w")`` would.
    """
    path = Path(path)
    made = _missing_parents(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; an output is not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        _remove_empty(made)
        raise


def write_text(path, text):
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _scratch_pid(path, name):
    """The pid in ``.<name>.partial-<pid>-*`` or ``.<name>.old-<pid>``, else ``None``."""
    for kind in ("partial", "old"):
        prefix = f".{name}.{kind}-"
        if path.name.startswith(prefix):
            pid = path.name[len(prefix):].split("-", 1)[0]
            return int(pid) if pid.isdigit() else None
    return None


def recover(root, name):
    """Clear what a killed :class:`StagedDir` of ``root/name`` left in ``root``.

    A staging directory of a dead process is removed. An ``.old`` directory
    of a dead process is a complete earlier directory that was being replaced
    when the process died: it is put back if nothing took its place, else
    removed. Scratch of a live process (a concurrent writer) is left alone.
    """
    root = Path(root)
    final = root / name
    for path in sorted(root.glob(f".{name}.*")):
        pid = _scratch_pid(path, name)
        if pid is None or _pid_alive(pid):
            continue
        if path.name.startswith(f".{name}.old-") and not final.exists():
            path.rename(final)
        else:
            shutil.rmtree(path, ignore_errors=True)


class StagedDir:
    """A directory written under a hidden name and renamed into place when complete.

    Use it as a context manager: the body writes into :attr:`path`; when it
    ends normally the directory is installed as :attr:`target` (two renames
    in one directory, so an earlier directory is replaced only then); when it
    raises, the staging directory and any parent this write created are
    removed and the earlier directory stays.

    Parameters
    ----------
    final : str or os.PathLike
        Where the directory goes.

    Members
    -------
    path : pathlib.Path
        The staging directory, ``.<name>.partial-<pid>-*`` beside ``final``
        (made on entry).
    target : pathlib.Path
        Where it is installed; ``final`` unless the body sets another place
        in the same parent (a build whose checks failed goes beside the
        good one).
    """

    def __init__(self, final):
        self.final = Path(final)
        self.target = self.final
        self.path = None
        self._made = []

    def __enter__(self):
        root = self.final.parent
        self._made = _missing_parents(self.final)
        root.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.partial-{os.getpid()}-",
                                          dir=root))
        self.path.chmod(0o777 & ~_umask())  # mkdtemp makes it private; an output is not
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            try:
                self._install()
                return False
            except BaseException:
                self._discard()
                raise
        self._discard()
        return False

    def _discard(self):
        shutil.rmtree(self.path, ignore_errors=True)
        _remove_empty(self._made)

    def _install(self):
        target = Path(self.target)
        if target.parent.resolve() != self.path.parent.resolve():
            raise ValueError(f"Target must be beside {self.final}, not {target}")
        old = None
        if target.exists() or target.is_symlink():
            # Were the process killed between the renames, recover() puts it back.
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            target.rename(old)
        try:
            self.path.rename(target)
        except BaseException:
            if old is not None and not target.exists():
                old.rename(target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
