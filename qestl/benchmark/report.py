"""The tables of the transfer study, beside the paper's Table I in the paper's currency."""

import numpy as np
import pandas as pd

from qestl.benchmark.paper import PAPER_TABLE

__all__ = ["layer_table", "pick_layers", "transfer_table"]


def _spread(values):
    values = np.asarray(values, dtype=float)
    return float(np.median(values)), float(values.min()), float(values.max())


def pick_layers(runs):
    """The best number of trained layers L, chosen two ways, per (target, fraction).

    "test": the L with the lowest median test chi2/N (quadrature) over the
    splits, as the paper's Table I picks it; this choice is made on the
    test points, so its figure is optimistic. Only the L values run on the
    most splits compete, so that every candidate has the same splits.
    "training": per split, the L whose out-of-bag chi2/N on the training
    points (``oob_chi2_quadrature``) is lowest: what a user can do without
    test points; its figure is the test chi2/N of the L each split picked.
    Both choose among the same L values (at least three) on the same splits.

    Parameters
    ----------
    runs : pandas.DataFrame
        Rows of :func:`~qestl.benchmark.fit_cell`.

    Returns
    -------
    pandas.DataFrame
        Columns target, train_fraction, choice ("test" or "training"),
        layers (the L picked, per split for "training"), and the test
        ``chi2_<treatment>`` values of those fits, one list per column.
    """
    tuned = runs[runs["trained_layers"] > 0]
    rows = []
    for (target, fraction), part in tuned.groupby(["target", "train_fraction"], sort=False):
        seeds = _shared_seeds(part)
        candidates = part[part["seed"].isin(seeds)]
        on_all = candidates.groupby("trained_layers")["seed"].nunique() == len(seeds)
        candidates = candidates[candidates["trained_layers"].isin(on_all.index[on_all])]
        if candidates["trained_layers"].nunique() < 3:  # full and shallow alone: no layer study
            continue
        medians = candidates.groupby("trained_layers")["chi2_quadrature"].median().dropna()
        if len(medians):
            best = int(medians.idxmin())  # the smaller L on a tie: the first in order
            chosen = candidates[candidates["trained_layers"] == best].sort_values("seed")
            rows.append(_choice(target, fraction, "test", [best] * len(chosen), chosen))
        if "oob_chi2_quadrature" not in candidates:
            continue
        picks = candidates.dropna(subset=["oob_chi2_quadrature"])
        if len(picks) == 0:
            continue
        picks = picks.sort_values(["seed", "trained_layers"])
        by_split = picks.loc[picks.groupby("seed")["oob_chi2_quadrature"].idxmin()]
        rows.append(
            _choice(target, fraction, "training", by_split["trained_layers"].tolist(), by_split)
        )
    return pd.DataFrame(rows)


def _shared_seeds(fits):
    """The splits the L values are compared on: the set of splits most L values were run on.

    A partly finished grid must not compare L values over different splits;
    the L values run on more splits than these compete on these alone. Ties
    go to the larger set, then to the lower seeds.
    """
    sets = [frozenset(group["seed"]) for _, group in fits.groupby("trained_layers")]
    return max(
        set(sets), key=lambda seeds: (sets.count(seeds), len(seeds), sorted(-s for s in seeds))
    )


def _choice(target, fraction, choice, layers, fits):
    return {
        "target": target,
        "train_fraction": fraction,
        "choice": choice,
        "layers": [int(v) for v in layers],
        "seeds": fits["seed"].astype(int).tolist(),
        **{c: fits[c].tolist() for c in fits.columns if c.startswith("chi2_")},
        "wall_s": fits["wall_s"].tolist(),
        "cpu_s": fits["cpu_s"].tolist(),
        "n_train": int(fits["n_train"].iloc[0]),
    }


def _paper(target, fraction, method):
    """The paper's Table I value to set beside a row, and its best L: (value, L) or (None, None).

    Beside scaled carbon, the paper's scaled carbon; beside every other
    method, the paper's best fine-tuned result (the figure to beat).
    """
    entry = PAPER_TABLE.get(target)
    if entry is None:
        return None, None
    if method == "scaled":
        return entry["scaled"].get(fraction), None
    return entry.get(fraction, (None, None))


def transfer_table(runs, n_weight_layers):
    """One row per (target, fraction, method): medians and spreads in every treatment.

    Methods: scaled carbon, superscaling, full fine-tuning, shallow (L = 2),
    the best L chosen on the test points and on the training points
    (:func:`pick_layers`), and scratch, each where it was run. Beside each
    row stands the paper's Table I value: its scaled carbon beside scaled
    carbon, its best fine-tuned result (with its L in ``paper_layers``)
    beside every other method.

    Parameters
    ----------
    runs : pandas.DataFrame
    n_weight_layers : int
        Weight layers of the source (L of full fine-tuning).

    Returns
    -------
    pandas.DataFrame
    """
    labels = {
        "scaled": "scaled",
        "superscaling": "superscaling",
        f"L{n_weight_layers}": f"full (L={n_weight_layers})",
        "L2": "shallow (L=2)",
        "scratch": "scratch",
    }
    rows = []
    picks = pick_layers(runs) if len(runs) else pd.DataFrame()
    for (target, fraction), part in runs.groupby(["target", "train_fraction"], sort=False):
        entries = []
        for method, label in labels.items():
            fits = part[part["method"] == method].sort_values("seed")
            if len(fits):
                entries.append((label, None, fits.to_dict(orient="list")))
        for pick in picks.to_dict(orient="records") if len(picks) else []:
            if pick["target"] == target and pick["train_fraction"] == fraction:
                label = "best L (test)" if pick["choice"] == "test" else "best L (training)"
                entries.insert(
                    -1 if entries and entries[-1][0] == "scratch" else len(entries),
                    (label, pick["layers"], pick),
                )
        for label, layers, fits in entries:
            quadrature = _spread(fits["chi2_quadrature"])
            paper, paper_layers = _paper(target, fraction, label)
            rows.append(
                {
                    "target": target,
                    "train_fraction": fraction,
                    "method": label,
                    "layers": layers,
                    "n_train": int(np.asarray(fits["n_train"]).ravel()[0]),
                    "splits": len(fits["chi2_quadrature"]),
                    "chi2_quadrature": quadrature[0],
                    "chi2_quadrature_min": quadrature[1],
                    "chi2_quadrature_max": quadrature[2],
                    "chi2_none": _spread(fits["chi2_none"])[0],
                    "chi2_profile": _spread(fits["chi2_profile"])[0],
                    "paper": paper,
                    "paper_layers": paper_layers,
                    "ratio_to_paper": None if paper is None else quadrature[0] / paper,
                    "wall_s": float(np.median(fits["wall_s"])),
                    "cpu_s": float(np.median(fits["cpu_s"])),
                }
            )
    return pd.DataFrame(rows)


def layer_table(runs):
    """Median test chi2/N (quadrature) per (target, fraction, L), with its splits.

    Parameters
    ----------
    runs : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        Columns target, train_fraction, trained_layers, chi2_quadrature
        (median), chi2_quadrature_min, chi2_quadrature_max, chi2_none,
        chi2_profile (medians), oob_chi2_quadrature (median), splits.
    """
    tuned = runs[runs["trained_layers"] > 0]
    if tuned.empty:
        return pd.DataFrame()
    aggregations = dict(
        chi2_quadrature=("chi2_quadrature", "median"),
        chi2_quadrature_min=("chi2_quadrature", "min"),
        chi2_quadrature_max=("chi2_quadrature", "max"),
        chi2_none=("chi2_none", "median"),
        chi2_profile=("chi2_profile", "median"),
        splits=("seed", "nunique"),
        wall_s=("wall_s", "median"),
    )
    if "oob_chi2_quadrature" in tuned:
        aggregations["oob_chi2_quadrature"] = ("oob_chi2_quadrature", "median")
    return (
        tuned.groupby(["target", "train_fraction", "trained_layers"], sort=False)
        .agg(**aggregations)
        .reset_index()
        .sort_values(["target", "train_fraction", "trained_layers"], kind="stable")
    )


def _fmt(value, digits=3):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return f"{value:.{digits}g}"


def transfer_markdown(table):
    """The transfer table as Markdown lines."""
    lines = [
        "| target | train | method | n train | splits | **chi2/N quadrature** median [min, max] "
        "| paper Table I: scaled carbon / best L | qestl / paper | chi2/N none | chi2/N profile "
        "| wall [s] | CPU [s] |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.to_dict(orient="records"):
        method = row["method"]
        if row["layers"] is not None:
            picked = sorted(set(row["layers"]))
            method += (
                f" L={','.join(map(str, picked))}"
                if len(picked) <= 3
                else " L=" + ",".join(map(str, row["layers"]))
            )
        paper = _fmt(row["paper"]) if row["target"] in PAPER_TABLE else "n/a"
        if paper and _fmt(row["paper_layers"]):  # NaN in a DataFrame where the paper names no L
            paper += f" (L={int(row['paper_layers'])})"
        lines.append(
            f"| {row['target']} | {row['train_fraction']:.0%} | {method} | {row['n_train']} | "
            f"{row['splits']} | **{_fmt(row['chi2_quadrature'])}** "
            f"[{_fmt(row['chi2_quadrature_min'])}, {_fmt(row['chi2_quadrature_max'])}] | "
            f"{paper} | {_fmt(row['ratio_to_paper'], 2)} | {_fmt(row['chi2_none'])} | "
            f"{_fmt(row['chi2_profile'])} | {row['wall_s']:.0f} | {row['cpu_s']:.0f} |"
        )
    return lines


def summary_markdown(table):
    """One line per (target, fraction): qestl's fits and scaled source beside the paper's.

    qestl's figures are median test chi2/N in the quadrature currency over
    the splits in brackets: full fine-tuning, and the L chosen per split on
    the training points (out-of-bag), what a user gets without test points.
    """
    lines = [
        "| target | train | qestl full fine-tuning (splits) | qestl, L chosen on training "
        "points (splits) | "
        "paper Table I (best L) | qestl scaled source | paper scaled carbon |",
        "|---|---|---|---|---|---|---|",
    ]
    for (target, fraction), part in table.groupby(["target", "train_fraction"], sort=False):
        by_method = part.set_index("method")

        def cell(prefix, by_method=by_method, splits=True):
            hits = [m for m in by_method.index if m.startswith(prefix)]
            if not hits:
                return ""
            row = by_method.loc[hits[0]]
            text = _fmt(row["chi2_quadrature"])
            return f"{text} ({row['splits']})" if splits else text

        paper = PAPER_TABLE.get(target, {}).get(fraction)
        paper_text = (
            "n/a" if paper is None else _fmt(paper[0]) + (f" (L={paper[1]})" if paper[1] else "")
        )
        scaled = PAPER_TABLE.get(target, {}).get("scaled", {}).get(fraction)
        lines.append(
            f"| {target} | {fraction:.0%} | {cell('full')} | {cell('best L (training)')} | "
            f"{paper_text} | {cell('scaled', splits=False)} | "
            f"{'n/a' if scaled is None else _fmt(scaled)} |"
        )
    return lines


def layer_markdown(table):
    """The layer-wise table as Markdown lines: one row per (target, fraction, L)."""
    lines = [
        "| target | train | L | splits | **chi2/N quadrature** median [min, max] | "
        "chi2/N none | chi2/N profile | out-of-bag chi2/N (training points) | paper best L |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.to_dict(orient="records"):
        paper = PAPER_TABLE.get(row["target"], {}).get(row["train_fraction"])
        mark = ""
        if paper and paper[1] == row["trained_layers"]:
            mark = f"{paper[0]:g} (paper's best L)"
        lines.append(
            f"| {row['target']} | {row['train_fraction']:.0%} | {row['trained_layers']} | "
            f"{row['splits']} | **{_fmt(row['chi2_quadrature'])}** "
            f"[{_fmt(row['chi2_quadrature_min'])}, {_fmt(row['chi2_quadrature_max'])}] | "
            f"{_fmt(row['chi2_none'])} | {_fmt(row['chi2_profile'])} | "
            f"{_fmt(row.get('oob_chi2_quadrature'))} | {mark} |"
        )
    return lines
