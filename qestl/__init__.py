"""qestl: scikit-learn estimators for lepton-nucleus scattering."""

__version__ = "0.1.0"

from qestl.estimators import (
    ConditionalGAN,
    CrossSectionRegressor,
    ScaledRegressor,
    SuperscalingRegressor,
    TransferRegressor,
    load,
)

__all__ = [
    "ConditionalGAN",
    "CrossSectionRegressor",
    "ScaledRegressor",
    "SuperscalingRegressor",
    "TransferRegressor",
    "__version__",
    "load",
]
