"""Where QES archive files live (explicit folder, QESTL_DATA, the user cache) and their hashes."""

import functools
import os
from importlib import resources
from pathlib import Path

import platformdirs

from qestl.persistence import sha256_of

__all__ = [
    "get_data_home",
    "data_locations",
    "archive_filename",
    "registry",
    "sha256_of",
    "record_path",
    "is_intact",
]


def archive_filename(nucleus):
    """File name of one nucleus in the archive, e.g. ``eQE_12C.dat``."""
    return f"eQE_{nucleus.name}.dat"


def get_data_home():
    r"""The user cache folder of qestl (created on demand by the fetchers).

    The platform's cache folder as :mod:`platformdirs` gives it:
    ``$XDG_CACHE_HOME/qestl`` (default ``~/.cache/qestl``) on Linux,
    ``~/Library/Caches/qestl`` on macOS, ``%LOCALAPPDATA%\qestl\Cache`` on
    Windows.

    Returns
    -------
    pathlib.Path
    """
    return Path(platformdirs.user_cache_dir("qestl", appauthor=False))


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


@functools.cache
def registry():
    """The sha256 of every archive file qestl knows, shipped as ``registry.txt``.

    Returns
    -------
    dict
        File name -> ``"sha256:<hex>"`` (the ``known_hash`` form of :mod:`pooch`).
    """
    text = (resources.files("qestl.datasets") / "registry.txt").read_text()
    entries = (line.split() for line in text.splitlines() if line.strip() and line[0] != "#")
    return {name: known for name, known, *_ in entries}


def record_path(path):
    """The file recording the sha256 of a downloaded ``path``."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def is_intact(path):
    """Whether ``path`` is a file whose sha256 matches every hash known for it.

    The known hashes are the registry's (for the archive files qestl ships a
    hash of) and the one recorded beside the file when it was downloaded. A
    file with neither is not known to be intact.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    bool
    """
    path = Path(path)
    if not path.is_file():
        return False
    known = []
    if path.name in registry():
        known.append(registry()[path.name].removeprefix("sha256:"))
    record = record_path(path)
    if record.is_file():
        words = record.read_text().split()
        known.append(words[0] if words else "")
    if not known:
        return False
    digest = sha256_of(path)
    return all(expected == digest for expected in known)
