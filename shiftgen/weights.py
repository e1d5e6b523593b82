"""Load a real-valued weight tensor from ``.npy`` or ``.npz``, checked once."""

import zipfile
from pathlib import Path

import numpy as np

from .errors import InputError

__all__ = ["load_weights"]


def load_weights(path, key=None):
    """The weights in ``path`` as a float64 array.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npy`` file, or ``.npz`` archive (one array, or the one named ``key``).
    key : str, optional
        Array name inside an ``.npz``.

    Raises
    ------
    InputError
        If the file is missing or unreadable, holds no numeric array, is
        empty, or has NaN or infinite values.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such weights file")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise InputError(f"{path}: not a .npy or .npz file ({e})") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            names = list(loaded.files)
            if key is None:
                if len(names) != 1:
                    raise InputError(f"{path}: holds {len(names)} arrays "
                                     f"({', '.join(names) or 'none'}); choose one with --key")
                key = names[0]
            if key not in names:
                raise InputError(f"{path}: no array {key!r}; it holds {', '.join(names)}")
            array = loaded[key]
        where = f"{path}[{key}]"
    else:
        array, where = loaded, str(path)
    if array.dtype.kind not in "fiu":
        raise InputError(f"{where}: dtype must be a real number type, not {array.dtype}")
    if array.size == 0:
        raise InputError(f"{where}: holds no weights (shape {array.shape})")
    array = array.astype(np.float64)
    bad = ~np.isfinite(array)
    if bad.any():
        raise InputError(f"{where}: {int(bad.sum())} weights are NaN or infinite")
    return array
