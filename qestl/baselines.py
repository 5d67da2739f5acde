"""Baselines for transfer learning, with the regressors' API."""

from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from qestl.transfer import PretrainedModel
from qestl.validation import check_fit_inputs

__all__ = ["ScaledRegressor"]


class ScaledRegressor(RegressorMixin, BaseEstimator):
    """A source model's cross section times a fixed factor: the "scaled carbon" baseline.

    Graczyk et al. compare every fine-tuned nucleus with the carbon ensemble
    times A/12 (the cross section per nucleon unchanged). Nothing is fitted:
    :meth:`fit` only checks its inputs and loads the source, so that the
    baseline goes through ``cross_val_score`` and ``GridSearchCV`` like the
    networks.

    Parameters
    ----------
    source : str, path-like, CrossSectionRegressor or PretrainedModel, default "carbon"
        See :meth:`qestl.transfer.PretrainedModel.resolve`.
    factor : float, default 1.0
        Multiplies the source's prediction, e.g. ``A / 12`` for a carbon source.
    device : str, default "auto"

    Examples
    --------
    >>> iron = ScaledRegressor("carbon", factor=56 / 12)  # doctest: +SKIP
    """

    def __init__(self, source="carbon", factor=1.0, device="auto"):
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
        if not float(self.factor) > 0:
            raise ValueError(f"factor must be positive, got {self.factor!r}")
        if y is not None:
            check_fit_inputs(X, y, sigma, dataset)
        self.model_ = PretrainedModel.resolve(self.source).regressor(self.device)
        self.n_features_in_ = 3
        return self

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
