"""Training recipes for the carbon fit, compared with small ensembles.

Each run fits one recipe (10 members unless ``--members``) on the shipped
model's split (real carbon data, low-excitation cut, seed 2024, 10 % of the
points held out) and appends a row to benchmarks/results/carbon_recipes.json;
the Markdown table beside it is rewritten from all rows. Runs take 3-10
minutes on one core, so two recipes can run side by side on 2 cores:

    QESTL_DATA=../shared/data/qes python benchmarks/carbon_recipes.py scaling --threads 1 &
    QESTL_DATA=../shared/data/qes python benchmarks/carbon_recipes.py paper --threads 1 &

Figures per row: chi2/N of the ensemble mean with the fitted normalizations
(train and held-out), the median chi2/N of single members, the median
relative uncertainty on the held-out points, and the wall time.
"""

import argparse
import json
import time
from pathlib import Path

import torch
from _rows import record
from train_carbon import figures

from qestl import CrossSectionRegressor
from qestl.datasets import cut_low_excitation, load_qes, split_data

RESULTS = Path(__file__).resolve().parent / "results"
COLS = ["E", "theta", "omega"]

#: name -> CrossSectionRegressor parameters that differ from the defaults.
RECIPES = {
    "paper": {"features": "paper"},
    "paper-silu": {"features": "paper", "activation": "silu"},
    "paper-weight-decay": {"features": "paper", "weight_decay": 0.05},
    "paper-3000-epochs": {"features": "paper", "max_epochs": 3000},
    "paper-batch-128": {"features": "paper", "batch_size": 128},
    "paper-batch-64": {"features": "paper", "batch_size": 64},
    "paper-width-128": {"features": "paper", "hidden_layers": (128,) * 10},
    "peaks": {"features": "peaks"},
    "scaling": {},
    "scaling-batch-128": {"batch_size": 128},
    "scaling-width-128-batch-128": {"hidden_layers": (128,) * 10, "batch_size": 128},
    "scaling-bootstrap": {"resampling": "bootstrap"},
    "scaling-validation-30": {"validation_fraction": 0.3},
    "scaling-no-validation": {"validation_fraction": 0.0},
}


def run(name, members, seed=2024):
    """Fit one recipe and return its row of figures."""
    data = cut_low_excitation(load_qes("12C"))
    train, test = split_data(data, 0.9, random_state=seed)
    deltas = dict(zip(data["dataset"], data["norm_uncertainty"], strict=False))
    model = CrossSectionRegressor(
        n_estimators=members, norm_uncertainty=deltas, random_state=seed, **RECIPES[name]
    )
    start = time.perf_counter()
    model.fit(train[COLS], train["xsec"], sigma=train["error"], dataset=train["dataset"])
    row = {"recipe": name, "params": RECIPES[name], "members": members}
    row["wall_s"] = time.perf_counter() - start
    norm = dict(zip(model.datasets_, model.normalizations_.mean(axis=0), strict=True))
    for label, part in (("train", train), ("test", test)):
        found = figures(model, part, norm)
        row[label] = found["chi2_per_point_fitted_norm"]
        row[f"{label}_member_median"] = found["member_chi2_per_point_median"]
        row[f"{label}_relative_uncertainty"] = found["median_relative_uncertainty"]
    return row


def _short(value):
    """(128, 128, ...) -> 128x10 for the table."""
    if isinstance(value, list | tuple) and len(set(value)) == 1:
        return f"{value[0]}x{len(value)}"
    return value


def markdown(rows):
    """The Markdown table of all rows (carbon_recipes.md)."""
    lines = [
        "# Carbon fit: training recipes compared",
        "",
        "Real carbon data, E_x >= 26.5 MeV cut, random 10 % of the points held out "
        "(seed 2024, the shipped model's split). chi2/N without the factor 1/2, ensemble "
        "mean with the fitted normalizations; 'member' is the median over single members. "
        "Defaults unless listed: width 64, 10 blocks, ReLU, 1500 epochs, batch 256, "
        "AdamW lr 2e-3 cosine, per-member clipping, 10 % per-member validation, "
        "scaling inputs. One torch thread per run, two runs side by side on 2 cores.",
        "",
        "| recipe | params | members | train | test | test / train | member train | "
        "member test | rel. unc. (test) | wall | date | machine |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        params = ", ".join(f"{k}={_short(v)}" for k, v in r["params"].items()) or "defaults"
        lines.append(
            f"| {r['recipe']} | {params} | {r['members']} | {r['train']:.2f} | "
            f"{r['test']:.2f} | {r['test'] / r['train']:.2f} | "
            f"{r['train_member_median']:.2f} | {r['test_member_median']:.2f} | "
            f"{100 * r['test_relative_uncertainty']:.1f} % | {r['wall_s'] / 60:.1f} min | "
            f"{r['date'][:10]} | {r['machine']} |"
        )
    lines += [
        "",
        "The rows dated 2026-11-30 were measured, with the same fit and figures, by a "
        "scratch runner of the session that then wrote this script.",
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("recipes", nargs="+", choices=sorted(RECIPES))
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name in args.recipes:
        row = run(name, args.members)
        record(RESULTS / "carbon_recipes.json", row, ("recipe", "members"), markdown)
        print(json.dumps(row))


if __name__ == "__main__":
    main()
