"""scikit-learn scorers of the metrics: thin wrappers for cross_val_score and GridSearchCV.

Greater is better, as scikit-learn expects: each scorer returns minus its
metric. The chi2 scorers ask for their per-point metadata (``sigma``,
``dataset``, ``norm_uncertainty``) through scikit-learn's metadata routing.
"""

import numpy as np
from sklearn.utils.metadata_routing import MetadataRequest

from qestl.metrics.cross_sections import _check_treatment, reduced_chi2
from qestl.metrics.events import emd, map_3d, muon_columns

__all__ = [
    "chi2_scorer",
    "make_chi2_scorer",
    "EventScorer",
    "map_3d_scorer",
    "map_3d_no_tails_scorer",
    "emd_scorer",
]


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
