"""Input feature sets of the ensemble regressors, and their standardisation as saved."""

import numpy as np

from qestl.features import KinematicFeatures

__all__ = ["FEATURE_SETS", "features_from_config", "make_features", "saved_feature_set"]

FEATURE_SETS = {"paper": {}, "peaks": {"peaks": True}, "scaling": {"scaling": True}}
"""Input feature sets: name -> options of :class:`qestl.features.KinematicFeatures`."""


def make_features(name, nucleus=False):
    """The unfitted KinematicFeatures of a named feature set (see ``FEATURE_SETS``).

    ``nucleus`` adds the target's log A and |N - Z| / A (nucleus-aware models).
    """
    if name not in FEATURE_SETS:
        raise ValueError(f"features must be one of {sorted(FEATURE_SETS)}, got {name!r}")
    return KinematicFeatures(**FEATURE_SETS[name], nucleus=nucleus)


def saved_feature_set(params):
    """Feature set of saved parameters; models saved before the parameter existed read "paper"."""
    return params.get("features", "paper")


def features_from_config(config):
    """The fitted KinematicFeatures stored in a saved model's config."""
    nucleus = bool(config["params"].get("nucleus_inputs", False))
    placeholder = np.array([[1.0, 30.0, 0.1, 6, 12], [2.0, 60.0, 0.5, 8, 16]])
    features = make_features(saved_feature_set(config["params"]), nucleus).fit(
        placeholder if nucleus else placeholder[:, :3]
    )
    features.scaler_.mean_ = np.asarray(config["feature_mean"], dtype=float)
    features.scaler_.scale_ = np.asarray(config["feature_scale"], dtype=float)
    features.scaler_.var_ = features.scaler_.scale_**2
    return features
