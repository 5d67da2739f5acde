"""chi2 of cross-section fits, with the papers' treatments of the dataset normalizations.

The chi2 itself is :mod:`qestl.chi2`, shared with the training loss and the
member selection; here it meets pandas-like input, dataset labels and the
table of normalization uncertainties.
"""

from collections.abc import Mapping

import numpy as np

from qestl.chi2 import chi2_terms, normalization_sums, profiled_normalization
from qestl.datasets.normalization import dataset_norm_uncertainty

__all__ = [
    "chi2",
    "reduced_chi2",
    "band_pulls",
    "band_calibration",
    "resolve_norm_uncertainty",
    "TREATMENTS",
    "profile_normalizations",
    "scale_factors",
]


def _check_points(y, y_pred, sigma):
    y, y_pred, sigma = (np.asarray(a, dtype=float).ravel() for a in (y, y_pred, sigma))
    if not (y.shape == y_pred.shape == sigma.shape):
        raise ValueError(
            f"y, y_pred and sigma differ in length: {y.size}, {y_pred.size}, {sigma.size}"
        )
    if y.size == 0:
        raise ValueError("no points: y, y_pred and sigma are empty")
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
    y, y_pred, sigma = _check_points(y, y_pred, sigma)
    labels, index = np.unique(np.asarray(dataset), return_inverse=True)
    delta = np.zeros(labels.size)
    delta[index] = np.broadcast_to(np.asarray(norm_uncertainty, dtype=float), y.shape)
    return _profile(y, y_pred, sigma, index, delta)[index]


def _profile(y, y_pred, sigma, index, delta):
    """N_k of each dataset, the exact minimum (unbounded: a fixed prediction cannot run away)."""
    a, b = normalization_sums(y_pred, y, sigma, index, delta.size)
    return profiled_normalization(a, b, delta)


def scale_factors(y, y_pred, sigma, dataset, normalization=None):
    """PDG scale factors of the datasets of a fit: S_k = sqrt(max(1, chi2_k / n_k)).

    A dataset whose points scatter about the fit by more than their errors
    allow (chi2_k / n_k > 1) gets errors scaled by S_k in a refit, as the
    Particle Data Group scales the errors of inconsistent measurements
    (Review of Particle Physics, Introduction, on averages of discrepant
    measurements); the others keep theirs (S_k = 1).
    A fit to errors scaled so weights each dataset by how well it can be
    fitted at all: a few points that no smooth curve through their
    neighbours meets no longer pull the curve away from those neighbours.

    n_k rather than PDG's n_k - 1: the fit shares its parameters among all
    datasets, so no single dataset has a number of degrees of freedom.

    Parameters
    ----------
    y, y_pred, sigma : array_like (n,)
        Data, the first fit's prediction and the quoted point errors
        [nb/(sr GeV)].
    dataset : array_like (n,)
        Dataset label of each point.
    normalization : array_like (n,), optional
        N_k(i) of each point (e.g. the first fit's ``normalizations_``);
        1 if not given.

    Returns
    -------
    dict
        Dataset label -> S_k >= 1; multiply each point's error by its
        dataset's factor (``sigma * pd.Series(dataset).map(factors)``).

    Examples
    --------
    >>> scale_factors([1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 2.0, 0.0], [0.5] * 4, ["a", "a", "b", "b"])
    {'a': 1.0, 'b': 2.0}
    """
    y, y_pred, sigma = _check_points(y, y_pred, sigma)
    dataset = np.asarray(dataset)
    if dataset.shape != y.shape:
        raise ValueError(f"dataset has {dataset.size} labels for {y.size} points")
    if normalization is not None:
        normalization = np.asarray(normalization, dtype=float).ravel()
        if normalization.shape != y.shape:
            raise ValueError(f"normalization has {normalization.size} values for {y.size} points")
        y_pred = y_pred * normalization
    labels, index = np.unique(dataset, return_inverse=True)
    chi2_k = np.bincount(index, ((y_pred - y) / sigma) ** 2, minlength=labels.size)
    if not np.all(np.isfinite(chi2_k)):
        bad = labels[~np.isfinite(chi2_k)].tolist()
        raise ValueError(f"non-finite chi2 in datasets {bad}: NaN or inf among their values")
    n_k = np.bincount(index, minlength=labels.size)
    factors = np.sqrt(np.maximum(1.0, chi2_k / n_k))
    return dict(zip(labels.tolist(), factors.tolist(), strict=True))


#: The treatments of the datasets' normalizations that :func:`chi2` knows.
TREATMENTS = ("none", "quadrature", "profile")


def _check_treatment(treatment):
    if not (isinstance(treatment, str) and treatment in TREATMENTS):
        raise ValueError(f"treatment must be one of {TREATMENTS}, got {treatment!r}")


def resolve_norm_uncertainty(dataset, norm_uncertainty, n):
    """Relative normalization uncertainty delta_k(i) of each point, from any form chi2 takes.

    Parameters
    ----------
    dataset : array_like (n,) or None
        Dataset label of each point, as in :func:`qestl.datasets.load_qes`:
        ``"<citation>"`` or ``"<citation> theta=<angle>"``.
    norm_uncertainty : None, float, array_like (n,) or mapping
        - float: one delta for every point;
        - array_like (n,): delta of each point (e.g. the ``norm_uncertainty``
          column of :func:`qestl.datasets.load_qes`);
        - mapping (e.g. dict) dataset label -> delta: it must hold every label
          of ``dataset``;
        - None: delta of each dataset from the table of
          :mod:`qestl.datasets.normalization`
          (:func:`~qestl.datasets.normalization.dataset_norm_uncertainty`;
          citations the table does not know get its 5 % default).
    n : int
        Number of points.

    Returns
    -------
    ndarray (n,) of float64
        delta of each point (relative: 0.03 means 3 %), finite and >= 0.

    Raises
    ------
    ValueError
        If ``dataset`` or an array does not have ``n`` entries, if the
        mapping lacks labels of ``dataset`` (naming them), if a mapping or
        None comes without ``dataset``, or if a delta is negative or not
        finite.

    Examples
    --------
    >>> resolve_norm_uncertainty(["Chen:1990kq theta=15", "Chen:1990kq theta=85"], None, 2)
    array([0.01 , 0.021])
    >>> resolve_norm_uncertainty(["a", "b", "a"], {"a": 0.02, "b": 0.05}, 3)
    array([0.02, 0.05, 0.02])
    >>> resolve_norm_uncertainty(None, 0.04, 2)
    array([0.04, 0.04])
    """
    labels = None
    if dataset is not None:
        labels = np.asarray(dataset).ravel()
        if labels.size != n:
            raise ValueError(f"dataset has {labels.size} labels for {n} points")
    if norm_uncertainty is None or isinstance(norm_uncertainty, Mapping):
        if labels is None:
            given = "per dataset (a mapping)" if norm_uncertainty is not None else "from the table"
            raise ValueError(
                f"norm_uncertainty {given} needs the dataset labels: pass dataset, or "
                "norm_uncertainty as a float or one value per point"
            )
        unique, index = np.unique(labels, return_inverse=True)
        unique = unique.tolist()
        if norm_uncertainty is None:
            per_dataset = [dataset_norm_uncertainty(label) for label in unique]
        else:
            missing = [label for label in unique if label not in norm_uncertainty]
            if missing:
                raise ValueError(f"norm_uncertainty has no value for the datasets {missing}")
            per_dataset = [float(norm_uncertainty[label]) for label in unique]
        delta = np.asarray(per_dataset, dtype=np.float64)[index]
    else:
        delta = np.asarray(norm_uncertainty, dtype=np.float64)
        if delta.ndim == 0:
            delta = np.full(n, float(delta))
        else:
            delta = delta.ravel()
            if delta.size != n:
                raise ValueError(f"norm_uncertainty has {delta.size} values for {n} points")
    bad = ~np.isfinite(delta) | (delta < 0)
    if bad.any():
        raise ValueError(
            f"norm_uncertainty must be finite and >= 0: {int(bad.sum())} values are not "
            f"(first {delta[bad][0]!r})"
        )
    return delta


def _constant_per_dataset(values, index, first, labels, name):
    varies = values != values[first][index]
    if varies.any():
        bad = np.unique(labels[varies]).tolist()
        raise ValueError(f"{name} differs among the points of the datasets {bad}")


def chi2(
    y,
    y_pred,
    sigma,
    *,
    dataset=None,
    norm_uncertainty=None,
    treatment="none",
    normalization=None,
):
    """chi2 of a prediction against data, the datasets' normalizations treated one of three ways.

    No factor 1/2; computed in float64.

    - ``"none"``: chi2 = sum_i (f_i - y_i)^2 / sigma_i^2. Every dataset is
      taken at its quoted normalization (N_k = 1); only the point-to-point
      errors count.
    - ``"quadrature"``: chi2 = sum_i (f_i - y_i)^2 / (sigma_i^2 + (delta_k(i) y_i)^2).
      A dataset's normalization uncertainty counts as an extra error of
      each of its points, delta_k times the measured value, added in
      quadrature: the evaluation error of Graczyk et al. (2026), Table I,
      the currency in which that paper's chi2 values are quoted.
    - ``"profile"``: chi2 = sum_i (N_k(i) f_i - y_i)^2 / sigma_i^2 + sum_k (N_k - 1)^2 / delta_k^2,
      at the N_k that minimise it (closed form, :func:`profile_normalizations`;
      unbounded, unlike the training loss of :mod:`qestl.nn.losses`). Each
      dataset may be rescaled as a whole, at a cost set by its quoted
      normalization uncertainty (Kowal et al., PRC 110, 025501; Graczyk et
      al. 2026, eqs. A4-A5).

    Parameters
    ----------
    y, y_pred, sigma : array_like (n,)
        Data, prediction and point-to-point errors [nb/(sr GeV)]; sigma > 0.
    dataset : array_like (n,), optional
        Dataset label of each point (``"<citation>"`` or
        ``"<citation> theta=<angle>"``, as :func:`qestl.datasets.load_qes`
        makes them). Needed by ``"profile"``, and by ``"quadrature"`` unless
        ``norm_uncertainty`` is a float or per-point array; ignored by ``"none"``.
    norm_uncertainty : float, array_like (n,) or mapping, optional
        Relative normalization uncertainty delta_k of each point's dataset:
        one float, one value per point, or a mapping dataset label -> delta
        holding every label of ``dataset``. None: the table of
        :mod:`qestl.datasets.normalization`, from the labels (5 % for
        citations it does not know). See :func:`resolve_norm_uncertainty`.
        ``"profile"`` needs delta > 0 and one delta per dataset;
        ``"quadrature"`` takes delta = 0 as no normalization error. Ignored
        by ``"none"``.
    treatment : {"none", "quadrature", "profile"}, default "none"
        How the normalizations enter, as above.
    normalization : array_like (n,), optional
        ``"profile"`` only: fixed N_k(i) of each point (e.g. those fitted on
        training data), one value per dataset, used instead of the profiled
        ones; the penalty is still added.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an unknown ``treatment`` (before anything else), ``normalization``
        with another treatment than ``"profile"``, ``"profile"`` without
        ``dataset`` or with a delta of 0, and the input errors of
        :func:`resolve_norm_uncertainty`.

    Examples
    --------
    Two points, pulls 1 and 2:

    >>> y, f, sigma = [4.0, 2.0], [5.0, 1.0], [1.0, 0.5]
    >>> chi2(y, f, sigma)
    5.0

    A 25 % normalization uncertainty adds 0.25 * 4 = 1 and 0.25 * 2 = 0.5 in
    quadrature: 1 / (1 + 1) + 1 / (0.25 + 0.25):

    >>> chi2(y, f, sigma, norm_uncertainty=0.25, treatment="quadrature")
    2.5

    Per dataset from the table: Chen 1990 quotes 1.0 % at 15 degrees and
    2.1 % at 85 degrees, so 1 / (1 + 1) + 0.35^2 / (0.28^2 + 0.21^2):

    >>> labels = ["Chen:1990kq theta=15", "Chen:1990kq theta=85"]
    >>> chi2([100.0, 10.0], [101.0, 10.35], [1.0, 0.28], dataset=labels, treatment="quadrature")
    1.5

    Profiled: three points twice the prediction, sigma = delta = 0.5, give
    N = (24 + 4) / (12 + 4) = 1.75 and 3 (0.25 / 0.5)^2 + (0.75 / 0.5)^2:

    >>> chi2([2.0] * 3, [1.0] * 3, [0.5] * 3, dataset=["a"] * 3, norm_uncertainty=0.5,
    ...      treatment="profile")
    3.0
    """
    _check_treatment(treatment)
    if normalization is not None and treatment != "profile":
        raise ValueError(
            f"normalization (fixed N_k) needs treatment='profile', got treatment={treatment!r}"
        )
    y, y_pred, sigma = _check_points(y, y_pred, sigma)
    if treatment == "none":
        return float(chi2_terms(y_pred, y, sigma)[0])
    if treatment == "quadrature":
        delta = resolve_norm_uncertainty(dataset, norm_uncertainty, y.size)
        return float(chi2_terms(y_pred, y, np.sqrt(sigma**2 + (delta * y) ** 2))[0])
    if dataset is None:
        raise ValueError(
            "treatment='profile' needs dataset: it fits one normalization N_k per dataset label"
        )
    delta = resolve_norm_uncertainty(dataset, norm_uncertainty, y.size)
    if np.any(delta == 0):
        raise ValueError(
            "treatment='profile' needs norm_uncertainty > 0 (the penalty divides by it); "
            "use treatment='none' for datasets of exact normalization"
        )
    labels = np.asarray(dataset).ravel()
    _, first, index = np.unique(labels, return_index=True, return_inverse=True)
    _constant_per_dataset(delta, index, first, labels, "norm_uncertainty")
    if normalization is None:
        norm = _profile(y, y_pred, sigma, index, delta[first])
    else:
        normalization = np.asarray(normalization, dtype=np.float64).ravel()
        if normalization.size != y.size:
            raise ValueError(f"normalization has {normalization.size} values for {y.size} points")
        _constant_per_dataset(normalization, index, first, labels, "normalization")
        norm = normalization[first]
    data, penalty = chi2_terms(y_pred, y, sigma, index, norm, delta[first])
    return float(data + penalty)


def reduced_chi2(y, y_pred, sigma, **options):
    """chi2 per point, chi2 / n.

    Parameters
    ----------
    y, y_pred, sigma : array_like (n,)
        As in :func:`chi2`.
    **options
        ``dataset``, ``norm_uncertainty``, ``treatment``, ``normalization``
        (keyword-only), as in :func:`chi2`.

    Returns
    -------
    float

    Examples
    --------
    >>> reduced_chi2([4.0, 2.0], [5.0, 1.0], [1.0, 0.5])
    2.5
    >>> reduced_chi2([4.0, 2.0], [5.0, 1.0], [1.0, 0.5], norm_uncertainty=0.25,
    ...              treatment="quadrature")
    1.25
    """
    return chi2(y, y_pred, sigma, **options) / np.size(np.ravel(y))


def band_pulls(y, y_pred, sigma, band):
    """Pulls with a model's band added in quadrature to the point errors.

    pull_i = (y_i - f_i) / sqrt(sigma_i^2 + s_i^2).

    Parameters
    ----------
    y, y_pred, sigma, band : array_like of shape (n,)
        Data, prediction, point errors and the model's 1 sigma band, in the
        same units.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> band_pulls([14.0, 12.0], [10.0, 10.0], [4.0, 1.0], [3.0, 0.0]).tolist()
    [0.8, 2.0]
    """
    y, y_pred, sigma = _check_points(y, y_pred, sigma)
    band = np.asarray(band, dtype=float).ravel()
    if band.shape != y.shape:
        raise ValueError(f"band has {band.size} values for {y.size} points")
    return (y - y_pred) / np.hypot(sigma, band)


def band_calibration(y, y_pred, sigma, band):
    """Test a model's band: chi2/N and the fraction within 1 sigma of its :func:`band_pulls`.

    A band that is just right for these points gives chi2/N about 1 and
    about 68 % of them within 1 sigma; a band too narrow, more and fewer.

    Parameters
    ----------
    y, y_pred, sigma, band : array_like of shape (n,)
        As in :func:`band_pulls`.

    Returns
    -------
    chi2_per_point : float
    fraction_within_1_sigma : float

    Examples
    --------
    >>> band_calibration([14.0, 12.0], [10.0, 10.0], [4.0, 1.0], [3.0, 0.0])
    (2.32, 0.5)
    """
    pulls = band_pulls(y, y_pred, sigma, band)
    return float(np.mean(pulls**2)), float(np.mean(np.abs(pulls) <= 1.0))
