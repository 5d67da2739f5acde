"""Prediction and sampling at 10^4 to 10^6 rows: speed against the compute limit, and memory.

Times ``CrossSectionRegressor.load("carbon").predict(X, return_std=True)``
and ``ConditionalGAN.load("numu-carbon").sample(E_nu)`` and divides each time
by its compute limit: the dense-layer FLOPs per row (all members of the
ensemble; the GAN's generator) times the rows, over the FLOP/s of a
(50, 128, 128) batched matmul measured just before and just after each timed
call (the machine's speed drifts by tens of percent within minutes, and
another job on the cores takes its share: the ratio cancels both).

Each (model, chunk size, rows) runs in a fresh subprocess of this script, so
that no earlier, larger request has grown the heap it draws on. The peak RSS
reported is the kernel's high-water mark (``VmHWM``), reset through
``/proc/self/clear_refs`` once the model is loaded and has made one small
warm-up prediction, read after the timed calls: what the request itself
costs, input rows included. tracemalloc would miss torch's tensors (they are
not allocated by Python), and the process's lifetime peak includes loading.

``--predict-chunks`` and ``--sample-chunks`` scan the chunk sizes
(the estimators' ``predict_chunk`` and ``sample_chunk``) at the
``--scan-rows`` size; the first of each list, by default the library's
value, is the one measured at every size. Writes
benchmarks/results/predict_speed.{md,json}.

    python benchmarks/predict_speed.py --threads 2
"""

import argparse
import json
import platform
import shlex
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from qestl import ConditionalGAN, CrossSectionRegressor
from qestl.benchmark import matmul_rate, write_result
from qestl.threads import free_cores, limit_threads

RESULTS = Path(__file__).resolve().parent / "results" / "predict_speed.json"
#: The issue's targets (Done when): within 2x of the compute limit, 1 GB above the model.
TARGET_RATIO, TARGET_RSS_MB = 2.0, 1000.0


# -- the measurement, in a child process --------------------------------------------
def ensemble_flops_per_row(model):
    """Dense-layer FLOPs of one row through every member: 2 x members x in x out a layer."""
    weights = [p for n, p in model.net_.module_.named_parameters() if n.endswith("weight")]
    return sum(2 * w.numel() for w in weights if w.dim() == 3)


def generator_flops_per_event(gan):
    """Dense-layer FLOPs of one event through the generator: 2 x in x out a layer."""
    layers = [m for m in gan.module_.generator.modules() if isinstance(m, torch.nn.Linear)]
    return sum(2 * layer.in_features * layer.out_features for layer in layers)


def set_chunk(model, name, value):
    """Set the model's chunk size ``name`` (``predict_chunk`` or ``sample_chunk``).

    ``value`` None keeps the library's; returns the value in force.
    """
    if value is not None:
        setattr(model, name, value)
    return getattr(model, name)


def cpu_name():
    """The processor's model name (Linux), else the architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def carbon_rows(n, seed=0):
    """``n`` electron kinematics inside the shipped carbon model's domain."""
    rng = np.random.default_rng(seed)
    E = rng.uniform(0.2, 5.0, n)
    return pd.DataFrame(
        {"E": E, "theta": rng.uniform(12.0, 145.0, n), "omega": rng.uniform(0.01, 0.95, n) * E}
    )


def rss_mb(field):
    """``VmRSS`` or ``VmHWM`` of this process [MB], from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_rss():
    """Set the high-water mark to the current RSS (Linux >= 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


def child(kind, rows, chunk, repeats, threads):
    """Time one (model, chunk, rows) ``repeats`` times; print a JSON row."""
    with limit_threads(threads):
        if kind == "predict":
            model = CrossSectionRegressor.load("carbon", device="cpu")
            chunk = set_chunk(model, "predict_chunk", chunk)
            flops = ensemble_flops_per_row(model)
            model.predict(carbon_rows(1000, seed=1), return_std=True)  # lazy initialisation

            def make():
                return carbon_rows(rows)

            def call(X):
                return model.predict(X, return_std=True)
        else:
            model = ConditionalGAN.load("numu-carbon", device="cpu")
            chunk = set_chunk(model, "sample_chunk", chunk)
            flops = generator_flops_per_event(model)
            model.sample(np.full(1000, 2.0), random_state=1)

            def make():
                return np.random.default_rng(0).uniform(0.3, 10.0, rows)

            def call(E_nu):
                return model.sample(E_nu, random_state=0)

        baseline = rss_mb("VmRSS")
        reset_peak_rss()
        data = make()
        times, rates = [], []
        for _ in range(repeats):
            before = matmul_rate(repeats=40)
            start = time.perf_counter()
            call(data)
            times.append(time.perf_counter() - start)
            rates.append((before + matmul_rate(repeats=40)) / 2 * 1e9)
        peak = rss_mb("VmHWM") - baseline
    ratios = [t * r / (flops * rows) for t, r in zip(times, rates, strict=True)]
    print(
        json.dumps(
            {
                "kind": kind,
                "rows": rows,
                "chunk": chunk,
                "threads": threads,
                "flops_per_row": flops,
                "seconds": times,
                "matmul_flops_per_s": rates,
                "over_limit": ratios,
                "peak_rss_above_model_mb": peak,
            }
        )
    )


# -- the driver ------------------------------------------------------------------------
def run_child(kind, rows, chunk, args):
    """One measurement in a fresh interpreter; its JSON row."""
    command = [sys.executable, __file__, "--child", kind, "--threads", str(args.threads)]
    command += ["--rows", str(rows), "--repeats", str(args.repeats)]
    command += [] if chunk is None else ["--chunk", str(chunk)]  # None: the library's
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(row):
    """Medians and spreads (min, max) of a child's repeats."""
    seconds, ratios = row["seconds"], row["over_limit"]
    rate = statistics.median(row["matmul_flops_per_s"])
    return {
        **row,
        "median_s": statistics.median(seconds),
        "spread_s": [min(seconds), max(seconds)],
        "rows_per_s": row["rows"] / statistics.median(seconds),
        "limit_rows_per_s": rate / row["flops_per_row"],
        "median_over_limit": statistics.median(ratios),
        "spread_over_limit": [min(ratios), max(ratios)],
    }


def plan(args):
    """(kind, rows, chunk) of every measurement: each size at the first chunk, then the scans."""
    cells = []
    for kind, chunks in (("predict", args.predict_chunks), ("sample", args.sample_chunks)):
        if kind not in args.calls:
            continue
        chunks = chunks or [None]  # the library's chunk size, which the child reports
        cells += [(kind, rows, chunks[0]) for rows in args.rows]
        cells += [(kind, args.scan_rows, chunk) for chunk in chunks[1:]]
    return cells


def markdown(result):
    """The results page."""
    lines = [
        "# Prediction and sampling speed",
        "",
        f"{result['cpu']}; {result['threads']} torch "
        f"thread(s) (limit_threads); free cores {result['free_cores_before']:.2f} before the "
        f"run and {result['free_cores_after']:.2f} after (qestl.threads.free_cores)."
        + (f" {result['note']}" if result["note"] else ""),
        "",
        "Ratio = time x matmul FLOP/s / (dense FLOPs per row x rows): 1 is the compute "
        "limit, the (50, 128, 128) batched matmul's rate measured before and after each "
        "timed call. Median over "
        f"{result['repeats']} repeats, (min-max) beside. Peak RSS: the request's high-water "
        "mark above the loaded, warmed-up model, input rows included, in a fresh process.",
        "",
        "| call | chunk | rows | time [s] | rows/s | limit rows/s | ratio to limit "
        "| peak RSS above model [MB] |",
        "|---|---:|---:|---|---:|---:|---|---:|",
    ]
    names = {
        "predict": "carbon `predict(X, return_std=True)`",
        "sample": "numu-carbon `sample(E_nu)`",
    }
    for row in result["rows"]:
        lo, hi = row["spread_s"]
        rlo, rhi = row["spread_over_limit"]
        lines.append(
            f"| {names[row['kind']]} | {row['chunk']} | {row['rows']:.0e} | "
            f"{row['median_s']:.3g} ({lo:.3g}-{hi:.3g}) | {row['rows_per_s']:.3g} | "
            f"{row['limit_rows_per_s']:.3g} | {row['median_over_limit']:.2f} "
            f"({rlo:.2f}-{rhi:.2f}) | {row['peak_rss_above_model_mb']:.0f} |"
        )
    lines += [
        "",
        "Targets (issue 30): ratio <= 2 for both at 10^6 rows; predict's peak < 1 GB.",
        "",
    ]
    for row in result["rows"]:
        if (
            row["rows"] == max(r["rows"] for r in result["rows"])
            and row["chunk"] == (result["chunks"][row["kind"]])
        ):
            ok = row["median_over_limit"] <= TARGET_RATIO and (
                row["kind"] == "sample" or row["peak_rss_above_model_mb"] < TARGET_RSS_MB
            )
            lines.append(
                f"- {names[row['kind']]}, {row['rows']:.0e} rows: "
                f"{'met' if ok else 'NOT met'} (ratio {row['median_over_limit']:.2f}, "
                f"{row['rows_per_s']:.3g} rows/s on {result['threads']} thread(s), "
                f"{row['peak_rss_above_model_mb']:.0f} MB)"
            )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--threads",
        default="auto",
        help="torch threads, or 'auto' (qestl.threads.recommended_threads) (default: auto)",
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[10**4, 10**5, 10**6])
    parser.add_argument(
        "--calls", nargs="+", choices=["predict", "sample"], default=["predict", "sample"]
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--predict-chunks", type=int, nargs="+", help="default: the estimators' predict_chunk"
    )
    parser.add_argument(
        "--sample-chunks", type=int, nargs="+", help="default: ConditionalGAN.sample_chunk"
    )
    parser.add_argument("--scan-rows", type=int, default=10**5, help="rows of the chunk scans")
    parser.add_argument("--note", default="", help="a sentence for the results (other jobs)")
    parser.add_argument("--child", choices=["predict", "sample"], help=argparse.SUPPRESS)
    parser.add_argument("--chunk", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads != "auto":
        args.threads = int(args.threads)
    warnings.simplefilter("ignore", FutureWarning)
    if args.child:
        child(args.child, args.rows[0], args.chunk, args.repeats, args.threads)
        return
    with limit_threads(args.threads) as threads:
        free_before = free_cores(interval=1.0)
        args.threads = threads  # every child runs with the count chosen here
        result = {
            "cpu": cpu_name(),
            "threads": threads,
            "repeats": args.repeats,
            "note": args.note,
            "free_cores_before": free_before,
            "rows": [],
        }
        for kind, rows, chunk in plan(args):
            row = summarise(run_child(kind, rows, chunk, args))
            shown = ("kind", "rows", "chunk", "median_s", "median_over_limit")
            print(json.dumps({k: row[k] for k in shown}), flush=True)
            result["rows"].append(row)
        result["free_cores_after"] = free_cores(interval=1.0)
    # the chunk measured at every size: each call's first
    result["chunks"] = {r["kind"]: r["chunk"] for r in reversed(result["rows"])}
    print(write_result(RESULTS, result, markdown))


if __name__ == "__main__":
    main()
