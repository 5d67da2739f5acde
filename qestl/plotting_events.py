"""Figures of generated neutrino events against a reference (Bonilla et al., arXiv:2508.12987).

W and Q^2 distributions, 2D histograms of the proxy variables (E_mu', theta')
and maps of the per-bin pulls behind MAP-2D (:func:`qestl.metrics.map_2d`).
Events are (E_nu [GeV], E_mu [GeV], theta [degrees]) arrays or DataFrames.
"""

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qestl import kinematics  # noqa: E402
from qestl.metrics import event_proxies, histogram_pulls, proxy_histogram  # noqa: E402

__all__ = ["plot_w_q2", "plot_proxy_histograms", "plot_pull_map"]


def _physical(events):
    """(E_nu, E_mu, theta) columns of validated events."""
    proxies = event_proxies(events)
    E_nu = kinematics.proxy_to_enu(proxies[:, 0])
    return (
        E_nu,
        kinematics.proxy_to_emu(proxies[:, 1], E_nu),
        kinematics.proxy_to_theta(proxies[:, 2]),
    )


def plot_w_q2(events, reference, labels=("GAN", "reference"), bins=60, figsize=(8.0, 3.2)):
    """Normalised histograms of W and Q^2 of two event samples.

    W and Q^2 on a nucleon at rest (:func:`qestl.kinematics.w_neutrino`,
    :func:`qestl.kinematics.q2_neutrino`); events with W^2 < 0 (possible in
    a nucleus) are left out of the W panel.

    Parameters
    ----------
    events, reference : pandas.DataFrame or array_like of shape (n, 3)
        (E_nu [GeV], E_mu [GeV], theta [degrees]).
    labels : tuple of str
        Legend labels of ``events`` and ``reference``.
    bins : int, default 60
    figsize : tuple

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: W [GeV], Q^2 [GeV^2].
    """
    fig, (ax_w, ax_q) = plt.subplots(1, 2, figsize=figsize)
    samples = [_physical(events), _physical(reference)]
    w = [kinematics.w_neutrino(*s) for s in samples]
    q2 = [kinematics.q2_neutrino(*s) for s in samples]
    for ax, values, name in ((ax_w, w, "W [GeV]"), (ax_q, q2, "Q² [GeV²]")):
        finite = np.concatenate([v[np.isfinite(v)] for v in values])
        edges = np.linspace(finite.min(), np.quantile(finite, 0.999), bins + 1)
        for v, label, style in zip(values, labels, ("step", "stepfilled"), strict=True):
            ax.hist(
                v[np.isfinite(v)],
                edges,
                density=True,
                histtype=style,
                alpha=1.0 if style == "step" else 0.35,
                label=label,
            )
        ax.set_xlabel(name)
        ax.set_ylabel("normalised events")
    ax_w.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_proxy_histograms(
    events, reference, labels=("GAN", "reference"), bins=50, figsize=(8.0, 3.4)
):
    """Side-by-side 2D histograms of (E_mu', theta') on [-1, 1]^2, one colour scale.

    Parameters
    ----------
    events, reference : pandas.DataFrame or array_like of shape (n, 3)
        (E_nu [GeV], E_mu [GeV], theta [degrees]); best at one E_nu.
    labels : tuple of str
        Panel titles.
    bins : int, default 50
        Bins per axis (the MAP-2D grid).
    figsize : tuple

    Returns
    -------
    matplotlib.figure.Figure
        Two panels (and a colour bar) of event fractions per bin.
    """
    edges = np.linspace(-1.0, 1.0, bins + 1)
    hists = []
    for sample in (events, reference):
        counts = proxy_histogram(event_proxies(sample)[:, 1:], bins)
        hists.append(counts / counts.sum())
    vmax = max(h.max() for h in hists)
    fig, axes = plt.subplots(1, 2, figsize=figsize, sharey=True)
    for ax, hist, label in zip(axes, hists, labels, strict=True):
        image = ax.pcolormesh(edges, edges, hist.T, vmin=0, vmax=vmax, cmap="viridis")
        ax.set_title(label)
        ax.set_xlabel("E_μ′")
    axes[0].set_ylabel("θ′")
    fig.colorbar(image, ax=list(axes), label="fraction of events")
    return fig


def plot_pull_map(events, reference, bins=50, vmax=5.0, figsize=(4.6, 3.8)):
    """Per-bin pulls of ``events`` against ``reference`` in (E_mu', theta').

    The pulls of :func:`qestl.metrics.histogram_pulls`, the terms of MAP-2D
    (bins empty in both samples are blank); positive where ``events`` has
    too many events. The title gives the MAP-2D (all tails).

    Parameters
    ----------
    events, reference : pandas.DataFrame or array_like of shape (n, 3)
        (E_nu [GeV], E_mu [GeV], theta [degrees]).
    bins : int, default 50
    vmax : float, default 5
        Colour range [-vmax, vmax].
    figsize : tuple

    Returns
    -------
    matplotlib.figure.Figure
    """
    edges = np.linspace(-1.0, 1.0, bins + 1)
    a, b = (event_proxies(s) for s in (events, reference))
    counts_a, counts_b = proxy_histogram(a[:, 1:], bins), proxy_histogram(b[:, 1:], bins)
    pulls = histogram_pulls(counts_a, counts_b, len(a), len(b))
    both = (counts_a > 0) & (counts_b > 0)
    fig, ax = plt.subplots(figsize=figsize)
    image = ax.pcolormesh(edges, edges, pulls.T, vmin=-vmax, vmax=vmax, cmap="RdBu_r")
    fig.colorbar(image, ax=ax, label="pull")
    ax.set_xlabel("E_μ′")
    ax.set_ylabel("θ′")
    mean = np.mean(np.abs(pulls[both])) if both.any() else np.nan
    ax.set_title(f"MAP-2D = {mean:.2f}")
    fig.tight_layout()
    return fig
