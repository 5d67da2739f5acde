"""qestl: scikit-learn estimators for lepton-nucleus scattering."""

__version__ = "0.1.0"
