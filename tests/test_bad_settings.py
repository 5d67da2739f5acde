"""Bad settings and inputs are refused with a clear ValueError before any work.

Every test here makes building a network, training or evaluating the physics
model fail loudly, so an error raised after work started would show as that
failure instead of the expected message.
"""

import numpy as np
import pytest
from scipy import sparse
from skorch import NeuralNet

from qestl import (
    CrossSectionRegressor,
    ScaledRegressor,
    SuperscalingRegressor,
    TransferRegressor,
)
from qestl.estimators import PretrainedModel, baselines
from qestl.nn import EnsembleMLP

TINY = dict(n_estimators=2, hidden_layers=(4,), max_epochs=2, norm_warmup=1, batch_size=-1)


@pytest.fixture(scope="module")
def source(toy_data):
    X, y, sigma, dataset = toy_data
    return CrossSectionRegressor(**TINY, random_state=0).fit(X, y, sigma=sigma, dataset=dataset)


@pytest.fixture()
def no_work(monkeypatch):
    """Building a network, training it, or computing a physics cross section fails."""

    def work(*args, **kwargs):
        raise AssertionError("work started before the settings were checked")

    monkeypatch.setattr(EnsembleMLP, "__init__", work)
    monkeypatch.setattr(NeuralNet, "fit", work)
    monkeypatch.setattr(baselines, "cross_section", work)
    monkeypatch.setattr(PretrainedModel, "regressor", work)


BAD_REGRESSOR_SETTINGS = [
    ("mass_number", 0, r"an int in the range \[1, inf\)"),
    ("mass_number", -12, r"an int in the range \[1, inf\)"),
    ("mass_number", 12.5, r"an int in the range \[1, inf\)"),
    ("norm_uncertainty", 0, r"a float in the range \(0, inf\)"),
    ("norm_uncertainty", -0.05, r"a float in the range \(0, inf\)"),
    ("norm_uncertainty", {"exp-a": 0.0}, r"a dict whose values are each a float in the range"),
    ("norm_uncertainty", {"exp-a": 0.1, "exp-b": -0.1}, "a dict whose values"),
    ("max_epochs", 0, r"an int in the range \[1, inf\)"),
    ("batch_size", 0, r"an int in the range \[1, inf\), one of \[-1\] or None"),
    ("batch_size", -2, r"an int in the range \[1, inf\), one of \[-1\] or None"),
    ("batch_size", 32.0, r"an int in the range \[1, inf\)"),
    ("hidden_layers", (0,), r"a tuple or list of at least 1 item, each an int in the range \[1"),
    ("hidden_layers", (), "a tuple or list of at least 1 item"),
    ("hidden_layers", (8, -4), "a tuple or list of at least 1 item"),
    ("hidden_layers", 8, "a tuple or list of at least 1 item"),
    ("dropout", 1.5, r"a float in the range \[0, 1\)"),
    ("dropout", -0.1, r"a float in the range \[0, 1\)"),
    ("lr", 0.0, r"a float in the range \(0, inf\)"),
    ("lr", -1e-3, r"a float in the range \(0, inf\)"),
    ("n_estimators", 0, r"an int in the range \[1, inf\)"),
    ("validation_fraction", 1.0, r"a float in the range \[0, 1\)"),
    ("activation", "swish", "a str among"),
    ("random_state", -1, r"an int in the range \[0, inf\) or None"),
    ("nucleus_inputs", "yes", "a bool"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD_REGRESSOR_SETTINGS)
def test_bad_regressor_settings_are_refused_before_training(
    name, value, allowed, toy_data, no_work
):
    X, y, sigma, dataset = toy_data
    model = CrossSectionRegressor(**{**TINY, name: value})
    with pytest.raises(ValueError, match=rf"The '{name}' parameter of CrossSectionRegressor"):
        model.fit(X, y, sigma=sigma, dataset=dataset)
    with pytest.raises(ValueError, match=allowed + r".* Got "):
        model.fit(X, y, sigma=sigma, dataset=dataset)


def test_dropout_model_b_refuses_a_rate_of_one_or_more(toy_data, no_work):
    X, y, sigma, _ = toy_data
    with pytest.raises(ValueError, match=r"'dropout' .* Got 1\.0 instead"):
        CrossSectionRegressor(**TINY, uncertainty="dropout", dropout=1.0).fit(X, y, sigma=sigma)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("target_A", 0, r"'target_A' parameter of TransferRegressor must be an int in the range"),
        ("target_A", -12, r"'target_A' parameter of TransferRegressor"),
        ("max_epochs", 0, r"'max_epochs' parameter of TransferRegressor"),
        ("lr", 0.0, r"'lr' parameter of TransferRegressor"),
        ("batch_size", 0, r"'batch_size' parameter of TransferRegressor"),
        ("norm_uncertainty", 0.0, r"'norm_uncertainty' parameter of TransferRegressor"),
        ("source_prior", -1.0, r"'source_prior' parameter of TransferRegressor"),
        ("freeze", 2, r"freeze must lie in \[0, 1\] for a network of 2 weight layers"),
        ("n_estimators", 3, r"n_estimators must lie in \[1, 2\] \(the source's members\)"),
    ],
)
def test_bad_transfer_settings_are_refused_before_training(
    name, value, message, source, toy_data, no_work
):
    X, y, sigma, _ = toy_data
    model = TransferRegressor.from_pretrained(source, **{"max_epochs": 2, name: value})
    with pytest.raises(ValueError, match=message):
        model.fit(X, y, sigma=sigma)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (ScaledRegressor(factor=0.0), r"'factor' parameter of ScaledRegressor .* \(0, inf\)"),
        (ScaledRegressor(factor=-1.0), r"'factor' parameter of ScaledRegressor"),
        (ScaledRegressor(source=None), r"'source' parameter of ScaledRegressor"),
        (
            SuperscalingRegressor(normalization="dataset", norm_uncertainty=0.0),
            r"'norm_uncertainty' parameter of SuperscalingRegressor .* \(0, inf\)",
        ),
        (SuperscalingRegressor(qe_model="lfg"), r"'qe_model' .* among \['rfg', 'susa'\]"),
        (
            SuperscalingRegressor(transverse_enhancement=(5.19,)),
            r"'transverse_enhancement' .* None, a bool or a tuple or list of 2 items",
        ),
    ],
)
def test_bad_baseline_settings_are_refused_before_work(model, message, toy_data, no_work):
    X, y, sigma, dataset = toy_data
    with pytest.raises(ValueError, match=message):
        model.fit(X, y, sigma=sigma, dataset=dataset)


@pytest.mark.parametrize(
    ("n", "params", "needed"),
    [
        (1, {}, 10),
        (2, {}, 10),
        (9, {}, 10),
        (3, {"validation_fraction": 0.25}, 4),
        (1, {"validation_fraction": 0.5}, 2),
        (1, {"validation_fraction": 0.0}, 2),
        (4, {"validation_fraction": 0.8}, 5),  # 1 / (1 - 0.8): one training point each
    ],
)
def test_too_few_points_for_the_validation_split(n, params, needed, toy_data, no_work):
    X, y, sigma, _ = toy_data
    model = CrossSectionRegressor(**TINY, **params)
    plural = "sample" if n == 1 else "samples"
    with pytest.raises(
        ValueError, match=rf"X has {n} {plural}, too few to fit: at least {needed} are needed"
    ) as info:
        model.fit(X[:n], y[:n], sigma=sigma[:n])
    if params.get("validation_fraction", 0.1):
        assert "each member holds out its own draw" in str(info.value)


def test_enough_points_for_the_split_fit(toy_data):
    X, y, sigma, _ = toy_data
    model = CrossSectionRegressor(**TINY, random_state=0)
    assert np.isfinite(model.fit(X[:10], y[:10], sigma=sigma[:10]).predict(X[:10])).all()
    one_each = CrossSectionRegressor(**TINY, validation_fraction=0.0, random_state=0)
    assert np.isfinite(one_each.fit(X[:2], y[:2], sigma=sigma[:2]).predict(X[:2])).all()


def test_a_member_left_without_training_points_is_refused(toy_data, no_work):
    X, y, sigma, _ = toy_data
    # 10 points, 90 % held out per member: this seed's draw leaves one member nothing
    model = CrossSectionRegressor(**{**TINY, "n_estimators": 8}, validation_fraction=0.9)
    with pytest.raises(ValueError, match=r"of 8 members drew all of their 10 points for valid"):
        model.set_params(random_state=0).fit(X[:10], y[:10], sigma=sigma[:10])


def test_the_transfer_refuses_too_few_points(source, toy_data, no_work):
    X, y, sigma, _ = toy_data
    model = TransferRegressor.from_pretrained(source, max_epochs=2)
    with pytest.raises(ValueError, match="X has 2 samples, too few to fit: at least 10"):
        model.fit(X[:2], y[:2], sigma=sigma[:2])


@pytest.mark.parametrize("omega", [-0.1, 0.0])
def test_non_positive_energy_transfer_is_refused_in_fit_and_predict(omega, toy_data, no_work):
    X, y, sigma, _ = toy_data
    bad = X.assign(omega=np.where(np.arange(len(X)) == 7, omega, X["omega"]))
    with pytest.raises(ValueError, match=r"X: 1 row with omega <= 0 \(first at index 7\)"):
        CrossSectionRegressor(**TINY).fit(bad, y, sigma=sigma)
    with pytest.raises(ValueError, match="omega <= 0"):
        SuperscalingRegressor().fit(bad, y)


def test_non_positive_energy_transfer_is_refused_in_predict(source, toy_data):
    X = toy_data[0].assign(omega=-0.05)
    for model in (source, ScaledRegressor(PretrainedModel.resolve(source)).fit(toy_data[0])):
        with pytest.raises(ValueError, match=r"omega <= 0 \(first at index 0\)"):
            model.predict(X)


def _estimators(source):
    return [
        CrossSectionRegressor(**TINY),
        TransferRegressor.from_pretrained(source, max_epochs=2),
        SuperscalingRegressor(),
    ]


def test_y_none_is_refused_by_name(source, toy_data, no_work):
    X = toy_data[0]
    for model in _estimators(source):
        with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
            model.fit(X, None)


@pytest.mark.parametrize("container", [sparse.csr_matrix, sparse.csr_array])
def test_sparse_input_is_refused(container, source, toy_data, no_work):
    X, y, _, _ = toy_data
    for model in [*_estimators(source), ScaledRegressor(PretrainedModel.resolve(source))]:
        with pytest.raises(ValueError, match="sparse input is not supported"):
            model.fit(container(X.to_numpy()), y)


def test_complex_input_is_refused_not_truncated(source, toy_data, no_work):
    X, y, _, _ = toy_data
    for model in _estimators(source):
        with pytest.raises(ValueError, match="Complex data not supported: X"):
            model.fit(X.to_numpy() + 0j, y)
        with pytest.raises(ValueError, match="Complex data not supported: y"):
            model.fit(X, y + 1e-3j)


def test_a_one_sample_fit_is_refused_with_the_count(source, toy_data, no_work):
    X, y, sigma, _ = toy_data
    for model in _estimators(source)[:2]:
        with pytest.raises(ValueError, match="X has 1 sample, too few to fit: at least 10"):
            model.fit(X[:1], y[:1], sigma=sigma[:1])
