"""Monte Carlo replicas of cross-section data: what each ensemble member trains on."""

import numpy as np

from qestl.datasets.normalization import DEFAULT_NORM_UNCERTAINTY

__all__ = ["dataset_deltas", "draw_normalizations", "draw_replicas"]


def dataset_deltas(norm_uncertainty, labels):
    """Relative normalization uncertainty delta_k of each dataset.

    Parameters
    ----------
    norm_uncertainty : float, mapping label -> float, or None
        One delta for all, one per label (missing labels get
        ``DEFAULT_NORM_UNCERTAINTY``), or None (no normalizations: 1 each,
        unused).
    labels : sequence of str
        Dataset labels, in the order of the result.

    Returns
    -------
    ndarray of shape (len(labels),)
    """
    if norm_uncertainty is None:
        return np.ones(len(labels))
    if isinstance(norm_uncertainty, dict):
        return np.array([float(norm_uncertainty.get(k, DEFAULT_NORM_UNCERTAINTY)) for k in labels])
    return np.full(len(labels), float(norm_uncertainty))


def draw_normalizations(deltas, n_members, rng):
    """Factors exp(r_mk delta_k) of each dataset k for each member m.

    r is standardised over the members (mean 0, std 1) and the factors are
    divided by their member mean: a plain draw leaves the mean of 50
    factors off 1 by about delta / sqrt(50), which shifts the ensemble mean
    by as much (measured on carbon: 1.1 % for Sealock 1989, whose data are
    better than that). Log-normal so that a factor stays positive for any
    delta.

    Parameters
    ----------
    deltas : ndarray of shape (K,)
    n_members : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of shape (K, n_members)
    """
    deltas = np.asarray(deltas, dtype=float)[:, None]
    r = rng.standard_normal((len(deltas), n_members))
    r = (r - r.mean(axis=1, keepdims=True)) / r.std(axis=1, keepdims=True)
    factors = np.exp(r * deltas)
    return factors / factors.mean(axis=1, keepdims=True)


def draw_replicas(y, sigma, n_members, rng, resampling="replica", index=None, deltas=None):
    """Each member's training data: its replica targets and point weights.

    Parameters
    ----------
    y, sigma : ndarray of shape (n,)
        Cross sections and point-to-point errors [nb/(sr GeV)].
    n_members : int
    rng : numpy.random.Generator
    resampling : {"replica", "bootstrap", "none"}, default "replica"
        "replica": y + r sigma, r ~ N(0, 1) per point and member;
        "bootstrap": the points drawn with replacement per member (the
        weights count the draws); "none": the data as they are.
    index : ndarray of int, shape (n,), optional
        Dataset of each point (rows of ``deltas``); with ``deltas``, each
        member's data are also multiplied by its own normalization draw
        (:func:`draw_normalizations`).
    deltas : ndarray of shape (K,), optional

    Returns
    -------
    replicas, weights : ndarray of shape (n, n_members)
    """
    n = len(y)
    replicas = np.repeat(np.asarray(y, dtype=float)[:, None], n_members, axis=1)
    weights = np.ones((n, n_members))
    if resampling == "replica":
        replicas = replicas + rng.standard_normal((n, n_members)) * np.asarray(sigma)[:, None]
    elif resampling == "bootstrap":
        draws = [np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_members)]
        weights = np.stack(draws, axis=1).astype(float)
    elif resampling != "none":
        raise ValueError(f"resampling must be 'replica', 'bootstrap' or 'none', got {resampling!r}")
    if deltas is not None:
        replicas = replicas * draw_normalizations(deltas, n_members, rng)[index]
    return replicas, weights
