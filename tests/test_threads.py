import pytest
import torch
from threadpoolctl import threadpool_info

from qestl import threads


def pool_threads():
    return [pool["num_threads"] for pool in threadpool_info()]


def test_limit_threads_sets_torch_and_blas_pools_and_restores_them():
    torch_before, pools_before = torch.get_num_threads(), pool_threads()
    with threads.limit_threads(1) as n:
        assert n == 1
        assert torch.get_num_threads() == 1
        assert set(pool_threads()) == {1}
    assert torch.get_num_threads() == torch_before
    assert pool_threads() == pools_before


def test_limit_threads_restores_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"), threads.limit_threads(1):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_limit_threads_restores_a_count_set_inside_the_block():
    before = torch.get_num_threads()
    with threads.limit_threads(1):
        torch.set_num_threads(3)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "many", None])
def test_limit_threads_refuses_bad_counts(bad):
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match="n_threads must be a positive int or 'auto'"):
        with threads.limit_threads(bad):
            pass
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("free, expected", [(0.1, 1), (1.1, 1), (1.6, 1), (1.8, 2), (7.0, 2)])
def test_auto_takes_one_thread_per_mostly_idle_core_up_to_torchs_count(monkeypatch, free, expected):
    monkeypatch.setattr(threads, "free_cores", lambda interval=0.2: free)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert threads.recommended_threads() == expected
        with threads.limit_threads("auto") as n:
            assert n == expected == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


def test_cpu_times_reads_busy_and_total_jiffies_of_the_allowed_cpus(tmp_path, monkeypatch):
    stat = tmp_path / "stat"
    stat.write_text(
        "cpu  30 0 10 150 10 0 0 0 0 0\n"
        "cpu0 20 0 5 70 5 0 0 0 0 0\n"
        "cpu1 10 0 5 80 5 0 0 0 0 0\n"
        "cpu2 1 0 1 1 1 0 0 0 0 0\n"
        "intr 12345\n"
    )
    monkeypatch.setattr(threads, "_PROC_STAT", stat)
    # cpu0: user + system busy, idle + iowait not; cpu2 is not ours
    assert threads._cpu_times({0, 1}) == {0: (25, 100), 1: (15, 100)}


def test_free_cores_counts_the_idle_share_of_each_cpu(monkeypatch):
    samples = iter([{0: (0, 0), 1: (0, 0)}, {0: (100, 100), 1: (10, 100)}])
    monkeypatch.setattr(threads, "_allowed_cpus", lambda: [0, 1])
    monkeypatch.setattr(threads, "_cgroup_quota", lambda: None)
    monkeypatch.setattr(threads, "_cpu_times", lambda cpus: next(samples))
    assert threads.free_cores(interval=0.0) == pytest.approx(0.9)


def test_free_cores_without_proc_stat_counts_every_core(tmp_path, monkeypatch):
    monkeypatch.setattr(threads, "_PROC_STAT", tmp_path / "missing")
    assert threads.free_cores(interval=0.0) == threads.available_cores()


@pytest.mark.parametrize("text, cores", [("150000 100000\n", 2), ("max 100000\n", 8)])
def test_available_cores_obeys_a_cgroup_quota(tmp_path, monkeypatch, text, cores):
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text(text)
    monkeypatch.setattr(threads, "_CGROUP_CPU_MAX", cpu_max)
    monkeypatch.setattr(threads, "_allowed_cpus", lambda: list(range(8)))
    assert threads.available_cores() == cores
