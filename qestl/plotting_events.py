"""Figures of generated neutrino events against a reference (Bonilla et al., arXiv:2508.12987).

W and Q^2 distributions, 2D histograms of the proxy variables (E_mu', theta')
and maps of the per-bin pulls behind MAP-2D (:func:`qestl.metrics.map_2d`).
Events are (E_nu [GeV], E_mu [GeV], theta [degrees]) arrays or DataFrames.
Each figure's title names the interaction and the nucleus: from ``title``,
else from the ``attrs`` that :func:`qestl.datasets.make_cc_events` writes
(``target``, ``probe``) on either sample.
"""

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qestl import kinematics  # noqa: E402
from qestl.metrics import event_proxies, histogram_pulls, proxy_histogram  # noqa: E402

__all__ = ["plot_w_q2", "plot_proxy_histograms", "plot_pull_map", "describe_events"]

# mathtext, so that the subscripts render
_PROBES = {"numu": r"$\nu_\mu$", "numubar": r"$\bar\nu_\mu$"}
_PROXY_LABELS = (
    r"$E_\mu'$ (proxy of $E_\mu$, from −1 to 1)",
    r"$\theta'$ (proxy of $\theta_\mu$, from −1 to 1)",
)
_PROXY_TICKS = (-1.0, -0.5, 0.0, 0.5, 1.0)


def describe_events(*samples):
    r"""A title for event samples: interaction, nucleus and neutrino energies.

    Parameters
    ----------
    *samples : pandas.DataFrame or array_like of shape (n, 3)
        (E_nu [GeV], E_mu [GeV], theta [degrees]); the first DataFrame with
        ``attrs["target"]`` (and ``attrs["probe"]``) names the nucleus.

    Returns
    -------
    str
        E.g. ``CC $\nu_\mu$ on 12C, $E_\nu$ = 1 GeV`` or ``..., $E_\nu$ =
        0.3-10 GeV`` (in matplotlib's mathtext); ``CC $\nu_\mu$ events, ...``
        when no sample names its nucleus.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"E_nu": [1.0, 1.0], "E_mu": [0.5, 0.6], "theta": [20.0, 30.0]})
    >>> events.attrs.update(target="40Ar", probe="numubar")
    >>> print(describe_events(events))
    CC $\bar\nu_\mu$ on 40Ar, $E_\nu$ = 1 GeV
    """
    attrs = next((s.attrs for s in samples if getattr(s, "attrs", {}).get("target")), {})
    probe = _PROBES.get(attrs.get("probe", "numu"), str(attrs.get("probe")))
    text = f"CC {probe} on {attrs['target']}" if attrs else f"CC {probe} events"
    proxies = np.concatenate([event_proxies(s)[:, 0] for s in samples])
    low, high = kinematics.proxy_to_enu(np.array([proxies.min(), proxies.max()]))
    energies = f"{low:.3g}" if proxies.min() == proxies.max() else f"{low:.2g}–{high:.2g}"
    return f"{text}, $E_\\nu$ = {energies} GeV"


def _physical(events):
    """(E_nu, E_mu, theta) columns of validated events."""
    proxies = event_proxies(events)
    E_nu = kinematics.proxy_to_enu(proxies[:, 0])
    return (
        E_nu,
        kinematics.proxy_to_emu(proxies[:, 1], E_nu),
        kinematics.proxy_to_theta(proxies[:, 2]),
    )


def plot_w_q2(
    events, reference, labels=("GAN", "reference"), bins=60, title=None, figsize=(8.0, 3.6)
):
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
    title : str, optional
        Default :func:`describe_events` of the two samples.
    figsize : tuple
        Inches.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: W [GeV], Q^2 [GeV^2], each a density (per GeV, per GeV^2),
        and one legend below them.
    """
    fig, (ax_w, ax_q) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    samples = [_physical(events), _physical(reference)]
    w = [kinematics.w_neutrino(*s) for s in samples]
    q2 = [kinematics.q2_neutrino(*s) for s in samples]
    for ax, values, name, density in (
        (ax_w, w, "W [GeV]", "1/N dN/dW [GeV⁻¹]"),
        (ax_q, q2, "Q² [GeV²]", "1/N dN/dQ² [GeV⁻²]"),
    ):
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
        ax.set_ylabel(density)
    # both panels draw the same two samples: one legend for the figure
    fig.legend(*ax_w.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    fig.suptitle(title or describe_events(events, reference))
    return fig


def plot_proxy_histograms(
    events, reference, labels=("GAN", "reference"), bins=50, title=None, figsize=(8.6, 3.8)
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
    title : str, optional
        Default :func:`describe_events` of the two samples.
    figsize : tuple
        Inches.

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
    fig, axes = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    for ax, hist, label in zip(axes, hists, labels, strict=True):
        image = ax.pcolormesh(edges, edges, hist.T, vmin=0, vmax=vmax, cmap="viridis")
        ax.set_title(label)
        ax.set_xlabel(_PROXY_LABELS[0])
        ax.set_ylabel(_PROXY_LABELS[1])
        ax.set_xticks(_PROXY_TICKS)
        ax.set_yticks(_PROXY_TICKS)
    fig.colorbar(image, ax=list(axes), label="fraction of events per bin")
    fig.suptitle(title or describe_events(events, reference))
    return fig


def plot_pull_map(events, reference, bins=50, vmax=5.0, title=None, figsize=(5.4, 4.6)):
    """Per-bin pulls of ``events`` against ``reference`` in (E_mu', theta').

    The pulls of :func:`qestl.metrics.histogram_pulls`, the terms of MAP-2D
    (bins empty in both samples are blank); positive where ``events`` has
    too many events. The panel title gives the MAP-2D (all tails).

    Parameters
    ----------
    events, reference : pandas.DataFrame or array_like of shape (n, 3)
        (E_nu [GeV], E_mu [GeV], theta [degrees]).
    bins : int, default 50
    vmax : float, default 5
        Colour range [-vmax, vmax].
    title : str, optional
        Figure title; default :func:`describe_events` of the two samples.
    figsize : tuple
        Inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    edges = np.linspace(-1.0, 1.0, bins + 1)
    a, b = (event_proxies(s) for s in (events, reference))
    counts_a, counts_b = proxy_histogram(a[:, 1:], bins), proxy_histogram(b[:, 1:], bins)
    pulls = histogram_pulls(counts_a, counts_b, len(a), len(b))
    both = (counts_a > 0) & (counts_b > 0)
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    image = ax.pcolormesh(edges, edges, pulls.T, vmin=-vmax, vmax=vmax, cmap="RdBu_r")
    fig.colorbar(image, ax=ax, label="pull (> 0: more events than the reference)")
    ax.set_xlabel(_PROXY_LABELS[0])
    ax.set_ylabel(_PROXY_LABELS[1])
    ax.set_xticks(_PROXY_TICKS)
    ax.set_yticks(_PROXY_TICKS)
    mean = np.mean(np.abs(pulls[both])) if both.any() else np.nan
    ax.set_title(f"MAP-2D = {mean:.2f}")
    fig.suptitle(title or describe_events(events, reference))
    return fig
