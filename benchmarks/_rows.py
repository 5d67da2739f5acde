"""Result rows that accumulate over separate runs of a recipe benchmark."""

import json
import platform
import time
from datetime import datetime, timezone

import torch


def matmul_rate(members=50, width=128, repeats=20):
    """GFLOP/s of a (members, width, width) batched matmul on the CPU, now.

    The virtual machine behind these benchmarks changes speed: on 2026-12-01
    this product ran at 210 GFLOP/s at 13:40 UTC and at 81 GFLOP/s at 17:15
    (2 threads both times), and a 50-member carbon fit went from 15 to 40
    minutes with it. Wall times of runs made at different hours compare only
    next to the rate measured with them (once, so beside another job it
    measures the share of the machine this run had).
    """
    a = torch.randn(members, width, width)
    b = torch.randn(members, width, width)
    torch.bmm(a, b)  # warm-up: first-call allocation and dispatch
    start = time.perf_counter()
    for _ in range(repeats):
        torch.bmm(a, b)
    return 2 * members * width**3 * repeats / (time.perf_counter() - start) / 1e9


def machine_label():
    """Architecture, torch threads, torch version and the matmul rate, naming a machine."""
    threads = torch.get_num_threads()
    return (
        f"{platform.machine()}, {threads} torch thread(s), torch {torch.__version__}, "
        f"bmm {matmul_rate():.0f} GFLOP/s"
    )


def write_result(path, result, markdown):
    """Write ``result`` to ``path`` (JSON) and ``markdown(result)`` beside it (.md); return that."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    path.with_suffix(".md").write_text(text)
    return text


def write_rows(path, rows, markdown):
    """Write ``{"rows": rows}`` to ``path`` (JSON) and ``markdown(rows)`` beside it (.md)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    path.with_suffix(".md").write_text(markdown(rows))


def record(path, row, key, markdown):
    """Stamp ``row`` with date and machine, replace any row with the same key, rewrite.

    Parameters
    ----------
    path : pathlib.Path
        The JSON file ``{"rows": [...]}``; re-read here, because a run beside
        this one may have added its row meanwhile.
    row : dict
    key : tuple of str
        Fields that identify a row (a rerun replaces its earlier row).
    markdown : callable
        All rows -> the text of the Markdown table beside the JSON file.
    """
    row["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    row["machine"] = machine_label()
    rows = json.loads(path.read_text())["rows"] if path.exists() else []
    rows = [r for r in rows if [r[f] for f in key] != [row[f] for f in key]]
    write_rows(path, [*rows, row], markdown)
