"""qestl: scikit-learn estimators for lepton-nucleus scattering."""

__version__ = "0.1.0"

from qestl.regressor import CrossSectionRegressor

__all__ = ["CrossSectionRegressor", "__version__"]
