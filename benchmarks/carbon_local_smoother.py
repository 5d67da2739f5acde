"""How well can the carbon data be predicted at all? Held-out chi2/N of local smoothers.

Each held-out point is predicted from the training points of its own
spectrum (same dataset, E and theta) only, by
(a) linear interpolation between its two neighbours, and
(b) a cubic smoothing spline through log(cross section) with weights
    (y / error)^2 (``scipy.interpolate.make_smoothing_spline``), for a few
    fixed roughness penalties lambda (the weights are scaled to mean 1 per
    spectrum, omega in GeV).
Only held-out points inside the omega range of their spectrum's training
points count (a smoother cannot extrapolate), so the figures bound what a
smooth curve per spectrum reaches, not what a global model must do at the
spectrum ends. No normalizations are needed: each spectrum is fitted to
itself. The same splits as the shipped model (seed 2024) and the recipe
comparisons (seeds 1 and 2), and the ten folds of carbon_crossval.py. For
comparison, the shipped model on the same interior points of its own split
(its normalizations fitted on its training points applied), and how well its
band covers all its held-out points (data error and ensemble spread added in
quadrature).
Runs in about 20 s. Writes benchmarks/results/carbon_local_smoother.{json,md}.

    QESTL_DATA=../shared/data/qes python benchmarks/carbon_local_smoother.py
"""

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from _common import COLS, band_pulls
from scipy.interpolate import make_smoothing_spline
from sklearn.model_selection import KFold

from qestl import CrossSectionRegressor
from qestl.benchmark import write_result
from qestl.datasets import cut_low_excitation, load_qes, split_data

RESULTS = Path(__file__).resolve().parent / "results"
SPECTRUM = ["dataset", "E", "theta"]
LAMBDAS = [1e-7, 1e-6, 1e-5]
#: Fewer training points than this in a spectrum: linear interpolation instead of a spline.
MIN_SPLINE_POINTS = 5


def predict(train, test, lam):
    """Predictions at the interior held-out points; ``lam=None`` is linear interpolation.

    Returns
    -------
    prediction : ndarray (n_test,)
        NaN where the point lies outside its spectrum's training omega range.
    """
    prediction = np.full(len(test), np.nan)
    by_spectrum = train.groupby(SPECTRUM)
    for key, rows in test.groupby(SPECTRUM).indices.items():
        if key not in by_spectrum.groups:
            continue
        # repeated omega values (none in carbon today) would break the spline: average them
        points = (
            by_spectrum.get_group(key)
            .groupby("omega", as_index=False)
            .agg(xsec=("xsec", "mean"), error=("error", "min"))
        )
        omega, xsec = points["omega"].to_numpy(), points["xsec"].to_numpy()
        target = test["omega"].to_numpy()[rows]
        inside = (target > omega[0]) & (target < omega[-1])
        if lam is None or len(omega) < MIN_SPLINE_POINTS:
            values = np.interp(target, omega, xsec)
        else:
            weight = (xsec / points["error"].to_numpy()) ** 2
            spline = make_smoothing_spline(omega, np.log(xsec), w=weight / weight.mean(), lam=lam)
            values = np.exp(spline(target))
        prediction[rows[inside]] = values[inside]
    return prediction


def shipped_model(train, test):
    """The shipped carbon model at the held-out points of its split.

    chi2/N at the interior points (as the smoothers), and over all held-out
    points the coverage of its band: pulls (y - N f) / sqrt(error^2 + (N std)^2).
    """
    model = CrossSectionRegressor.load("carbon", device="cpu")
    norm_by_dataset = dict(zip(model.datasets_, model.normalizations_.mean(axis=0), strict=True))
    norm = test["dataset"].map(norm_by_dataset).to_numpy()
    mean, std = model.predict(test[COLS], return_std=True)
    interior = ~np.isnan(predict(train, test, None))
    found = score(test, np.where(interior, mean * norm, np.nan))
    pull = band_pulls(test, mean, std, norm_by_dataset)
    found["with_band"] = {
        "n": len(test),
        "chi2_per_point": float(np.mean(pull**2)),
        "within_1_sigma": float(np.mean(np.abs(pull) < 1)),
        "within_2_sigma": float(np.mean(np.abs(pull) < 2)),
        "median_band_over_error": float(np.median(std * norm / test["error"].to_numpy())),
    }
    return found


def score(test, prediction):
    """chi2/N and count of the interior points; chi2/N per beam-energy bin and per dataset."""
    inside = ~np.isnan(prediction)
    squared = ((test["xsec"].to_numpy() - prediction) / test["error"].to_numpy())[inside] ** 2
    energy = test["E"].to_numpy()[inside]
    bins = {"< 1": energy < 1, "1-2": (energy >= 1) & (energy < 2), ">= 2": energy >= 2}
    by_dataset = pd.Series(squared).groupby(test["dataset"].to_numpy()[inside])
    return {
        "n_interior": int(inside.sum()),
        "n_test": len(test),
        "chi2_per_point": float(squared.mean()),
        "by_energy_GeV": {k: float(squared[m].mean()) for k, m in bins.items() if m.any()},
        "by_dataset": {
            name: {"n_interior": int(n), "chi2_per_point": float(mean)}
            for name, (mean, n) in by_dataset.agg(["mean", "size"]).iterrows()
        },
    }


def main():
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    data = cut_low_excitation(load_qes("12C"))
    splits = {
        f"split seed {seed}": split_data(data, 0.9, random_state=seed) for seed in (2024, 1, 2)
    }
    folds = KFold(10, shuffle=True, random_state=2024).split(data)
    cv = [(data.iloc[a], data.iloc[b]) for a, b in folds]
    methods = {"linear interpolation": None, **{f"spline lambda={lam:g}": lam for lam in LAMBDAS}}
    result = {
        "n_points": len(data),
        "rows": [],
    }
    for name, lam in methods.items():
        row = {"method": name, "lambda": lam}
        for label, (train, test) in splits.items():
            row[label] = score(test, predict(train, test, lam))
        # every point held out once: score the folds' predictions together
        held_out = pd.concat([test for _, test in cv])
        prediction = np.concatenate([predict(train, test, lam) for train, test in cv])
        row["10-fold pooled"] = score(held_out, prediction)
        result["rows"].append(row)
        print(json.dumps(row))
    result["shipped_model"] = shipped_model(*splits["split seed 2024"])
    print(write_result(RESULTS / "carbon_local_smoother.json", result, markdown))


def markdown(result):
    """The results as a Markdown page."""
    columns = ["split seed 2024", "split seed 1", "split seed 2", "10-fold pooled"]
    lines = [
        "# Carbon data: held-out chi2/N of local smoothers within each spectrum",
        "",
        "Each held-out point is predicted from the training points of its own spectrum "
        "only; points outside the omega range of those training points are not counted. "
        "chi2/N with the data's point-to-point errors, no normalizations (each spectrum is "
        "fitted to itself). Splits: random 10 % held out per point (seed 2024 is the "
        "shipped model's), and the ten folds of carbon_crossval.py pooled. Spline: "
        "scipy's make_smoothing_spline through log(sigma), weights (y / error)^2 scaled "
        "to mean 1, omega in GeV.",
        "",
        "| method | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for row in result["rows"]:
        cells = [f"{row[c]['chi2_per_point']:.2f} ({row[c]['n_interior']} points)" for c in columns]
        lines.append(f"| {row['method']} | " + " | ".join(cells) + " |")
    shipped = result["shipped_model"]
    band = shipped["with_band"]
    lines += [
        "",
        f"The shipped carbon model (qestl/pretrained/carbon) on the same "
        f"{shipped['n_interior']} interior held-out points of split seed 2024: "
        f"**{shipped['chi2_per_point']:.2f}**. Its band on all {band['n']} held-out points, "
        "with the data error and the ensemble spread added in quadrature: chi2/N "
        f"{band['chi2_per_point']:.2f}, {100 * band['within_1_sigma']:.0f} % within 1 sigma, "
        f"{100 * band['within_2_sigma']:.0f} % within 2 sigma (a Gaussian: 68 % and 95 %); "
        f"median spread / data error {band['median_band_over_error']:.2f}.",
        "",
        "By beam energy (split seed 2024, E < 1 / 1-2 / >= 2 GeV):",
        "",
    ]
    by_method = [(row["method"], row["split seed 2024"]) for row in result["rows"]]
    for name, found in [*by_method, ("shipped model", shipped)]:
        bins = found["by_energy_GeV"]
        lines.append(f"- {name}: " + " / ".join(f"{v:.2f}" for v in bins.values()))
    lines += [
        "",
        "By dataset, every interior point held out once (10-fold pooled; chi2/N, points):",
        "",
        "| dataset | " + " | ".join(row["method"] for row in result["rows"]) + " |",
        "|---|" + "---|" * len(result["rows"]),
    ]
    pooled = [row["10-fold pooled"]["by_dataset"] for row in result["rows"]]
    for name in pooled[0]:
        cells = [f"{p[name]['chi2_per_point']:.2f} ({p[name]['n_interior']})" for p in pooled]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
