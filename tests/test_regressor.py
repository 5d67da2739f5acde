import json
import pickle
import warnings

import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from skorch.callbacks import EarlyStopping

from qestl import CrossSectionRegressor
from qestl.datasets import cut_low_excitation, split_data
from qestl.domain import ExtrapolationWarning, merge_domains
from qestl.kinematics import mott_like_scale
from qestl.metrics import chi2_scorer, reduced_chi2
from qestl.nn import chi2_with_normalization
from qestl.nn.cross_section import member_rows
from qestl.persistence import resolve_model_dir
from qestl.training import MemberGradientClipping, TimeBudget, fused_adam_supported
from qestl.validation import check_kinematics

TINY = dict(n_estimators=3, hidden_layers=(8, 8), max_epochs=4, norm_warmup=2, batch_size=32)


@pytest.fixture(scope="module")
def fitted(fit_toy_regressor):
    return fit_toy_regressor(**TINY)


def test_predict_shapes_and_std(fitted, toy_data):
    X = toy_data[0]
    mean, std = fitted.predict(X, return_std=True)
    members = fitted.predict_members(X)
    assert members.shape == (3, len(X))
    assert np.allclose(mean, members.mean(0)) and np.allclose(std, members.std(0))
    assert np.all(std > 0) and np.all(mean > 0)
    # the output is bounded by the Mott-like scale (sigmoid < 1)
    assert np.all(members < mott_like_scale(X["E"], X["theta"]))
    assert fitted.normalizations_.shape == (3, 2)
    assert list(fitted.datasets_) == ["exp-a", "exp-b"]
    assert "valid_chi2" in fitted.history_[-1] and len(fitted.history_) == 4
    assert fitted.best_epoch_.shape == (3,) and np.all(fitted.best_epoch_ >= 1)


def test_training_reduces_chi2(toy_data):
    X, y, sigma, dataset = toy_data
    short = CrossSectionRegressor(**{**TINY, "max_epochs": 1}, random_state=1)
    long = CrossSectionRegressor(**{**TINY, "max_epochs": 60, "norm_warmup": 20}, random_state=1)
    short.fit(X, y, sigma=sigma, dataset=dataset)
    long.fit(X, y, sigma=sigma, dataset=dataset)
    assert reduced_chi2(y, long.predict(X), sigma) < 0.2 * reduced_chi2(y, short.predict(X), sigma)


def test_random_state_makes_fits_identical(toy_data):
    X, y, sigma, dataset = toy_data
    a = CrossSectionRegressor(**TINY, random_state=7).fit(X, y, sigma=sigma, dataset=dataset)
    b = CrossSectionRegressor(**TINY, random_state=7).fit(X, y, sigma=sigma, dataset=dataset)
    c = CrossSectionRegressor(**TINY, random_state=8).fit(X, y, sigma=sigma, dataset=dataset)
    assert np.array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(a.predict(X), c.predict(X))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda X, y, s: (X.assign(E=np.where(X.index == 3, np.nan, X["E"])), y, s), "NaN"),
        (lambda X, y, s: (X, y, np.where(np.arange(len(y)) == 5, 0.0, s)), "sigma <= 0"),
        (lambda X, y, s: (X.assign(omega=X["E"] + 0.1), y, s), "omega >= E"),
        (lambda X, y, s: (X[["E", "theta"]], y, s), "lacks the columns"),
        (lambda X, y, s: (X, y[:-1], s), "y has"),
    ],
)
def test_bad_input_raises(toy_data, change, message):
    X, y, sigma, _ = toy_data
    X, y, sigma = change(X, y, sigma)
    with pytest.raises(ValueError, match=message):
        CrossSectionRegressor(**TINY).fit(X, y, sigma=sigma)


def test_bad_params_raise(toy_data):
    X, y, sigma, _ = toy_data
    with pytest.raises(
        ValueError, match="'resampling' parameter of CrossSectionRegressor must be a str among"
    ):
        CrossSectionRegressor(**TINY, resampling="jackknife").fit(X, y, sigma=sigma)
    with pytest.raises(
        ValueError, match="'activation' parameter of CrossSectionRegressor must be a str among"
    ):
        CrossSectionRegressor(**TINY, activation="swish").fit(X, y, sigma=sigma)
    with pytest.raises(
        ValueError, match=r"'grad_clip' .* must be a float in the range \(0, inf\) or None"
    ):
        CrossSectionRegressor(**TINY, grad_clip=0.0).fit(X, y, sigma=sigma)
    with pytest.raises(ValueError, match=r"'features' .* among \['paper', 'peaks', 'scaling'\]"):
        CrossSectionRegressor(**TINY, features="psi").fit(X, y, sigma=sigma)


def test_normalizations_stay_1_until_norm_start(toy_data):
    X, y, sigma, dataset = toy_data
    # no per-member validation: the last epoch is kept, not the best one
    params = {**TINY, "max_epochs": 10, "validation_fraction": 0.0, "random_state": 0}
    never = CrossSectionRegressor(**params, norm_start=1.0).fit(X, y, sigma=sigma, dataset=dataset)
    late = CrossSectionRegressor(**params, norm_start=0.8).fit(X, y, sigma=sigma, dataset=dataset)
    # the same training up to epoch 8 = 0.8 * 10; N_k are profiled from its end on
    loss_never, loss_late = never.history_[:, "train_loss"], late.history_[:, "train_loss"]
    assert loss_late[:9] == loss_never[:9]
    assert loss_late[9] != loss_never[9]
    # trained with N = 1, the normalizations are profiled once at the end, within 1 +- 5 delta
    assert not np.allclose(never.normalizations_, 1.0)
    assert np.all(np.abs(never.normalizations_ - 1.0) <= 5 * 0.05 + 1e-6)
    with pytest.raises(ValueError, match=r"'norm_start' .* range \[0, 1\]\. Got 1\.5 instead"):
        CrossSectionRegressor(**TINY, norm_start=1.5).fit(X, y, sigma=sigma)


def test_final_normalizations_are_the_profiled_chi2_minimum(toy_data):
    X, y, sigma, dataset = toy_data
    fitted = CrossSectionRegressor(**TINY, random_state=0).fit(X, y, sigma=sigma, dataset=dataset)
    labels, index = np.unique(dataset, return_inverse=True)
    features, log_scale = fitted._inputs(check_kinematics(X))
    weight = np.ones((len(y), 3))
    weight[::7, 1] = 0.0  # a member that leaves some points out
    X_fit = {
        "features": features,
        "log_scale": log_scale,
        "sigma": torch.tensor(sigma, dtype=torch.float32),
        "dataset": torch.as_tensor(index),
        "weight": torch.as_tensor(weight, dtype=torch.float32),
    }
    target = torch.tensor(np.repeat(y[:, None], 3, axis=1), dtype=torch.float32)
    fitted._profile_final_normalizations(X_fit, target)
    f = fitted.predict_members(X)
    prior = 0.05**-2  # the default delta
    for m in range(3):
        for k in range(len(labels)):
            rows = (index == k) & (weight[:, m] > 0)
            a = np.sum(f[m, rows] * y[rows] / sigma[rows] ** 2)
            b = np.sum(f[m, rows] ** 2 / sigma[rows] ** 2)
            expected = np.clip((a + prior) / (b + prior), 0.75, 1.25)
            assert fitted.normalizations_[m, k] == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("features, width", [("paper", 5), ("peaks", 7), ("scaling", 7)])
def test_feature_sets_set_the_input_width(toy_data, features, width):
    X, y, sigma, _ = toy_data
    reg = CrossSectionRegressor(**TINY, features=features, random_state=0).fit(X, y, sigma=sigma)
    assert reg.net_.module_.mlp.weight_layers()[0].weight.shape[-1] == width
    assert reg.features_.get_feature_names_out().size == width


def test_models_saved_without_a_feature_set_load_with_the_paper_inputs(toy_data, tmp_path):
    X, y, sigma, _ = toy_data
    reg = CrossSectionRegressor(**TINY, features="paper", random_state=0).fit(X, y, sigma=sigma)
    reg.save(tmp_path / "model")
    config_file = tmp_path / "model" / "config.json"
    config = json.loads(config_file.read_text())
    del config["params"]["features"]  # as written before the parameter existed
    config_file.write_text(json.dumps(config))
    loaded = CrossSectionRegressor.load(tmp_path / "model", device="cpu")
    assert loaded.features == "paper"
    assert np.array_equal(loaded.predict(X), reg.predict(X))


def test_gradient_clipping_holds_a_spiking_member_to_its_running_norm():
    clipping = MemberGradientClipping(factor=2.0, decay=0.5)
    clipping.on_train_begin(None)
    weight = torch.nn.Parameter(torch.zeros(2, 3))

    def step(grad):
        weight.grad = torch.tensor(grad)
        clipping.on_grad_computed(None, [("weight", weight)])
        return weight.grad.norm(dim=1).tolist()

    assert step([[3.0, 0.0, 4.0], [0.0, 1.0, 0.0]]) == pytest.approx([5.0, 1.0])  # sets the scale
    # Member 1 spikes 100x: cut to 2x its running norm; member 0 is untouched.
    assert step([[0.0, 5.0, 0.0], [0.0, 100.0, 0.0]]) == pytest.approx([5.0, 2.0])
    # The running norm follows the clipped norms: 0.5 * 1 + 0.5 * 2 = 1.5.
    assert clipping.running_.tolist() == pytest.approx([5.0, 1.5])
    assert "member_gradient_clipping" in dict(CrossSectionRegressor(**TINY)._training_callbacks())
    assert "member_gradient_clipping" not in dict(
        CrossSectionRegressor(**TINY, grad_clip=None)._training_callbacks()
    )


def test_without_sigma_warns_squared_error(toy_data):
    X, y, _, _ = toy_data
    with pytest.warns(UserWarning, match="plain squared error"):
        CrossSectionRegressor(**TINY).fit(X, y)


def test_bootstrap_and_dropout_modes(toy_data):
    X, y, sigma, dataset = toy_data
    boot = CrossSectionRegressor(**TINY, resampling="bootstrap", random_state=0)
    boot.fit(X, y, sigma=sigma, dataset=dataset)
    assert boot.predict(X, return_std=True)[1].mean() > 0
    drop = CrossSectionRegressor(
        **{**TINY, "n_estimators": 20}, uncertainty="dropout", dropout=0.2, random_state=0
    )
    drop.fit(X, y, sigma=sigma, dataset=dataset)
    # one trained network; the spread comes from the dropout passes
    assert drop.net_.module_.mlp.members == 1
    members = drop.predict_members(X)
    assert members.shape == (20, len(X)) and members.std(0).mean() > 0


def _replicas(rng_seed=0, **params):
    """Replica targets of 4000 members for 6 points in two datasets."""
    reg = CrossSectionRegressor(**{"n_estimators": 4000, **params})
    reg.datasets_ = np.array(["a", "b"])
    reg.uncertainty_ = reg._own_uncertainty()
    y, sigma = np.full(6, 10.0), np.full(6, 0.5)
    index = np.array([0, 0, 0, 1, 1, 1])
    return reg._draw_replicas(y, sigma, index, np.random.default_rng(rng_seed))[0]


def test_replicas_draw_each_datasets_normalization():
    deltas = {"a": 0.03, "b": 0.10}
    # bootstrap leaves the targets alone, so only the normalization moves them
    ratio = _replicas(resampling="bootstrap", norm_uncertainty=deltas) / 10.0
    # one factor per member and dataset, shared by the dataset's points
    assert np.allclose(ratio[:3], ratio[0]) and np.allclose(ratio[3:], ratio[3])
    assert not np.allclose(ratio[0], ratio[3])
    # the factors average to 1 over the members (the ensemble mean keeps the
    # data's scale) and spread by exactly delta in log
    assert np.allclose(ratio[[0, 3]].mean(axis=1), 1.0, atol=1e-12)
    assert np.allclose(np.log(ratio[[0, 3]]).std(axis=1), [0.03, 0.10], rtol=1e-9)
    # replicas: the same point noise as without, times the dataset's factor
    off = _replicas(norm_uncertainty=deltas, resample_normalizations=False)
    on = _replicas(norm_uncertainty=deltas)
    assert np.allclose(((off - 10.0) / 0.5).std(), 1.0, rtol=0.05)
    assert np.allclose(on / off, (on / off)[[0, 0, 0, 3, 3, 3]])
    # nothing to draw without normalizations, and not for the one dropout network
    for params in ({"norm_uncertainty": None}, {"uncertainty": "dropout"}, {"n_estimators": 1}):
        flat = _replicas(resampling="bootstrap", **params)
        assert np.array_equal(flat, np.full_like(flat, 10.0))


def test_fit_uses_the_normalization_replicas(toy_data):
    X, y, sigma, dataset = toy_data
    fits = [
        CrossSectionRegressor(**TINY, resample_normalizations=flag, random_state=0)
        .fit(X, y, sigma=sigma, dataset=dataset)
        .predict(X)
        for flag in (False, True)
    ]
    assert not np.allclose(fits[0], fits[1])


def test_save_load_round_trip(fitted, toy_data, tmp_path):
    X = toy_data[0]
    fitted.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["config.json", "weights.pt"]
    loaded = CrossSectionRegressor.load(tmp_path / "model", device="cpu")
    assert np.array_equal(loaded.predict_members(X), fitted.predict_members(X))
    assert loaded.get_params()["hidden_layers"] == (8, 8)


def test_predict_warns_beyond_the_training_energies_and_angles(fitted, toy_data):
    # toy data: E in {0.5, 1, 1.5} GeV, theta in {30, 45, 60} deg
    assert fitted.domain_ == {"E": [0.5, 1.5], "theta": [30.0, 60.0]}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        fitted.predict(toy_data[0])  # the training kinematics themselves: silent
        fitted.predict([[1.2, 50.0, 0.2]])  # between the measured ones: silent
    far = [[1.0, 45.0, 0.2], [3.0, 45.0, 0.5], [0.4, 70.0, 0.1]]
    with pytest.warns(ExtrapolationWarning) as caught:
        fitted.predict(far, return_std=True)
    message = str(caught[0].message)
    assert message.startswith("2 of 3 points lie outside the training data's range")
    assert "1 with E < 0.5 GeV, 1 with E > 1.5 GeV, 1 with theta > 60 deg" in message
    assert caught[0].filename == __file__  # points at the caller of predict


def test_saved_domain_round_trips_and_old_models_have_none(fitted, tmp_path):
    path = fitted.save(tmp_path / "model")
    assert CrossSectionRegressor.load(path).domain_ == fitted.domain_
    config = json.loads((path / "config.json").read_text())
    del config["domain"]
    (path / "config.json").write_text(json.dumps(config))
    old = CrossSectionRegressor.load(path)
    assert old.domain_ is None
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        old.predict([[3.0, 45.0, 0.5]])


@pytest.mark.parametrize(
    "domain, message",
    [
        ([0.1, 5.0], "must be"),
        ({"E": [0.1, 5.0]}, "must be"),
        ({"E": [5.0, 0.1], "theta": [10, 20]}, r"domain\['E'\] must be finite with low <= high"),
        ({"E": [0.1, 5.0], "theta": "wide"}, r"domain\['theta'\] must be \[low, high\]"),
    ],
)
def test_load_rejects_a_malformed_domain(fitted, tmp_path, domain, message):
    path = fitted.save(tmp_path / "model")
    config = json.loads((path / "config.json").read_text())
    config["domain"] = domain
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=message):
        CrossSectionRegressor.load(path)


def test_merge_domains_by_hand():
    a = {"E": [0.5, 1.5], "theta": [30.0, 60.0]}
    b = {"E": [1.0, 7.0], "theta": [10.0, 40.0]}
    assert merge_domains(a, None, b) == {"E": [0.5, 7.0], "theta": [10.0, 60.0]}
    assert merge_domains(None) is None


def test_member_cut_drops_members_from_predict_and_normalizations(toy_data, tmp_path):
    X, y, sigma, dataset = toy_data
    # a cut of 1e-9 deviations keeps only the members at the smallest chi2/N
    model = CrossSectionRegressor(**TINY, member_cut=1e-9, random_state=0)
    model.fit(X, y, sigma=sigma, dataset=dataset)
    norm = model.net_.module_.norm.numpy()
    every = model._predict_every_member(np.asarray(X))
    norm = norm[:, model.datasets_.searchsorted(dataset)]
    by_hand = np.mean(((norm * every - y) / sigma) ** 2, axis=1)
    assert model.member_chi2_ == pytest.approx(by_hand, rel=1e-5)
    assert model.members_kept_.tolist() == (by_hand == by_hand.min()).tolist()
    assert model.predict_members(X) == pytest.approx(every[model.members_kept_])
    assert model.predict(X) == pytest.approx(every[model.members_kept_].mean(0))
    assert model.normalizations_.shape == (model.members_kept_.sum(), 2)
    loaded = CrossSectionRegressor.load(model.save(tmp_path / "model"))
    assert loaded.members_kept_.tolist() == model.members_kept_.tolist()
    assert np.array_equal(loaded.predict(X), model.predict(X))
    with pytest.raises(
        ValueError, match=r"'member_cut' .* range \(0, inf\) or None\. Got 0 instead"
    ):
        CrossSectionRegressor(**TINY, member_cut=0).fit(X, y, sigma=sigma)


def test_models_saved_before_the_member_selection_keep_every_member(fitted, toy_data, tmp_path):
    path = fitted.save(tmp_path / "model")
    config = json.loads((path / "config.json").read_text())
    for key in ("member_chi2", "members_kept"):
        del config[key]
    (path / "config.json").write_text(json.dumps(config))
    old = CrossSectionRegressor.load(path)
    assert old.members_kept_.tolist() == [True] * 3 and np.isnan(old.member_chi2_).all()
    config["members_kept"] = [False] * 3
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="members_kept must be 3 booleans with at least one"):
        CrossSectionRegressor.load(path)


class _Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_load_refuses_pickled_objects(fitted, tmp_path):
    fitted.save(tmp_path / "model")
    with open(tmp_path / "model" / "weights.pt", "wb") as handle:
        torch.save({"x": _Payload()}, handle)
    with pytest.raises(pickle.UnpicklingError):
        CrossSectionRegressor.load(tmp_path / "model")


def test_load_unknown_name():
    with pytest.raises(FileNotFoundError, match="shipped models"):
        CrossSectionRegressor.load("no-such-model")


def test_clone_and_params():
    reg = CrossSectionRegressor(**TINY, lr=3e-3)
    other = clone(reg)
    assert other.get_params() == reg.get_params()
    other.set_params(lr=1e-2)
    assert reg.lr == 3e-3 and other.lr == 1e-2


def test_early_stopping_callback(toy_data):
    X, y, sigma, dataset = toy_data
    # lr = 1e-12: the weights barely move, so valid_chi2 stalls at once
    stop = EarlyStopping(monitor="valid_chi2", patience=2, threshold=0.1, load_best=False)
    reg = CrossSectionRegressor(
        **{**TINY, "max_epochs": 50}, lr=1e-12, callbacks=[stop], random_state=0
    )
    reg.fit(X, y, sigma=sigma, dataset=dataset)
    assert len(reg.history_) < 15


def test_metadata_routing_cross_val_and_grid_search(toy_data):
    X, y, sigma, dataset = toy_data
    with sklearn.config_context(enable_metadata_routing=True):
        reg = CrossSectionRegressor(**TINY, random_state=0).set_fit_request(
            sigma=True, dataset=True
        )
        scores = cross_val_score(
            reg, X, y, cv=KFold(2), scoring=chi2_scorer, params={"sigma": sigma, "dataset": dataset}
        )
        assert scores.shape == (2,) and np.all(scores < 0)
        search = GridSearchCV(reg, {"lr": [1e-12, 5e-3]}, cv=KFold(2), scoring=chi2_scorer)
        search.fit(X, y, sigma=sigma, dataset=dataset)
        assert search.best_params_ == {"lr": 5e-3}  # lr = 1e-12 does not learn
        # fold scores are minus chi2/N on each test fold
        fold = search.cv_results_["split0_test_score"][1]
        assert np.isfinite(fold)


def test_chi2_scorer_without_sigma_is_an_error(fitted, toy_data):
    X, y, _, _ = toy_data
    with pytest.raises(ValueError, match="enable metadata routing"):
        chi2_scorer(fitted, X, y)


def test_chi2_scorer_value(fitted, toy_data):
    X, y, sigma, _ = toy_data
    assert chi2_scorer(fitted, X, y, sigma=sigma) == pytest.approx(
        -np.mean(((fitted.predict(X) - y) / sigma) ** 2)
    )


def test_verbose_prints_progress(toy_data, capsys):
    X, y, sigma, dataset = toy_data
    CrossSectionRegressor(**TINY, verbose=1).fit(X, y, sigma=sigma, dataset=dataset)
    shown = capsys.readouterr()
    epochs = TINY["max_epochs"]
    assert f"CrossSectionRegressor: epoch {epochs}/{epochs}" in shown.err
    assert "train_loss" not in shown.out
    CrossSectionRegressor(**TINY, verbose=2).fit(X, y, sigma=sigma, dataset=dataset)
    assert "train_loss" in capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CrossSectionRegressor(**TINY, verbose=0).fit(X, y, sigma=sigma, dataset=dataset)
    assert capsys.readouterr() == ("", "")


def test_pickle_subset_and_order_invariance(fitted, toy_data):
    X = toy_data[0]
    full = fitted.predict(X)
    again = pickle.loads(pickle.dumps(fitted))
    assert np.array_equal(again.predict(X), full)
    order = np.random.default_rng(0).permutation(len(X))
    assert np.allclose(fitted.predict(X.iloc[order]), full[order], rtol=1e-6)
    assert np.allclose(fitted.predict(X.iloc[:7]), full[:7], rtol=1e-6)


def test_fit_is_idempotent(toy_data):
    X, y, sigma, dataset = toy_data
    reg = CrossSectionRegressor(**TINY, random_state=3)
    first = reg.fit(X, y, sigma=sigma, dataset=dataset).predict(X)
    assert reg.fit(X, y, sigma=sigma, dataset=dataset) is reg
    assert np.array_equal(reg.predict(X), first)


def test_validation_on_each_members_rows_equals_the_masked_pass_over_all_rows():
    torch.manual_seed(0)
    members, n, K = 3, 40, 2
    valid = (torch.rand(members, n) < 0.3).float()
    rows, weight = member_rows(valid)
    assert torch.equal(weight.sum(dim=1), valid.sum(dim=1))
    assert valid.gather(1, rows)[weight > 0].eq(1).all()  # real entries are own rows
    assert len(set(rows[0][weight[0] > 0].tolist())) == int(valid[0].sum())  # each once
    pred, target = torch.rand(members, n) + 0.5, torch.rand(members, n) + 0.5
    sigma, dataset = torch.rand(n) + 0.1, torch.randint(0, K, (n,))
    norm, delta = 1 + 0.1 * torch.randn(members, K), torch.full((K,), 0.05)
    full = chi2_with_normalization(pred, target, sigma, dataset, norm, delta, weight=valid)
    own = chi2_with_normalization(
        pred.gather(1, rows),
        target.gather(1, rows),
        sigma[rows],
        dataset[rows],
        norm,
        delta,
        weight=weight,
    )
    torch.testing.assert_close(own, full)


@pytest.mark.parametrize(
    "version, device, fused",
    [
        ("2.13.0+cpu", "cpu", True),
        ("2.4.0a0+git1", "cpu", True),
        ("2.3.1", "cpu", False),
        ("2.2.0", "cuda", True),
        ("2.13.0", "mps", False),
    ],
)
def test_adamw_is_fused_where_torch_has_the_kernel(monkeypatch, version, device, fused):
    monkeypatch.setattr(torch, "__version__", version)
    assert fused_adam_supported(device) is fused


def test_fit_uses_the_fused_adamw_on_cpu(fitted):
    expected = fused_adam_supported("cpu")
    assert bool(fitted.net_.optimizer_.defaults["fused"]) is expected


def test_shipped_carbon_model_reproduces_its_model_card(carbon):
    card = json.loads((resolve_model_dir("carbon") / "model_card.json").read_text())
    model = CrossSectionRegressor.load("carbon", device="cpu")
    data = cut_low_excitation(carbon)
    _, test = split_data(data, 0.9, by="point", random_state=card["settings"]["seed"])
    assert len(data) == card["data"]["points_after_cut"] and len(test) == card["data"]["test"]
    norm = dict(zip(model.datasets_, model.normalizations_.mean(axis=0), strict=True))
    # the card's "fitted norm" figure: the prediction times each dataset's fitted N_k, no penalty
    held_out = reduced_chi2(
        test["xsec"],
        test["dataset"].map(norm).to_numpy() * model.predict(test[["E", "theta", "omega"]]),
        test["error"],
    )
    # the card was written from the float32 model; the shipped weights are float16
    assert held_out == pytest.approx(card["test"]["chi2_per_point_fitted_norm"], abs=0.005)


def test_oob_prediction_averages_the_members_that_held_each_point_out(toy_data):
    X, y, sigma, dataset = toy_data
    model = CrossSectionRegressor(
        **{**TINY, "n_estimators": 4}, validation_fraction=0.4, member_cut=np.inf, random_state=0
    ).fit(X, y, sigma=sigma, dataset=dataset)
    oob = model.oob_prediction_
    assert oob.shape == (len(y),)
    # a point is held out by none of 4 members with probability 0.6^4 = 13 %
    covered = np.isfinite(oob)
    assert 0.02 < 1 - covered.mean() < 0.3
    every = model._predict_every_member(check_kinematics(X))
    lowest, highest = every.min(axis=0), every.max(axis=0)
    assert np.all(
        (oob[covered] >= lowest[covered] - 1e-9) & (oob[covered] <= highest[covered] + 1e-9)
    )
    # the same draw of held-out rows as the fit makes (the generator's second call)
    rng = np.random.default_rng(0)
    model._draw_replicas(
        np.asarray(y), np.asarray(sigma), np.unique(dataset, return_inverse=True)[1], rng
    )
    held_out = rng.random((len(y), 4)) < 0.4
    with warnings.catch_warnings():  # points no member held out: NaN, as oob_prediction_
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmean(np.where(held_out.T, every, np.nan), axis=0)
    np.testing.assert_allclose(oob, expected, rtol=1e-12)
    assert not hasattr(clone(model), "oob_prediction_")


def test_time_budget_stops_a_fit_and_keeps_each_members_best_epoch(toy_data):
    X, y, sigma, dataset = toy_data
    model = CrossSectionRegressor(
        **{**TINY, "max_epochs": 500}, callbacks=[TimeBudget(seconds=0.0)], random_state=0
    ).fit(X, y, sigma=sigma, dataset=dataset)
    assert len(model.history_) == 1  # stopped at the first epoch end
    assert np.array_equal(model.best_epoch_, np.ones(TINY["n_estimators"]))
    assert np.isfinite(model.predict(X)).all()
