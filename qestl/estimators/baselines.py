"""Baselines for transfer learning, with the regressors' API."""

import os
from numbers import Real

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted

from qestl.estimators._base import QestlEstimator
from qestl.estimators.sources import CARBON_SOURCE, PretrainedModel
from qestl.metrics import profile_normalizations
from qestl.params import Interval, SequenceOf, StrOptions
from qestl.physics.electron import QE_MODELS, cross_section
from qestl.physics.formfactors import SACHS_MODELS
from qestl.physics.nuclei import nuclear_parameters
from qestl.validation import (
    check_fit_inputs,
    check_fit_size,
    check_kinematics,
    record_input_columns,
)

__all__ = ["ScaledRegressor", "SuperscalingRegressor"]


class ScaledRegressor(RegressorMixin, QestlEstimator):
    """A source model's cross section times a fixed factor: the "scaled carbon" baseline.

    Graczyk et al. compare every fine-tuned nucleus with the carbon ensemble
    times A/12 (the cross section per nucleon unchanged). Nothing is fitted:
    :meth:`fit` only checks its inputs and loads the source, so that the
    baseline goes through ``cross_val_score`` and ``GridSearchCV`` like the
    networks.

    Parameters
    ----------
    source : str, path-like, CrossSectionRegressor or PretrainedModel
        Default ``qestl.estimators.CARBON_SOURCE``, the shipped carbon model
        of Graczyk et al.'s transfer study. See
        :meth:`qestl.estimators.PretrainedModel.resolve`.
    factor : float > 0, default 1.0
        Multiplies the source's prediction, e.g. ``A / 12`` for a carbon source.
    device : str, default "auto"

    Examples
    --------
    >>> iron = ScaledRegressor(factor=56 / 12)  # doctest: +SKIP
    """

    _parameter_constraints = {
        "source": [PretrainedModel, PretrainedModel.estimator_class(), str, os.PathLike],
        "factor": [Interval(Real, 0, None, closed="neither")],
        "device": [str, torch.device],
    }

    def __init__(self, source=CARBON_SOURCE, factor=1.0, device="auto"):
        self.source = source
        self.factor = factor
        self.device = device

    def fit(self, X, y=None, sigma=None, dataset=None):
        """Check the inputs and load the source; nothing is learned.

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3)
            E [GeV], theta [deg], omega [GeV].
        y, sigma, dataset : array_like of shape (n,), optional
            Accepted (and checked) for the common API; unused.

        Returns
        -------
        self
        """
        self._check_params()
        if y is None:
            check_kinematics(X)
        else:
            check_fit_size(X, y)
            check_fit_inputs(X, y, sigma, dataset)
        self.model_ = PretrainedModel.resolve(self.source).regressor(self.device)
        record_input_columns(self, X, 3)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # E, theta, omega > 0
        tags.target_tags.required = False  # nothing is learned from y
        return tags

    def predict(self, X, return_std=False):
        """Scaled mean (and standard deviation) of the source ensemble.

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3)
        return_std : bool, default False

        Returns
        -------
        mean : ndarray of shape (n,)
            [nb/(sr GeV)].
        std : ndarray of shape (n,)
            Only with ``return_std``.
        """
        check_is_fitted(self, "model_")
        mean, std = self.model_.predict(X, return_std=True)
        mean, std = mean * self.factor, std * self.factor
        return (mean, std) if return_std else mean


class SuperscalingRegressor(RegressorMixin, QestlEstimator):
    """The superscaling electron cross-section model as a regressor: a physics baseline.

    Predicts :func:`qestl.physics.electron.cross_section` (SuSA quasielastic
    response with transverse enhancement, Fermi-smeared Delta, optional
    inelastic tail). The model has no free shape parameters; :meth:`fit` learns
    at most normalizations:

    - ``normalization=None``: nothing;
    - ``"global"``: one factor c minimising sum_i (c f_i - y_i)^2 / sigma_i^2,
      used by :meth:`predict`;
    - ``"dataset"``: one N_k per dataset with the penalty (N_k - 1)^2 / delta^2,
      profiled in closed form (:func:`qestl.metrics.profile_normalizations`)
      and stored in ``normalizations_``. They describe the experiments, not the
      physics, so :meth:`predict` applies them only when given ``dataset``.

    Parameters
    ----------
    target : str, default "12C"
        Nucleus with superscaling parameters.
    qe_model : {"susa", "rfg"}, default "susa"
    transverse_enhancement : None, bool or (float, float), default None
        None: on for SuSA, off for RFG (see :func:`qestl.physics.electron.cross_section`).
    delta : bool, default True
        Include the Delta(1232) region.
    inelastic : bool, default False
        Include the toy inelastic tail (W > 1.4 GeV).
    ff : {"kelly", "dipole", "bbba05"}, default "kelly"
    normalization : {None, "global", "dataset"}, default None
    norm_uncertainty : float > 0, default 0.05
        delta of every dataset for ``normalization="dataset"``.

    Attributes
    ----------
    scale_ : float
        The global factor (1 unless ``normalization="global"``).
    normalizations_ : dict
        Dataset label -> N_k (``normalization="dataset"`` only; else empty).

    See Also
    --------
    ScaledRegressor : the scaled-carbon baseline.

    Examples
    --------
    >>> from qestl import SuperscalingRegressor
    >>> model = SuperscalingRegressor("12C").fit([[0.56, 60.0, 0.14]], [4960.0])
    >>> round(float(model.predict([[0.56, 60.0, 0.14]])[0]))
    5386
    """

    _parameter_constraints = {
        "target": [str],
        "qe_model": [StrOptions(set(QE_MODELS))],
        "transverse_enhancement": [
            None,
            "boolean",
            SequenceOf(Interval(Real, None, None, closed="neither"), 2, 2),
        ],
        "delta": ["boolean"],
        "inelastic": ["boolean"],
        "ff": [StrOptions(set(SACHS_MODELS))],
        "normalization": [StrOptions({"global", "dataset"}), None],
        "norm_uncertainty": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        target="12C",
        qe_model="susa",
        transverse_enhancement=None,
        delta=True,
        inelastic=False,
        ff="kelly",
        normalization=None,
        norm_uncertainty=0.05,
    ):
        self.target = target
        self.qe_model = qe_model
        self.transverse_enhancement = transverse_enhancement
        self.delta = delta
        self.inelastic = inelastic
        self.ff = ff
        self.normalization = normalization
        self.norm_uncertainty = norm_uncertainty

    def _model(self, X):
        E, theta, omega = check_kinematics(X).T
        return cross_section(
            self.target_,
            E,
            theta,
            omega,
            qe_model=self.qe_model,
            transverse_enhancement=self.transverse_enhancement,
            delta=self.delta,
            inelastic=self.inelastic,
            ff=self.ff,
        )

    def fit(self, X, y, sigma=None, dataset=None):
        """Learn the normalizations chosen by ``normalization`` (or nothing).

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3)
            E [GeV], theta [deg], omega [GeV].
        y : array_like of shape (n,)
            Cross sections [nb/(sr GeV)].
        sigma : array_like of shape (n,), optional
            Point-to-point errors; without them every point weighs the same.
        dataset : array_like of shape (n,), optional
            Dataset labels; required for ``normalization="dataset"``.

        Returns
        -------
        self
        """
        self._check_params()
        self.target_ = nuclear_parameters(self.target).name  # unknown nucleus: error here
        check_fit_size(X, y)
        kin, y, sigma, dataset = check_fit_inputs(X, y, sigma, dataset)
        record_input_columns(self, X, 3)
        self.scale_, self.normalizations_ = 1.0, {}
        if self.normalization is None:
            return self
        f = self._model(kin)
        sigma = np.ones_like(y) if sigma is None else sigma
        if not np.any(f):
            raise ValueError(
                f"the {self.target_} model vanishes at every fitted point: no normalization "
                "can be fitted (omega below the quasielastic threshold?)"
            )
        if self.normalization == "global":
            self.scale_ = float(np.sum(f * y / sigma**2) / np.sum((f / sigma) ** 2))
            return self
        if dataset is None:
            raise ValueError("normalization='dataset' needs the dataset labels in fit")
        norms = profile_normalizations(y, f, sigma, dataset, self.norm_uncertainty)
        self.normalizations_ = dict(zip(np.asarray(dataset).tolist(), norms.tolist(), strict=True))
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # E, theta, omega > 0
        return tags

    def predict(self, X, return_std=False, dataset=None):
        """Model cross section, times ``scale_`` and the fitted N_k of ``dataset``.

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3)
        return_std : bool, default False
            The model carries no uncertainty estimate: the std is zero.
        dataset : array_like of shape (n,), optional
            Labels whose fitted normalizations to apply (unknown labels: 1).

        Returns
        -------
        mean : ndarray of shape (n,)
            [nb/(sr GeV)].
        std : ndarray of shape (n,)
            Zeros; only with ``return_std``.
        """
        check_is_fitted(self, "scale_")
        mean = self.scale_ * self._model(X)
        if dataset is not None:
            labels = np.asarray(dataset)
            if labels.shape != mean.shape:
                raise ValueError(
                    f"dataset must have {mean.size} labels, one per row of X, "
                    f"got shape {labels.shape}"
                )
            mean = mean * np.array([self.normalizations_.get(k, 1.0) for k in labels.tolist()])
        return (mean, np.zeros_like(mean)) if return_std else mean
