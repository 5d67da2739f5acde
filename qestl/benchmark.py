"""The transfer benchmark of Graczyk et al.: carbon ensemble -> other nuclei.

Shared by ``benchmarks/transfer.py`` and the ``qestl benchmark`` /
``qestl transfer`` commands.
"""

import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from qestl.baselines import ScaledRegressor, SuperscalingRegressor
from qestl.datasets import cut_low_excitation, load_qes, parse_target, split_data
from qestl.datasets.synthetic import make_inclusive_electron
from qestl.metrics import band_calibration, reduced_chi2
from qestl.regressor import CrossSectionRegressor
from qestl.transfer import (
    TRANSFER_SOURCE,
    PretrainedModel,
    TransferRegressor,
    check_source_prior,
)

__all__ = ["METHODS", "PAPER_ANCHORS", "fit_method", "evaluate", "run_transfer_benchmark"]

COLUMNS = ["E", "theta", "omega"]
METHODS = ("scaled", "superscaling", "full", "shallow", "scratch")

#: Graczyk et al. (2026) Table I, best L: test chi2/N (70 % train, 10 % train,
#: scaled carbon 70 % / 10 %). ../shared/docs/PAPERS.md section 3.
PAPER_ANCHORS = {
    "16O": {0.7: 0.64, 0.1: 0.79, "scaled": (0.7, 0.8)},
    "27Al": {0.7: 0.44, 0.1: 260.13, "scaled": (157.3, 221.9)},
    "56Fe": {0.7: 0.57, 0.1: 3.64, "scaled": (17.7, 21.9)},
}


def fit_method(method, train, target, source, random_state=None, callbacks=None, source_prior=0.0):
    """Fit one of :data:`METHODS` on ``train`` (a load_qes frame).

    Parameters
    ----------
    method : {"scaled", "superscaling", "full", "shallow", "scratch"}
        "superscaling" is the physics model of :mod:`qestl.physics.electron`
        with nothing fitted.
    train : pandas.DataFrame
    target : str
        The target nucleus, e.g. ``'16O'``.
    source : PretrainedModel
        The carbon ensemble.
    random_state : int, optional
    callbacks : list, optional
        skorch callbacks (e.g. a progress bar).
    source_prior : float, default 0.0
        Strength of the prior on the source weights for "full" and "shallow"
        (:class:`~qestl.transfer.TransferRegressor`).

    Returns
    -------
    estimator
    """
    mass_number = parse_target(target).A
    deltas = dict(zip(train["dataset"], train["norm_uncertainty"], strict=False))
    fit_args = dict(sigma=train["error"], dataset=train["dataset"])
    if method == "scaled":
        model = ScaledRegressor(source, factor=mass_number / source.mass_number)
    elif method == "superscaling":
        model = SuperscalingRegressor(target)
    elif method in ("full", "shallow"):
        model = TransferRegressor.from_pretrained(
            source,
            target_A=mass_number,
            freeze=method,
            norm_uncertainty=deltas,
            source_prior=source_prior,
            random_state=random_state,
            callbacks=callbacks,
        )
    elif method == "scratch":
        params = {
            k: v
            for k, v in source.params.items()
            if k in ("hidden_layers", "activation", "batch_norm", "n_estimators")
        }
        params["hidden_layers"] = tuple(params["hidden_layers"])
        model = CrossSectionRegressor(
            **params,
            mass_number=mass_number,
            norm_uncertainty=deltas,
            random_state=random_state,
            callbacks=callbacks,
        )
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return model.fit(train[COLUMNS], train["xsec"], **fit_args)


def evaluate(model, test):
    """Test chi2/N with point-to-point errors (N_k = 1) and with N_k profiled (+ penalty).

    Also tests the band: the chi2/N and the fraction of points within 1 sigma
    with the ensemble spread added in quadrature to each point's error (N_k = 1);
    a band that is just right gives about 1 and 68 % (a larger chi2/N and fewer
    points within 1 sigma where the datasets' normalizations move the points
    beyond their point-to-point errors).

    Returns
    -------
    dict
    """
    mean, std = model.predict(test[COLUMNS], return_std=True)
    with_band, within = band_calibration(test["xsec"], mean, test["error"], std)
    return {
        "chi2_per_point": reduced_chi2(test["xsec"], mean, test["error"]),
        "chi2_per_point_profiled": reduced_chi2(
            test["xsec"],
            mean,
            test["error"],
            dataset=test["dataset"],
            norm_uncertainty=test["norm_uncertainty"],
        ),
        "median_relative_uncertainty": float(np.median(std / np.abs(mean))),
        "chi2_per_point_with_band": with_band,
        "fraction_within_1_sigma_with_band": within,
    }


def _machine():
    return (
        f"{platform.node()} {platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"torch {torch.__version__}"
    )


def run_transfer_benchmark(
    targets=("16O", "27Al", "56Fe", "4He"),
    fractions=(0.1, 0.7),
    seeds=3,
    seeds_large=1,
    methods=METHODS,
    source=TRANSFER_SOURCE,
    output="benchmarks/results",
    name="transfer",
    data_home=None,
    progress=True,
    resume=False,
    data_source="auto",
    source_prior=0.0,
):
    """Run the benchmark and write ``<name>.md``, ``<name>.json`` and figures to ``output``.

    Parameters
    ----------
    targets : sequence of str
    fractions : sequence of float
        Training fractions (random per point).
    seeds : int
        Random splits per (target, fraction).
    seeds_large : int
        Splits for training sets above 1000 points (they cost most).
    methods : sequence of str
    source : str, path-like or CrossSectionRegressor, default ``TRANSFER_SOURCE``
    output : path-like
    name : str
        Stem of the result files.
    data_home : path-like, optional
    progress : bool
        Print one line per fit.
    resume : bool
        Keep the runs already in ``<name>.json`` and fit only the missing ones
        (a long benchmark can be stopped and continued).
    data_source : {"auto", "real", "pseudo"}, default "auto"
        "auto": measured data when found, else pseudo-data from
        :func:`qestl.datasets.make_inclusive_electron`, announced on stderr and
        in the results; "real": measured data or FileNotFoundError.
    source_prior : float, default 0.0
        ``TransferRegressor(source_prior=...)`` of the fine-tuning runs; a
        resumed benchmark keeps only the runs made with the same value.

    Returns
    -------
    pandas.DataFrame
        One row per (target, fraction, seed, method).
    """
    check_source_prior(source_prior)  # before any fit: the scaled runs come first
    source = PretrainedModel.resolve(source)
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    rows, figures = [], {}
    previous = output / f"{name}.json"
    if resume and previous.exists():
        stored = json.loads(previous.read_text())
        rows, figures = stored["runs"], stored["figures"]
    plan = []
    datasets, dropped, name_of, pseudo = {}, {}, {}, []
    for target in targets:
        data = cut_low_excitation(_load_target(target, data_home, data_source, pseudo))
        # S_A, and so every network prediction, vanishes at theta = 180 deg
        # (56Fe: 20 Hotta 1994 points); they cannot be fitted and are left out.
        backward = data["theta"] >= 180.0
        dropped[data.attrs["target"]] = int(backward.sum())
        name_of[target] = data.attrs["target"]
        datasets[target] = data[~backward]
    kind = {target: "pseudo" if name_of[target] in pseudo else "measured" for target in targets}
    # A resumed run keeps only the runs made on the same kind of data.
    kind_of_name = {name_of[target]: value for target, value in kind.items()}
    rows = [
        r
        for r in rows
        if r.get("data", "measured") == kind_of_name.get(r["target"], r.get("data", "measured"))
        and r.get("source_prior", 0.0) == source_prior
    ]
    done = {(r["target"], r["train_fraction"], r["seed"], r["method"]) for r in rows}
    # All targets at the first fraction first: partial results stay useful.
    for fraction in fractions:
        for target in targets:
            n_seeds = seeds if fraction * len(datasets[target]) <= 1000 else seeds_large
            plan += [(target, fraction, seed) for seed in range(n_seeds)]
    plan = [
        (
            target,
            fraction,
            seed,
            [
                m
                for m in methods
                if (name_of[target], fraction, seed, m) not in done
                # the superscaling model would be scored on its own pseudo-data
                and not (m == "superscaling" and kind[target] == "pseudo")
            ],
        )
        for target, fraction, seed in plan
    ]
    plan = [step for step in plan if step[3]]
    total = sum(len(step[3]) for step in plan)
    bar = tqdm(total=total, disable=not progress, unit="fit", desc="transfer")
    for target, fraction, seed, todo in plan:
        data = datasets[target]
        train, test = split_data(data, fraction, by="point", random_state=seed)
        fitted = {}
        for method in todo:
            bar.set_postfix_str(f"{target} {fraction:.0%} seed {seed} {method}")
            start, start_cpu = time.perf_counter(), time.process_time()
            model = fit_method(
                method, train, target, source, random_state=seed, source_prior=source_prior
            )
            wall = time.perf_counter() - start
            # CPU time (all threads) does not grow when other jobs share the cores.
            cpu = time.process_time() - start_cpu
            fitted[method] = model
            row = {
                "target": data.attrs["target"],
                "train_fraction": fraction,
                "seed": seed,
                "method": method,
                "n_train": len(train),
                "n_test": len(test),
                "data": kind[target],
                "source_prior": source_prior,
                "wall_s": wall,
                "cpu_s": cpu,
                **evaluate(model, test),
            }
            rows.append(row)
            if progress:
                bar.write(
                    f"{row['target']} train {fraction:.0%} seed {seed} "
                    f"{method:<8} chi2/N {row['chi2_per_point']:9.2f} "
                    f"(profiled {row['chi2_per_point_profiled']:8.2f})  {wall:6.1f} s"
                )
            bar.update()
        if seed == 0 and fraction == fractions[0] and "full" in fitted:
            path = output / f"{name}_{data.attrs['target']}.png"
            _figure(data, test, fitted, path)
            figures[data.attrs["target"]] = path.name
        _write(
            pd.DataFrame(rows),
            figures,
            output,
            name,
            source,
            seeds,
            seeds_large,
            dropped,
            pseudo,
            source_prior,
        )
    bar.close()
    return pd.DataFrame(rows)


def _figure(data, test, fitted, path):
    from qestl.plotting import plot_spectra

    counts = test["spectrum"].value_counts()
    spectra = counts.index[:8].tolist()
    fig = plot_spectra(
        data,
        fitted["full"],
        reference=fitted.get("scaled"),
        labels=("fine-tuned (full)", "scaled carbon"),
        spectra=spectra,
        test=test.index,
        ncols=4,
    )
    fig.savefig(path, dpi=110)


def _load_target(target, data_home, data_source, pseudo):
    """Measured data of ``target``, or pseudo-data when allowed and none is found."""
    if data_source not in ("auto", "real", "pseudo"):
        raise ValueError(f"data must be 'auto', 'real' or 'pseudo', got {data_source!r}")
    if data_source != "pseudo":
        try:
            return load_qes(target, data_home=data_home)
        except FileNotFoundError:
            if data_source == "real":
                raise
    data = make_inclusive_electron(target, random_state=0)
    pseudo.append(data.attrs["target"])
    print(
        f"qestl: no measured data for {data.attrs['target']} (QES archive not found): using "
        "PSEUDO-DATA from qestl's superscaling model (qestl.physics.electron), not measurements",
        file=sys.stderr,
    )
    return data


def _write(table, figures, output, name, source, seeds, seeds_large, dropped, pseudo, source_prior):
    summary = (
        table.groupby(["target", "train_fraction", "method"])
        .agg(
            chi2=("chi2_per_point", "median"),
            chi2_profiled=("chi2_per_point_profiled", "median"),
            cpu=("cpu_s", "median"),
            unc=("median_relative_uncertainty", "median"),
            wall=("wall_s", "median"),
            n_train=("n_train", "first"),
            seeds=("seed", "count"),
        )
        .reset_index()
    )
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    result = {
        "date": stamp,
        "machine": _machine(),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "source": repr(source),
        "settings": {
            "fine-tuning": "TransferRegressor defaults: AdamW lr 5e-4 cosine, 1000 epochs, "
            "batch 256, replica per member, 10 % per-member validation",
            "source_prior": source_prior,
            "scratch": "CrossSectionRegressor defaults with the source's architecture",
            "seeds": seeds,
            "seeds_large": seeds_large,
            "split": "random per point",
            "left_out_theta_180": dropped,
        },
        "runs": table.to_dict(orient="records"),
        "summary": summary.to_dict(orient="records"),
        "paper_anchors": {k: {str(f): v for f, v in a.items()} for k, a in PAPER_ANCHORS.items()},
        "figures": figures,
        "pseudo_data": pseudo,
    }
    (output / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Transfer of the carbon ensemble to other nuclei",
        "",
        f"{stamp}; {result['machine']}; source {result['source']}"
        + (f"; fine-tuning with source_prior={source_prior:g}." if source_prior else "."),
        *(
            [
                "",
                f"**PSEUDO-DATA** (no measured data found) for {', '.join(pseudo)}: "
                "points generated by qestl's superscaling model, not measurements.",
            ]
            if pseudo
            else []
        ),
        "",
        "Test chi2/N on the held-out points (no factor 1/2), ensemble mean; median over "
        f"seeds ({seeds} random splits per point, {seeds_large} when the training set "
        "exceeds 1000 points). 'N=1': point-to-point errors only; 'profiled': one "
        "normalization per dataset profiled on the test points with its penalty. "
        "Wall and CPU time (all threads; it grows less than wall time when other jobs share "
        "the machine) per fit "
        "on this machine. Points at theta = 180 deg are left out "
        f"(the output scale S_A vanishes there): {dropped}.",
        "",
        "| target | train | method | n train | chi2/N (N=1) | chi2/N (profiled) | "
        "median rel. unc. | wall [s] | CPU [s] | seeds | paper (best L) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summary.itertuples():
        anchor = PAPER_ANCHORS.get(row.target, {})
        if row.method == "scaled" and "scaled" in anchor:
            paper = anchor["scaled"][0 if row.train_fraction > 0.5 else 1]
        elif row.method == "full":
            paper = anchor.get(row.train_fraction)
        else:
            paper = None
        cpu = "" if np.isnan(row.cpu) else f"{row.cpu:.0f}"
        paper = "" if paper is None else f"{paper:g}"
        lines.append(
            f"| {row.target} | {row.train_fraction:.0%} | {row.method} | {row.n_train} | "
            f"{row.chi2:.2f} | {row.chi2_profiled:.2f} | {100 * row.unc:.1f} % | "
            f"{row.wall:.1f} | {cpu} | {row.seeds} | {paper} |"
        )
    lines += [
        "",
        "Paper column: Graczyk et al. (2026) Table I, best number of trained layers L, "
        "shown on the full fine-tuning rows (their best L is not always 11) and the scaled "
        "carbon rows; their data version and cut differ from our 2012 archive copy.",
        "",
    ]
    lines += [f"![{target}]({path})" for target, path in figures.items()]
    (output / f"{name}.md").write_text("\n".join(lines) + "\n")
