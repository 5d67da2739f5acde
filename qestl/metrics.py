"""Figures of merit: chi2 of cross-section fits, as functions and scikit-learn scorers."""

import numpy as np
from sklearn.utils.metadata_routing import MetadataRequest

__all__ = ["chi2", "reduced_chi2", "chi2_scorer", "profile_normalizations"]


def _arrays(y, y_pred, sigma):
    y, y_pred, sigma = (np.asarray(a, dtype=float).ravel() for a in (y, y_pred, sigma))
    if not (y.shape == y_pred.shape == sigma.shape):
        raise ValueError(
            f"y, y_pred and sigma differ in length: {y.size}, {y_pred.size}, {sigma.size}"
        )
    if np.any(sigma <= 0):
        raise ValueError(f"sigma: {int(np.sum(sigma <= 0))} values <= 0")
    return y, y_pred, sigma


def profile_normalizations(y, y_pred, sigma, dataset, norm_uncertainty):
    """Normalizations N_k that minimise the chi2 with penalty, in closed form.

    N_k = (sum_i f_i y_i / s_i^2 + 1/d_k^2) / (sum_i f_i^2 / s_i^2 + 1/d_k^2)
    over the points i of dataset k.

    Parameters
    ----------
    y, y_pred, sigma : array_like (n,)
        Data, prediction and errors [nb/(sr GeV)].
    dataset : array_like (n,)
        Dataset label of each point.
    norm_uncertainty : float or array_like (n,)
        delta of each point's dataset (relative).

    Returns
    -------
    ndarray (n,)
        N_k(i) of each point.
    """
    y, y_pred, sigma = _arrays(y, y_pred, sigma)
    labels, index = np.unique(np.asarray(dataset), return_inverse=True)
    delta = np.broadcast_to(np.asarray(norm_uncertainty, dtype=float), y.shape)
    k = labels.size
    prior = np.zeros(k)
    prior[index] = 1.0 / delta**2
    num = np.bincount(index, y_pred * y / sigma**2, minlength=k) + prior
    den = np.bincount(index, (y_pred / sigma) ** 2, minlength=k) + prior
    return (num / den)[index]


def chi2(y, y_pred, sigma, *, dataset=None, norm_uncertainty=None, normalization=None):
    """chi2 = sum_i (N_k(i) f_i - y_i)^2 / sigma_i^2 [+ sum_k (N_k - 1)^2 / delta_k^2].

    No factor 1/2. Without ``dataset`` every N_k = 1. With ``dataset`` and
    ``norm_uncertainty`` the normalizations are profiled in closed form
    (:func:`profile_normalizations`) unless ``normalization`` gives them, and
    the penalty is added.

    Parameters
    ----------
    y, y_pred, sigma : array_like (n,)
        Data, prediction, point-to-point errors [nb/(sr GeV)].
    dataset : array_like (n,), optional
        Dataset label of each point.
    norm_uncertainty : float or array_like (n,), optional
        Relative normalization uncertainty of each point's dataset.
    normalization : array_like (n,), optional
        Fixed N_k(i) per point (e.g. those fitted on training data).

    Returns
    -------
    float

    Examples
    --------
    >>> chi2([1.0, 2.0], [1.1, 1.8], [0.1, 0.2])
    2.0
    """
    y, y_pred, sigma = _arrays(y, y_pred, sigma)
    if dataset is None or (norm_uncertainty is None and normalization is None):
        return float(np.sum(((y_pred - y) / sigma) ** 2))
    if normalization is None:
        normalization = profile_normalizations(y, y_pred, sigma, dataset, norm_uncertainty)
    normalization = np.asarray(normalization, dtype=float)
    value = np.sum(((normalization * y_pred - y) / sigma) ** 2)
    if norm_uncertainty is not None:
        delta = np.broadcast_to(np.asarray(norm_uncertainty, dtype=float), y.shape)
        _, first = np.unique(np.asarray(dataset), return_index=True)
        value += np.sum(((normalization[first] - 1.0) / delta[first]) ** 2)
    return float(value)


def reduced_chi2(y, y_pred, sigma, **kwargs):
    """chi2 per point, chi2 / n (see :func:`chi2` for the arguments).

    Returns
    -------
    float

    Examples
    --------
    >>> reduced_chi2([1.0, 2.0], [1.1, 1.8], [0.1, 0.2])
    1.0
    """
    return chi2(y, y_pred, sigma, **kwargs) / np.size(y)


class _Chi2Scorer:
    """Minus chi2 per point of ``estimator.predict(X)``; asks for ``sigma`` via metadata routing.

    A small class rather than ``make_scorer(...).set_score_request(sigma=True)``:
    the latter can only be built once routing is enabled, and a module-level
    scorer must exist before that.
    """

    def __call__(self, estimator, X, y_true, sigma=None, **kwargs):
        if sigma is None:
            raise ValueError(
                "chi2_scorer needs the point errors: enable metadata routing "
                "(sklearn.set_config(enable_metadata_routing=True)) and pass sigma"
            )
        return -reduced_chi2(y_true, estimator.predict(X), sigma)

    def get_metadata_routing(self):
        request = MetadataRequest(owner="chi2_scorer")
        request.score.add_request(param="sigma", alias=True)
        return request

    def __repr__(self):
        return "chi2_scorer"


#: Scorer for ``cross_val_score`` / ``GridSearchCV``: minus chi2 per point
#: (greater is better). It requests ``sigma`` through metadata routing: call
#: ``sklearn.set_config(enable_metadata_routing=True)`` and pass
#: ``params={"sigma": ...}`` to ``cross_val_score`` (or ``sigma=...`` to
#: ``GridSearchCV.fit``).
chi2_scorer = _Chi2Scorer()
