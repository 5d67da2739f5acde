"""Train the shipped carbon model (Kowal et al. protocol) and write its model card.

Real carbon data (QESTL_DATA), low-excitation cut, a random 10 % of the points
held out. A first fit of 10 members (``--first-pass-members``) on the quoted
errors gives each dataset its PDG scale factor (:func:`qestl.metrics.scale_factors`),
and the 50 members are fitted to the errors so scaled; every figure of the
card uses the quoted errors. The model, its config and MODEL_CARD.md land in
qestl/pretrained/carbon/, the figures of merit also in
benchmarks/results/carbon_model.{md,json} with a figure of spectra.
``--split spectrum`` holds out 10 % of the spectra instead (whole curves:
a test of interpolation between kinematics) and writes
benchmarks/results/carbon_model_spectrum_holdout.* without shipping the model.
``--plot-only`` redraws the figure of the shipped model; ``--reselect``
reruns the library's post-fit member selection on the shipped weights and
rewrites its config and card (no training).

    QESTL_DATA=../shared/data/qes python benchmarks/train_carbon.py [--epochs N] [--members M]

The shipped model: ``python benchmarks/train_carbon.py`` (about 45 minutes on
2 cores). A recipe study (what the retired carbon_recipes.py and
carbon_normalization.py measured) fits a small ensemble with other
parameters and writes its figures away from the shipped model, e.g.

    python benchmarks/train_carbon.py --members 10 --set norm_start=0.5 \
        --output /tmp/carbon-study --results /tmp/carbon-study

(``--set`` takes any CrossSectionRegressor parameter, the value as JSON;
about 5 minutes on one core with 10 members).
"""

import argparse
import json
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from _common import COLS, figures
from sklearn.base import clone

from qestl import CrossSectionRegressor, metrics
from qestl.benchmark import PROVENANCE, write_result
from qestl.datasets import cut_low_excitation, load_qes, split_data
from qestl.persistence import json_floats
from qestl.plotting import plot_spectra
from qestl.postfit import select_members
from qestl.training import TimeBudget

ROOT = Path(__file__).resolve().parents[1]
SPLITS = {
    "point": "random 10 % of the points held out",
    "spectrum": "random 10 % of the spectra held out, whole",
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=CrossSectionRegressor().max_epochs)
    parser.add_argument("--width", type=int, default=CrossSectionRegressor().hidden_layers[0])
    parser.add_argument("--depth", type=int, default=len(CrossSectionRegressor().hidden_layers))
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--lr", type=float, default=CrossSectionRegressor().lr)
    parser.add_argument("--batch", type=int, default=CrossSectionRegressor().batch_size)
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--time-budget",
        type=float,
        help="stop training after this many s (the first pass and the final fit each)",
    )
    parser.add_argument("--results", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--output", default=str(ROOT / "qestl" / "pretrained" / "carbon"))
    parser.add_argument("--split", choices=["point", "spectrum"], default="point")
    parser.add_argument("--plot-only", action="store_true")
    parser.add_argument(
        "--reselect",
        action="store_true",
        help="rerun today's post-fit member selection on the shipped model and rewrite its card",
    )
    parser.add_argument(
        "--first-pass-members",
        type=int,
        default=10,
        help="members of the first fit whose chi2 per dataset gives the PDG error scale "
        "factors of the final fit; 0 fits the quoted errors",
    )
    parser.add_argument(
        "--point-replicas-only",
        action="store_true",
        help="replicas without each member's draw of the normalizations",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        type=parameter,
        help="another CrossSectionRegressor parameter, the value as JSON (repeatable)",
    )
    args = parser.parse_args()

    data = cut_low_excitation(load_qes("12C"))
    train, test = split_data(data, 0.9, by=args.split, random_state=args.seed)
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    stem = "carbon_model" if args.split == "point" else "carbon_model_spectrum_holdout"
    if args.plot_only:
        draw(CrossSectionRegressor.load(args.output), data, test, results / f"{stem}.png")
        return
    if args.reselect:
        if args.split != "point":
            parser.error("--reselect rewrites the shipped model, whose split is --split point")
        reselect(Path(args.output), train, test, results / f"{stem}.json")
        return
    deltas = dict(zip(data["dataset"], data["norm_uncertainty"], strict=False))
    model = CrossSectionRegressor(
        n_estimators=args.members,
        hidden_layers=(args.width,) * args.depth,
        max_epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch,
        norm_uncertainty=deltas,
        resample_normalizations=not args.point_replicas_only,
        device=args.device,
        random_state=args.seed,
        callbacks=[("time_budget", TimeBudget(args.time_budget))] if args.time_budget else None,
        **dict(args.set),
    )
    start = time.perf_counter()
    first_pass = None
    if args.first_pass_members:
        first_pass = error_scales(model, train, args.first_pass_members)
    sigma = scaled_errors(train, first_pass and first_pass["scale_factors"])
    model.fit(train[COLS], train["xsec"], sigma=sigma, dataset=train["dataset"])
    wall = time.perf_counter() - start
    norm = dict(zip(model.datasets_, model.normalizations_.mean(axis=0), strict=True))
    result = {
        "device": device_name(model.net_.device),
        "settings": {
            **{k: v for k, v in model.get_params().items() if k != "callbacks"},
            "epochs_trained": len(model.history_),
            "hidden_layers": list(model.hidden_layers),
            "seed": args.seed,
        },
        "data": {
            "target": "12C",
            "file": "eQE_12C.dat (QES archive, 2012 snapshot)",
            "cut": "E_x = omega - |q|^2/(2 M_A) >= 26.5 MeV",
            "points_after_cut": len(data),
            "train": len(train),
            "test": len(test),
            "split": SPLITS[args.split],
        },
        "wall_time_s": wall,
        "first_pass": first_pass,
        "train": figures(model, train, norm),
        "test": figures(model, test, norm),
        "normalizations": {k: float(v) for k, v in norm.items()},
        "best_epoch_median": float(np.median(model.best_epoch_)),
    }
    result["selection"] = selection(model)
    text = write_result(results / f"{stem}.json", result, lambda r: card_text(r, args.split))
    if args.split == "point":
        out = Path(args.output)
        model.save(out, dtype=torch.float16)  # half the size, 1e-3 differences
        write_card(results / f"{stem}.json", out)
    draw(model, data, test, results / f"{stem}.png")
    print(text)


def parameter(text):
    """``KEY=VALUE`` of ``--set`` -> (key, value), the value read as JSON (else a string)."""
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def write_card(result_path, folder):
    """The shipped model's card: the result files, as written, beside its weights."""
    shutil.copyfile(result_path, folder / "model_card.json")
    shutil.copyfile(result_path.with_suffix(".md"), folder / "MODEL_CARD.md")


def error_scales(model, train, members):
    """PDG scale factors of the carbon datasets from a first, smaller fit.

    The first fit is ``model``'s recipe with ``members`` members on the
    quoted errors; :func:`qestl.metrics.scale_factors` of its training chi2
    per dataset scale the errors of the final fit. The held-out figures
    always use the quoted errors.

    Returns
    -------
    dict
        ``scale_factors`` (dataset -> S_k), the first fit's training chi2/N
        per dataset, its members and wall time [s] (JSON-able).
    """
    start = time.perf_counter()
    first = clone(model).set_params(n_estimators=members)
    first.fit(train[COLS], train["xsec"], sigma=train["error"], dataset=train["dataset"])
    norm = dict(zip(first.datasets_, first.normalizations_.mean(axis=0), strict=True))
    fitted = train["dataset"].map(norm).to_numpy()
    predicted = first.predict(train[COLS])
    pulls_squared = ((train["xsec"] - fitted * predicted) / train["error"]) ** 2
    return {
        "members": members,
        "wall_time_s": time.perf_counter() - start,
        "train_chi2_per_point_by_dataset": pulls_squared.groupby(train["dataset"]).mean().to_dict(),
        "scale_factors": metrics.scale_factors(
            train["xsec"], predicted, train["error"], train["dataset"], normalization=fitted
        ),
    }


def selection(model):
    """The post-fit member selection of a fitted model, for the card (JSON-able)."""
    kept, excursion = model.members_kept_, model.member_excursion_
    by_excursion = select_members(model.member_chi2_, model.member_cut) & ~kept
    return {
        "member_cut": model.member_cut,
        "members": len(kept),
        "dropped": int((~kept).sum()),
        "member_chi2_per_point": json_floats(model.member_chi2_),
        "dropped_member_excursion": sorted(float(c) for c in excursion[by_excursion]),
        "member_excursion_median": float(np.nanmedian(excursion)),
    }


def card_text(result, split):
    """MODEL_CARD.md (and carbon_model*.md) from a result dict of :func:`main`."""
    settings, data, chosen = result["settings"], result["data"], result["selection"]
    chi2 = np.asarray(chosen["member_chi2_per_point"])
    lines = [
        "# Shipped carbon model (qestl/pretrained/carbon)"
        if split == "point"
        else "# Carbon model, 10 % of the spectra held out (not shipped)",
        "",
        f"Device {result['device']}; wall time {result['wall_time_s'] / 60:.1f} min.",
        "",
        f"Data: {data['file']}, cut {data['cut']}: {data['points_after_cut']} points; "
        f"{data['train']} train, {data['test']} test ({SPLITS[split]}, seed {settings['seed']}).",
        "",
        f"Settings: {settings['n_estimators']} members, hidden {settings['hidden_layers']}, "
        f"{settings['activation']}, {settings['features']} inputs, "
        f"{settings['epochs_trained']} of {settings['max_epochs']} epochs, batch "
        f"{settings['batch_size']}, AdamW lr {settings['lr']} (cosine), "
        f"warm-up {settings['norm_warmup']} epochs, per-member gradient clipping at "
        f"{settings['grad_clip']}x the running norm, per-member validation "
        f"{100 * settings['validation_fraction']:.0f} %, "
        + normalization_schedule(settings["norm_start"])
        + (
            "; each member's replica draws the point errors and the dataset normalizations."
            if settings["resample_normalizations"]
            else "; each member's replica draws the point errors only."
        ),
        "",
        error_text(result.get("first_pass")),
        "",
        f"Post-fit member selection (member_cut={chosen['member_cut']}, on the training "
        f"chi2/N with the errors the fit used, then on the excursion along the training "
        f"spectra; qestl.postfit): "
        f"{chosen['dropped']} of {chosen['members']} members dropped"
        + (
            f" ({len(chosen['dropped_member_excursion'])} by excursion: "
            f"{', '.join(f'{e:.1f}' for e in chosen['dropped_member_excursion'])};"
            f" median of all {chosen['member_excursion_median']:.1f})"
            if chosen["dropped_member_excursion"]
            else ""
        )
        + f"; member chi2/N on the training points {chi2.min():.1f}-{chi2.max():.1f} "
        f"(median {np.median(chi2):.2f})."
        + (f" {result['reselected']}" if "reselected" in result else ""),
        "",
        "| part | N | chi2/N (fitted N_k) | chi2/N (N_k profiled) | chi2/N (N=1) | "
        "member chi2/N (median) | median rel. unc. | chi2/N, error ⊕ band | within 1 sigma |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    error = "chi2_per_point_standard_error"
    for part in ("train", "test"):
        f = result[part]
        lines.append(
            f"| {part} | {f['n_points']} | {f['chi2_per_point_fitted_norm']:.2f} "
            f"± {f[error]:.2f} | "
            f"{f['chi2_per_point_profiled_norm']:.2f} | {f['chi2_per_point_no_norm']:.2f} | "
            f"{f['member_chi2_per_point_median']:.2f} | "
            f"{100 * f['median_relative_uncertainty']:.1f} % | "
            f"{f['chi2_per_point_with_band']:.2f} | "
            f"{100 * f['fraction_within_1_sigma_with_band']:.0f} % |"
        )
    precision = (
        "The figures were recomputed from the shipped float16 weights when the selection was "
        "rerun. "
        if "reselected" in result
        else "The figures are those of the trained float32 model; the shipped weights are "
        "stored in float16, which moves the held-out chi2/N by about 0.001. "
    )
    lines += [
        "",
        "chi2 without the factor 1/2; ± is the standard error of chi2/N over the points "
        "(spread of the squared pulls / sqrt(N)): another random 10 % would move the "
        "held-out figure by about that much. The last two columns test the band: "
        "chi2/N and the fraction of points within 1 sigma when the model's spread is "
        "added in quadrature to the data error (1 and 68 % for a band that is just "
        "right for these points). "
        + (precision if split == "point" else "")
        + "Normalizations (ensemble mean):",
        "",
    ]
    lines += [f"- {k}: {v:.3f}" for k, v in result["normalizations"].items()]
    return "\n".join(lines) + "\n"


def reselect(folder, train, test, result_path):
    """Rerun the post-fit member selection on a shipped model; rewrite its config and card.

    The selection acts on the trained members only, so it can be brought up to
    date without training: the members kept change, the weights do not.
    """
    model = CrossSectionRegressor.load(folder, device="cpu")
    unknown = sorted(set(train["dataset"]) - set(model.datasets_))
    if unknown:
        raise ValueError(f"{folder}: the training data hold datasets the model lacks: {unknown}")
    before = int(model.members_kept_.sum())
    result = json.loads((folder / "model_card.json").read_text())
    sigma = scaled_errors(train, (result.get("first_pass") or {}).get("scale_factors"))
    model.reselect(train[COLS], train["xsec"], sigma=sigma, dataset=train["dataset"])
    model.save(folder, dtype=torch.float16)  # the stored float16 weights, unchanged
    norm = dict(zip(model.datasets_, model.normalizations_.mean(axis=0), strict=True))
    # the training run's provenance, which this run's replaces at the top of the files
    training = result.get("training_run") or {k: result.get(k) for k in PROVENANCE}
    result.update(
        train=figures(model, train, norm),
        test=figures(model, test, norm),
        normalizations={k: float(v) for k, v in norm.items()},
        selection=selection(model),
        training_run=training,
        reselected=(
            f"The selection was rerun on {datetime.now(timezone.utc).date()}, as the "
            f"library then made it ({before} members kept before, "
            f"{int(model.members_kept_.sum())} after); the weights are those trained"
            + (
                f" by `{training['command']}` at commit {training['commit']}."
                if training.get("command")
                else "."
            )
        ),
    )
    print(write_result(result_path, result, lambda r: card_text(r, "point")))
    write_card(result_path, folder)


def error_text(first_pass):
    """The card's line on the errors the fit used."""
    if not first_pass:
        return "Fitted to the quoted point errors."
    scaled = {k: v for k, v in first_pass["scale_factors"].items() if v > 1}
    return (
        f"Fitted to the point errors scaled per dataset by the PDG factor "
        f"S_k = sqrt(max(1, chi2_k/n_k)) of a first fit of {first_pass['members']} members "
        f"on the quoted errors ({first_pass['wall_time_s'] / 60:.1f} min, inside the wall "
        f"time): "
        + (", ".join(f"{k} {v:.2f}" for k, v in scaled.items()) or "all 1")
        + (", the others 1" if 0 < len(scaled) < len(first_pass["scale_factors"]) else "")
        + ". Every figure below uses the quoted errors."
    )


def scaled_errors(train, scales):
    """The errors of ``train`` scaled by dataset -> factor ``scales``; quoted without them."""
    if not scales:
        return train["error"]
    factors = train["dataset"].map(scales)
    if factors.isna().any():
        missing = sorted(set(train["dataset"][factors.isna()]))
        raise ValueError(f"no scale factor for datasets {missing}")
    return train["error"] * factors


def normalization_schedule(norm_start):
    """How the fit treated the normalizations, for the card's settings line."""
    if norm_start >= 1:
        return "N_k = 1 in training, profiled once on the final network"
    return f"N_k = 1 for the first {norm_start:.0%} of the epochs, profiled every epoch after"


def device_name(device):
    """The GPU's name, or "cpu"."""
    return torch.cuda.get_device_name() if str(device).startswith("cuda") else str(device)


def draw(model, data, test, path):
    """Spectra with the model band; held-out points in red; data over their fitted N_k."""
    spectra = test["spectrum"].value_counts().index[:8].tolist()
    norm = dict(zip(model.datasets_, model.normalizations_.mean(axis=0), strict=True))
    factor = data["dataset"].map(norm).fillna(1.0)
    scaled = data.assign(xsec=data["xsec"] / factor, error=data["error"] / factor)
    # the library's constrained layout keeps the legend below the panels
    title = "12C (e,e′): data divided by the fitted N_k of their dataset [μb/(sr GeV)]"
    fig = plot_spectra(scaled, model, spectra=spectra, test=test.index, ncols=4, title=title)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
