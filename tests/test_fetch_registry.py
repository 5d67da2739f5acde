"""Downloads of the archive files qestl's registry lists: checked against their sha256.

The archive is served from a copy of the 16O file in a temporary folder, through
``file://`` URLs and a local HTTP server: no network. 3He, 40Ca and 48Ca are never
fetched, looked for or read.
"""

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qestl.datasets import fetch_qes, get_data_home, load_qes, read_qes_file
from qestl.datasets._cache import is_intact, record_path, registry, sha256_of

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ["12C", "16O", "197Au", "208Pb", "238U", "27Al", "2H", "3H", "4He", "56Fe"]


@pytest.fixture
def mirror(isolated, qes_dir):
    """A folder serving the archive's 16O file, which a test may damage."""
    folder = isolated / "mirror"
    folder.mkdir()
    (folder / "eQE_16O.dat").write_bytes((qes_dir / "eQE_16O.dat").read_bytes())
    return folder


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_mirror(mirror):
    """``mirror`` served over HTTP on the loopback interface (with Content-Length)."""
    handler = functools.partial(_QuietHandler, directory=str(mirror))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _truncate_at_a_line_boundary(path):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]))


def _change_one_digit(path):
    data = path.read_bytes()
    position = data.index(b"1", len(data) // 2)
    path.write_bytes(data[:position] + b"2" + data[position + 1 :])


def test_registry_lists_the_ten_archive_files():
    assert sorted(registry()) == sorted(f"eQE_{name}.dat" for name in ARCHIVE)
    assert all(re.fullmatch("sha256:[0-9a-f]{64}", known) for known in registry().values())


def test_registry_holds_the_hashes_of_the_archive_files(qes_dir):
    for name, known in registry().items():
        assert known == "sha256:" + sha256_of(qes_dir / name), name


def test_registry_ships_as_package_data():
    assert '"datasets/registry.txt"' in (ROOT / "pyproject.toml").read_text()


def test_the_cache_is_the_platform_cache_folder(isolated):
    assert get_data_home() == isolated / "xdg" / "qestl"


def test_a_registered_file_is_fetched_into_the_cache(mirror):
    path = fetch_qes("oxygen", base_url=mirror.as_uri())["16O"]
    assert path == get_data_home() / "eQE_16O.dat"
    assert "sha256:" + sha256_of(path) == registry()["eQE_16O.dat"]
    assert is_intact(path) and record_path(path).is_file()
    assert len(load_qes("16O")) == 126


def test_a_registered_file_is_fetched_over_http(http_mirror, isolated):
    path = fetch_qes("16O", data_home=isolated / "cache", base_url=http_mirror)["16O"]
    assert "sha256:" + sha256_of(path) == registry()["eQE_16O.dat"]


@pytest.mark.parametrize("damage", [_truncate_at_a_line_boundary, _change_one_digit])
@pytest.mark.parametrize("transport", ["file", "http"])
def test_a_damaged_registered_file_is_refused_before_use(
    request, mirror, isolated, damage, transport
):
    damage(mirror / "eQE_16O.dat")
    # well-formed data of the right nucleus: only the registry's hash tells it apart
    assert len(read_qes_file(mirror / "eQE_16O.dat")) > 0
    url = request.getfixturevalue("http_mirror") if transport == "http" else mirror.as_uri()
    cache = isolated / "cache"
    with pytest.raises(OSError, match="eQE_16O.dat.*not the one qestl's registry lists"):
        fetch_qes("16O", data_home=cache, base_url=url, retries=1)
    assert list(cache.iterdir()) == []  # nothing a later load_qes could read
    with pytest.raises(FileNotFoundError):
        load_qes("16O", data_home=cache)


def test_a_cached_registered_file_damaged_later_is_refused_and_fetched_again(mirror, isolated):
    cache = isolated / "cache"
    intact = (mirror / "eQE_16O.dat").read_bytes()
    path = fetch_qes("16O", data_home=cache, base_url=mirror.as_uri())["16O"]
    _truncate_at_a_line_boundary(path)
    with pytest.raises(OSError, match="sha256"):
        load_qes("16O", data_home=cache)
    with pytest.warns(UserWarning, match="registry or recorded sha256"):
        fetch_qes("16O", data_home=cache, base_url=mirror.as_uri())
    assert path.read_bytes() == intact


def test_an_intact_registered_file_without_a_record_is_not_downloaded(qes_dir, isolated):
    cache = isolated / "cache"
    cache.mkdir()
    (cache / "eQE_16O.dat").write_bytes((qes_dir / "eQE_16O.dat").read_bytes())
    nowhere = (isolated / "no-mirror").as_uri()  # any download would fail
    assert fetch_qes("16O", data_home=cache, base_url=nowhere)["16O"] == cache / "eQE_16O.dat"
    _change_one_digit(cache / "eQE_16O.dat")
    with pytest.warns(UserWarning), pytest.raises(OSError, match="cannot read file:"):
        fetch_qes("16O", data_home=cache, base_url=nowhere)


def test_an_unknown_target_is_refused_before_any_download(mirror, isolated):
    cache = isolated / "cache"
    with pytest.raises(ValueError, match="unknown target 'Xx'"):
        fetch_qes(["16O", "Xx"], data_home=cache, base_url=mirror.as_uri())
    assert not cache.exists()
