"""How many threads torch and the numerical libraries use, for a shared machine.

torch runs its operations on a team of OpenMP threads, one per core by
default, and the threads of a team wait for each other at the end of every
operation. While one waits it spins (GNU OpenMP's default), holding its core.
When another CPU-bound job holds one of the cores, each operation's team
waits for the thread that lost its core: a 50-member carbon epoch took a
median 3.6 s (1.3 to 7.9) with torch's default 2 threads on a 2-core
machine beside a one-thread job, against 0.60 s with 1 thread and 0.67 s
with 2 threads and ``OMP_WAIT_POLICY=PASSIVE``; on the idle machine 2
threads took 0.35 s (docs/validation/ensemble-speed.md). One thread per free
core is the count to use, and never more.

:func:`limit_threads` sets torch's threads and those of the BLAS and OpenMP
pools of numpy and scipy (through threadpoolctl) for the duration of a block
and restores them after; :func:`recommended_threads` is its ``"auto"``
policy: the cores this process may use that other processes leave idle.
"""

import math
import os
import time
from contextlib import contextmanager
from numbers import Integral
from pathlib import Path

import torch
from threadpoolctl import threadpool_limits

__all__ = ["available_cores", "free_cores", "limit_threads", "recommended_threads"]

_PROC_STAT = Path("/proc/stat")
_CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def _allowed_cpus():
    """Indices of the CPUs this process may run on (all of them where unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def _cgroup_quota():
    """Cores granted by a cgroup v2 CPU quota (containers, ``docker --cpus``), or None."""
    try:
        quota, period = _CGROUP_CPU_MAX.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    return max(1, math.ceil(int(quota) / int(period)))


def available_cores():
    """Cores this process may use: its CPU affinity, capped by a cgroup CPU quota.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> available_cores() >= 1
    True
    """
    cores = len(_allowed_cpus())
    quota = _cgroup_quota()
    return max(1, min(cores, quota) if quota else cores)


def _cpu_times(cpus):
    """(busy, total) jiffies of each CPU in ``cpus``, read from /proc/stat."""
    times = {}
    for line in _PROC_STAT.read_text().splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
            values = [int(v) for v in fields[:8]]  # user .. steal; guest is inside user
            idle = values[3] + values[4]  # idle + iowait
            times[int(name[3:])] = (sum(values) - idle, sum(values))
    return times


def free_cores(interval=0.2):
    """Cores of this process's CPUs that other processes leave idle, measured now.

    The busy share of each allowed CPU over ``interval`` seconds, from the
    kernel's counters in ``/proc/stat`` (this process sleeps meanwhile, so
    only the others count; time a hypervisor gave away, "steal", counts as
    busy). Where ``/proc/stat`` is missing (macOS, Windows) every available
    core counts as free.

    Parameters
    ----------
    interval : float, default 0.2
        Seconds of measurement.

    Returns
    -------
    float
        Between 0 and :func:`available_cores`.
    """
    cpus = set(_allowed_cpus())
    try:
        before = _cpu_times(cpus)
        time.sleep(interval)
        after = _cpu_times(cpus)
    except OSError:
        return float(available_cores())
    idle = 0.0
    for cpu in before.keys() & after.keys():
        busy = after[cpu][0] - before[cpu][0]
        total = after[cpu][1] - before[cpu][1]
        idle += 1.0 - busy / total if total > 0 else 1.0
    return min(float(available_cores()), idle) if after else float(available_cores())


def recommended_threads(interval=0.2):
    """Threads for torch now: one per free core (:func:`free_cores`), at least 1.

    A core counts once three quarters of it are idle: a thread that shares
    its core with a busy process stalls every operation of the team. Never
    more than torch's current count, so a limit the user set (by
    ``OMP_NUM_THREADS`` or ``torch.set_num_threads``) is kept.

    Parameters
    ----------
    interval : float, default 0.2
        Seconds over which the free cores are measured.

    Returns
    -------
    int

    Examples
    --------
    >>> 1 <= recommended_threads() <= torch.get_num_threads()
    True
    """
    return max(1, min(torch.get_num_threads(), int(free_cores(interval) + 0.25)))


@contextmanager
def limit_threads(n_threads="auto"):
    """Run a block with ``n_threads`` threads in torch and in numpy's and scipy's pools.

    Sets torch's intra-op threads (``torch.set_num_threads``) and, through
    threadpoolctl, the BLAS (OpenBLAS, MKL) and OpenMP thread pools loaded in
    the process; on leaving, each is set back to what it was. The count of
    the block is what the ``with`` statement gives.

    Parameters
    ----------
    n_threads : int or "auto", default "auto"
        "auto" takes :func:`recommended_threads`: one thread per core that
        other processes leave idle.

    Yields
    ------
    int
        The thread count in force.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with limit_threads(1) as n:
    ...     (n, torch.get_num_threads())
    (1, 1)
    >>> torch.get_num_threads() == before
    True
    """
    if n_threads == "auto":
        n_threads = recommended_threads()
    elif isinstance(n_threads, bool) or not isinstance(n_threads, Integral) or n_threads < 1:
        raise ValueError(f"n_threads must be a positive int or 'auto', got {n_threads!r}")
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        with threadpool_limits(limits=int(n_threads)):
            yield int(n_threads)
    finally:
        torch.set_num_threads(previous)
