"""Losses: the chi2 of the carbon fit with one normalization per dataset.

The chi2 itself is :mod:`qestl.chi2`, shared with the metric and the member
selection; here are its training forms.
"""

import torch

from qestl import chi2
from qestl.chi2 import chi2_terms, normalization_sums

__all__ = [
    "chi2_with_normalization",
    "log_space_chi2",
    "normalization_sums",
    "profiled_normalization",
    "MAX_PULLS",
]

# Unbounded, a member can shrink its prediction over one dataset while N_k
# grows (the penalty, one term against hundreds of points, barely resists);
# the overall scale then pulls every other N down and the member runs away
# (measured on carbon: single members with chi2/N in the thousands). A
# fixed prediction cannot run away, so the metric needs no bound.
#: Training keeps each N_k within 1 +- MAX_PULLS delta_k.
MAX_PULLS = 5.0


def chi2_with_normalization(
    prediction, target, sigma, dataset, norm, norm_uncertainty, weight=None, n_total=None
):
    """The training loss: chi2 of :mod:`qestl.chi2` per member, per point.

    chi2_m = sum_i w_mi (N_mk(i) f_mi - y_mi)^2 / sigma_i^2 + sum_k (N_mk - 1)^2 / delta_k^2
    (Kowal et al., PRC 110, 025501; Graczyk et al. 2026, eqs. A4-A5), without
    the conventional factor 1/2. On a mini-batch the point sum is rescaled to
    the full data (``n_total``) so that the penalty keeps its weight.

    Parameters
    ----------
    prediction : Tensor (M, n)
        Model cross sections f [nb/(sr GeV)].
    target : Tensor (M, n)
        Replicas y (one per member) [nb/(sr GeV)].
    sigma : Tensor (n,) or (M, n)
        Point-to-point errors [nb/(sr GeV)].
    dataset : LongTensor (n,) or (M, n)
        Dataset index k(i) of each point; (M, n) when every member has its
        own points (a member's validation rows).
    norm : Tensor (M, K)
        N_mk; ``None`` means N = 1 and no penalty.
    norm_uncertainty : Tensor (K,)
        delta_k (relative).
    weight : Tensor (M, n), optional
        Per-member point weights (bootstrap counts, 0 for a member's validation points).
    n_total : float, optional
        Size of the full training set; default the batch size.

    Returns
    -------
    Tensor (M,)
        chi2 of each member, divided by ``n_total`` (chi2 per point).
    """
    data, penalty = chi2_terms(prediction, target, sigma, dataset, norm, norm_uncertainty, weight)
    if weight is not None:
        batch = weight.sum(dim=1).clamp_min(1.0)
    else:
        batch = torch.full(
            (prediction.shape[0],), float(prediction.shape[1]), device=prediction.device
        )
    n_total = batch if n_total is None else torch.as_tensor(n_total, dtype=data.dtype)
    return data / batch + penalty / n_total


def log_space_chi2(prediction, target, sigma, weight=None):
    """chi2 linearised in log space, for the first epochs of a fit.

    sum_i w_mi (y_i / sigma_i)^2 (log f_mi - log y_mi)^2 over points with y > 0,
    per point. Near the data it equals the chi2; far from it (at initialisation
    the sigmoid times S_A can exceed the data by six orders of magnitude at low
    energy) its gradient stays bounded, so the network finds the scale of
    every spectrum before the chi2 takes over.

    Parameters
    ----------
    prediction, target : Tensor (M, n)
    sigma : Tensor (n,)
    weight : Tensor (M, n), optional

    Returns
    -------
    Tensor (M,)
    """
    positive = target > 0
    safe = torch.where(positive, target, torch.ones_like(target))
    pull = (safe / sigma) * (torch.log(prediction) - torch.log(safe))
    pull2 = torch.where(positive, pull**2, torch.zeros_like(pull))
    if weight is not None:
        pull2 = pull2 * weight
        positive = positive * (weight > 0)
    return pull2.sum(dim=1) / positive.sum(dim=1).clamp_min(1)


def profiled_normalization(a, b, norm_uncertainty, max_pulls=MAX_PULLS, overall_scale=True):
    """Normalizations at the chi2 minimum for the current network, bounded.

    :func:`qestl.chi2.profiled_normalization` with the settings of training:
    N_mk = c_m (a_mk + 1/delta_k^2) / (b_mk + 1/delta_k^2), the minimum in
    each N_mk, then in the overall scale c_m that the network can absorb,
    kept within 1 +- 5 delta_k.

    Parameters
    ----------
    a, b : Tensor (M, K)
        Sums of :func:`normalization_sums`.
    norm_uncertainty : Tensor (K,)
        delta_k.
    max_pulls : float, default 5
        N_mk is kept within 1 +- max_pulls delta_k.
    overall_scale : bool, default True
        Apply c_m. Only while training: afterwards the network can no longer
        absorb 1 / c_m, and N_mk is the per-dataset minimum alone.

    Returns
    -------
    Tensor (M, K)
    """
    return chi2.profiled_normalization(
        a, b, norm_uncertainty, max_pulls=max_pulls, overall_scale=overall_scale
    )
