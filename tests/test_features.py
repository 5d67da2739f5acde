import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from qestl import kinematics
from qestl.features import KinematicFeatures

X = pd.DataFrame(
    {
        "E": [0.5, 1.0, 2.0, 3.0],
        "theta": [30.0, 60.0, 90.0, 15.0],
        "omega": [0.1, 0.3, 0.5, 0.2],
        "Z": [6, 6, 8, 26],
        "A": [12, 12, 16, 56],
    }
)


def test_raw_features_hand_values():
    out = KinematicFeatures(standardize=False).fit_transform(X)
    row = out[2]  # E = 2, theta = 90, omega = 0.5: Q2 = 2*2*1.5*1 = 6
    assert row.tolist() == pytest.approx([2.0, 0.5, 90.0, 0.0, 6.0], abs=1e-12)


def test_optional_columns_and_names():
    t = KinematicFeatures(peaks=True, nucleus=True, standardize=False).fit(X)
    out = t.transform(X)
    assert t.get_feature_names_out().tolist() == [
        "E",
        "omega",
        "theta",
        "cos_theta",
        "Q2",
        "omega_QE",
        "omega_Delta",
        "log_A",
        "asymmetry",
    ]
    assert np.allclose(out[:, 5], kinematics.omega_qe(X["E"], X["theta"]))
    assert out[:, 7] == pytest.approx(np.log([12, 12, 16, 56]))
    assert out[:, 8] == pytest.approx([0.0, 0.0, 0.0, 4 / 56])
    with pytest.raises(ValueError, match="needs the columns Z and A"):
        KinematicFeatures(nucleus=True).fit(X[["E", "theta", "omega"]])


def test_scaling_columns_hand_values():
    # E = 2, theta = 90, omega = 0.5: Q2 = 6, |q| = sqrt(6.25) = 2.5; s = 1/2, so
    # omega_QE = (2 * 4 * 0.5 / M) / (1 + 2 * 2 * 0.5 / M) = 4 / (M + 2) and
    # omega_Delta = (M_D^2 - M^2 + 8) / (2 M + 4).
    mass, delta = 0.938919, 1.232
    t = KinematicFeatures(scaling=True, standardize=False).fit(X)
    row = t.transform(X)[2]
    assert t.get_feature_names_out().tolist()[5:] == ["psi_QE", "psi_Delta"]
    omega_qe = 4.0 / (mass + 2.0)
    omega_delta = (delta**2 - mass**2 + 8.0) / (2 * mass + 4.0)
    assert row[5] == pytest.approx((0.5 - omega_qe) / 2.5, rel=1e-4)
    assert row[6] == pytest.approx((0.5 - omega_delta) / 2.5, rel=1e-4)


def test_scaling_variable_vanishes_at_the_quasielastic_peak():
    E, theta = np.array([0.5, 1.0, 4.0]), np.array([60.0, 30.0, 15.0])
    peak = np.column_stack([E, theta, kinematics.omega_qe(E, theta)])
    out = KinematicFeatures(scaling=True, standardize=False).fit_transform(peak)
    assert np.allclose(out[:, 5], 0.0, atol=1e-12)
    assert (out[:, 6] < 0).all()  # below the Delta peak


def test_standardized_and_pandas_output():
    t = KinematicFeatures().set_output(transform="pandas")
    out = t.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["E", "omega", "theta", "cos_theta", "Q2"]
    assert np.allclose(out.mean(), 0.0) and np.allclose(out.std(ddof=0), 1.0)


def test_in_pipeline_and_rejects_bad_kinematics():
    model = make_pipeline(KinematicFeatures(), Ridge()).fit(X, np.arange(4.0))
    assert model.predict(X).shape == (4,)
    bad = X.copy()
    bad.loc[1, "omega"] = 5.0
    with pytest.raises(ValueError, match="omega >= E"):
        model.predict(bad)
