import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from skorch.callbacks import Callback

from qestl import CrossSectionRegressor, ScaledRegressor, TransferRegressor
from qestl.estimators import CARBON_SOURCE, TRANSFER_SOURCE, PretrainedModel
from qestl.metrics import chi2_scorer
from qestl.nn import resolve_freeze

SOURCE = dict(
    n_estimators=3,
    hidden_layers=(8, 8, 8),
    batch_norm=True,
    max_epochs=4,
    norm_warmup=2,
    batch_size=32,
)
TUNE = dict(max_epochs=3, batch_size=32, random_state=1)


@pytest.fixture(scope="module")
def source(fit_toy_regressor):
    return fit_toy_regressor(**SOURCE)


def tensors(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items() if k.startswith("mlp.")}


def test_resolve_freeze_words_and_errors():
    assert resolve_freeze("full", 11) == 0
    assert resolve_freeze("shallow", 11) == 9
    assert resolve_freeze(4, 11) == 4
    for bad in (11, -1, True, "deep", 2.0):
        with pytest.raises(ValueError, match="freeze"):
            resolve_freeze(bad, 11)


def test_untrained_transfer_is_the_source_times_A_ratio(source, toy_data):
    X = toy_data[0]
    # lr 1e-12 and all but the last layer frozen: the weights stay the source's
    # (max_epochs=0 is refused: it would return an untrained model)
    model = TransferRegressor.from_pretrained(source, target_A=16, freeze=3, max_epochs=1, lr=1e-12)
    model.fit(X, toy_data[1], sigma=toy_data[2])
    assert model.predict_members(X) == pytest.approx(source.predict_members(X) * 16 / 12, rel=1e-5)
    scaled = ScaledRegressor(source, factor=16 / 12).fit(X)
    mean, std = scaled.predict(X, return_std=True)
    ref_mean, ref_std = source.predict(X, return_std=True)
    assert mean == pytest.approx(ref_mean * 16 / 12) and std == pytest.approx(ref_std * 16 / 12)


@pytest.mark.parametrize("freeze", [2, "shallow"])
def test_frozen_layers_keep_weights_and_batchnorm_statistics(source, toy_data, freeze):
    X, y, sigma, dataset = toy_data
    before = tensors(source.net_.module_)
    model = TransferRegressor.from_pretrained(source, target_A=16, freeze=freeze, **TUNE)
    model.fit(X, y * 1.3, sigma=sigma, dataset=dataset)
    after = tensors(model.net_.module_)
    n_frozen = resolve_freeze(freeze, 4)
    assert model.n_frozen_ == n_frozen
    # layers: [Linear, BatchNorm, ReLU, Dropout] * 3, Linear
    for name, value in before.items():
        block = int(name.split(".")[2]) // 4
        if block < n_frozen:
            assert torch.equal(after[name], value), name
        elif name.endswith("weight") and "layers.0." not in name:
            assert not torch.equal(after[name], value), name
    # the running statistics of a trained block moved
    trained = f"mlp.layers.{4 * n_frozen + 1}.running_mean"
    if trained in before:
        assert not torch.equal(after[trained], before[trained])


class RecordSteps(Callback):
    """Each step's parameters and gradients as the optimizer will see them."""

    def on_train_begin(self, net, **kwargs):
        self.params, self.grads = [], []

    def on_grad_computed(self, net, named_parameters, **kwargs):
        named = list(net.module_.mlp.named_parameters())
        self.params.append({n: p.detach().clone() for n, p in named})
        self.grads.append({n: p.grad.detach().clone() for n, p in named})


def test_source_prior_adds_its_gradient_to_each_members_loss(source, toy_data):
    X, y, sigma, dataset = toy_data
    # two full-batch steps: the first starts on the source (prior gradient 0)
    # and so moves both fits alike; the second adds 2 alpha (p - p_source) / n_m
    runs = {}
    for alpha in (0.0, 50.0):
        record = RecordSteps()
        model = TransferRegressor.from_pretrained(
            source,
            source_prior=alpha,
            max_epochs=2,
            batch_size=None,
            grad_clip=None,
            random_state=3,
            callbacks=[("record", record)],
        )
        runs[alpha] = (model.fit(X, y * 1.2, sigma=sigma, dataset=dataset), record)
    (_, free_steps), (prior, prior_steps) = runs[0.0], runs[50.0]
    n_points = prior.net_.module_.n_total  # (members,): training points of each member
    start = {k.removeprefix("mlp."): v for k, v in tensors(source.net_.module_).items()}
    for name, grad in free_steps.grads[0].items():
        assert torch.equal(prior_steps.grads[0][name], grad), name
        moved = prior_steps.params[1][name] - start[name]
        assert moved.abs().max() > 0, name
        scale = (2 * 50.0 / n_points).view(-1, *[1] * (moved.dim() - 1))
        expected = free_steps.grads[1][name] + scale * moved
        assert prior_steps.grads[1][name].numpy() == pytest.approx(expected.numpy(), abs=1e-6)


def test_fit_freeze_argument_overrides_parameter(source, toy_data):
    X, y, sigma, dataset = toy_data
    model = TransferRegressor.from_pretrained(source, freeze=0, **TUNE)
    model.fit(X, y, sigma=sigma, freeze="shallow")
    assert model.n_frozen_ == 2 and model.freeze == 0


def test_clone_keeps_pretrained_weights(source, toy_data):
    model = TransferRegressor.from_pretrained(source, target_A=16, freeze=1, **TUNE)
    copy = clone(model)
    assert copy.source is model.source
    assert copy.get_params()["freeze"] == 1
    X, y, sigma, _ = toy_data
    fitted = copy.fit(X, y, sigma=sigma)
    first = tensors(fitted.net_.module_)["mlp.layers.0.weight"]
    assert torch.equal(first, source.net_.module_.state_dict()["mlp.layers.0.weight"])


def test_bad_sources_and_member_counts(source, toy_data):
    X, y, sigma, _ = toy_data
    with pytest.raises(ValueError, match="no source model"):
        TransferRegressor().fit(X, y, sigma=sigma)
    with pytest.raises(ValueError, match=r"n_estimators must lie in \[1, 3\]"):
        TransferRegressor.from_pretrained(source, n_estimators=5).fit(X, y, sigma=sigma)
    with pytest.raises(ValueError, match="target_A"):
        TransferRegressor.from_pretrained(source, target_A=0).fit(X, y, sigma=sigma)
    with pytest.raises(ValueError, match=r"'source_prior' .* range \[0, inf\)\. Got -1"):
        TransferRegressor.from_pretrained(source, source_prior=-1).fit(X, y, sigma=sigma)
    with pytest.raises(ValueError, match="factor"):
        ScaledRegressor(source, factor=-1).fit(X)


def test_saved_transfer_loads_as_regressor_and_as_source(source, toy_data, tmp_path):
    X, y, sigma, dataset = toy_data
    model = TransferRegressor.from_pretrained(source, target_A=27, n_estimators=2, **TUNE)
    model.fit(X, y, sigma=sigma, dataset=dataset)
    loaded = CrossSectionRegressor.load(model.save(tmp_path / "al"))
    assert loaded.mass_number == 27 and loaded.n_estimators == 2
    assert np.array_equal(loaded.predict(X), model.predict(X))
    again = TransferRegressor.from_pretrained(
        tmp_path / "al", freeze=3, max_epochs=1, lr=1e-12
    ).fit(X, y, sigma=sigma)
    assert again.predict(X) == pytest.approx(model.predict(X), rel=1e-5)
    assert isinstance(again.source, PretrainedModel) and "A=27" in repr(again.source)


def test_transfer_domain_is_the_source_and_target_ranges(source, toy_data):
    X, y, sigma, _ = toy_data
    target = X[X["E"] > 0.9].assign(theta=X["theta"] + 50.0)  # theta 80-110, E 1-1.5
    keep = (X["E"] > 0.9).to_numpy()
    model = TransferRegressor.from_pretrained(source, n_estimators=1, max_epochs=1)
    model.fit(target, y[keep], sigma=sigma[keep])
    assert source.domain_ == {"E": [0.5, 1.5], "theta": [30.0, 60.0]}
    assert model.domain_ == {"E": [0.5, 1.5], "theta": [30.0, 110.0]}


@pytest.fixture()
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_grid_search_over_freeze_with_chi2_scorer(source, toy_data, routing):
    X, y, sigma, dataset = toy_data
    model = TransferRegressor.from_pretrained(source, target_A=16, **TUNE)
    model.set_fit_request(sigma=True, dataset=True, freeze=False)
    scorer = chi2_scorer
    search = GridSearchCV(
        model,
        {"freeze": [0, 2, "shallow"]},
        scoring=scorer,
        cv=KFold(2, shuffle=True, random_state=0),
        n_jobs=2,
    )
    search.fit(X, y, sigma=sigma, dataset=dataset)
    assert search.best_params_["freeze"] in (0, 2, "shallow")
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # refit in this process from a clone: the same (not copied) pretrained weights
    assert search.best_estimator_.source is model.source


class _RecordThreads(Callback):
    def on_epoch_end(self, net, **kwargs):
        net.history.record("torch_threads", torch.get_num_threads())


def test_parallel_workers_pickle_and_share_the_cores(source, toy_data, routing):
    X, y, sigma, dataset = toy_data
    model = TransferRegressor.from_pretrained(source, callbacks=[_RecordThreads()], **TUNE)
    assert pickle.loads(pickle.dumps(model)).source.members == 3
    model.set_fit_request(sigma=True, dataset=True, freeze=False)
    result = cross_validate(
        model,
        X,
        y,
        cv=KFold(2),
        scoring=chi2_scorer,
        params={"sigma": sigma, "dataset": dataset},
        n_jobs=2,
        return_estimator=True,
    )
    threads = [est.history_[0]["torch_threads"] for est in result["estimator"]]
    assert all(t * 2 <= max(torch.get_num_threads(), 2) for t in threads), threads


def test_default_source_is_the_multi_nucleus_model_and_carbon_sources_warn():
    tuned = TransferRegressor.from_pretrained(target_Z=8, target_A=16)
    assert tuned.source.name == TRANSFER_SOURCE == "nuclei"
    assert tuned.source.nucleus_inputs
    # The scaled-carbon baseline stays a carbon model times A/12.
    assert ScaledRegressor().source == CARBON_SOURCE == "carbon-2026-11-30"
    for name in ("carbon", "carbon-2026-11-30"):
        with pytest.warns(UserWarning, match=f"{name!r} is a worse transfer source"):
            TransferRegressor.from_pretrained(name, target_A=16)
    # the carbon fit is the other shipped carbon model
    assert PretrainedModel.resolve("carbon").params["hidden_layers"] == [128] * 4


def test_auto_learning_rate_follows_the_number_of_points(source, toy_data, tmp_path):
    from qestl.estimators import AUTO_LR, AUTO_LR_POINTS

    X, y, sigma, dataset = toy_data
    few = TransferRegressor.from_pretrained(source, max_epochs=1, random_state=0)
    assert few.lr == "auto"
    few.fit(X, y, sigma=sigma)
    assert len(X) < AUTO_LR_POINTS and few.lr_ == AUTO_LR[0]
    assert few.net_.optimizer_.param_groups[0]["initial_lr"] == AUTO_LR[0]
    many = pd.concat([X] * (AUTO_LR_POINTS // len(X) + 1), ignore_index=True)
    repeat = len(many) // len(X)
    tuned = TransferRegressor.from_pretrained(source, max_epochs=1, random_state=0).fit(
        many, np.tile(y, repeat), sigma=np.tile(sigma, repeat)
    )
    assert tuned.lr_ == AUTO_LR[1]
    fixed = TransferRegressor.from_pretrained(source, lr=1e-3, max_epochs=1).fit(X, y, sigma=sigma)
    assert fixed.lr_ == 1e-3
    # saved with the rate it used, so that it loads as a CrossSectionRegressor
    tuned.save(tmp_path / "tuned")
    assert CrossSectionRegressor.load(tmp_path / "tuned").lr == AUTO_LR[1]
