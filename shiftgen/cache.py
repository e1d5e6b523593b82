"""Results kept by the hash of everything they depend on: one JSON file per key.

``shiftgen sweep`` keeps a point's result, ``shiftgen compare`` a build's
figures, and :mod:`shiftgen.synth.run` each Yosys synthesis run here, so a
re-run computes only what changed. The key is the SHA-256 of a canonical
JSON document (sorted keys) naming the inputs (file contents, not paths) and
the tool versions; an entry is written atomically and one that cannot be
read, or names another key, counts as missing.

The tool cache (:func:`tool_cache`) lives in ``$SHIFTGEN_CACHE`` (default
``$XDG_CACHE_HOME/shiftgen``, else ``~/.cache/shiftgen``);
``SHIFTGEN_CACHE=off`` runs every tool again.
"""

import hashlib
import json
import os
from pathlib import Path

from .files import write_text

__all__ = ["content_key", "Cache", "cache_home", "tool_cache"]


def cache_home():
    """``$XDG_CACHE_HOME/shiftgen``, or ``~/.cache/shiftgen``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "shiftgen"


def tool_cache(kind):
    """The :class:`Cache` of tool runs of ``kind`` (``synth``), or ``None`` when it is off."""
    where = os.environ.get("SHIFTGEN_CACHE")
    if where == "off":
        return None
    return Cache((Path(where) if where else cache_home()) / kind)


def content_key(doc):
    """SHA-256 (hex) of ``doc`` as canonical JSON: sorted keys, no spaces."""
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    """A directory of cached results, ``<directory>/<key>.json``.

    Parameters
    ----------
    directory : str or os.PathLike
        Made when the first entry is written.
    """

    def __init__(self, directory):
        self.directory = Path(directory)

    def path(self, key):
        return self.directory / f"{key}.json"

    def get(self, key):
        """The entry stored under ``key`` (a dict holding ``"key"``), or ``None``."""
        try:
            doc = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("key") != key:
            return None
        return doc

    def put(self, key, entry):
        """Store ``entry`` (JSON-ready) under ``key``; returns the stored document."""
        doc = {"key": key, **entry}
        write_text(self.path(key), json.dumps(doc, indent=1) + "\n")
        return doc
