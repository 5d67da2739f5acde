"""Figures of merit, as functions and scikit-learn scorers.

chi2 of cross-section fits; MAP-3D, MAP-2D and EMD of generated neutrino
events (Bonilla et al., arXiv:2508.12987).
"""

from collections.abc import Mapping

import numpy as np
import ot
import pandas as pd
from sklearn.utils.metadata_routing import MetadataRequest

from qestl import kinematics
from qestl.constants import M_MUON
from qestl.datasets.normalization import dataset_norm_uncertainty

__all__ = [
    "chi2",
    "reduced_chi2",
    "band_pulls",
    "band_calibration",
    "chi2_scorer",
    "make_chi2_scorer",
    "resolve_norm_uncertainty",
    "TREATMENTS",
    "profile_normalizations",
    "scale_factors",
    "event_proxies",
    "histogram_pulls",
    "map_proxies",
    "proxy_histogram",
    "map_3d",
    "map_2d",
    "map_criterion",
    "muon_columns",
    "emd",
    "EventScorer",
    "map_3d_scorer",
    "map_3d_no_tails_scorer",
    "emd_scorer",
]


def _arrays(y, y_pred, sigma):
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
    y, y_pred, sigma = _arrays(y, y_pred, sigma)
    labels, index = np.unique(np.asarray(dataset), return_inverse=True)
    delta = np.broadcast_to(np.asarray(norm_uncertainty, dtype=float), y.shape)
    k = labels.size
    prior = np.zeros(k)
    prior[index] = 1.0 / delta**2
    num = np.bincount(index, y_pred * y / sigma**2, minlength=k) + prior
    den = np.bincount(index, (y_pred / sigma) ** 2, minlength=k) + prior
    return (num / den)[index]


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
    y, y_pred, sigma = _arrays(y, y_pred, sigma)
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
    y, y_pred, sigma = _arrays(y, y_pred, sigma)
    if treatment == "none":
        return float(np.sum(((y_pred - y) / sigma) ** 2))
    if treatment == "quadrature":
        delta = resolve_norm_uncertainty(dataset, norm_uncertainty, y.size)
        return float(np.sum((y_pred - y) ** 2 / (sigma**2 + (delta * y) ** 2)))
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
        normalization = profile_normalizations(y, y_pred, sigma, labels, delta)
    else:
        normalization = np.asarray(normalization, dtype=np.float64).ravel()
        if normalization.size != y.size:
            raise ValueError(f"normalization has {normalization.size} values for {y.size} points")
        _constant_per_dataset(normalization, index, first, labels, "normalization")
    value = np.sum(((normalization * y_pred - y) / sigma) ** 2)
    value += np.sum(((normalization[first] - 1.0) / delta[first]) ** 2)
    return float(value)


def reduced_chi2(
    y,
    y_pred,
    sigma,
    *,
    dataset=None,
    norm_uncertainty=None,
    treatment="none",
    normalization=None,
):
    """chi2 per point, chi2 / n (see :func:`chi2` for the arguments and the treatments).

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
    value = chi2(
        y,
        y_pred,
        sigma,
        dataset=dataset,
        norm_uncertainty=norm_uncertainty,
        treatment=treatment,
        normalization=normalization,
    )
    return value / np.size(np.ravel(y))


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
    y, y_pred, sigma = _arrays(y, y_pred, sigma)
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


class _Chi2Scorer:
    """Minus chi2 per point of ``estimator.predict(X)``, asking for its metadata via routing.

    A small class rather than ``make_scorer(...).set_score_request(sigma=True)``:
    the latter can only be built once routing is enabled, and a module-level
    scorer must exist before that. Built by :func:`make_chi2_scorer`.
    """

    def __init__(self, treatment="none"):
        _check_treatment(treatment)
        self.treatment = treatment

    def _needs(self):
        return ("sigma",) if self.treatment == "none" else ("sigma", "dataset")

    def __call__(self, estimator, X, y_true, sigma=None, dataset=None, norm_uncertainty=None):
        missing = [] if sigma is not None else ["sigma"]
        # quadrature can do with per-point deltas alone; profile needs the labels
        if dataset is None and (
            self.treatment == "profile"
            or (self.treatment == "quadrature" and norm_uncertainty is None)
        ):
            missing.append("dataset")
        if missing:
            needs = self._needs()
            params = ", ".join(f'"{name}": ...' for name in needs)
            kwargs = ", ".join(f"{name}=..." for name in needs)
            raise ValueError(
                f"{self!r} got no {' or '.join(missing)}: enable metadata routing, "
                "sklearn.set_config(enable_metadata_routing=True), and pass "
                f"params={{{params}}} to cross_val_score (or cross_validate), or "
                f"{kwargs} to GridSearchCV.fit"
            )
        return -reduced_chi2(
            y_true,
            estimator.predict(X),
            sigma,
            dataset=dataset,
            norm_uncertainty=norm_uncertainty,
            treatment=self.treatment,
        )

    def get_metadata_routing(self):
        request = MetadataRequest(owner=repr(self))
        request.score.add_request(param="sigma", alias=True)
        if self.treatment != "none":
            # Requested, not required: routing passes them when given;
            # without norm_uncertainty the table supplies delta from the labels.
            request.score.add_request(param="dataset", alias=True)
            request.score.add_request(param="norm_uncertainty", alias=True)
        return request

    def __repr__(self):
        if self.treatment == "none":
            return "chi2_scorer"
        return f"make_chi2_scorer(treatment={self.treatment!r})"


def make_chi2_scorer(treatment="none"):
    """Scorer for cross_val_score / GridSearchCV: minus :func:`reduced_chi2`, greater is better.

    It requests its metadata through scikit-learn's metadata routing:
    ``sigma`` (point errors [nb/(sr GeV)]) always, and for ``"quadrature"``
    and ``"profile"`` also ``dataset`` (labels) and, optionally,
    ``norm_uncertainty`` (per point; when not passed the table of
    :mod:`qestl.datasets.normalization` supplies delta from the labels).
    Call ``sklearn.set_config(enable_metadata_routing=True)`` (or use
    ``sklearn.config_context``) and pass ``params={"sigma": ..., "dataset": ...}``
    to ``cross_val_score`` or ``sigma=..., dataset=...`` to ``GridSearchCV.fit``;
    per-point arrays are split with the folds (route ``norm_uncertainty`` as
    such an array or a float: scikit-learn would cut a dict with as many
    entries as rows as if it were per point). Without them the scorer raises
    a ValueError that says so (a NaN score and a warning quoting it under
    scikit-learn's default ``error_score``).

    Parameters
    ----------
    treatment : {"none", "quadrature", "profile"}, default "none"
        Treatment of the datasets' normalizations, as in :func:`chi2`;
        ``"quadrature"`` gives the evaluation chi2 of Graczyk et al. (2026), Table I.

    Returns
    -------
    callable
        ``scorer(estimator, X, y, sigma=None, dataset=None, norm_uncertainty=None)``.

    Examples
    --------
    >>> import sklearn
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.model_selection import KFold, cross_val_score
    >>> X, y = np.arange(6.0).reshape(-1, 1), np.array([1.0, 2.1, 2.9, 4.2, 4.8, 6.1])
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     scores = cross_val_score(
    ...         LinearRegression(), X, y, cv=KFold(2), scoring=make_chi2_scorer("quadrature"),
    ...         params={"sigma": np.full(6, 0.1), "dataset": ["Day:1993md"] * 6})
    >>> scores.shape
    (2,)
    """
    return _Chi2Scorer(treatment)


#: Scorer for ``cross_val_score`` / ``GridSearchCV``: minus chi2 per point
#: with N_k = 1 (greater is better), ``make_chi2_scorer("none")``. It requests
#: ``sigma`` through metadata routing: call
#: ``sklearn.set_config(enable_metadata_routing=True)`` and pass
#: ``params={"sigma": ...}`` to ``cross_val_score`` (or ``sigma=...`` to
#: ``GridSearchCV.fit``).
chi2_scorer = make_chi2_scorer("none")


# -- generated events: MAP and EMD (Bonilla et al., arXiv:2508.12987) -------------------------

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


class EventScorer:
    """Scorer of a conditional generator: minus a distance between its events and the test events.

    ``scorer(estimator, X, y)`` samples ``estimator.sample(X, random_state=...)``
    (one event per test neutrino energy, so both samples share the E_nu
    distribution) and returns ``-metric(generated, test, **kwargs)``: greater
    is better, as ``cross_val_score`` and ``GridSearchCV`` expect.

    Parameters
    ----------
    metric : callable
        ``metric(events_a, events_b, **kwargs) -> float`` on (E_nu, E_mu, theta)
        events, e.g. :func:`map_3d` or :func:`emd`.
    random_state : int or None, default 0
        Seed of the sampling (fixed, so that scores of one model repeat).
    **kwargs
        Passed to ``metric``.

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> scorer = EventScorer(map_3d, tails=False)
    >>> # cross_val_score(ConditionalGAN(), E_nu, muon, scoring=scorer)
    """

    def __init__(self, metric, random_state=0, **kwargs):
        self.metric = metric
        self.random_state = random_state
        self.kwargs = kwargs

    def __call__(self, estimator, X, y):
        """Minus the metric between ``estimator.sample(X)`` and the events (X, y).

        Parameters
        ----------
        estimator : object with ``sample(E_nu, random_state=...)``
        X : array_like of shape (n,) or (n, 1)
            Test neutrino energies [GeV].
        y : pandas.DataFrame or array_like of shape (n, 2)
            Test muons (E_mu [GeV], theta [degrees]); see :func:`muon_columns`.

        Returns
        -------
        float
        """
        E_nu = np.asarray(X, dtype=float).reshape(-1)
        muon = muon_columns(y, E_nu.size)
        generated = estimator.sample(E_nu, random_state=self.random_state)
        test = np.column_stack([E_nu, muon])
        return -float(self.metric(generated, test, **self.kwargs))

    def __repr__(self):
        args = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"EventScorer({self.metric.__name__}{args})"


#: Minus MAP-3D (all tails) of ``estimator.sample`` at the test energies.
map_3d_scorer = EventScorer(map_3d)
#: Minus MAP-3D without tails (bins with more than 5 events in both samples).
map_3d_no_tails_scorer = EventScorer(map_3d, tails=False)
#: Minus the binned EMD of :func:`emd`.
emd_scorer = EventScorer(emd)
