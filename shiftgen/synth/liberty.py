"""The standard-cell liberty: find it, or fetch the OSU 0.18 um one.

The embedded default is ``osu018_stdcells.lib`` from Debian's
``qflow-tech-osu018`` (the OSU 0.18 um cells qflow ships). It is not
installed system-wide: the package is fetched with ``apt-get download`` and
unpacked with ``dpkg-deb -x`` into a cache directory
(``python -m shiftgen.asic --install``), so neither root nor ``apt-get
install`` is needed. :func:`find_liberty` looks at ``$SHIFTGEN_LIBERTY``,
then that cache, then Debian's own install path.
"""

import functools
import hashlib
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..cache import cache_home
from ..errors import InputError, ToolError
from ..tools.process import run

__all__ = ["PACKAGE", "LIBERTY_NAME", "SYSTEM_LIBERTY", "Library", "cache_dir", "find_liberty",
           "missing_reason", "install_liberty", "liberty_cells", "read_library", "main"]

#: The Debian package that holds the liberty.
PACKAGE = "qflow-tech-osu018"
#: The liberty's file name inside the package.
LIBERTY_NAME = "osu018_stdcells.lib"
_IN_PACKAGE = Path("usr/share/qflow/tech/osu018") / LIBERTY_NAME
#: Where ``apt-get install qflow-tech-osu018`` puts it.
SYSTEM_LIBERTY = Path("/") / _IN_PACKAGE

_NOT_INSTALLED = (f"OSU 0.18 um liberty not installed ({PACKAGE}); "
                  "run python -m shiftgen.synth.asic --install")


def cache_dir():
    """``<cache home>/osu018`` (:func:`shiftgen.cache.cache_home`)."""
    return cache_home() / "osu018"


def find_liberty():
    """The OSU 0.18 um liberty file, or ``None`` if there is none.

    ``$SHIFTGEN_LIBERTY``, when set, is the only place looked at (``None`` if
    it names no file); otherwise the package unpacked under :func:`cache_dir`,
    then :data:`SYSTEM_LIBERTY`.
    """
    env = os.environ.get("SHIFTGEN_LIBERTY")
    if env:
        return Path(env) if Path(env).is_file() else None
    for path in (cache_dir() / _IN_PACKAGE, SYSTEM_LIBERTY):
        if path.is_file():
            return path
    return None


def missing_reason():
    env = os.environ.get("SHIFTGEN_LIBERTY")
    if env and not Path(env).is_file():
        return f"OSU 0.18 um liberty not found: SHIFTGEN_LIBERTY={env} is no file"
    return _NOT_INSTALLED


def _run_tool(args, cwd=None):
    done = run(args, cwd=cwd)
    if done.returncode != 0:
        raise ToolError(f"{' '.join(args)} failed: {done.first_line('E:')}")
    return done.stdout


def install_liberty(dest=None, force=False):
    """Fetch ``qflow-tech-osu018`` and unpack it; return the liberty's path.

    Runs ``apt-get download`` (no root needed) in a temporary directory and
    ``dpkg-deb -x`` into ``dest``. Does nothing if the liberty is already
    there, unless ``force``.

    Parameters
    ----------
    dest : pathlib.Path, optional
        Where to unpack; default :func:`cache_dir`, where :func:`find_liberty` looks.
    force : bool
        Fetch again even if the liberty is there.

    Returns
    -------
    pathlib.Path
        ``dest/usr/share/qflow/tech/osu018/osu018_stdcells.lib``.

    Raises
    ------
    ToolError
        If ``apt-get`` or ``dpkg-deb`` is missing or fails.
    """
    dest = Path(dest) if dest is not None else cache_dir()
    liberty = dest / _IN_PACKAGE
    if liberty.is_file() and not force:
        return liberty
    for tool in ("apt-get", "dpkg-deb"):
        if not shutil.which(tool):
            raise ToolError(f"cannot install the OSU 0.18 um liberty: {tool} not found "
                            f"(needs Debian's {PACKAGE}); or set SHIFTGEN_LIBERTY to "
                            f"an {LIBERTY_NAME}")
    with tempfile.TemporaryDirectory(prefix="shiftgen-osu018-") as tmp:
        tmp = Path(tmp)
        try:
            _run_tool(["apt-get", "download", PACKAGE], cwd=tmp)
        except ToolError as e:
            raise ToolError(f"{e} (run 'apt-get update' first?)") from None
        debs = sorted(tmp.glob(f"{PACKAGE}_*.deb"))
        if not debs:
            raise ToolError(f"apt-get download {PACKAGE} left no .deb")
        # Unpack beside, then copy: a failed unpack leaves no half liberty in dest.
        _run_tool(["dpkg-deb", "-x", str(debs[0]), str(tmp / "root")])
        if not (tmp / "root" / _IN_PACKAGE).is_file():
            raise ToolError(f"{debs[0].name} holds no {_IN_PACKAGE}")
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copytree(tmp / "root", dest, dirs_exist_ok=True)
        (dest / "package.txt").write_text(debs[0].name + "\n")
    return liberty


def liberty_cells(text):
    """Names of the cells a liberty file defines."""
    return set(re.findall(_CELL, text, flags=re.M))


_CELL = r"^\s*cell\s*\(\s*\"?([\w$]+)\"?\s*\)"
_PIN = re.compile(r"\bpin\s*\(\s*\"?(\w+)\"?\s*\)")
_FF = re.compile(r"\bff\s*\(\s*\"?(\w+)\"?\s*,\s*\"?\w+\"?\s*\)\s*\{([^}]*)\}")
_ATTR = r"\b{}\s*:\s*\"?([^;\"]*)\"?\s*;"


def _attr(name, text):
    m = re.search(_ATTR.format(name), text)
    return None if m is None else m.group(1).strip()


@dataclass(frozen=True)
class Library:
    """A standard-cell liberty, read once and checked for what the ASIC flow needs.

    Members
    -------
    path : pathlib.Path
    name : str
        The file name (``osu018_stdcells.lib``), as reports name it.
    sha256 : str
        Of the file's bytes: caches key on it.
    cells : frozenset of str
    driver : (str, str)
        The smallest positive-edge D flip-flop without set or reset and its
        output pin: ``dfflibmap`` maps registers to it and OpenSTA drives
        every input with it (``set_driving_cell``).
    """
    path: Path
    name: str
    sha256: str
    cells: frozenset
    driver: tuple


def _cell_blocks(text):
    """``{cell: its text}``, each up to the next ``cell (`` group."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(_CELL, text, flags=re.M)]
    return {name: text[at:(starts[i + 1][0] if i + 1 < len(starts) else len(text))]
            for i, (at, name) in enumerate(starts)}


def _pins(block):
    """``{pin: (direction, function)}`` of one cell's text."""
    found = list(_PIN.finditer(block))
    pins = {}
    for i, m in enumerate(found):
        body = block[m.end():(found[i + 1].start() if i + 1 < len(found) else len(block))]
        pins[m.group(1)] = (_attr("direction", body), _attr("function", body))
    return pins


def _plain_dff(block):
    """The output pin of a positive-edge D flip-flop without set or reset, or ``None``."""
    ff = _FF.search(block)
    if ff is None or re.search(r"\b(clear|preset)\s*:", ff.group(2)):
        return None
    state, pins = ff.group(1), _pins(block)
    inputs = {p for p, (d, _) in pins.items() if d == "input"}
    if _attr("next_state", ff.group(2)) not in inputs or \
            _attr("clocked_on", ff.group(2)) not in inputs:
        return None  # a negative edge ("(!CLK)"), or a scan or enable flip-flop
    return next((p for p, (d, f) in pins.items() if d == "output" and f == state), None)


def _gate_inputs(block):
    """How many inputs a combinational cell has (``None`` for a sequential one)."""
    if re.search(r"\b(ff|latch|statetable)\s*\(", block):
        return None
    pins = _pins(block)
    if not any(d == "output" and f for d, f in pins.values()):
        return None
    return sum(d == "input" for d, _ in pins.values())


@functools.lru_cache(maxsize=8)
def _read(path, mtime_ns, size):
    data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    if re.search(r"^\s*library\s*\(", text, flags=re.M) is None:
        raise InputError(f"{path}: not a liberty file (no library group)")
    blocks = _cell_blocks(text)
    dffs = []
    for name, block in blocks.items():
        pin = _plain_dff(block)
        if pin is not None:
            dffs.append((float(_attr("area", block) or 0.0), name, pin))
    if not dffs:
        raise InputError(f"{path}: the liberty has no positive-edge D flip-flop without set "
                         f"or reset (dfflibmap maps the registers to one), among "
                         f"{len(blocks)} cells")
    gates = [_gate_inputs(b) for b in blocks.values()]
    if 1 not in gates or not any(g is not None and g >= 2 for g in gates):
        raise InputError(f"{path}: the liberty lacks the combinational cells abc maps to "
                         f"(it needs an inverter and a gate of two or more inputs)")
    _, cell, pin = min(dffs)
    return Library(path=path, name=path.name, sha256=hashlib.sha256(data).hexdigest(),
                   cells=frozenset(blocks), driver=(cell, pin))


def read_library(path):
    """Read and check a liberty file: the one place a user's liberty is accepted.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Library

    Raises
    ------
    InputError
        If the file cannot be read, is not a liberty, or lacks a cell the
        flow maps to: a positive-edge D flip-flop, an inverter and a gate.
    """
    path = Path(path).absolute()
    try:
        st = path.stat()
        if not path.is_file():
            raise InputError(f"{path}: the liberty is not a file")
        return _read(path, st.st_mtime_ns, st.st_size)
    except OSError as e:
        raise InputError(f"{path}: cannot read the liberty: {e.strerror}") from None



def main(argv=None):
    """``python -m shiftgen.synth.asic [--install [--dest DIR]]``: print the liberty's path."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m shiftgen.synth.asic",
                                     description="Find or install the OSU 0.18 um liberty.")
    parser.add_argument("--install", action="store_true",
                        help=f"fetch {PACKAGE} with apt-get download and unpack it")
    parser.add_argument("--dest", type=Path, default=None,
                        help="unpack here instead of the cache directory")
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    args = parser.parse_args(argv)
    try:
        if args.install:
            print(install_liberty(args.dest, force=args.force))
            return 0
    except ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    liberty = find_liberty()
    if liberty is None:
        print(f"error: {missing_reason()}", file=sys.stderr)
        return 1
    print(liberty)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
