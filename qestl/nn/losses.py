"""Losses: the chi2 of the carbon fit with one normalization per dataset."""

import torch

__all__ = ["chi2_with_normalization", "log_space_chi2"]


def chi2_with_normalization(
    prediction, target, sigma, dataset, log_norm, norm_uncertainty, weight=None, n_total=None
):
    """chi2 of Kowal et al. (PRC 110, 025501; Graczyk et al. 2026, eqs. A4-A5), per member.

    chi2_m = sum_i w_mi (N_mk(i) f_mi - y_mi)^2 / sigma_i^2 + sum_k (N_mk - 1)^2 / delta_k^2,
    without the conventional factor 1/2. On a mini-batch the point sum is
    rescaled to the full data (``n_total``) so that the penalty keeps its weight.

    Parameters
    ----------
    prediction : Tensor (M, n)
        Model cross sections f [nb/(sr GeV)].
    target : Tensor (M, n)
        Replicas y (one per member) [nb/(sr GeV)].
    sigma : Tensor (n,)
        Point-to-point errors [nb/(sr GeV)].
    dataset : LongTensor (n,)
        Dataset index k(i) of each point.
    log_norm : Tensor (M, K)
        log N_mk; ``None`` means N = 1 and no penalty.
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
    if log_norm is None:
        scaled = prediction
        penalty = 0.0
    else:
        norm = torch.exp(log_norm)
        scaled = prediction * norm[:, dataset]
        penalty = (((norm - 1.0) / norm_uncertainty) ** 2).sum(dim=1)
    pull2 = ((scaled - target) / sigma) ** 2
    if weight is not None:
        pull2 = pull2 * weight
        batch = weight.sum(dim=1).clamp_min(1.0)
    else:
        batch = torch.full(
            (prediction.shape[0],), float(prediction.shape[1]), device=prediction.device
        )
    n_total = batch if n_total is None else torch.as_tensor(n_total, dtype=pull2.dtype)
    return pull2.sum(dim=1) / batch + penalty / n_total


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
