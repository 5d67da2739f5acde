"""qestl: scikit-learn estimators for lepton-nucleus scattering."""

__version__ = "0.1.0"

from qestl.baselines import ScaledRegressor, SuperscalingRegressor
from qestl.gan import ConditionalGAN
from qestl.regressor import CrossSectionRegressor
from qestl.transfer import TransferRegressor

__all__ = [
    "ConditionalGAN",
    "CrossSectionRegressor",
    "ScaledRegressor",
    "SuperscalingRegressor",
    "TransferRegressor",
    "__version__",
]
