"""Held-out chi2/N of the carbon recipe over every point: 10-fold cross-validation.

The shipped model holds out one random 10 % of the points (242 of 2416),
so its held-out chi2/N moves by about 0.2 with the draw. Here the points are
cut into ten disjoint random tenths (``sklearn.model_selection.KFold``); each
tenth is held out once by a fit on the other nine, so every point gets a
held-out pull and the pooled chi2/N has the standard error of 2416 points,
not of 242.
Recipe: CrossSectionRegressor's defaults (the shipped model's) with
``--members`` members. Writes benchmarks/results/carbon_crossval.{json,md}.

    QESTL_DATA=../shared/data/qes python benchmarks/carbon_crossval.py --members 10 --threads 1
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _common import COLS, band_pulls, figures, pulls
from sklearn.model_selection import KFold

from qestl import CrossSectionRegressor
from qestl.benchmark import write_result
from qestl.datasets import cut_low_excitation, load_qes

RESULTS = Path(__file__).resolve().parent / "results"


def pooled_by(squared_pulls, groups):
    """{group: [chi2/N, number of points]} of the held-out squared pulls."""
    grouped = pd.Series(squared_pulls).groupby(pd.Categorical(groups), observed=True)
    table = grouped.agg(["mean", "size"])
    return {str(g): [float(m), int(n)] for g, (m, n) in table.iterrows()}


def largest(data, pulls, fold_of, count=10):
    """The ``count`` held-out points with the largest |pull|, as records."""
    top = np.argsort(-np.abs(pulls))[:count]
    table = data.iloc[top][["dataset", "E", "theta", "omega", "xsec", "error"]]
    return table.assign(pull=pulls[top], fold=fold_of[top]).to_dict("records")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2024, help="seed of the folds and the fits")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    data = cut_low_excitation(load_qes("12C"))
    deltas = dict(zip(data["dataset"], data["norm_uncertainty"], strict=False))
    folds = KFold(args.folds, shuffle=True, random_state=args.seed).split(data)
    held_out = np.full(len(data), np.nan)
    held_out_band = np.full(len(data), np.nan)  # against data error + band
    fold_of = np.zeros(len(data), dtype=int)
    rows = []
    start = time.perf_counter()
    for k, (train_idx, test_idx) in enumerate(folds):
        train, test = data.iloc[train_idx], data.iloc[test_idx]
        model = CrossSectionRegressor(
            n_estimators=args.members, norm_uncertainty=deltas, random_state=args.seed + k
        )
        fit_start = time.perf_counter()
        model.fit(train[COLS], train["xsec"], sigma=train["error"], dataset=train["dataset"])
        wall = time.perf_counter() - fit_start
        norm = dict(zip(model.datasets_, model.normalizations_.mean(axis=0), strict=True))
        members = model.predict_members(test[COLS])
        mean, std = members.mean(axis=0), members.std(axis=0)
        held_out[test_idx] = pulls(test, mean, norm)
        held_out_band[test_idx] = band_pulls(test, mean, std, norm)
        fold_of[test_idx] = k
        found = {
            "train": figures(model, train, norm),
            "test": figures(model, test, norm, members=members),
        }
        rows.append(
            {
                "fold": k,
                "train": found["train"]["chi2_per_point_fitted_norm"],
                "test": found["test"]["chi2_per_point_fitted_norm"],
                "test_standard_error": found["test"]["chi2_per_point_standard_error"],
                "test_relative_uncertainty": found["test"]["median_relative_uncertainty"],
                "wall_s": wall,
            }
        )
        print(json.dumps(rows[-1]), flush=True)

    tests = np.array([r["test"] for r in rows])
    squared = held_out**2
    energy_bins = pd.cut(data["E"], [0.0, 1.0, 2.0, np.inf], labels=["< 1", "1-2", ">= 2"])
    defaults = CrossSectionRegressor()
    result = {
        "settings": {
            "members": args.members,
            "folds": args.folds,
            "seed": args.seed,
            "recipe": "CrossSectionRegressor defaults",
            "hidden_layers": list(defaults.hidden_layers),
            "batch_size": defaults.batch_size,
            "resample_normalizations": defaults.resample_normalizations,
        },
        "n_points": len(data),
        "folds": rows,
        "pooled_test": float(squared.mean()),
        "pooled_test_standard_error": float(squared.std() / np.sqrt(len(squared))),
        # the band's calibration on every point: 1 and 68 % when it is right
        "pooled_test_with_band": float(np.mean(held_out_band**2)),
        "pooled_fraction_within_1_sigma_with_band": float(np.mean(held_out_band**2 <= 1.0)),
        "fold_test_median": float(np.median(tests)),
        "fold_test_range": [float(tests.min()), float(tests.max())],
        "fraction_of_folds_at_most_1.5": float(np.mean(tests <= 1.5)),
        "mean_train": float(np.mean([r["train"] for r in rows])),
        # where the held-out chi2 comes from: pooled chi2/N and point count per group
        "pooled_test_by_dataset": pooled_by(squared, data["dataset"]),
        "pooled_test_by_energy_GeV": pooled_by(squared, energy_bins),
        "largest_test_pulls": largest(data, held_out, fold_of),
        "wall_s": time.perf_counter() - start,
    }
    print(write_result(RESULTS / "carbon_crossval.json", result, markdown))


def markdown(result):
    """The results as a Markdown page."""
    s = result["settings"]
    lines = [
        "# Carbon fit: held-out chi2/N over every point (cross-validation)",
        "",
        f"Total wall time {result['wall_s'] / 60:.1f} min.",
        "",
        f"Real carbon data, low-excitation cut ({result['n_points']} points), cut into "
        f"{s['folds']} disjoint random parts (KFold, seed {s['seed']}); each part held out "
        f"once by a fit of {s['members']} members with the default recipe (the shipped "
        f"model's, which has 50: hidden layers {s['hidden_layers']}, batch {s['batch_size']}). "
        "chi2/N of the ensemble mean with the fit's normalizations, "
        "without the factor 1/2; ± is the standard error over the points.",
        "",
        "| fold | train | held out | ± | rel. unc. | wall |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["folds"]:
        lines.append(
            f"| {r['fold']} | {r['train']:.2f} | {r['test']:.2f} | "
            f"{r['test_standard_error']:.2f} | {100 * r['test_relative_uncertainty']:.1f} % | "
            f"{r['wall_s'] / 60:.1f} min |"
        )
    low, high = result["fold_test_range"]
    lines += [
        "",
        f"Every point held out once: **chi2/N = {result['pooled_test']:.2f} ± "
        f"{result['pooled_test_standard_error']:.2f}** (training parts: mean "
        f"{result['mean_train']:.2f}). Per fold: median {result['fold_test_median']:.2f}, "
        f"range {low:.2f}–{high:.2f}; "
        f"{100 * result['fraction_of_folds_at_most_1.5']:.0f} % of the folds at most 1.5.",
        "",
        "The band, tested on every held-out point with the model's spread added in quadrature "
        f"to the data error: chi2/N {result['pooled_test_with_band']:.2f}, "
        f"{100 * result['pooled_fraction_within_1_sigma_with_band']:.0f} % within 1 sigma "
        "(1 and 68 % for a band that is just right).",
        "",
        "Held-out chi2/N of all folds pooled, by group:",
        "",
        "| group | points | chi2/N |",
        "|---|---|---|",
    ]
    for title, key in (("E", "pooled_test_by_energy_GeV"), ("", "pooled_test_by_dataset")):
        for group, (value, n) in result[key].items():
            label = f"E {group} GeV" if title else group
            lines.append(f"| {label} | {n} | {value:.2f} |")
    top = result["largest_test_pulls"]
    share = sum(r["pull"] ** 2 for r in top) / (result["pooled_test"] * result["n_points"])
    lines += [
        "",
        f"The {len(top)} largest held-out pulls ({100 * share:.0f} % of the pooled chi2):",
        "",
        "| dataset | E [GeV] | theta [deg] | omega [GeV] | sigma [nb/(sr GeV)] | error | pull "
        "| fold |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in top:
        lines.append(
            f"| {r['dataset']} | {r['E']:.3f} | {r['theta']:.2f} | {r['omega']:.3f} | "
            f"{r['xsec']:.4g} | {r['error']:.3g} | {r['pull']:+.1f} | {r['fold']} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
