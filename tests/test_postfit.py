import json

import numpy as np
import pytest

from qestl import CrossSectionRegressor
from qestl.features import KinematicFeatures
from qestl.postfit import (
    SPREAD_FLOOR,
    member_excursions,
    probe_kinematics,
    select_by_excursion,
    select_members,
)

TINY = dict(n_estimators=8, hidden_layers=(8, 8), max_epochs=4, norm_warmup=2, batch_size=32)


def test_select_members_by_hand():
    healthy = np.r_[np.full(10, 2.0), np.full(10, 4.0)]  # mean 3, std 1
    assert select_members(healthy, 4.0).all()
    runaway = np.r_[healthy, 1e7]
    assert select_members(runaway, 4.0).tolist() == [True] * 20 + [False]
    # after the runaway goes, 20 lies 4.32 deviations above the 21 left (mean 3.81, std 3.75)
    cascade = np.r_[healthy, 20.0, 1e7]
    assert select_members(cascade, 4.0).tolist() == [True] * 20 + [False, False]
    assert select_members(cascade, None).all()
    broken = np.r_[healthy, np.nan, np.inf]
    assert select_members(broken, 4.0).tolist() == [True] * 20 + [False, False]
    assert select_members([np.nan, np.nan], 4.0).all()


def test_member_excursions_by_hand():
    # one point; logs 0, 0.1, -0.1, 3
    members = np.exp([[0.0], [0.1], [-0.1], [3.0]])
    found = member_excursions(members, np.ones(4, dtype=bool))
    # member 3 against (0, 0.1, -0.1): mean 0, std 0.1
    assert found[3] == pytest.approx(30.0)
    # member 0 against (0.1, -0.1, 3): mean 1, std sqrt((0.81 + 1.21 + 4) / 2)
    assert found[0] == pytest.approx(1.0 / np.sqrt(3.01))
    # outside the reference, member 3 is measured against all three others alike
    assert member_excursions(members, np.array([True, True, True, False]))[3] == pytest.approx(30)
    # member 0 of the reference, measured against members 1 and 2 only
    assert member_excursions(members, np.array([True, True, True, False]))[0] == pytest.approx(0.0)


def test_member_excursions_take_the_worst_point_and_floor_the_spread():
    logs = np.zeros((5, 3))
    logs[4, 1] = 0.01  # the others agree exactly: the spread is the floor
    logs[2, 2] = -3e-3
    found = member_excursions(np.exp(logs), np.ones(5, dtype=bool))
    assert found[4] == pytest.approx(0.01 / SPREAD_FLOOR, rel=1e-6)
    # member 2: 0.5 deviations at point 1 (others 0, 0, 0, 0.01), and at
    # point 2, where the others agree exactly, 3e-3 over the floor
    assert found[2] == pytest.approx(3e-3 / SPREAD_FLOOR, rel=1e-6)
    assert np.isnan(member_excursions(np.exp(logs), np.array([1, 1, 0, 0, 0], bool))).all()


def test_a_member_with_a_non_finite_prediction_is_out_and_no_points_measure_nothing():
    members = np.exp(np.array([[0.0, 0.0], [0.1, 0.0], [-0.1, 0.0], [3.0, 0.0], [0.0, 0.0]]))
    members[4, 1] = np.inf
    found = member_excursions(members, np.ones(5, dtype=bool))
    assert found[4] == np.inf
    # the others are measured as if member 4 were not there
    assert found[3] == pytest.approx(30.0)
    assert np.isnan(member_excursions(np.ones((5, 0)), np.ones(5, dtype=bool))).all()


def test_excursions_are_measured_again_against_the_members_left():
    rng = np.random.default_rng(0)
    logs = rng.normal(0.0, 0.1, size=(30, 2))
    logs[0, 0] = 5.0  # a runaway that widens the spread at point 0...
    logs[1, 0] = 1.0  # ...enough to hide this one, ten deviations out without it
    members, every = np.exp(logs), np.ones(30, dtype=bool)
    one_pass = select_members(member_excursions(members, every), 4.0)
    assert not one_pass[0] and one_pass[1]
    kept, excursion = select_by_excursion(members, every, 4.0)
    assert kept.tolist() == [False, False] + [True] * 28
    assert excursion[1] > 8
    # the excursions returned are those against the members kept
    assert excursion == pytest.approx(member_excursions(members, kept))
    assert select_by_excursion(members, every, None)[0].all()


def test_probe_kinematics_follow_each_training_spectrum_within_its_psi_range():
    training = np.array([[1.0, 30.0, 0.1], [1.0, 30.0, 0.25], [2.0, 15.0, 0.3], [2.0, 15.0, 0.5]])
    probes = probe_kinematics(training, n_omega=16)

    def psi(points):
        return KinematicFeatures(scaling=True, standardize=False).fit_transform(points)[:, 5]

    low, high = psi(training).min(), psi(training).max()
    spectra = {tuple(p) for p in training[:, :2]}
    assert {tuple(p) for p in probes[:, :2]} == spectra
    for energy, theta in spectra:
        along = probes[(probes[:, 0] == energy) & (probes[:, 1] == theta)]
        assert 10 <= len(along) <= 16
        assert np.all((along[:, 2] > 0) & (along[:, 2] < energy))
    assert psi(probes).min() >= low and psi(probes).max() <= high
    # the 2 GeV spectrum reaches beyond its own two points: down to where the
    # 1 GeV spectrum's lowest psi lies
    two = probes[probes[:, 0] == 2.0]
    assert psi(two).min() < psi(training[2:]).min() - 0.1
    assert psi(two).min() == pytest.approx(low, abs=0.02)


def test_fit_drops_members_by_their_excursion_after_the_chi2_cut(toy_data, tmp_path):
    X, y, sigma, dataset = toy_data
    model = CrossSectionRegressor(**TINY, member_cut=1.5, random_state=3)
    model.fit(X, y, sigma=sigma, dataset=dataset)
    by_chi2 = select_members(model.member_chi2_, 1.5)
    every = model._predict_every_member(probe_kinematics(np.asarray(X)))
    kept, excursion = select_by_excursion(every, by_chi2, 1.5)
    assert model.member_excursion_ == pytest.approx(excursion, rel=1e-6)
    assert model.members_kept_.tolist() == kept.tolist()
    # this seed exercises both cuts
    assert by_chi2.sum() < 8 and kept.sum() < by_chi2.sum()
    loaded = CrossSectionRegressor.load(model.save(tmp_path / "model"))
    assert loaded.member_excursion_ == pytest.approx(model.member_excursion_)
    # models saved before the excursion was recorded load without one
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    del config["member_excursion"]
    (tmp_path / "model" / "config.json").write_text(json.dumps(config))
    old = CrossSectionRegressor.load(tmp_path / "model")
    assert np.isnan(old.member_excursion_).all()
    assert old.members_kept_.tolist() == kept.tolist()
    config["member_excursion"] = [1.0] * 7
    (tmp_path / "model" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="member_excursion must be 8 numbers or nulls"):
        CrossSectionRegressor.load(tmp_path / "model")
