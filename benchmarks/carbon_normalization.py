"""When to start profiling the normalizations: their path, and what predict() is worth.

Only N_k f is fixed by the data; the penalty sum (N_k - 1)^2 / delta_k^2
alone splits it between the dataset normalization N_k and the network f,
which is what ``predict`` returns. This fits the carbon recipe (10 members,
the shipped model's split, seed 2024) with the normalizations profiled from
different fractions ``norm_start`` of the epochs (0: from the end of the
warm-up; 1: never, N = 1 throughout; every fit ends by profiling N_k once
on its final network) and records, per run, the ensemble-mean N_k every 50
epochs, the final N_k, held-out chi2/N with the fitted N_k (the figure of
merit) and chi2/N with N = 1 (how far ``predict`` itself is from the data).
About 3.5 minutes per run on one core. Writes
benchmarks/results/carbon_normalization.{json,md}.

    QESTL_DATA=../shared/data/qes python benchmarks/carbon_normalization.py --threads 1
"""

import argparse
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
from _rows import machine_label, write_result
from skorch.callbacks import Callback
from train_carbon import COLS, figures

from qestl import CrossSectionRegressor
from qestl.datasets import cut_low_excitation, load_qes, split_data

RESULTS = Path(__file__).resolve().parent / "results"
STARTS = [0.0, 0.8, 1.0]
TRACE_EVERY = 50


class NormalizationTrace(Callback):
    """Ensemble-mean N_k every ``TRACE_EVERY`` epochs."""

    def on_train_begin(self, net, **kwargs):
        self.trace_ = []

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if epoch % TRACE_EVERY == 0:
            self.trace_.append([epoch, net.module_.norm.mean(dim=0).tolist()])


def run(start, members, seed):
    """One fit; its row of figures."""
    data = cut_low_excitation(load_qes("12C"))
    train, test = split_data(data, 0.9, random_state=seed)
    deltas = dict(zip(data["dataset"], data["norm_uncertainty"], strict=False))
    trace = NormalizationTrace()
    model = CrossSectionRegressor(
        n_estimators=members,
        norm_uncertainty=deltas,
        norm_start=start,
        random_state=seed,
        callbacks=[("normalization_trace", trace)],
    )
    clock = time.perf_counter()
    model.fit(train[COLS], train["xsec"], sigma=train["error"], dataset=train["dataset"])
    wall = time.perf_counter() - clock
    # with norm_start = 1 the fit profiles N_k once on its final network
    norm = dict(zip(model.datasets_, model.normalizations_.mean(axis=0), strict=True))
    found = {part: figures(model, rows, norm) for part, rows in (("train", train), ("test", test))}
    return {
        "norm_start": start,
        "members": members,
        "seed": seed,
        "wall_s": wall,
        "normalizations": {k: float(v) for k, v in norm.items()},
        "trace": [[epoch, dict(zip(model.datasets_, n, strict=True))] for epoch, n in trace.trace_],
        **{
            f"{part}_{name}": found[part][key]
            for part in ("train", "test")
            for name, key in (
                ("fitted_norm", "chi2_per_point_fitted_norm"),
                ("no_norm", "chi2_per_point_no_norm"),
                ("relative_uncertainty", "median_relative_uncertainty"),
            )
        },
    }


def markdown(result):
    """The results as a Markdown page."""
    rows = result["rows"]
    labels = list(rows[0]["normalizations"])
    lines = [
        "# Carbon fit: when to start profiling the normalizations",
        "",
        f"Date {result['date']}; machine {result['machine']}.",
        "",
        f"{rows[0]['members']} members, defaults otherwise, the shipped model's split (seed "
        f"{rows[0]['seed']}). norm_start: fraction of the 1500 epochs with all N_k = 1 "
        "(0: profiled from the end of the 100-epoch warm-up, the recipe until 2026-12-01; "
        "1: never; every fit ends by profiling N_k once on its final network). chi2/N without the "
        "factor 1/2; 'N = 1' is chi2/N of the ensemble mean as predict() returns it.",
        "",
        "| norm_start | train | held out | train, N = 1 | held out, N = 1 | rel. unc. | wall |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['norm_start']:g} | {r['train_fitted_norm']:.2f} | "
            f"{r['test_fitted_norm']:.2f} | {r['train_no_norm']:.2f} | "
            f"{r['test_no_norm']:.2f} | {100 * r['test_relative_uncertainty']:.1f} % | "
            f"{r['wall_s'] / 60:.1f} min |"
        )
    lines += [
        "",
        "Final N_k (ensemble mean):",
        "",
        "| dataset | " + " | ".join(f"norm_start {r['norm_start']:g}" for r in rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    for label in labels:
        cells = " | ".join(f"{r['normalizations'][label]:.3f}" for r in rows)
        lines.append(f"| {label} | {cells} |")
    first = rows[0]
    lines += [
        "",
        f"Path of the N_k with norm_start {first['norm_start']:g} (epoch: "
        + ", ".join(label.split(":")[0] for label in labels)
        + "):",
        "",
    ]
    for epoch, norm in first["trace"]:
        if epoch % 250 == 0 or epoch in (150, 200, 300, 400):
            lines.append(f"- {epoch}: " + " ".join(f"{norm[k]:.3f}" for k in labels))
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--starts", type=float, nargs="+", default=STARTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_label(),
        "rows": [],
    }
    for start in args.starts:
        result["rows"].append(run(start, args.members, args.seed))
        print(json.dumps({k: v for k, v in result["rows"][-1].items() if k != "trace"}))
    print(write_result(RESULTS / "carbon_normalization.json", result, markdown))


if __name__ == "__main__":
    main()
