"""Figures in the style of the papers: cross sections against omega, per spectrum.

Every figure names its nucleus and its units, orders its panels by beam
energy and then angle, labels the axes of every panel and carries one legend
built from all of its panels.
"""

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["cross_section_unit", "figure_legend", "plot_layers", "plot_spectra"]

# Cross sections are in nb/(sr GeV); a plot multiplies them by ``scale``.
_UNITS = {1.0: "nb", 1e-3: "μb", 1e-6: "mb", 1e3: "pb"}


def cross_section_unit(scale):
    """Unit of ``scale`` times a cross section in nb/(sr GeV).

    Parameters
    ----------
    scale : float
        The factor a plot applies to cross sections given in nb/(sr GeV).

    Returns
    -------
    str
        E.g. ``"μb/(sr GeV)"`` for 1e-3.

    Examples
    --------
    >>> cross_section_unit(1e-3), cross_section_unit(1), cross_section_unit(0.1)
    ('μb/(sr GeV)', 'nb/(sr GeV)', '10 nb/(sr GeV)')
    """
    for value, unit in _UNITS.items():
        if np.isclose(scale, value, rtol=1e-9, atol=0):
            return f"{unit}/(sr GeV)"
    return f"{1 / scale:g} nb/(sr GeV)"


def _nuclei(data):
    """The nucleus names of ``data``: its ``attrs["target"]``, else its Z and A columns."""
    if data.attrs.get("target"):
        return [str(data.attrs["target"])]
    if {"Z", "A"} <= set(data.columns):
        pairs = data[["Z", "A"]].drop_duplicates().itertuples(index=False)
        return [f"Z = {int(Z)}, A = {int(A)}" for Z, A in pairs]
    return []


def _choose_spectra(data, spectra, max_panels):
    """Spectra to draw, ordered by beam energy and then angle."""
    order = (
        data.groupby("spectrum", sort=False)[["E", "theta"]]
        .first()
        .sort_values(["E", "theta"], kind="stable")
    )
    if spectra is None:
        if len(order) <= max_panels:
            return list(order.index)
        # Spread the panels over the range of beam energies and angles.
        picks = np.linspace(0, len(order) - 1, max_panels).round().astype(int)
        return list(order.index[np.unique(picks)])
    unknown = [name for name in spectra if name not in order.index]
    if unknown:
        raise ValueError(f"spectra not in data: {unknown}")
    return [name for name in order.index if name in set(spectra)]


def figure_legend(fig, axes, order=(), ncols=5, key=None):
    """One legend below the panels, from the labelled artists of all ``axes``.

    A legend built from the first panel alone misses what only other panels
    draw (test points, a band); this one holds each label once, whichever
    panel drew it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Made with ``layout="constrained"``, which keeps room for the legend.
    axes : iterable of matplotlib.axes.Axes
    order : sequence of str, optional
        Labels that come first, in this order.
    ncols : int, default 5
        Entries a row at most.
    key : callable, optional
        Sorts the other labels (default: in the order found).

    Returns
    -------
    list of str
        The labels, in legend order.
    """
    found = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            found.setdefault(label, handle)
    labels = [label for label in order if label in found]
    others = [label for label in found if label not in labels]
    labels += others if key is None else sorted(others, key=key)
    if labels:
        fig.legend(
            [found[label] for label in labels],
            labels,
            loc="outside lower center",
            ncols=min(len(labels), ncols),
            fontsize=8,
            frameon=False,
        )
    return labels


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
    title=None,
    figsize=None,
):
    """Plot measured spectra (cross section vs omega), optionally with a model band.

    One panel per spectrum (one experiment at one beam energy E and angle
    theta), ordered by E and then theta, each with its axes labelled. One
    legend below the panels holds every kind of artist drawn in any of them;
    the title names the nucleus.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns E [GeV], theta [deg], omega [GeV], xsec and error
        [nb/(sr GeV)], spectrum (as from :func:`qestl.datasets.load_qes`);
        ``citation``, when present, is printed under each panel's kinematics.
    model : estimator, optional
        Anything with ``predict(X, return_std=True)`` on (E, theta, omega);
        drawn as the mean line and a 1 sigma band on a fine omega grid.
    reference : estimator, optional
        A second model (e.g. scaled carbon), drawn as a dashed mean line.
    labels : tuple of str
        Legend labels of ``model`` and ``reference``; the band is
        ``"<model label> ±1σ"``.
    spectra : list of str, optional
        Which spectra to draw (still ordered by E, then theta); default up to
        ``max_panels`` spread over E and theta.
    test : array_like of bool or index, optional
        Marks test points (boolean mask over ``data`` or index labels); they
        are drawn in red, training points in black.
    max_panels, ncols : int
        Panel budget and columns of the grid.
    n_curve : int
        Points of the model curve per panel.
    scale : float, default 1e-3
        Cross sections are multiplied by it: 1e-3 shows μb/(sr GeV), the
        papers' unit, 1 nb/(sr GeV) (:func:`cross_section_unit`).
    title : str, optional
        Figure title; default the nucleus (``data.attrs["target"]``, else the
        Z and A columns) and the unit.
    figsize : tuple, optional
        Inches; default 3.2 by 2.7 per panel.

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
        nrows,
        ncols,
        figsize=figsize or (3.2 * ncols, 2.7 * nrows + 0.8),
        squeeze=False,
        layout="constrained",
    )
    unit = cross_section_unit(scale)
    train_label = "data" if test is None else "train"
    band_label = f"{labels[0]} ±1σ"
    for ax, name in zip(axes.flat, chosen, strict=False):
        rows = (data["spectrum"] == name).to_numpy()
        part = data[rows]
        energy, theta = float(part["E"].iloc[0]), float(part["theta"].iloc[0])
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
                omega,
                (mean - std) * scale,
                (mean + std) * scale,
                color="C0",
                alpha=0.3,
                lw=0,
                label=band_label,
            )
        if reference is not None:
            reference_mean = reference.predict(grid) * scale
            ax.plot(omega, reference_mean, "--", color="C2", lw=1.2, label=labels[1])
        heading = f"E = {energy:g} GeV, θ = {theta:g}°"
        if "citation" in part:
            heading += f"\n{part['citation'].iloc[0]}"
        ax.set_title(heading, fontsize=8)
        # every panel has its own omega and cross-section range, hence its own labels
        ax.set_xlabel("ω [GeV]", fontsize=8)
        ax.set_ylabel(f"d²σ/dΩdω [{unit}]", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(chosen) :]:
        ax.set_visible(False)
    figure_legend(
        fig,
        axes.flat[: len(chosen)],
        order=(train_label, "test", labels[0], band_label, labels[1]),
    )
    if title is None:
        nuclei = _nuclei(data)
        title = f"{'; '.join(nuclei) or 'inclusive'} (e,e′) cross sections [{unit}]"
    fig.suptitle(title, fontsize=10)
    return fig


def plot_layers(table, paper=None, source="carbon"):
    """Test chi2/N against the number L of trained layers, one panel per target.

    The layer-wise study of transfer learning (Graczyk et al. 2026): the
    median over splits with its range, one line per training fraction, and
    the paper's best L as a star. One legend below the panels holds the
    entries of all of them.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`qestl.benchmark.layer_table`: columns target, train_fraction,
        trained_layers, chi2_quadrature, chi2_quadrature_min, chi2_quadrature_max.
    paper : mapping, optional
        Target -> {train fraction: (chi2/N, best L or None)}, as
        :data:`qestl.benchmark.PAPER_TABLE`.
    source : str, default "carbon"
        What was fine-tuned, for the panel titles.

    Returns
    -------
    matplotlib.figure.Figure
    """
    paper = {} if paper is None else paper
    targets = list(dict.fromkeys(table["target"]))
    fig, axes = plt.subplots(
        1, len(targets), figsize=(4.2 * len(targets), 4.0), squeeze=False, layout="constrained"
    )
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
                label=f"qestl, {fraction:.0%} train (median, range over splits)",
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
        ax.set_title(f"{target}: fine-tuned from {source}")
    # two columns of long entries: qestl's lines first, then the paper's stars
    labels = dict.fromkeys(label for ax in axes[0] for label in ax.get_legend_handles_labels()[1])
    order = sorted(labels, key=lambda label: (label.startswith("paper"), label))
    figure_legend(fig, axes[0], order=order, ncols=2)
    fig.suptitle("Transfer learning: test χ²/N against the number of trained layers")
    return fig
