"""Losses: the chi2 of the carbon fit with one normalization per dataset."""

import torch

__all__ = [
    "chi2_with_normalization",
    "log_space_chi2",
    "normalization_sums",
    "profiled_normalization",
]


def chi2_with_normalization(
    prediction, target, sigma, dataset, norm, norm_uncertainty, weight=None, n_total=None
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
    if norm is None:
        scaled = prediction
        penalty = 0.0
    else:
        per_point = norm.gather(1, dataset) if dataset.dim() == 2 else norm[:, dataset]
        scaled = prediction * per_point
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


def normalization_sums(prediction, target, sigma, dataset, n_datasets, weight=None):
    """Per-dataset sums that fix the chi2-optimal normalizations.

    a_mk = sum_{i in k} w_mi f_mi y_mi / sigma_i^2 and
    b_mk = sum_{i in k} w_mi f_mi^2 / sigma_i^2; sums over mini-batches add up
    to those of the whole training set.

    Parameters
    ----------
    prediction, target : Tensor (M, n)
    sigma : Tensor (n,)
    dataset : LongTensor (n,)
    n_datasets : int
    weight : Tensor (M, n), optional

    Returns
    -------
    a, b : Tensor (M, K)
    """
    f = prediction.detach() / sigma
    fy = f * (target / sigma)
    ff = f * f
    if weight is not None:
        fy, ff = fy * weight, ff * weight
    shape = (prediction.shape[0], n_datasets)
    a = torch.zeros(shape, dtype=f.dtype, device=f.device).index_add_(1, dataset, fy)
    b = torch.zeros(shape, dtype=f.dtype, device=f.device).index_add_(1, dataset, ff)
    return a, b


def profiled_normalization(a, b, norm_uncertainty, max_pulls=5.0, overall_scale=True):
    """Normalizations at the chi2 minimum for the current network.

    N_mk = c_m (a_mk + 1/delta_k^2) / (b_mk + 1/delta_k^2): the minimum in
    each N_mk, then in the overall scale c_m that the network can absorb.

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
    prior = norm_uncertainty.to(a.dtype) ** -2
    norm = (a + prior) / (b + prior)
    # (f, N) -> (f / c, c N) leaves the data term unchanged: only the penalty
    # fixes the overall scale, a direction so flat that gradient descent on
    # the network lets it wander (to N ~ 2 on carbon). Take its minimum in
    # closed form too, c = sum_k N_k / delta_k^2 / sum_k N_k^2 / delta_k^2;
    # the network then follows. At the joint optimum c = 1, so the fixed
    # point is the chi2 minimum.
    if overall_scale:
        scale = (norm * prior).sum(dim=1, keepdim=True) / (norm**2 * prior).sum(dim=1, keepdim=True)
        norm = norm * scale
    # Bound N_k to 1 +- max_pulls delta_k. Unbounded, a member can shrink its
    # prediction over one dataset while N_k grows (the penalty, one term
    # against hundreds of points, barely resists); the overall scale then
    # pulls every other N down and the member runs away (measured on carbon:
    # single members with chi2/N in the thousands).
    delta = norm_uncertainty.to(a.dtype)
    return torch.clamp(norm, min=1.0 - max_pulls * delta, max=1.0 + max_pulls * delta)
