"""Keep freed CPU memory in the process during training (glibc only).

PyTorch allocates CPU tensors with plain ``malloc``. A training step of the
batched ensemble allocates and frees tens of megabytes of (members, width,
rows) activations and gradients; glibc's default heuristics hand that
memory back to the operating system after each step and page-fault it in
again during the next one. On the carbon fit (50 members, width 64, 2
cores) that was 11 000 page faults and a quarter of the epoch time
(``benchmarks/results/ensemble_speed.md``). torch's CUDA allocator caches
freed blocks for reuse; this does the same for the CPU heap for the
duration of a fit, through glibc's ``mallopt``. Elsewhere (macOS, Windows,
musl) it does nothing.
"""

import ctypes
import platform
from contextlib import contextmanager

__all__ = ["retain_freed_memory"]

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 * 2**20
"""Blocks below this come from the heap: glibc's own upper limit for its adaptive threshold."""
_TRIM_AFTER = 2 * _MMAP_THRESHOLD
"""Trim threshold left behind: what glibc's adaptive rule reaches at that limit."""


def _glibc():
    """The C library as a ctypes handle when it is glibc, else None."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


@contextmanager
def retain_freed_memory(limit_bytes=2**30):
    """Within the block, freed heap memory up to ``limit_bytes`` stays in the process.

    Setting the thresholds switches off glibc's adaptive ones for the rest of
    the process; on leaving, the trim threshold is set to the value the
    adaptive rule reaches for large blocks and ``malloc_trim`` returns the
    retained memory to the operating system.

    Parameters
    ----------
    limit_bytes : int, default 1 GiB
        Free memory at the top of the heap beyond which glibc trims it.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    libc.mallopt(_M_TRIM_THRESHOLD, int(limit_bytes))
    try:
        yield
    finally:
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_AFTER)
        libc.malloc_trim(0)
