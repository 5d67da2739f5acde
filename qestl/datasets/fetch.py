"""Download QES archive files into the local cache through pooch, checked before use.

A download is accepted only when it passes every check that applies, before
anything is written where :func:`qestl.datasets.load_qes` looks:

- it is as long as the server said (Content-Length);
- for the archive files in the registry shipped with qestl
  (``qestl/datasets/registry.txt``), its sha256 is the registry's: pooch
  streams it to a temporary file and refuses it otherwise, so a truncated or
  altered file is never used;
- it parses and holds the requested nucleus.

Each file is first assembled in a temporary folder beside its destination and
moved into place only then; its sha256 is recorded next to it
(``<file>.sha256``), so a file outside the registry is checked against the
hash of its complete download from then on.
"""

import contextlib
import http.client
import logging
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

import pooch
from tqdm.auto import tqdm

from qestl.datasets._cache import (
    archive_filename,
    get_data_home,
    is_intact,
    record_path,
    registry,
    sha256_of,
)
from qestl.datasets.qes_format import read_qes_file
from qestl.targets import parse_target

__all__ = ["fetch_qes", "QES_ARCHIVE_URL"]

#: Default location of the archive files; ``$QESTL_QES_URL`` overrides it.
QES_ARCHIVE_URL = "https://faculty.virginia.edu/qes-archive/data/"
_CHUNK = 1 << 16


class _LengthCheckedDownloader:
    """A pooch downloader that refuses a transfer shorter than its Content-Length.

    pooch's own ``HTTPDownloader`` leaves that check to requests and urllib3,
    which make it only from urllib3 2 on; here it is explicit. urllib also
    reads ``file://`` URLs, so a mirror of the archive on a shared disk works.

    Parameters
    ----------
    timeout : float
        Seconds to wait for the server.
    progressbar : bool
        Show a byte counter on stderr.
    """

    def __init__(self, timeout, progressbar=False):
        self.timeout = timeout
        self.progressbar = progressbar

    def __call__(self, url, output_file, pooch_instance):
        """Write the body at ``url`` to ``output_file`` (pooch's downloader protocol)."""
        received = 0
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                length = response.headers.get("Content-Length") or ""
                expected = int(length) if length.isdigit() else None
                with (
                    open(output_file, "wb") as handle,
                    tqdm(
                        total=expected,
                        desc=url.rsplit("/", 1)[-1],
                        unit="B",
                        unit_scale=True,
                        leave=False,
                        file=sys.stderr,
                        disable=not self.progressbar,
                    ) as bar,
                ):
                    for block in iter(lambda: response.read(_CHUNK), b""):
                        handle.write(block)
                        received += len(block)
                        bar.update(len(block))
        except http.client.IncompleteRead as error:
            raise _BadDownload(f"truncated download of {url}: {error!r}") from None
        if expected is not None and received != expected:
            raise _BadDownload(f"truncated download of {url}: {received} of {expected} bytes")


class _BadDownload(OSError):
    """A transfer that arrived incomplete or wrong: worth another attempt."""


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _quiet_pooch():
    """Silence pooch's INFO lines (its advice to pin a hash is for pooch users, not ours)."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _download(url, destination, nucleus, timeout, progress):
    """One checked download of ``url`` to ``destination``; return its sha256."""
    name = destination.name
    known = registry().get(name)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".download-") as staging:
        try:
            with _quiet_pooch():
                staged = pooch.retrieve(
                    url,
                    known_hash=known,
                    fname=name,
                    path=staging,
                    downloader=_LengthCheckedDownloader(timeout, progress),
                )
        except ValueError:  # pooch: the sha256 is not the registry's (pooch deleted the file)
            raise _BadDownload(
                f"refused the download of {url}: its sha256 is not the one qestl's registry "
                f"lists for {name} ({known}): a truncated or altered transfer, or a version "
                "of the archive this qestl does not know"
            ) from None
        try:
            frame = read_qes_file(staged)
        except ValueError as error:
            raise _BadDownload(f"corrupt download of {url}: {error}") from None
        if not ((frame["Z"] == nucleus.Z) & (frame["A"] == nucleus.A)).all():
            raise _BadDownload(f"corrupt download of {url}: it does not hold {nucleus.name} data")
        digest = sha256_of(staged)
        # pooch's temporary file is private (0600); a cache file gets the usual permissions
        os.chmod(staged, 0o666 & ~_umask())
        os.replace(staged, destination)
        record = Path(staging) / record_path(destination).name
        record.write_text(f"{digest}  {name}\n")
        os.replace(record, record_path(destination))
    return digest


def fetch_qes(
    targets,
    data_home=None,
    *,
    base_url=None,
    force=False,
    retries=2,
    timeout=30.0,
    progress=False,
):
    """Download archive files that are missing or corrupt in the cache.

    A download is checked before it is kept (see :mod:`qestl.datasets.fetch`):
    complete, with the sha256 the shipped registry lists for the archive files
    it knows, parseable and of the right nucleus. A file the registry does not
    list is kept after the other checks, and its sha256 is recorded then.

    Parameters
    ----------
    targets : str or iterable of str
        Nuclei, e.g. ``'12C'`` or ``['12C', '16O']``; all are checked before
        any download.
    data_home : str or path-like, optional
        Folder to download into; default the user cache
        (:func:`qestl.datasets.get_data_home`).
    base_url : str, optional
        Folder URL of the archive files (``https://``, ``http://`` or
        ``file://``); default ``$QESTL_QES_URL`` or :data:`QES_ARCHIVE_URL`.
    force : bool, default False
        Download even files that are present and intact.
    retries : int, default 2
        Extra attempts after a truncated, altered or corrupt transfer.
    timeout : float, default 30
        Seconds to wait for the server.
    progress : bool, default False
        Show a byte counter per file on stderr.

    Returns
    -------
    dict
        Canonical target name -> path of its local file.

    Raises
    ------
    ValueError
        For an unknown target name, before anything is downloaded.
    ConnectionError
        When the server cannot be reached (offline): the message says how to
        point qestl at files you already have (``QESTL_DATA``).
    OSError
        When every attempt gave a truncated, altered or corrupt file (nothing
        is left in the cache then), or the server refused the file.
    """
    if isinstance(targets, str):
        targets = [targets]
    nuclei = [parse_target(target) for target in targets]
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")
    base = base_url or os.environ.get("QESTL_QES_URL") or QES_ARCHIVE_URL
    if urllib.parse.urlsplit(base).scheme not in ("http", "https", "file"):
        raise ValueError(
            f"the archive URL must start with https://, http:// or file://, got {base!r}"
        )
    folder = Path(data_home).expanduser() if data_home is not None else get_data_home()
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for nucleus in nuclei:
        destination = folder / archive_filename(nucleus)
        if destination.exists() and not force:
            if is_intact(destination):
                paths[nucleus.name] = destination
                continue
            warnings.warn(
                f"{destination} does not match its registry or recorded sha256; fetching it again",
                stacklevel=2,
            )
        url = base.rstrip("/") + "/" + destination.name
        for attempt in range(retries + 1):
            try:
                _download(url, destination, nucleus, timeout, progress)
                break
            except _BadDownload:
                if attempt == retries:
                    raise
            except urllib.error.HTTPError as error:
                raise OSError(f"the archive server answered {error.code} for {url}") from None
            except (urllib.error.URLError, TimeoutError) as error:
                if url.startswith("file:"):  # a local mirror: no network involved
                    raise OSError(f"cannot read {url}: {getattr(error, 'reason', error)}") from None
                raise ConnectionError(
                    f"cannot reach {url} ({getattr(error, 'reason', error)}). Offline, put "
                    "the archive files (eQE_<A><Symbol>.dat) in a folder and set "
                    "QESTL_DATA=/path/to/folder, or pass data_home=... to load_qes."
                ) from None
        paths[nucleus.name] = destination
    return paths
