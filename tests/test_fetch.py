import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qestl.datasets import fetch_qes, load_qes
from qestl.datasets._cache import record_path, sha256_of

FIXTURE = "# fixture\n" + "".join(
    f"  4   9  0.700  32.000  {0.05 + 0.01 * i:.3f}  {1000.0 + i:.4e}  50.0 Test:2000\n"
    for i in range(40)
)


class _Server:
    """A local HTTP server for eQE_9Be.dat whose behaviour the test scripts.

    9Be is outside qestl's registry: these tests check the downloads the registry
    cannot vouch for (length, format, recorded hash).
    """

    def __init__(self):
        self.plan = []  # one entry per request: "full", "truncated" or "garbage"
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests += 1
                mode = outer.plan.pop(0) if outer.plan else "full"
                if not self.path.endswith("/eQE_9Be.dat"):
                    self.send_error(404)
                    return
                body = FIXTURE.encode() if mode != "garbage" else b"<html>not data</html>\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if mode == "truncated" else body)
                self.wfile.flush()
                if mode == "truncated":
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/qes"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".part")


def test_fetch_writes_file_and_checksum(server, tmp_path):
    paths = fetch_qes("beryllium", data_home=tmp_path, base_url=server.url)
    path = paths["9Be"]
    assert path.read_text() == FIXTURE
    assert record_path(path).read_text().split()[0] == sha256_of(path)
    assert len(load_qes("9Be", data_home=tmp_path)) == 40
    # an intact cached file is not downloaded again
    fetch_qes("9Be", data_home=tmp_path, base_url=server.url)
    assert server.requests == 1


def test_truncated_response_is_retried(server, tmp_path):
    server.plan = ["truncated", "full"]
    path = fetch_qes("9Be", data_home=tmp_path, base_url=server.url)["9Be"]
    assert server.requests == 2
    assert path.read_text() == FIXTURE
    assert _leftovers(tmp_path) == []


def test_truncated_every_time_leaves_no_file(server, tmp_path):
    server.plan = ["truncated"] * 3
    with pytest.raises(OSError, match="truncated"):
        fetch_qes("9Be", data_home=tmp_path, base_url=server.url, retries=2)
    assert server.requests == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_garbage_is_rejected(server, tmp_path):
    server.plan = ["garbage"]
    with pytest.raises(OSError, match="corrupt download"):
        fetch_qes("9Be", data_home=tmp_path, base_url=server.url, retries=0)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_cached_file_is_refetched(server, tmp_path):
    path = fetch_qes("9Be", data_home=tmp_path, base_url=server.url)["9Be"]
    path.write_text(FIXTURE[: len(FIXTURE) // 3])  # damaged after download
    with pytest.raises(OSError, match="sha256"):
        load_qes("9Be", data_home=tmp_path)
    with pytest.warns(UserWarning, match="recorded sha256"):
        fetch_qes("9Be", data_home=tmp_path, base_url=server.url)
    assert server.requests == 2
    assert path.read_text() == FIXTURE
    assert len(load_qes("9Be", data_home=tmp_path)) == 40


def test_load_can_download_when_missing(server, tmp_path, monkeypatch):
    monkeypatch.delenv("QESTL_DATA", raising=False)
    monkeypatch.setenv("QESTL_QES_URL", server.url)
    assert len(load_qes("9Be", data_home=tmp_path, download_if_missing=True)) == 40


def test_offline_error_says_how_to_set_qestl_data(tmp_path):
    # a port nobody listens on, on the loopback interface
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionError, match="QESTL_DATA"):
        fetch_qes("9Be", data_home=tmp_path, base_url=f"http://127.0.0.1:{port}/", timeout=2)
    assert list(tmp_path.iterdir()) == []


def test_http_error_is_reported(server, tmp_path):
    with pytest.raises(OSError, match="404"):
        fetch_qes("12C", data_home=tmp_path, base_url=server.url)
