"""Figures in the style of the papers: cross sections against omega, per spectrum."""

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["plot_layers", "plot_spectra"]


def _choose_spectra(data, spectra, max_panels):
    names = list(pd.unique(data["spectrum"]))
    if spectra is None:
        if len(names) <= max_panels:
            return names
        # Spread the panels over the range of beam energies and angles.
        order = (
            data.groupby("spectrum", sort=False)[["E", "theta"]].first().sort_values(["E", "theta"])
        )
        picks = np.linspace(0, len(order) - 1, max_panels).round().astype(int)
        return list(order.index[np.unique(picks)])
    unknown = [name for name in spectra if name not in names]
    if unknown:
        raise ValueError(f"spectra not in data: {unknown}")
    return list(spectra)


def plot_spectra(
    data,
    model=None,
    *,
    reference=None,
    labels=("model", "reference"),
    spectra=None,
    test=None,
    max_panels=12,
    ncols=4,
    n_curve=200,
    scale=1e-3,
    figsize=None,
):
    """Plot measured spectra (cross section vs omega), optionally with a model band.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns E, theta, omega, xsec, error, spectrum (as from
        :func:`qestl.datasets.load_qes`).
    model : estimator, optional
        Anything with ``predict(X, return_std=True)`` on (E, theta, omega);
        drawn as the mean line and a 1 sigma band on a fine omega grid.
    reference : estimator, optional
        A second model (e.g. scaled carbon), drawn as a dashed mean line.
    labels : tuple of str
        Legend labels of ``model`` and ``reference``.
    spectra : list of str, optional
        Which spectra to draw; default up to ``max_panels`` spread over E and theta.
    test : array_like of bool or index, optional
        Marks test points (boolean mask over ``data`` or index labels); they
        are drawn in another colour than training points.
    max_panels, ncols : int
        Panel budget and columns of the grid.
    n_curve : int
        Points of the model curve per panel.
    scale : float, default 1e-3
        Cross sections are multiplied by it; the default shows ub/(sr GeV).
    figsize : tuple, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    chosen = _choose_spectra(data, spectra, max_panels)
    if test is None:
        is_test = np.zeros(len(data), dtype=bool)
    else:
        test = np.asarray(test)
        is_test = test if test.dtype == bool else data.index.isin(test)
    nrows = int(np.ceil(len(chosen) / ncols))
    ncols = min(ncols, len(chosen))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=figsize or (3.2 * ncols, 2.6 * nrows), squeeze=False
    )
    unit = "nb" if scale == 1 else ("ub" if scale == 1e-3 else f"{scale:g} nb")
    for ax, name in zip(axes.flat, chosen, strict=False):
        rows = (data["spectrum"] == name).to_numpy()
        part = data[rows]
        energy, theta = float(part["E"].iloc[0]), float(part["theta"].iloc[0])
        train_label = "data" if test is None else "train"
        for mask, colour, label in (
            (~is_test[rows], "k", train_label),
            (is_test[rows], "C3", "test"),
        ):
            if mask.any():
                ax.errorbar(
                    part["omega"][mask],
                    part["xsec"][mask] * scale,
                    part["error"][mask] * scale,
                    fmt="o",
                    ms=2.5,
                    color=colour,
                    elinewidth=0.8,
                    label=label,
                )
        omega = np.linspace(
            max(part["omega"].min() * 0.9, 1e-4),
            min(part["omega"].max() * 1.05, energy * 0.999),
            n_curve,
        )
        grid = pd.DataFrame({"E": energy, "theta": theta, "omega": omega})
        if model is not None:
            mean, std = model.predict(grid, return_std=True)
            ax.plot(omega, mean * scale, color="C0", lw=1.2, label=labels[0])
            ax.fill_between(
                omega, (mean - std) * scale, (mean + std) * scale, color="C0", alpha=0.3, lw=0
            )
        if reference is not None:
            reference_mean = reference.predict(grid) * scale
            ax.plot(omega, reference_mean, "--", color="C2", lw=1.2, label=labels[1])
        ax.set_title(f"E = {energy:g} GeV, θ = {theta:g}°", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(chosen) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("ω [GeV]", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"d²σ/dωdΩ [{unit}/(sr GeV)]", fontsize=8)
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_layers(table, paper=None):
    """Test chi2/N against the number L of trained layers, one panel per target.

    The layer-wise study of transfer learning (Graczyk et al. 2026): the
    median over splits with its range, one line per training fraction, and
    the paper's best L as a star.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`qestl.benchmark.layer_table`: columns target, train_fraction,
        trained_layers, chi2_quadrature, chi2_quadrature_min, chi2_quadrature_max.
    paper : mapping, optional
        Target -> {train fraction: (chi2/N, best L or None)}, as
        :data:`qestl.benchmark.PAPER_TABLE`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    paper = {} if paper is None else paper
    targets = list(dict.fromkeys(table["target"]))
    fig, axes = plt.subplots(1, len(targets), figsize=(4.2 * len(targets), 3.6), squeeze=False)
    for ax, target in zip(axes[0], targets, strict=True):
        part = table[table["target"] == target]
        for (fraction, rows), marker in zip(part.groupby("train_fraction"), "os^", strict=False):
            line = ax.errorbar(
                rows["trained_layers"],
                rows["chi2_quadrature"],
                yerr=[
                    rows["chi2_quadrature"] - rows["chi2_quadrature_min"],
                    rows["chi2_quadrature_max"] - rows["chi2_quadrature"],
                ],
                marker=marker,
                capsize=2,
                label=f"qestl, {fraction:.0%} train",
            )
            value, layers = paper.get(target, {}).get(fraction, (None, None))
            if layers:
                ax.plot(
                    layers,
                    value,
                    marker="*",
                    ms=13,
                    ls="none",
                    color=line[0].get_color(),
                    markeredgecolor="k",
                    label=f"paper, {fraction:.0%} train (best L)",
                )
        ax.set_yscale("log")
        ax.set_xlabel("trained layers L")
        ax.set_ylabel(r"test $\chi^2/N$ (quadrature)")
        ax.set_title(f"{target}: transfer from carbon")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
