"""chi2 with one normalization per dataset, for numpy arrays and torch tensors alike.

The one implementation behind the training loss (:mod:`qestl.nn.losses`),
the post-fit member selection (:func:`member_chi2`) and the metric
(:func:`qestl.metrics.chi2`), after Kowal et al. (PRC 110, 025501) and
Graczyk et al. (2026), eqs. A4-A5:

chi2_m = sum_i w_mi (N_mk(i) f_mi - y_mi)^2 / sigma_i^2 + sum_k (N_mk - 1)^2 / delta_k^2,

with f the prediction, y the data, N_k the normalization of dataset k and
delta_k its relative uncertainty; no factor 1/2. A leading member axis m is
optional: every function works on (n,) points or (M, n) members by points.
Cross sections are in nb/(sr GeV); only their ratios enter.
"""

from qestl import _arrays

__all__ = ["chi2_terms", "member_chi2", "normalization_sums", "profiled_normalization"]


def chi2_terms(
    prediction, target, sigma, dataset=None, norm=None, norm_uncertainty=None, weight=None
):
    """The data term and the normalization penalty of the chi2, apart.

    Parameters
    ----------
    prediction : ndarray or Tensor of shape (..., n)
        Model cross sections f.
    target : ndarray or Tensor of shape (..., n) or (n,)
        Data y.
    sigma : ndarray or Tensor of shape (n,) or (..., n)
        Point-to-point errors, > 0.
    dataset : integer array of shape (n,) or (..., n), optional
        Dataset index k(i) of each point (with a leading axis when each member
        has its own points); None: ``norm`` holds one value per point.
    norm : ndarray or Tensor of shape (..., K), optional
        N_k (per point, shape (..., n), without ``dataset``); None: N = 1.
    norm_uncertainty : ndarray or Tensor of shape (K,), optional
        delta_k (relative); None: no penalty.
    weight : ndarray or Tensor of shape (..., n), optional
        Point weights (bootstrap counts, 0 for a member's validation points).

    Returns
    -------
    data : ndarray or Tensor of shape (...)
        sum_i w_i (N_k(i) f_i - y_i)^2 / sigma_i^2.
    penalty : ndarray or Tensor of shape (...), or 0.0
        sum_k (N_k - 1)^2 / delta_k^2; 0.0 without ``norm`` or ``norm_uncertainty``.

    Examples
    --------
    >>> import numpy as np
    >>> f, y, sigma = np.array([1.0, 2.0]), np.array([1.2, 1.8]), np.array([0.1, 0.4])
    >>> data, penalty = chi2_terms(f, y, sigma, [0, 0], np.array([1.1]), np.array([0.05]))
    >>> round(float(data), 6), round(float(penalty), 6)  # (0.1/0.1)^2 + (0.4/0.4)^2, (0.1/0.05)^2
    (2.0, 4.0)
    """
    scaled = prediction
    penalty = 0.0
    if norm is not None:
        per_point = norm if dataset is None else _arrays.take_per_point(norm, dataset)
        scaled = prediction * per_point
        if norm_uncertainty is not None:
            penalty = (((norm - 1.0) / norm_uncertainty) ** 2).sum(-1)
    pull2 = ((scaled - target) / sigma) ** 2
    if weight is not None:
        pull2 = pull2 * weight
    return pull2.sum(-1), penalty


def member_chi2(predictions, y, sigma, norm=None, dataset=None):
    """chi2/N of each member of an ensemble, with its own normalizations, without penalty.

    The figure the post-fit selection ranks members by
    (:func:`qestl.postfit.select_members`).

    Parameters
    ----------
    predictions : ndarray of shape (M, n)
        Each member's cross sections [nb/(sr GeV)].
    y, sigma : ndarray of shape (n,)
        Data and point-to-point errors [nb/(sr GeV)].
    norm : ndarray of shape (M, n) or (M, K), optional
        N_mk(i) of each member at each point; or N_mk of each member and
        dataset, with ``dataset``. None: N = 1.
    dataset : ndarray of int, shape (n,), optional
        Dataset index k(i) of each point, into the columns of a (M, K) ``norm``.

    Returns
    -------
    ndarray of shape (M,)
        mean_i (N_mk(i) f_mi - y_i)^2 / sigma_i^2.

    Examples
    --------
    >>> import numpy as np
    >>> members = np.array([[1.0, 2.0], [2.0, 4.0]])
    >>> member_chi2(members, np.array([1.0, 2.0]), np.array([0.5, 1.0]),
    ...             np.array([[1.0], [0.5]]), dataset=[0, 0]).tolist()
    [0.0, 0.0]
    >>> member_chi2(members, np.array([1.0, 2.0]), np.array([0.5, 1.0])).tolist()
    [0.0, 4.0]
    """
    data, _ = chi2_terms(predictions, y, sigma, dataset, norm)
    return data / predictions.shape[-1]


def normalization_sums(prediction, target, sigma, dataset, n_datasets, weight=None):
    """Per-dataset sums that fix the chi2-optimal normalizations.

    a_k = sum_{i in k} w_i f_i y_i / sigma_i^2 and
    b_k = sum_{i in k} w_i f_i^2 / sigma_i^2; sums over mini-batches add up
    to those of the whole data set. A tensor ``prediction`` is detached: the
    normalizations are held fixed while the network moves.

    Parameters
    ----------
    prediction, target : ndarray or Tensor of shape (..., n)
    sigma : ndarray or Tensor of shape (n,)
    dataset : integer array of shape (n,)
        Dataset index k(i) of each point.
    n_datasets : int
        K.
    weight : ndarray or Tensor of shape (..., n), optional

    Returns
    -------
    a, b : ndarray or Tensor of shape (..., K)
    """
    f = getattr(prediction, "detach", lambda: prediction)() / sigma
    fy = f * (target / sigma)
    ff = f * f
    if weight is not None:
        fy, ff = fy * weight, ff * weight
    return (
        _arrays.segment_sum(fy, dataset, n_datasets),
        _arrays.segment_sum(ff, dataset, n_datasets),
    )


def profiled_normalization(a, b, norm_uncertainty, max_pulls=None, overall_scale=False):
    """Normalizations at the minimum of the chi2 in closed form.

    N_k = (a_k + 1/delta_k^2) / (b_k + 1/delta_k^2), the minimum of the chi2
    in each N_k for a fixed prediction; optionally times the overall scale c
    that a network in training can absorb, and bounded.

    Parameters
    ----------
    a, b : ndarray or Tensor of shape (..., K)
        Sums of :func:`normalization_sums`.
    norm_uncertainty : array_like or Tensor of shape (K,)
        delta_k, > 0.
    max_pulls : float, optional
        Keep N_k within 1 +- max_pulls delta_k; None (or inf): unbounded, the
        exact minimum. The metric takes the exact minimum; training bounds it
        (:func:`qestl.nn.losses.profiled_normalization`, 5).
    overall_scale : bool, default False
        Multiply by c = sum_k N_k / delta_k^2 / sum_k N_k^2 / delta_k^2, the
        minimum along the direction (f / c, c N) that leaves the data term
        unchanged. Only while a network trains: afterwards it can no longer
        absorb 1 / c.

    Returns
    -------
    ndarray or Tensor of shape (..., K)

    Examples
    --------
    Three points at twice the prediction (f = 1, y = 2, sigma = delta = 0.5):
    a = 24, b = 12, so N = (24 + 4) / (12 + 4):

    >>> import numpy as np
    >>> float(profiled_normalization(np.array([24.0]), np.array([12.0]), [0.5])[0])
    1.75
    >>> float(profiled_normalization(np.array([24.0]), np.array([12.0]), [0.5], max_pulls=1)[0])
    1.5
    """
    delta = _arrays.like(norm_uncertainty, a)
    prior = delta**-2
    norm = (a + prior) / (b + prior)
    # (f, N) -> (f / c, c N) leaves the data term unchanged: only the penalty
    # fixes the overall scale, a direction so flat that gradient descent on
    # the network lets it wander (to N ~ 2 on carbon). Its minimum in closed
    # form; the network then follows. At the joint optimum c = 1, so the
    # fixed point is the chi2 minimum.
    if overall_scale:
        norm = norm * ((norm * prior).sum(-1) / (norm**2 * prior).sum(-1))[..., None]
    if max_pulls is None:
        return norm
    return _arrays.namespace(norm).clip(norm, 1.0 - max_pulls * delta, 1.0 + max_pulls * delta)
