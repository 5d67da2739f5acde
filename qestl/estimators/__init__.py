"""qestl's estimators, side by side over one private base.

- :class:`CrossSectionRegressor`: the ensemble chi2 fit of inclusive cross
  sections (Model A; Model B with ``uncertainty="dropout"``).
- :class:`TransferRegressor`: a pretrained ensemble fine-tuned to a new nucleus.
- :class:`ScaledRegressor`, :class:`SuperscalingRegressor`: the baselines.
- :class:`ConditionalGAN`: the muon generator of neutrino events.

:func:`load` reads any saved or shipped model back as the estimator that
saved it.
"""

from qestl.estimators._base import TorchEstimator
from qestl.estimators.baselines import ScaledRegressor, SuperscalingRegressor
from qestl.estimators.gan import GAN_FINE_TUNING, ConditionalGAN
from qestl.estimators.regressor import CrossSectionRegressor
from qestl.estimators.sources import (
    CARBON_SOURCE,
    TRANSFER_SOURCE,
    WORSE_TRANSFER_SOURCES,
    PretrainedGAN,
    PretrainedModel,
)
from qestl.estimators.transfer import AUTO_LR, AUTO_LR_POINTS, TransferRegressor

__all__ = [
    "AUTO_LR",
    "AUTO_LR_POINTS",
    "CARBON_SOURCE",
    "ConditionalGAN",
    "CrossSectionRegressor",
    "GAN_FINE_TUNING",
    "PretrainedGAN",
    "PretrainedModel",
    "ScaledRegressor",
    "SuperscalingRegressor",
    "TRANSFER_SOURCE",
    "TransferRegressor",
    "WORSE_TRANSFER_SOURCES",
    "load",
]


def load(path, device="auto"):
    """Load any model written by an estimator's ``save``, or a shipped one by name.

    Parameters
    ----------
    path : str or path-like
        A saved-model directory, or the name of a model shipped in
        ``qestl/pretrained`` (``"nuclei"``, ``"carbon"``, ``"numu-carbon"``, ...).
    device : str, default "auto"

    Returns
    -------
    estimator
        Fitted, of the class recorded in the model's config.

    Examples
    --------
    >>> import qestl
    >>> type(qestl.load("numu-carbon", device="cpu")).__name__
    'ConditionalGAN'
    """
    return TorchEstimator.load(path, device)
