"""Figures of merit of generated neutrino events: MAP-3D, MAP-2D and EMD.

After Bonilla et al., arXiv:2508.12987: events are binned in the GAN proxy
variables of :mod:`qestl.kinematics` and compared bin by bin (the mean
absolute pull, MAP) or as distributions (the earth mover's distance, EMD).
"""

import numpy as np
import ot
import pandas as pd

from qestl import kinematics
from qestl.constants import M_MUON

__all__ = [
    "event_proxies",
    "histogram_pulls",
    "map_proxies",
    "proxy_histogram",
    "map_3d",
    "map_2d",
    "map_criterion",
    "muon_columns",
    "emd",
]

_EVENT_COLUMNS = ("E_nu", "E_mu", "theta")


def event_proxies(events):
    """Events in physical units -> the GAN proxy variables (E_nu', E_mu', theta').

    Parameters
    ----------
    events : pandas.DataFrame or array_like of shape (n, 3)
        E_nu [GeV], total muon energy E_mu [GeV], muon angle theta [degrees];
        a DataFrame is read by these column names.

    Returns
    -------
    ndarray of shape (n, 3)
        (E_nu', E_mu', theta') of :mod:`qestl.kinematics`, each in [-1, 1]
        for 0.3 <= E_nu <= 10 GeV.

    Raises
    ------
    ValueError
        On a wrong shape, NaN, or muons outside m_mu <= E_mu <= E_nu - 4 MeV,
        0 <= theta <= 180 degrees (naming the first offending rows).
    """
    if isinstance(events, pd.DataFrame):
        missing = [c for c in _EVENT_COLUMNS if c not in events.columns]
        if missing:
            raise ValueError(f"events DataFrame lacks columns {missing}")
        events = events[list(_EVENT_COLUMNS)]
    events = np.asarray(events, dtype=float)
    if events.ndim != 2 or events.shape[1] != 3:
        raise ValueError(f"events must have shape (n, 3) = (E_nu, E_mu, theta), got {events.shape}")
    if len(events) == 0:
        raise ValueError("events is empty")
    E_nu, E_mu, theta = events.T
    bad = (
        ~np.isfinite(events).all(axis=1)
        | (E_mu < M_MUON - 1e-9)
        | (E_mu > E_nu - kinematics.E_MU_GAP + 1e-9)
        | (theta < 0)
        | (theta > 180)
    )
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ValueError(
            f"{rows.size} events are NaN or outside m_mu <= E_mu <= E_nu - 0.004 GeV, "
            f"0 <= theta <= 180 deg (rows {rows[:10].tolist()})"
        )
    emu = kinematics.emu_to_proxy(np.maximum(E_mu, M_MUON), E_nu)
    return np.column_stack(
        [
            kinematics.enu_to_proxy(E_nu),
            np.nan_to_num(emu, nan=-1.0),
            kinematics.theta_to_proxy(theta),
        ]
    )


def histogram_pulls(counts_a, counts_b, n_a=None, n_b=None):
    """Per-bin pulls of two histograms of (possibly) different totals.

    pull_i = (m a_i - n b_i) / sqrt(n m (a_i + b_i)), with n = sum a and
    m = sum b: the residuals of the two-sample chi2 homogeneity test
    (N. D. Gagunashvili, Nucl. Instrum. Meth. A 614 (2010) 287; ROOT's
    ``TH1::Chi2Test``). It is a_i/n - b_i/m over its standard error when
    both samples come from one distribution, p_i estimated from the pooled
    counts; for n = m it is (a_i - b_i) / sqrt(a_i + b_i), and for large
    counts pull_i ~ N(0, 1), so the mean |pull| is sqrt(2/pi) ~ 0.80.
    Bins empty in both histograms give NaN.

    Parameters
    ----------
    counts_a, counts_b : ndarray, same shape
        Bin counts.
    n_a, n_b : float, optional
        Totals; default the sums of the counts (pass them when the
        histograms do not contain every event).

    Returns
    -------
    ndarray
        Pulls, the shape of the counts.
    """
    a = np.asarray(counts_a, dtype=float)
    b = np.asarray(counts_b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"histograms differ in shape: {a.shape} and {b.shape}")
    n = a.sum() if n_a is None else float(n_a)
    m = b.sum() if n_b is None else float(n_b)
    if n <= 0 or m <= 0:
        raise ValueError(f"both histograms need events, got totals {n} and {m}")
    with np.errstate(invalid="ignore", divide="ignore"):
        return (m * a - n * b) / np.sqrt(n * m * (a + b))


def proxy_histogram(proxies, bins):
    """Counts of a sample on the uniform grid of ``bins`` per axis over [-1, 1]^d.

    The binning of every event metric and plot (MAP-3D, MAP-2D, EMD).

    Parameters
    ----------
    proxies : ndarray of shape (n, d)
        Events in proxy variables.
    bins : int

    Returns
    -------
    ndarray of shape (bins,) * d
    """
    edges = [np.linspace(-1.0, 1.0, bins + 1)] * proxies.shape[1]
    return np.histogramdd(proxies, bins=edges)[0]


def map_proxies(proxies_a, proxies_b, bins, tails=True):
    """Mean absolute pull of two samples binned uniformly on [-1, 1]^d.

    The MAP of Bonilla et al.: with ``tails=True`` ("all tails") the bins
    where both samples have events, with ``tails=False`` those where both
    have more than 5. Pulls: :func:`histogram_pulls`.

    Parameters
    ----------
    proxies_a, proxies_b : ndarray of shape (n, d), (m, d)
        Samples in proxy variables.
    bins : int
        Bins per axis.
    tails : bool, default True

    Returns
    -------
    float
        NaN when no bin qualifies.
    """
    a, b = proxy_histogram(proxies_a, bins), proxy_histogram(proxies_b, bins)
    floor = 0 if tails else 5
    used = (a > floor) & (b > floor)
    if not used.any():
        return float("nan")
    pulls = histogram_pulls(a, b, len(proxies_a), len(proxies_b))
    return float(np.mean(np.abs(pulls[used])))


def map_3d(events_a, events_b, bins=14, tails=True):
    """MAP-3D: mean absolute pull in (E_nu', E_mu', theta'), 14 bins per axis.

    Bonilla et al. (arXiv:2508.12987, Sec. IV) compare NuWro and GAN events
    in 14 x 14 x 14 bins of the proxy variables (E_nu uniform in 0.3-10 GeV).
    Two independent samples of one distribution give about sqrt(2/pi) = 0.80
    (less when low-count bins dominate: see :func:`histogram_pulls`).
    Events of E_nu outside 0.3-10 GeV fall outside the grid and are ignored
    in the counts (the totals still count them).

    Parameters
    ----------
    events_a, events_b : pandas.DataFrame or array_like of shape (n, 3)
        (E_nu [GeV], E_mu [GeV], theta [degrees]); sizes may differ.
    bins : int, default 14
        Bins per axis.
    tails : bool, default True
        True: bins where both counts are non-zero; False: both > 5 ("w/o tails").

    Returns
    -------
    float

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> def sample(n):
    ...     E_nu = rng.uniform(0.3, 10.0, n)
    ...     E_mu = 0.11 + (E_nu - 0.12) * rng.random(n)
    ...     return np.column_stack([E_nu, E_mu, 90 * rng.random(n)])
    >>> round(map_3d(sample(200_000), sample(200_000), tails=False), 1)
    0.8
    """
    return map_proxies(event_proxies(events_a), event_proxies(events_b), bins, tails)


def map_2d(events_a, events_b, bins=50, tails=True):
    """MAP-2D: mean absolute pull in (E_mu', theta'), 50 x 50 bins (Bonilla et al.).

    Meant for samples at one neutrino energy (the paper's Table 1); E_nu only
    enters through the proxy E_mu'.

    Parameters
    ----------
    events_a, events_b : pandas.DataFrame or array_like of shape (n, 3)
        (E_nu [GeV], E_mu [GeV], theta [degrees]).
    bins : int, default 50
    tails : bool, default True
        As in :func:`map_3d`.

    Returns
    -------
    float
    """
    return map_proxies(event_proxies(events_a)[:, 1:], event_proxies(events_b)[:, 1:], bins, tails)


def emd(events_a, events_b, bins=14):
    """Earth mover's distance between two event samples, binned in the proxy variables.

    The paper cites the EMD without defining its variables; here it is the
    exact 1-Wasserstein distance (POT's network simplex, ``ot.emd2``) between
    the two unit-normalised histograms of (E_nu', E_mu', theta') on the
    ``bins``^3 grid of :func:`map_3d` over [-1, 1]^3, with the Euclidean
    distance between bin centres (proxy units) as ground cost. Binning makes
    the cost independent of the sample size (10^6 events take about 1 s: the
    histogramming plus a transport problem between the non-empty bins, at
    most 14^3 = 2744), and biases the distance by at most one bin diagonal.
    For samples at one energy all events share one E_nu' slab, so this is
    the EMD in (E_mu', theta').

    Parameters
    ----------
    events_a, events_b : pandas.DataFrame or array_like of shape (n, 3)
        (E_nu [GeV], E_mu [GeV], theta [degrees]); sizes may differ.
    bins : int, default 14
        Bins per axis.

    Returns
    -------
    float
        In proxy units (each proxy spans 2).

    Examples
    --------
    >>> a = np.array([[1.0, 0.5, 10.0]])
    >>> float(emd(a, a))
    0.0
    """
    a, b = (proxy_histogram(event_proxies(e), bins) for e in (events_a, events_b))
    if a.sum() == 0 or b.sum() == 0:
        raise ValueError("no events of one sample fall in 0.3 <= E_nu <= 10 GeV")
    a, b = a.ravel() / a.sum(), b.ravel() / b.sum()
    centres = np.stack(np.unravel_index(np.arange(a.size), (bins,) * 3), axis=1) * (2.0 / bins) + (
        1.0 / bins - 1.0
    )
    ia, ib = np.flatnonzero(a), np.flatnonzero(b)
    cost = ot.dist(centres[ia], centres[ib], metric="euclidean")
    return float(ot.emd2(a[ia], b[ib], cost, numItermax=10_000_000))


def muon_columns(y, n):
    """Test muons as an (n, 2) array (E_mu [GeV], theta [degrees]).

    A DataFrame is read by column name (``E_mu``, ``theta``), anything else by
    position.

    Parameters
    ----------
    y : pandas.DataFrame or array_like of shape (n, 2)
    n : int
        Expected number of events.

    Returns
    -------
    ndarray of shape (n, 2)
    """
    if isinstance(y, pd.DataFrame):
        missing = {"E_mu", "theta"} - set(y.columns)
        if missing:
            raise ValueError(f"y lacks the columns {sorted(missing)}; it has {list(y.columns)}")
        y = y[["E_mu", "theta"]]
    muon = np.asarray(y, dtype=float)
    if muon.shape != (n, 2):
        raise ValueError(f"y must have shape ({n}, 2) = (E_mu, theta), got {muon.shape}")
    return muon


def map_criterion(events_a, events_b, bins=14):
    """The model-selection criterion of Bonilla et al.: (MAP-3D + MAP-3D w/o tails) / 2.

    Only the finite terms are averaged: with few events no bin holds more
    than 5 of both samples and MAP-3D without tails is undefined (NaN).

    Parameters
    ----------
    events_a, events_b : pandas.DataFrame or array_like of shape (n, 3)
        (E_nu [GeV], E_mu [GeV], theta [degrees]).
    bins : int, default 14

    Returns
    -------
    float
        NaN only when the samples share no bin.
    """
    values = [map_3d(events_a, events_b, bins, tails) for tails in (True, False)]
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")
