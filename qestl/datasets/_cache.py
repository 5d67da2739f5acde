"""Where QES archive files live: explicit folder, QESTL_DATA, the user cache."""

import hashlib
import os
import sys
from pathlib import Path

__all__ = [
    "get_data_home",
    "data_locations",
    "archive_filename",
    "sha256_of",
    "record_path",
    "is_intact",
]


def archive_filename(nucleus):
    """File name of one nucleus in the archive, e.g. ``eQE_12C.dat``."""
    return f"eQE_{nucleus.name}.dat"


def get_data_home():
    r"""The user cache folder of qestl (created on demand by the fetchers).

    ``$XDG_CACHE_HOME/qestl`` (default ``~/.cache/qestl``) on Linux,
    ``~/Library/Caches/qestl`` on macOS, ``%LOCALAPPDATA%\\qestl\\Cache`` on
    Windows.

    Returns
    -------
    pathlib.Path
    """
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "qestl" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "qestl"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qestl"


def data_locations(data_home=None):
    """Folders searched for archive files, in order.

    Parameters
    ----------
    data_home : str or path-like, optional
        A folder given by the caller; searched first.

    Returns
    -------
    list of pathlib.Path
        ``data_home`` (if given), ``$QESTL_DATA`` (if set), the user cache.
    """
    folders = []
    if data_home is not None:
        folders.append(Path(data_home).expanduser())
    if os.environ.get("QESTL_DATA"):
        folders.append(Path(os.environ["QESTL_DATA"]).expanduser())
    folders.append(get_data_home())
    return folders


def sha256_of(path):
    """Hex sha256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def record_path(path):
    """The file recording the sha256 of a downloaded ``path``."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def is_intact(path):
    """Whether ``path`` exists and matches its recorded sha256 (False without a record)."""
    path = Path(path)
    record = record_path(path)
    if not path.is_file() or not record.is_file():
        return False
    return record.read_text().split()[0] == sha256_of(path)
