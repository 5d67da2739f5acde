"""One network for many nuclei: nucleus-aware fits, their transfer and the multi-nucleus recipe."""

import json

import numpy as np
import pandas as pd
import pytest

from qestl import CrossSectionRegressor, TransferRegressor
from qestl.benchmark import archive_points
from qestl.benchmark.nuclei import (
    EXCURSION_NUCLEI,
    fit_nuclei_model,
    nucleus_dataset_labels,
    per_nucleus_scores,
    source_excursions,
)
from qestl.datasets import cut_low_excitation, load_qes
from qestl.estimators import TRANSFER_SOURCE, PretrainedModel
from qestl.kinematics import mott_like_scale, q2_electron, transverse_scale
from qestl.persistence import resolve_model_dir
from qestl.physics.formfactors import isospin_factor
from qestl.postfit import probe_kinematics
from qestl.validation import check_nuclei

TINY = {"n_estimators": 3, "hidden_layers": (8, 8), "max_epochs": 4, "random_state": 0}


def _two_nuclei(toy_data):
    """The toy spectra as carbon and as iron (56/12 times larger), one frame."""
    X, y, sigma, dataset = toy_data
    carbon = X.assign(Z=6, A=12, xsec=y, error=sigma, dataset=dataset)
    iron = X.assign(Z=26, A=56, xsec=y * 56 / 12, error=sigma * 56 / 12, dataset="exp-c")
    return pd.concat([carbon, iron], ignore_index=True)


@pytest.fixture(scope="module")
def nuclei_model(toy_data):
    frame = _two_nuclei(toy_data)
    model = CrossSectionRegressor(nucleus_inputs=True, **TINY)
    return model.fit(frame, frame["xsec"], sigma=frame["error"], dataset=frame["dataset"]), frame


def test_nucleus_aware_fit_reads_z_and_a(nuclei_model):
    model, frame = nuclei_model
    assert model.n_features_in_ == 5
    assert model.features_.get_feature_names_out()[-2:].tolist() == ["log_A", "asymmetry"]
    # A DataFrame with the kinematics first and an array in the same column order agree.
    columns = ["E", "theta", "omega", "Z", "A"]
    assert np.allclose(model.predict(frame), model.predict(frame[columns].to_numpy()))
    with pytest.raises(ValueError, match="needs the columns E, theta, omega, Z, A"):
        model.predict(frame[["E", "theta", "omega"]])


def test_each_row_takes_its_own_mass_number_in_the_output_scale(nuclei_model):
    model, frame = nuclei_model
    rows = frame[["E", "theta", "omega", "Z", "A"]].to_numpy(dtype=float)
    _, log_scale = model._inputs(rows)
    q2 = q2_electron(rows[:, 0], rows[:, 1], rows[:, 2])
    charges = isospin_factor(rows[:, 3], rows[:, 4], q2, rows[:, 1])
    expected = np.log(mott_like_scale(rows[:, 0], rows[:, 1], rows[:, 4]) * charges)
    # carbon is isoscalar (factor 1); iron, with 4 more neutrons than protons, less
    assert np.allclose(charges[rows[:, 3] == 6], 1.0)
    assert (charges[rows[:, 3] == 26] < 1.0).all()
    assert np.allclose(log_scale.numpy(), expected, rtol=1e-6)


def test_a_single_nucleus_fit_ignores_extra_columns(toy_data):
    X, y, sigma, dataset = toy_data
    plain = CrossSectionRegressor(**TINY).fit(X, y, sigma=sigma, dataset=dataset)
    with_nucleus = X.assign(Z=8, A=16)
    assert plain.n_features_in_ == 3
    assert np.array_equal(plain.predict(with_nucleus), plain.predict(X))


def test_bad_nuclei_are_named():
    with pytest.raises(ValueError, match="1 row with A < Z"):
        check_nuclei(pd.DataFrame({"Z": [6, 8], "A": [12, 7]}))
    with pytest.raises(ValueError, match="non-integer"):
        check_nuclei(pd.DataFrame({"Z": [6.5], "A": [12]}))
    with pytest.raises(ValueError, match="Z < 1"):
        check_nuclei([[1.0, 30.0, 0.2, 0, 1]])


def test_transverse_scale_is_finite_backward_and_mott_forward():
    energy = np.array([1.0, 1.0, 1.0])
    theta = np.array([10.0, 90.0, 180.0])
    ratio = mott_like_scale(energy, theta) / transverse_scale(energy, theta)
    assert ratio == pytest.approx(np.cos(np.deg2rad(theta) / 2), abs=1e-12)
    assert np.isfinite(transverse_scale(energy, theta)).all()


def test_theta_180_needs_the_transverse_scale(toy_data):
    X, y, sigma, dataset = toy_data
    backward = X.assign(theta=np.where(np.arange(len(X)) < 5, 180.0, X["theta"]))
    with pytest.raises(ValueError, match="5 rows at theta = 180 degrees"):
        CrossSectionRegressor(**TINY).fit(backward, y, sigma=sigma)
    model = CrossSectionRegressor(output_scale="transverse", **TINY)
    assert np.isfinite(model.fit(backward, y, sigma=sigma).predict(backward)).all()
    with pytest.raises(ValueError, match=r"'output_scale' .* among \['mott', 'transverse'\]"):
        CrossSectionRegressor(output_scale="rutherford", **TINY).fit(X, y, sigma=sigma)


def test_transfer_from_a_nucleus_aware_source(nuclei_model, toy_data, tmp_path):
    model, _ = nuclei_model
    X, y, sigma, dataset = toy_data
    with pytest.raises(ValueError, match="give target_Z and target_A"):
        TransferRegressor.from_pretrained(model, target_A=16, max_epochs=2).fit(X, y, sigma=sigma)
    with pytest.raises(ValueError, match="target_A must be >= target_Z"):
        TransferRegressor.from_pretrained(model, target_Z=8, target_A=6).fit(X, y, sigma=sigma)
    tuned = TransferRegressor.from_pretrained(
        model, target_Z=8, target_A=16, max_epochs=2, random_state=0
    ).fit(X, y * 16 / 12, sigma=sigma)
    assert tuned.n_features_in_ == 3
    oxygen = X.assign(Z=8, A=16)
    assert np.allclose(tuned.predict(X), tuned.predict(oxygen))
    with pytest.raises(ValueError, match="another nucleus than the model's"):
        tuned.predict(X.assign(Z=6, A=12))
    tuned.save(tmp_path / "oxygen")
    loaded = CrossSectionRegressor.load(tmp_path / "oxygen")
    assert loaded.target_nucleus_ == (8, 16)
    assert np.allclose(loaded.predict(X), tuned.predict(X), rtol=1e-6)


def test_untrained_transfer_from_nuclei_predicts_the_source_at_the_target(nuclei_model, toy_data):
    model, _ = nuclei_model
    X, y, sigma, _ = toy_data
    tuned = TransferRegressor.from_pretrained(
        model, target_Z=26, target_A=56, lr=1e-12, max_epochs=1, validation_fraction=0.0
    ).fit(X, y, sigma=sigma)
    expected = model.predict(X.assign(Z=26, A=56))
    assert np.allclose(tuned.predict(X), expected, rtol=1e-5)


def test_prediction_in_chunks_equals_one_pass(nuclei_model, monkeypatch):
    model, frame = nuclei_model
    whole = model.predict(frame, return_std=True)
    monkeypatch.setattr(model, "predict_chunk", 7, raising=False)
    chunked = model.predict(frame, return_std=True)
    assert np.allclose(whole[0], chunked[0], rtol=1e-6)
    assert np.allclose(whole[1], chunked[1], rtol=1e-5)
    assert model.predict_members(frame).shape == (model.members_kept_.sum(), len(frame))


def test_dropout_passes_are_curves_over_chunks_and_repeatable(toy_data, monkeypatch):
    X, y, sigma, _ = toy_data
    model = CrossSectionRegressor(uncertainty="dropout", dropout=0.3, **TINY)
    model.fit(X, y, sigma=sigma)
    first = model.predict_members(X)
    monkeypatch.setattr(model, "predict_chunk", 11, raising=False)
    assert np.allclose(model.predict_members(X), first, rtol=1e-6)
    assert not np.allclose(first[0], first[1])  # the passes differ from each other


def test_probe_points_keep_each_spectrum_nucleus():
    rows = np.array([[1.0, 30.0, 0.2, 6, 12], [1.0, 30.0, 0.3, 26, 56], [1.0, 30.0, 0.25, 6, 12]])
    probes = probe_kinematics(rows, n_omega=8)
    nuclei = {tuple(r) for r in probes[:, 3:]}
    assert nuclei == {(6.0, 12.0), (26.0, 56.0)}
    assert (probes[:, 2] > 0).all() and (probes[:, 2] < probes[:, 0]).all()


def test_archive_points_and_per_nucleus_labels(qes_dir):
    points = archive_points(["4He", "16O"], data_home=qes_dir)
    assert set(points["target"]) == {"4He", "16O"}
    assert (points.groupby("target")["A"].first() == pd.Series({"16O": 16, "4He": 4})).all()
    assert not points["citation"].eq("Hotta:1994").any()
    labels, deltas = nucleus_dataset_labels(points)
    assert all(label.split(" ", 1)[0] in ("4", "16") for label in labels)
    assert set(deltas) == set(labels)
    with pytest.raises(ValueError, match="at least one target"):
        archive_points([], data_home=qes_dir)


def test_leave_one_nucleus_out_fit_and_its_scores(qes_dir):
    with pytest.raises(ValueError, match="not among the targets"):
        fit_nuclei_model(["4He", "16O"], leave_out=["56Fe"], data_home=qes_dir)
    model = fit_nuclei_model(
        ["3H", "4He", "16O"], leave_out=["4He"], data_home=qes_dir, **{**TINY, "max_epochs": 2}
    )
    assert model.training_targets_ == ["3H", "16O"]
    rows = per_nucleus_scores(model, model.training_points_)
    assert [r["target"] for r in rows] == ["3H", "16O"]
    assert sum(r["points"] for r in rows) == len(model.training_points_)
    assert all(np.isfinite(r["train_quadrature"]) and r["train_quadrature"] > 0 for r in rows)


def test_excursions_flag_a_source_that_vanishes_backward(qes_dir):
    carbon = PretrainedModel.resolve("carbon-2026-11-30")
    rows = {
        r["target"]: r
        for r in source_excursions(carbon, targets=["12C", "56Fe"], data_home=qes_dir)
    }
    assert rows["12C"]["within_10"] == 1.0 and rows["12C"]["worst_factor"] < 10
    # Hotta 1994 measured 56Fe at 180 degrees, where the Mott-like scale vanishes.
    iron = cut_low_excitation(load_qes("56Fe", data_home=qes_dir))
    backward = int((iron["theta"] == 180.0).sum())
    assert backward > 0 and rows["56Fe"]["points"] == len(iron)
    assert rows["56Fe"]["within_100"] <= 1 - backward / len(iron)
    assert rows["56Fe"]["worst_factor"] > 1e6


def test_default_source_stays_near_the_data_of_every_nucleus(qes_dir):
    # Every archive point past the excitation cut, at any beam energy and angle
    # (180 degrees included): within a factor 10 for 99 % and 100 for all.
    source = PretrainedModel.resolve(TRANSFER_SOURCE)
    rows = source_excursions(source, data_home=qes_dir)
    assert [r["target"] for r in rows] == list(EXCURSION_NUCLEI)
    for row in rows:
        assert row["within_10"] >= 0.99, row
        assert row["worst_factor"] <= 100, row


def test_shipped_nuclei_model_reads_z_and_a(qes_dir):
    model = CrossSectionRegressor.load("nuclei")
    assert model.nucleus_inputs and model.output_scale == "transverse"
    iron = cut_low_excitation(load_qes("56Fe", data_home=qes_dir)).iloc[:50]
    assert np.isfinite(model.predict(iron)).all()
    # The same kinematics as a lighter nucleus: smaller, as A / 12 scales the output.
    lighter = model.predict(iron.assign(Z=6, A=12))
    assert np.median(lighter / model.predict(iron)) < 0.5


def test_probe_nuclei_asks_the_same_kinematics_of_other_nuclei():
    from qestl.postfit import PROBE_NUCLEI, probe_nuclei

    probes = np.array([[1.0, 30.0, 0.1 * k, 6, 12] for k in range(1, 6)])
    out = probe_nuclei(probes, nuclei=[(20, 40), (2, 3)], max_rows=3)
    assert out.shape == (5 + 2 * 3, 5)
    assert np.array_equal(out[:5], probes)
    assert {tuple(r) for r in out[5:8, 3:]} == {(20.0, 40.0)}
    assert {tuple(r) for r in out[8:, 3:]} == {(2.0, 3.0)}
    assert set(map(tuple, out[5:, :3])) <= set(map(tuple, probes[:, :3]))
    # every probe nucleus is a nucleus: 1 <= Z <= A
    assert all(1 <= z <= a for z, a in PROBE_NUCLEI)


def test_reselect_reproduces_the_fit_selection_and_checks_labels(nuclei_model):
    model, frame = nuclei_model
    kept, excursion = model.members_kept_.copy(), model.member_excursion_.copy()
    model.reselect(frame, frame["xsec"], sigma=frame["error"], dataset=frame["dataset"])
    assert np.array_equal(model.members_kept_, kept)
    assert np.allclose(model.member_excursion_, excursion, equal_nan=True)
    with pytest.raises(ValueError, match="labels the model was not fitted to"):
        model.reselect(frame, frame["xsec"], sigma=frame["error"], dataset=["other"] * len(frame))


def test_shipped_nuclei_model_reproduces_its_model_card(qes_dir):
    card = json.loads((resolve_model_dir("nuclei") / "model_card.json").read_text())
    model = CrossSectionRegressor.load("nuclei", device="cpu")
    assert int(model.members_kept_.sum()) == card["members_kept"]
    points = archive_points(card["training_targets"], data_home=qes_dir)
    rows = {row["target"]: row for row in per_nucleus_scores(model, points)}
    for expected in card["per_nucleus"]:
        row = rows[expected["target"]]
        assert row["points"] == expected["points"]
        for key in ("train_quadrature", "train_none"):
            assert row[key] == pytest.approx(expected[key], rel=1e-5), (row["target"], key)
