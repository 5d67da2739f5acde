"""Does chunking the members or torch.compile speed up the batched ensemble on CPU?

At width 128 the batched ensemble gains little over 50 separate nets
(benchmarks/results/ensemble_speed.md). Two candidate fixes, timed on the
bare training step of qestl.nn.EnsembleMLP (forward, chi2-like loss,
backward, AdamW step; 50 members, 10 hidden blocks, no BatchNorm, batch
256, 10 steps = one carbon epoch):

- "batched": all members in one module (what CrossSectionRegressor does);
- "chunks of k": the members split into 50/k modules stepped one after the
  other, so that each (k, width, batch) activation stays in cache;
- "compiled": torch.compile of the whole module (inductor, CPU).

Median of 5 timings after warm-up; writes benchmarks/results/ensemble_variants.{md,json}.

    python benchmarks/ensemble_variants.py [--widths 64 128]
"""

import argparse
import json
import os
import platform
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from qestl.nn import EnsembleMLP

RESULTS = Path(__file__).resolve().parent / "results"
MEMBERS, DEPTH, BATCH, STEPS, N_IN = 50, 10, 256, 10, 7


def epoch_seconds(modules, steps=STEPS, repeats=5):
    """Median seconds of ``steps`` training steps over all ``modules``."""
    torch.manual_seed(0)
    x, y = torch.randn(BATCH, N_IN), torch.randn(BATCH)
    optimizers = [torch.optim.AdamW(m.parameters(), lr=1e-3) for m in modules]

    def epoch():
        for _ in range(steps):
            for module, optimizer in zip(modules, optimizers, strict=True):
                optimizer.zero_grad()
                loss = ((module(x) - y) ** 2).sum()
                loss.backward()
                optimizer.step()

    epoch()  # warm-up (and compilation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--chunks", type=int, nargs="+", default=[5, 10, 25])
    args = parser.parse_args()
    rows = []
    for width in args.widths:
        hidden = (width,) * DEPTH
        row = {"width": width, "epoch_s": {}}
        row["epoch_s"]["batched"] = epoch_seconds(
            [EnsembleMLP(MEMBERS, N_IN, hidden, batch_norm=False)]
        )
        for size in args.chunks:
            chunked = [
                EnsembleMLP(size, N_IN, hidden, batch_norm=False) for _ in range(MEMBERS // size)
            ]
            row["epoch_s"][f"chunks of {size}"] = epoch_seconds(chunked)
        start = time.perf_counter()
        compiled = torch.compile(EnsembleMLP(MEMBERS, N_IN, hidden, batch_norm=False))
        row["epoch_s"]["compiled"] = epoch_seconds([compiled])
        row["compile_and_time_s"] = time.perf_counter() - start
        rows.append(row)
        print(json.dumps(row))

    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{torch.get_num_threads()} torch threads, torch {torch.__version__}",
        "settings": {"members": MEMBERS, "depth": DEPTH, "batch": BATCH, "steps": STEPS},
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ensemble_variants.json").write_text(json.dumps(result, indent=2) + "\n")
    variants = list(rows[0]["epoch_s"])
    lines = [
        "# Batched ensemble on CPU: chunked members and torch.compile",
        "",
        f"{result['date']}; {result['machine']}. {MEMBERS} members, {DEPTH} hidden blocks "
        f"(no BatchNorm), batch {BATCH}, {STEPS} AdamW steps (one carbon epoch); seconds, "
        "median of 5 after a warm-up; in brackets the ratio to 'batched'.",
        "",
        "| width | " + " | ".join(variants) + " |",
        "|---|" + "---|" * len(variants),
    ]
    for r in rows:
        base = r["epoch_s"]["batched"]
        cells = [f"{r['epoch_s'][v]:.3f} s ({r['epoch_s'][v] / base:.2f})" for v in variants]
        lines.append(f"| {r['width']} | " + " | ".join(cells) + " |")
    (RESULTS / "ensemble_variants.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
