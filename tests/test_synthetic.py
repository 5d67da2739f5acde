import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.model_selection import cross_val_score

from qestl import SuperscalingRegressor
from qestl.datasets import QES_COLUMNS, make_cc_events, make_inclusive_electron
from qestl.datasets.synthetic import PSEUDO_CITATION, pseudo_kinematics
from qestl.metrics import chi2_scorer
from qestl.physics.electron import cross_section

COLUMNS = ["E", "theta", "omega"]


@pytest.fixture(scope="module")
def oxygen():
    return make_inclusive_electron("16O", random_state=1)


def test_pseudo_data_have_the_archive_format_and_announce_themselves(oxygen):
    assert list(oxygen.columns[: len(QES_COLUMNS)]) == list(QES_COLUMNS)
    assert oxygen.attrs == {"target": "16O", "pseudo_data": True, "left_out": 0}
    assert set(oxygen["citation"]) == {PSEUDO_CITATION}
    assert (oxygen["Z"] == 8).all() and (oxygen["A"] == 16).all()
    assert (oxygen["omega"] < oxygen["E"]).all() and (oxygen["error"] > 0).all()
    # one spectrum per (E, theta) of the built-in grid, one dataset per beam energy
    grid = pseudo_kinematics()
    assert oxygen["spectrum"].nunique() == grid.groupby(["E", "theta"]).ngroups
    assert oxygen["dataset"].nunique() == grid["E"].nunique()


def test_pseudo_data_scatter_as_stated(oxygen):
    expected = cross_section("16O", *(oxygen[c].to_numpy() for c in COLUMNS))
    np.testing.assert_allclose(oxygen["model"], expected)
    pulls = (oxygen["xsec"] - oxygen["normalization"] * oxygen["model"]) / oxygen["error"]
    assert abs(pulls.mean()) < 0.15 and 0.85 < pulls.std() < 1.15
    norms = oxygen.groupby("dataset")["normalization"].first()
    assert norms.std() < 0.1 and not np.allclose(norms, 1.0)
    relative = (oxygen["error"] - 0.03 * oxygen["model"]) / oxygen["model"].max()
    assert (relative >= 0).all() and (relative <= 0.03 * 0.02 + 1e-12).all()


def test_pseudo_data_are_reproducible_and_reuse_given_kinematics(oxygen):
    again = make_inclusive_electron("16O", random_state=1)
    pd.testing.assert_frame_equal(oxygen, again)
    given = pd.DataFrame({"E": [0.56, 0.56], "theta": [60.0, 60.0], "omega": [0.12, 0.14]})
    quiet = make_inclusive_electron("12C", given, noise=1e-9, norm_uncertainty=0.0)
    np.testing.assert_allclose(quiet["xsec"], quiet["model"], rtol=1e-7)
    assert quiet["spectrum"].nunique() == 1
    with pytest.raises(ValueError, match="noise"):
        make_inclusive_electron("12C", noise=0.0)
    with pytest.raises(ValueError, match="omega"):
        make_inclusive_electron("12C", given.drop(columns="omega"))


def test_superscaling_regressor_is_the_model_and_fits_normalizations(oxygen):
    X, y, sigma = oxygen[COLUMNS], oxygen["xsec"], oxygen["error"]
    plain = SuperscalingRegressor("16O").fit(X, y)
    np.testing.assert_allclose(plain.predict(X), oxygen["model"])
    mean, std = plain.predict(X, return_std=True)
    assert np.all(std == 0)

    scaled = SuperscalingRegressor("16O", normalization="global").fit(X, 1.2 * y, sigma=sigma)
    # hand computation of the weighted least-squares factor
    f = oxygen["model"].to_numpy()
    by_hand = np.sum(f * 1.2 * y / sigma**2) / np.sum((f / sigma) ** 2)
    assert scaled.scale_ == pytest.approx(by_hand)
    assert 1.1 < scaled.scale_ < 1.3

    per_set = SuperscalingRegressor("16O", normalization="dataset", norm_uncertainty=0.03)
    per_set.fit(X, y, sigma=sigma, dataset=oxygen["dataset"])
    truth = oxygen.groupby("dataset")["normalization"].first()
    fitted = pd.Series(per_set.normalizations_)[truth.index]
    np.testing.assert_allclose(fitted, truth, atol=0.01)
    with_norm = per_set.predict(X, dataset=oxygen["dataset"])
    np.testing.assert_allclose(with_norm, oxygen["model"] * fitted[oxygen["dataset"]].to_numpy())
    with pytest.raises(ValueError, match="dataset labels"):
        SuperscalingRegressor("16O", normalization="dataset").fit(X, y, sigma=sigma)
    with pytest.raises(
        ValueError, match="'normalization' parameter of SuperscalingRegressor must be"
    ):
        SuperscalingRegressor("16O", normalization="each").fit(X, y)


def test_superscaling_regressor_in_cross_validation_with_routing(oxygen):
    with sklearn.config_context(enable_metadata_routing=True):
        model = SuperscalingRegressor("16O").set_fit_request(sigma=True, dataset=False)
        scores = cross_val_score(
            model,
            oxygen[COLUMNS],
            oxygen["xsec"],
            cv=3,
            scoring=chi2_scorer,
            params={"sigma": oxygen["error"]},
        )
    # minus chi2/N of pseudo-data around their own model: noise plus normalizations
    assert np.all(scores < 0) and np.all(scores > -5)


def test_cc_events_have_the_event_format():
    events = make_cc_events(2000, target="C", energy=(0.5, 3.0), random_state=0)
    assert list(events.columns) == ["E_nu", "E_mu", "theta", "channel"]
    assert len(events) == 2000
    assert events["E_nu"].between(0.5, 3.0).all()
    assert (events["E_mu"] < events["E_nu"] - 0.004).all()
    assert set(events["channel"].astype(str)) <= {"QE", "RES", "DIS"}
    same = make_cc_events(2000, target="12C", energy=(0.5, 3.0), random_state=0)
    pd.testing.assert_frame_equal(events, same)
