import pytest

from qestl import allocator


class _FakeLibc:
    def __init__(self):
        self.calls = []

    def mallopt(self, option, value):
        self.calls.append(("mallopt", option, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


def test_thresholds_are_set_inside_and_trimmed_on_exit(monkeypatch):
    libc = _FakeLibc()
    monkeypatch.setattr(allocator, "_glibc", lambda: libc)
    with allocator.retain_freed_memory(limit_bytes=123 * 2**20):
        inside = list(libc.calls)
    # M_MMAP_THRESHOLD = -3 at glibc's 32 MiB ceiling, M_TRIM_THRESHOLD = -1
    assert inside == [("mallopt", -3, 32 * 2**20), ("mallopt", -1, 123 * 2**20)]
    assert libc.calls[2:] == [("mallopt", -1, 64 * 2**20), ("malloc_trim", 0)]


def test_memory_is_returned_when_the_block_raises(monkeypatch):
    libc = _FakeLibc()
    monkeypatch.setattr(allocator, "_glibc", lambda: libc)
    with pytest.raises(RuntimeError, match="boom"):
        with allocator.retain_freed_memory():
            raise RuntimeError("boom")
    assert libc.calls[-1] == ("malloc_trim", 0)


def test_without_glibc_nothing_is_called(monkeypatch):
    monkeypatch.setattr(allocator, "_glibc", lambda: None)
    with allocator.retain_freed_memory():
        pass  # must not fail on macOS, Windows or musl
