"""The same cells of the layer-wise study on local processes and on a Dask LocalCluster.

Runs one nucleus at one training fraction, every trained-layer count L, on
``--splits`` random splits: first with joblib's local processes
(``n_jobs``), then through a ``dask.distributed.LocalCluster`` of as many
worker processes (one torch thread each), and writes both wall times and
whether the results agree to ``benchmarks/results/transfer_dask.md`` / ``.json``.
The local run's cells go into ``benchmarks/results/transfer.json`` (the
transfer study resumes from them).

    python benchmarks/transfer_dask.py --target 16O --fraction 0.1 --splits 3 --workers 2
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from dask.distributed import LocalCluster

from qestl.benchmark import current_command, run_transfer_benchmark, write_result

RESULTS = Path(__file__).parent / "results"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="16O")
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    command = current_command()  # also what transfer.json records for the local cells
    grid = dict(
        targets=[args.target],
        fractions=[args.fraction],
        seeds=args.splits,
        methods=["layers"],
        progress=False,
        command=command,
    )
    study = RESULTS / "transfer.json"
    if study.exists() and any(
        r["target"] == args.target and r["train_fraction"] == args.fraction
        for r in json.loads(study.read_text())["runs"]
    ):
        sys.exit(
            f"{study} already holds {args.target} at {args.fraction:.0%}: the local run would fit "
            "nothing to time; pick another target or fraction"
        )
    start = time.perf_counter()
    local = run_transfer_benchmark(
        output=RESULTS, name="transfer", n_jobs=args.workers, scheduler=None, **grid
    )
    local_wall = time.perf_counter() - start
    with (
        tempfile.TemporaryDirectory() as scratch,
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        start = time.perf_counter()
        remote = run_transfer_benchmark(
            output=scratch,
            name="transfer",
            scheduler=cluster.scheduler_address,
            resume=False,
            **grid,
        )
        dask_wall = time.perf_counter() - start
    key = ["target", "train_fraction", "seed", "method"]
    columns = ["chi2_quadrature", "chi2_none", "chi2_profile"]
    both = remote[key + columns].merge(local[key + columns], on=key, suffixes=("", "_local"))
    if len(both) != len(remote):
        sys.exit(f"the runs differ in their cells: {len(remote)} on Dask, {len(both)} matched")
    largest = float(
        np.max(np.abs(both[columns].to_numpy() - both[[c + "_local" for c in columns]].to_numpy()))
    )
    result = {
        "target": args.target,
        "fraction": args.fraction,
        "splits": args.splits,
        "cells": len(remote),
        "workers": args.workers,
        "local_wall_s": local_wall,
        "dask_wall_s": dask_wall,
        "ratio_dask_to_local": dask_wall / local_wall,
        "largest_difference_chi2": largest,
        "fit_cpu_s_median": float(remote["cpu_s"].median()),
    }
    print(write_result(RESULTS / "transfer_dask.json", result, markdown, command, indent=1))


def markdown(result):
    """The results page."""
    workers, local, dask = result["workers"], result["local_wall_s"], result["dask_wall_s"]
    return "\n".join(
        [
            "# The layer-wise grid on local processes and on a Dask LocalCluster",
            "",
            f"{result['cells']} fits ({result['target']}, {result['fraction']:.0%} train, "
            f"{result['splits']} splits, every L), {workers} worker processes with one torch "
            "thread each in both runs.",
            "",
            "| backend | wall [s] | ratio |",
            "|---|---|---|",
            f"| joblib loky, n_jobs={workers} | {local:.0f} | 1 |",
            f"| Dask LocalCluster, {workers} workers | {dask:.0f} | {dask / local:.2f} |",
            "",
            "Largest difference of any test chi2/N between the two runs: "
            f"{result['largest_difference_chi2']:.3g} (the same seeds give the same fits on "
            "every backend).",
            "",
        ]
    )


if __name__ == "__main__":
    main()
