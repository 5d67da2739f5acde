"""Download QES archive files into the local cache, safely.

A download is written to a temporary file beside its destination, checked
(complete against Content-Length, parseable, right nucleus) and only then
renamed into place, so an interrupted or truncated transfer never leaves a
file that :func:`qestl.datasets.load_qes` would read. The sha256 of each
cached file is recorded next to it (``<file>.sha256``); a cached file that no
longer matches its record is treated as corrupt and fetched again.
"""

import http.client
import os
import tempfile
import urllib.error
import urllib.request
import warnings
from pathlib import Path

from qestl.datasets._cache import (
    archive_filename,
    get_data_home,
    is_intact,
    record_path,
    sha256_of,
)
from qestl.datasets.qes import read_qes_file
from qestl.datasets.targets import parse_target

__all__ = ["fetch_qes", "QES_ARCHIVE_URL"]

#: Default location of the archive files; ``$QESTL_QES_URL`` overrides it.
QES_ARCHIVE_URL = "https://faculty.virginia.edu/qes-archive/data/"
_CHUNK = 1 << 16


def _atomic_write_text(path, text):
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".part") as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def _download(url, destination, nucleus, timeout):
    """Download ``url`` to ``destination`` atomically; return its sha256."""
    tmp = tempfile.NamedTemporaryFile(dir=destination.parent, delete=False, suffix=".part")
    try:
        with tmp, urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            received = 0
            for block in iter(lambda: response.read(_CHUNK), b""):
                tmp.write(block)
                received += len(block)
        if expected is not None and received != int(expected):
            raise OSError(f"truncated download of {url}: {received} of {expected} bytes")
        frame = read_qes_file(tmp.name)
        if not ((frame["Z"] == nucleus.Z) & (frame["A"] == nucleus.A)).all():
            raise OSError(f"{url} does not hold {nucleus.name} data")
        digest = sha256_of(tmp.name)
        os.replace(tmp.name, destination)
    except http.client.IncompleteRead as error:
        raise OSError(f"truncated download of {url}: {error}") from None
    except ValueError as error:
        raise OSError(f"corrupt download of {url}: {error}") from None
    finally:
        if os.path.exists(tmp.name):
            os.unlink(tmp.name)
    _atomic_write_text(record_path(destination), f"{digest}  {destination.name}\n")
    return digest


def fetch_qes(targets, data_home=None, *, base_url=None, force=False, retries=2, timeout=30.0):
    """Download archive files that are missing or corrupt in the cache.

    Parameters
    ----------
    targets : str or iterable of str
        Nuclei, e.g. ``'12C'`` or ``['12C', '16O']``.
    data_home : str or path-like, optional
        Folder to download into; default the user cache
        (:func:`qestl.datasets.get_data_home`).
    base_url : str, optional
        Folder URL of the archive files; default ``$QESTL_QES_URL`` or
        :data:`QES_ARCHIVE_URL`.
    force : bool, default False
        Download even files that are present and intact.
    retries : int, default 2
        Extra attempts after a failed or truncated transfer.
    timeout : float, default 30
        Seconds to wait for the server.

    Returns
    -------
    dict
        Canonical target name -> path of its local file.

    Raises
    ------
    ConnectionError
        When the server cannot be reached (offline): the message says how to
        point qestl at files you already have (``QESTL_DATA``).
    OSError
        When every attempt gave a truncated or corrupt file; nothing is left
        in the cache then.
    """
    if isinstance(targets, str):
        targets = [targets]
    folder = Path(data_home).expanduser() if data_home is not None else get_data_home()
    folder.mkdir(parents=True, exist_ok=True)
    base = base_url or os.environ.get("QESTL_QES_URL") or QES_ARCHIVE_URL
    paths = {}
    for target in targets:
        nucleus = parse_target(target)
        destination = folder / archive_filename(nucleus)
        if destination.exists() and not force:
            if is_intact(destination):
                paths[nucleus.name] = destination
                continue
            warnings.warn(
                f"{destination} does not match its recorded sha256 (or has no record); "
                "fetching it again",
                stacklevel=2,
            )
        url = base.rstrip("/") + "/" + archive_filename(nucleus)
        for attempt in range(retries + 1):
            try:
                _download(url, destination, nucleus, timeout)
                break
            except urllib.error.HTTPError as error:
                raise OSError(f"the archive server answered {error.code} for {url}") from None
            except (urllib.error.URLError, TimeoutError) as error:
                raise ConnectionError(
                    f"cannot reach {url} ({getattr(error, 'reason', error)}). Offline, put "
                    "the archive files (eQE_<A><Symbol>.dat) in a folder and set "
                    "QESTL_DATA=/path/to/folder, or pass data_home=... to load_qes."
                ) from None
            except OSError:
                if attempt == retries:
                    raise
        paths[nucleus.name] = destination
    return paths
