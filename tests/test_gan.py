import itertools
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import ks_2samp
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from skorch.callbacks import Callback

import qestl
import qestl.estimators.gan as gan_module
import qestl.nn.gan as gan_nn
import qestl.training.progress as progress
from qestl.constants import M_MUON
from qestl.estimators import GAN_FINE_TUNING, ConditionalGAN, PretrainedGAN
from qestl.kinematics import (
    E_MU_GAP,
    emu_to_proxy,
    enu_to_proxy,
    q2_neutrino,
    theta_to_proxy,
    w_neutrino,
)
from qestl.metrics import EventScorer, map_3d, map_criterion
from qestl.nn.freezing import freeze_leading
from qestl.nn.gan import (
    GanModule,
    GaussianNoise,
    KinematicFeatures,
    discriminator_loss,
    draw_latents,
    generate_proxies,
    hce_loss,
)
from qestl.persistence import resolve_model_dir
from qestl.physics.neutrino import generate_events
from qestl.training import CosineTimeDecay, TimeBudget, switch_to_amsgrad

TINY = dict(
    latent_dim=4,
    generator_width=8,
    generator_blocks=2,
    discriminator_width=12,
    discriminator_blocks=3,
    max_epochs=3,
    batch_size=100,
    map_bins=4,
    validation_fraction=0.3,
    random_state=0,
    device="cpu",
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny networks: thread hand-offs on a busy 2-core machine cost 100x the arithmetic."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def toy(n, seed):
    rng = np.random.default_rng(seed)
    E_nu = rng.uniform(0.3, 10.0, n)
    E_mu = M_MUON + (E_nu - E_MU_GAP - M_MUON) * rng.beta(5, 2, n)
    theta = 180 * rng.beta(1.2, 3 + 2 * E_nu)
    return E_nu, np.column_stack([E_mu, theta])


@pytest.fixture(scope="module")
def events():
    return toy(400, 0)


@pytest.fixture(scope="module")
def gan(events):
    return ConditionalGAN(**TINY).fit(*events)


def test_hce_loss_is_minus_the_mean_logit():
    logits = torch.tensor([-3.0, 0.5, 2.0])
    assert float(hce_loss(logits)) == pytest.approx(0.5 / 3, rel=1e-6)
    assert float(discriminator_loss(torch.zeros(4), torch.zeros(4))) == pytest.approx(2 * np.log(2))


def test_gaussian_noise_only_in_training():
    layer = GaussianNoise(0.5)
    x = torch.zeros(20_000)
    assert float(layer(x).std()) == pytest.approx(0.5, rel=0.05)
    assert torch.equal(layer.eval()(x), x)


def test_freeze_leading_range():
    stages = [torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)]
    freeze_leading(stages, 1)
    assert [p.requires_grad for p in stages[0].parameters()] == [False, False]
    assert all(p.requires_grad for p in stages[1].parameters())
    with pytest.raises(ValueError, match="can freeze 0 to 1 of the 2 stages, got 2"):
        freeze_leading(stages, 2)


def test_fit_records_history_and_keeps_the_best_epoch(gan):
    scores = gan.history_[:, "valid_score"]
    assert len(scores) == 3
    assert np.isfinite(gan.history_[:, "train_d_loss"]).all()
    assert np.isfinite(gan.history_[:, "valid_map"]).all()
    assert gan.best_epoch_ == 1 + int(np.nanargmin(scores))


def test_amsgrad_after_adamw(events):
    late = ConditionalGAN(**{**TINY, "max_epochs": 2, "amsgrad_from": 0.5}).fit(*events)
    for optimizer in (late.net_.optimizer_, late.net_.optimizer_discriminator_):
        assert optimizer.param_groups[0]["amsgrad"]
    never = ConditionalGAN(
        **{**TINY, "max_epochs": 1, "amsgrad_from": 1.0, "discriminator_lr": 3e-4}
    ).fit(*events)
    assert not never.net_.optimizer_.param_groups[0]["amsgrad"]
    assert never.net_.optimizer_discriminator_.param_groups[0]["lr"] == 3e-4
    assert never.net_.optimizer_.param_groups[0]["lr"] == TINY.get("lr", 5e-5)


def test_time_budget_places_the_amsgrad_switch_within_the_budget(events):
    # A budget of 0 s ends the fit at the first epoch end; the switch goes to
    # amsgrad_from times the epochs that fit (at least 2), here epoch 1.
    budget = TimeBudget(seconds=0.0, amsgrad_from=0.5)
    gan = ConditionalGAN(**{**TINY, "max_epochs": 50, "callbacks": [budget]}).fit(*events)
    assert len(gan.history_) == 1
    assert gan.net_.amsgrad_epoch == 1


def test_cosine_time_decay_factor_by_hand():
    decay = CosineTimeDecay(seconds=100.0, start=0.5, final=0.1)
    # full rates before start, final at the end and after, the cosine's midpoint halfway
    assert decay.factor(0.0) == decay.factor(0.5) == 1.0
    assert decay.factor(0.75) == pytest.approx(0.1 + 0.9 * 0.5)
    assert decay.factor(0.5 + 0.5 / 3) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + 0.5))
    assert decay.factor(1.0) == decay.factor(3.0) == pytest.approx(0.1)


class RateRecorder(Callback):
    """The learning rates of both optimizers at every training batch, and whether training began."""

    def initialize(self):
        self.rates_, self.began_ = [], False
        return self

    def on_train_begin(self, net, **kwargs):
        self.began_ = True

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            optimizers = (net.optimizer_, net.optimizer_discriminator_)
            self.rates_.append([o.param_groups[0]["lr"] for o in optimizers])


def test_cosine_time_decay_scales_both_optimizers_and_puts_them_back(events, monkeypatch):
    # A clock that advances by the whole budget at every reading: from the
    # first training batch on, both networks train at final times their rates.
    clock = itertools.count(0, 100)
    monkeypatch.setattr(progress, "time", SimpleNamespace(perf_counter=lambda: float(next(clock))))
    decay, recorder = CosineTimeDecay(seconds=100.0, start=0.0, final=0.25), RateRecorder()
    gan = ConditionalGAN(**{**TINY, "max_epochs": 2, "callbacks": [decay, recorder]})
    gan.fit(*events)
    assert len(recorder.rates_) > 1
    expected = [0.25 * gan.lr, 0.25 * gan.discriminator_lr]
    assert np.allclose(recorder.rates_, [expected] * len(recorder.rates_), rtol=1e-12)
    # after the fit the rates are the settings again, for a later fit to start from
    assert gan.net_.optimizer_.param_groups[0]["lr"] == gan.lr
    assert gan.net_.optimizer_discriminator_.param_groups[0]["lr"] == gan.discriminator_lr


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"seconds": 0.0, "start": 0.5, "final": 0.1}, "seconds must be > 0"),
        ({"seconds": 10.0, "start": 1.0, "final": 0.1}, r"start must be in \[0, 1\)"),
        ({"seconds": 10.0, "start": 0.5, "final": 0.0}, r"final must be in \(0, 1\]"),
    ],
)
def test_cosine_time_decay_rejects_bad_settings_before_training(events, settings, message):
    recorder = RateRecorder()
    gan = ConditionalGAN(**{**TINY, "callbacks": [recorder, CosineTimeDecay(**settings)]})
    with pytest.raises(ValueError, match=message):
        gan.fit(*events)
    assert not recorder.began_


def test_switch_to_amsgrad_keeps_the_moments():
    grads = [torch.tensor([0.5, 3.0]), torch.tensor([2.0, 1.0]), torch.tensor([1.0, 0.2])]
    last = torch.tensor([1.5, 0.1])
    lr, (beta1, beta2), eps = 0.1, (0.9, 0.999), 1e-8

    def three_adamw_steps():
        weight = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        optimizer = torch.optim.AdamW([weight], lr=lr, betas=(beta1, beta2), weight_decay=0.0)
        for grad in grads:
            weight.grad = grad.clone()
            optimizer.step()
        return weight, optimizer

    weight, optimizer = three_adamw_steps()
    state = optimizer.state[weight]
    m, v, before = state["exp_avg"].clone(), state["exp_avg_sq"].clone(), weight.detach().clone()
    switch_to_amsgrad(optimizer)
    assert optimizer.param_groups[0]["amsgrad"]
    weight.grad = last.clone()
    optimizer.step()
    # AMSGrad's fourth step by hand, its running maximum starting at the kept moment.
    m = beta1 * m + (1 - beta1) * last
    v_max = torch.maximum(v, beta2 * v + (1 - beta2) * last**2)
    denominator = v_max.sqrt() / (1 - beta2**4) ** 0.5 + eps
    expected = before - lr * m / (1 - beta1**4) / denominator
    assert torch.allclose(weight.detach(), expected, atol=1e-6)

    # Fresh moments (a new optimizer) take another step: the test can tell them apart.
    fresh_weight, _ = three_adamw_steps()
    fresh = torch.optim.AdamW([fresh_weight], lr=lr, amsgrad=True, weight_decay=0.0)
    fresh_weight.grad = last.clone()
    fresh.step()
    assert not torch.allclose(fresh_weight.detach(), expected, atol=1e-3)


def test_sample_shapes_limits_and_seeds(gan):
    one = gan.sample([0.5, 1.0, 3.0], random_state=1)
    assert list(one.columns) == ["E_nu", "E_mu", "theta"]
    assert one["E_nu"].tolist() == [0.5, 1.0, 3.0]
    many = gan.sample(2.0, n_per_energy=50, random_state=1)
    assert len(many) == 50 and (many["E_nu"] == 2.0).all()
    assert many["E_mu"].nunique() > 1
    pd.testing.assert_frame_equal(
        gan.sample([1.0, 5.0], random_state=3), gan.sample([1.0, 5.0], random_state=3)
    )


@pytest.mark.parametrize("noise_std, dropout, varies", [(0.5, 0.0, True), (0.0, 0.0, False)])
def test_sampling_keeps_the_generator_noise_of_training(events, noise_std, dropout, varies):
    gan = ConditionalGAN(**{**TINY, "max_epochs": 1, "noise_std": noise_std, "dropout": dropout})
    gan.fit(*events)
    module = gan.module_.eval()
    enu, z = torch.zeros(20, 1), torch.randn(20, gan.latent_dim)
    first, second = generate_proxies(module, enu, z, 1), generate_proxies(module, enu, z, 2)
    assert np.array_equal(first, generate_proxies(module, enu, z, 1))
    assert (not np.allclose(first, second)) is varies
    assert not module.generator.training  # the caller's mode comes back


def test_latents_drawn_chunk_by_chunk_are_those_of_one_draw():
    one = draw_latents(torch.Generator().manual_seed(7), 53, 4)
    chunked = torch.Generator().manual_seed(7)
    parts = [draw_latents(chunked, rows, 4) for rows in (16, 32, 5)]
    assert one.shape == (53, 4)
    assert torch.equal(torch.cat(parts), one)
    # fewer numbers than torch's block of 16 still come from the same stream
    assert torch.equal(draw_latents(torch.Generator().manual_seed(7), 3, 4), one[:3])


def test_chunked_sampling_gives_the_samples_of_one_pass(gan, monkeypatch):
    E_nu = np.random.default_rng(0).uniform(0.3, 10.0, 333)
    monkeypatch.setattr(ConditionalGAN, "sample_chunk", 10**6)
    one_pass = gan.sample(E_nu, random_state=4)
    # the same latents; matrix products of other shapes may round differently
    for chunk in (16, 48):
        monkeypatch.setattr(ConditionalGAN, "sample_chunk", chunk)
        chunked = gan.sample(E_nu, random_state=4)
        pd.testing.assert_frame_equal(chunked, one_pass, check_exact=False, rtol=1e-5)
    # a shorter request draws the leading events of a longer one
    first = gan.sample(E_nu[:101], random_state=4)
    pd.testing.assert_frame_equal(first, one_pass.iloc[:101], check_exact=False, rtol=1e-5)


def test_chunked_sampling_with_generator_noise_keeps_the_distribution(events, monkeypatch):
    noisy = ConditionalGAN(**{**TINY, "max_epochs": 1, "noise_std": 0.5}).fit(*events)
    monkeypatch.setattr(ConditionalGAN, "sample_chunk", 10**6)
    one_pass = noisy.sample(2.0, n_per_energy=3000, random_state=5)
    monkeypatch.setattr(ConditionalGAN, "sample_chunk", 32)
    chunked = noisy.sample(2.0, n_per_energy=3000, random_state=5)
    # the noise of each chunk differs from that of one pass, its distribution does not
    assert not np.allclose(chunked["theta"], one_pass["theta"])
    for column in ("E_mu", "theta"):
        assert ks_2samp(chunked[column], one_pass[column]).pvalue > 0.01


@pytest.mark.parametrize(
    "E_nu, message",
    [
        (np.inf, r"1 neutrino energies are infinite \(rows \[0\]\)"),
        ([1.0, -np.inf, 2.0], r"infinite \(rows \[1\]\)"),
        ([1.0, np.nan], r"NaN or <= m_mu \+ 0.004.*rows \[1\]"),
        (0.0, r"NaN or <= m_mu"),
        ([-3.0, 2.0], r"rows \[0\]"),
    ],
)
def test_bad_energies_are_refused_before_any_sampling(gan, monkeypatch, E_nu, message):
    def no_work(*args, **kwargs):
        raise AssertionError("sampling started")

    monkeypatch.setattr(gan_module, "generate_proxies", no_work)
    monkeypatch.setattr(gan_nn, "draw_latents", no_work)
    with pytest.raises(ValueError, match=message):
        gan.sample(E_nu, random_state=0)
    with pytest.raises(ValueError, match="n_per_energy must be a positive int"):
        gan.sample(1.0, n_per_energy=0)


def test_sample_stays_inside_kinematic_limits(events):
    wild = ConditionalGAN(**{**TINY, "max_epochs": 1}).fit(*events)
    with torch.no_grad():  # push the outputs far outside [-1, 1]
        wild.module_.generator.out.weight.mul_(1e3)
    out = wild.sample(np.linspace(0.2, 12.0, 200), n_per_energy=10, random_state=0)
    assert (out["E_mu"] >= M_MUON - 1e-12).all()
    assert (out["E_mu"] <= out["E_nu"] - E_MU_GAP + 1e-12).all()
    assert out["theta"].between(0.0, 180.0).all()
    assert (out["E_mu"] <= M_MUON + 1e-9).any() or (out["theta"] >= 180 - 1e-9).any()


def test_bad_input_is_named(events):
    E_nu, muon = events
    model = ConditionalGAN(**TINY)
    bad = muon.copy()
    bad[5, 0] = E_nu[5]  # no room for the hadronic system
    with pytest.raises(ValueError, match=r"rows \[5\]"):
        model.fit(E_nu, bad)
    with pytest.raises(ValueError, match=r"shape \(400, 2\)"):
        model.fit(E_nu, muon[:, :1])
    with pytest.raises(ValueError, match=r"<= m_mu \+ 0.004.*rows \[1\]"):
        model.fit(np.r_[1.0, 0.1, 1.0, 1.0], muon[:4])
    with pytest.raises(ValueError, match="at least 4 are needed"):
        model.fit(E_nu[:3], muon[:3])  # validation_fraction 0.3 of 3 events
    with pytest.raises(ValueError, match="lr"):
        ConditionalGAN(lr=-1.0).fit(E_nu, muon)
    with pytest.raises(ValueError, match="needs a source"):
        ConditionalGAN(freeze=1).fit(E_nu, muon)


def test_save_load_round_trip(gan, tmp_path):
    gan.save(tmp_path / "model")
    loaded = ConditionalGAN.load(tmp_path / "model", device="cpu")
    pd.testing.assert_frame_equal(loaded.sample([0.7, 4.0], 20, 5), gan.sample([0.7, 4.0], 20, 5))
    assert loaded.best_epoch_ == gan.best_epoch_
    assert isinstance(torch.load(tmp_path / "model" / "weights.pt", weights_only=True), dict)


def test_from_pretrained_freezes_the_first_stage_and_survives_clone(gan, events):
    model = ConditionalGAN.from_pretrained(
        gan,
        freeze=1,
        max_epochs=2,
        batch_size=100,
        validation_fraction=0,  # the last epoch, not possibly the source's weights
        random_state=1,
        device="cpu",
    )
    assert clone(model).source is model.source
    assert model.generator_width == gan.generator_width
    model.fit(*toy(300, 1))
    source = model.source.state
    after = model.module_.state_dict()
    frozen = [
        "generator.latent_in.0.weight",
        "generator.blocks.0.layers.0.weight",
        "discriminator.event_in.layers.0.weight",
    ]
    trained = [
        "generator.blocks.1.layers.0.weight",
        "generator.out.bias",
        "discriminator.blocks.0.layers.0.weight",
    ]
    for name in frozen:
        assert torch.equal(after[name], source[name]), name
    for name in trained:
        assert not torch.equal(after[name], source[name]), name
    assert model.n_frozen_ == 1
    with pytest.raises(ValueError, match="generator_width"):
        ConditionalGAN.from_pretrained(gan, generator_width=9)
    with pytest.raises(ValueError, match="can freeze|freeze must lie"):
        ConditionalGAN.from_pretrained(
            gan, freeze=5, **{k: v for k, v in TINY.items() if k not in ("latent_dim",)}
        ).fit(*events)
    assert "PretrainedGAN" in repr(PretrainedGAN.resolve(gan))


def test_fine_tuning_keeps_the_source_unless_an_epoch_beats_it():
    def selection(model):
        return dict(model.net_.callbacks_)["best_map_epoch"]

    # generator events: the toy ones leave a tiny GAN no common MAP bin with them
    muons = generate_events(3000, target="12C", probe="numu", random_state=5)
    events = (muons["E_nu"], muons[["E_mu", "theta"]])
    gan = ConditionalGAN(**{**TINY, "max_epochs": 4}).fit(*events)

    scoring = dict(map_bins=4, validation_fraction=0.3, freeze=0, random_state=1)
    # steps too small to move the generated events: every epoch ties the source, which stays
    still = ConditionalGAN.from_pretrained(
        gan, **scoring, max_epochs=2, lr=1e-30, discriminator_lr=1e-30
    ).fit(*events)
    assert np.isfinite(selection(still).start_score_)
    assert np.allclose(still.history_[:, "valid_score"], selection(still).start_score_)
    assert still.best_epoch_ == 0
    # (the source's weights, not those of the last epoch: zero biases did move by 1e-30)
    for name, tensor in still.module_.state_dict().items():
        assert torch.equal(tensor, gan.module_.state_dict()[name]), name
    # otherwise the lowest score wins, the source's counted as epoch 0
    moved = ConditionalGAN.from_pretrained(
        gan, **scoring, max_epochs=3, lr=0.05, discriminator_lr=0.05
    ).fit(*events)
    scores = [selection(moved).start_score_, *moved.history_[:, "valid_score"]]
    assert moved.best_epoch_ == int(np.nanargmin(scores))
    # a fit from random weights never scores them
    assert selection(ConditionalGAN(**TINY).fit(*events)).start_score_ is None


def test_cross_val_score_with_the_map_scorer(events):
    scores = cross_val_score(
        ConditionalGAN(**{**TINY, "max_epochs": 1}),
        *events,
        cv=2,
        scoring=EventScorer(map_3d, bins=4),
    )
    assert scores.shape == (2,) and np.all(scores < 0)


def test_modules_follow_the_paper_shapes():
    module = ConditionalGAN()._build_module()
    assert isinstance(module, GanModule) and module.latent_dim == 50
    assert module(torch.zeros(5, 1)).shape == (5, 2)
    assert module.discriminator(torch.zeros(5, 2), torch.zeros(5, 1)).shape == (5,)
    n_g = sum(p.numel() for p in module.generator.parameters())
    n_d = sum(p.numel() for p in module.discriminator.parameters())
    assert 2 < n_d / n_g < 8


def test_same_random_state_gives_the_same_fit_on_cpu(events, gan):
    again = ConditionalGAN(**TINY).fit(*events)
    for (name, a), b in zip(
        gan.module_.state_dict().items(), again.module_.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name
    pd.testing.assert_frame_equal(
        gan.sample([1.0, 2.0], random_state=3), again.sample([1.0, 2.0], random_state=3)
    )


def test_score_reads_columns_by_name_and_criterion_skips_undefined_terms(gan, events):
    E_nu, muon = events
    frame = pd.DataFrame({"theta": muon[:, 1], "E_mu": muon[:, 0], "extra": 0.0})
    np.testing.assert_equal(gan.score(E_nu, frame), gan.score(E_nu, muon))
    scorer = EventScorer(map_3d, bins=4)
    np.testing.assert_equal(scorer(gan, E_nu, frame), scorer(gan, E_nu, muon))
    with pytest.raises(ValueError, match="lacks the columns"):
        gan.score(E_nu, frame.drop(columns="E_mu"))
    # 400 events in 14^3 bins: no bin holds > 5 of both samples, MAP w/o tails is
    # undefined and the selection criterion is MAP-3D with tails alone
    a, b = (np.column_stack(toy(400, seed)) for seed in (1, 2))
    assert np.isnan(map_3d(a, b, tails=False))
    assert map_criterion(a, b) == map_3d(a, b) and np.isfinite(map_3d(a, b))


def test_separate_validation_events_select_and_all_training_events_train(events):
    params = {**TINY, "max_epochs": 2, "batch_size": 100, "validation_fraction": 0.5}
    E_nu, muon = events
    E_valid, muon_valid = toy(300, 1)
    separate = ConditionalGAN(**params).fit(E_nu, muon, validation=(E_valid, muon_valid))

    def rows_trained(gan):
        return sum(batch["train_batch_size"] for batch in gan.history_[-1, "batches"])

    assert rows_trained(separate) == 400
    assert np.isfinite(separate.history_[:, "valid_map"]).all()
    split = ConditionalGAN(**params).fit(E_nu, muon)
    assert 150 < rows_trained(split) < 250  # half held out
    with pytest.raises(ValueError, match="validation must be a tuple"):
        ConditionalGAN(**params).fit(E_nu, muon, validation=[E_valid, muon_valid])
    with pytest.raises(ValueError, match="rows"):
        ConditionalGAN(**params).fit(E_nu, muon, validation=(E_valid, np.full((300, 2), np.nan)))


@pytest.mark.parametrize("steps", [1, 3])
def test_discriminator_steps_per_generator_step(events, steps):
    params = {**TINY, "max_epochs": 2, "validation_fraction": 0.0, "discriminator_steps": steps}
    gan = ConditionalGAN(**params).fit(*events)  # 400 events: 4 batches of 100 per epoch

    def adam_steps(optimizer):
        return {int(state["step"]) for state in optimizer.state.values()}

    assert adam_steps(gan.net_.optimizer_) == {8}
    assert adam_steps(gan.net_.optimizer_discriminator_) == {8 * steps}


def test_shipped_numu_carbon_gan_loads_and_samples_carbon_like_muons():
    gan = ConditionalGAN.load("numu-carbon", device="cpu")
    card = json.loads((resolve_model_dir("numu-carbon") / "model_card.json").read_text())
    assert gan.best_epoch_ == card["best_epoch"]
    muons = gan.sample([1.0, 5.0], n_per_energy=20_000, random_state=0)
    assert (muons["E_mu"] <= muons["E_nu"] - E_MU_GAP + 1e-9).all()
    # CC muons take most of the neutrino energy forward: the median angle falls with E_nu
    median_theta = muons.groupby("E_nu")["theta"].median()
    assert median_theta[5.0] < median_theta[1.0] < 90.0
    tl = ConditionalGAN.from_pretrained("numu-carbon", freeze=1)
    assert tl.generator_width == gan.generator_width


def test_from_pretrained_fine_tunes_with_its_own_defaults_unless_told(gan):
    scratch = ConditionalGAN()
    tuned = ConditionalGAN.from_pretrained(gan)
    for name, value in GAN_FINE_TUNING.items():
        assert getattr(tuned, name) == value != getattr(scratch, name), name
    # the source's training settings are not inherited, the caller's win
    assert ConditionalGAN.from_pretrained(gan, lr=3e-4).lr == 3e-4
    assert tuned.max_epochs == scratch.max_epochs and tuned.freeze == 0


def test_shipped_numu_carbon_gan_reproduces_its_model_card():
    # gan_carbon.py evaluate: test events of seed test_seed, the GAN sampled with the next seed
    card = json.loads((resolve_model_dir("numu-carbon") / "model_card.json").read_text())
    seed, n = card["data"]["test_seed"], card["data"]["test"]
    test = generate_events(n, target="12C", probe="numu", energy=(0.3, 10.0), random_state=seed)
    gan = ConditionalGAN.load("numu-carbon", device="cpu")
    generated = gan.sample(test["E_nu"], random_state=seed + 1)
    assert map_3d(generated, test) == pytest.approx(card["all"]["map_3d"], rel=1e-9)


def test_generator_weight_average_leaves_training_alone_and_is_what_samples(events):
    params = {**TINY, "max_epochs": 2, "validation_fraction": 0.0}
    plain = ConditionalGAN(**params).fit(*events)
    averaged = ConditionalGAN(**params, generator_ema=0.9).fit(*events)
    # the average only watches: the discriminator trained exactly as without it
    for (name, a), b in zip(
        plain.module_.discriminator.state_dict().items(),
        averaged.module_.discriminator.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(a, b), name
    # ... and the fitted generator holds the average, not the last weights
    average = averaged.net_.generator_average_.average.module
    last = plain.module_.generator
    for mine, avg in zip(
        averaged.module_.generator.parameters(), average.parameters(), strict=True
    ):
        assert torch.equal(mine, avg)
    assert not all(
        torch.equal(a, b)
        for a, b in zip(averaged.module_.generator.parameters(), last.parameters(), strict=True)
    )


def test_selection_scores_the_averaged_generator_and_records_the_raw_one(events):
    # a high learning rate, so that the tiny generator moves away from its start
    gan = ConditionalGAN(**TINY, lr=1e-2, generator_ema=0.5).fit(*events)
    raw, kept = gan.history_[:, "valid_map_raw"], gan.history_[:, "valid_map"]
    assert np.isfinite(raw).all() and np.isfinite(kept).all()
    assert all(r != k for r, k in zip(raw, kept, strict=True))  # two generators were scored
    assert gan.best_epoch_ == 1 + int(np.nanargmin(gan.history_[:, "valid_score"]))
    assert "valid_map_raw" not in ConditionalGAN(**TINY).fit(*events).history_[-1]


def test_kinematic_features_are_w_and_q2_of_the_event_with_finite_gradients():
    muons = generate_events(2000, target="12C", probe="numu", random_state=3)
    E_nu, E_mu, theta = (muons[c].to_numpy() for c in ("E_nu", "E_mu", "theta"))
    event = torch.tensor(np.column_stack([theta_to_proxy(theta), emu_to_proxy(E_mu, E_nu)]))
    enu = torch.tensor(enu_to_proxy(E_nu)[:, None])
    features = KinematicFeatures()(event, enu).numpy()
    w = w_neutrino(E_nu, E_mu, theta)
    defined = np.isfinite(w) & (np.sqrt(E_mu**2 - M_MUON**2) > 0.01)
    assert defined.mean() > 0.95
    np.testing.assert_allclose(features[defined, 0], w[defined], rtol=1e-9)
    np.testing.assert_allclose(
        features[:, 1], np.log1p(np.clip(q2_neutrino(E_nu, E_mu, theta), 0, None)), rtol=1e-9
    )
    # a generator in training strays outside [-1, 1]: values and gradients stay finite
    wild = (3 * torch.randn(1000, 2, dtype=torch.float64)).requires_grad_()
    KinematicFeatures()(wild, torch.rand(1000, 1, dtype=torch.float64) * 2 - 1).sum().backward()
    assert torch.isfinite(wild.grad).all()


def test_kinematic_features_option_round_trips_and_is_inherited(events, tmp_path):
    gan = ConditionalGAN(**{**TINY, "max_epochs": 1}, kinematic_features=True).fit(*events)
    assert gan.module_.discriminator.event_in.layers[0].in_features == 4
    gan.save(tmp_path / "model")
    loaded = ConditionalGAN.load(tmp_path / "model", device="cpu")
    assert loaded.kinematic_features is True
    pd.testing.assert_frame_equal(loaded.sample([0.7, 4.0], 10, 5), gan.sample([0.7, 4.0], 10, 5))
    assert ConditionalGAN.from_pretrained(gan).kinematic_features is True
    with pytest.raises(ValueError, match="kinematic_features"):
        ConditionalGAN.from_pretrained(gan, kinematic_features=False)


def test_configs_saved_before_kinematic_features_load_without_them(gan, tmp_path):
    path = gan.save(tmp_path / "old")
    config = json.loads((path / "config.json").read_text())
    del config["params"]["kinematic_features"]
    (path / "config.json").write_text(json.dumps(config))
    assert PretrainedGAN.resolve(path).architecture["kinematic_features"] is False
    assert ConditionalGAN.load(path, device="cpu").kinematic_features is False
    assert ConditionalGAN.from_pretrained(path).kinematic_features is False


def _steps(optimizer_state):
    return {int(s["step"]) for s in optimizer_state["state"].values()}


def test_warm_start_continues_the_optimizers_and_the_weight_average(events):
    params = {**TINY, "max_epochs": 2, "validation_fraction": 0.0, "generator_ema": 0.9}
    gan = ConditionalGAN(**params).fit(*events)
    batches = int(np.ceil(len(events[0]) / TINY["batch_size"]))
    first = gan.training_state_
    assert _steps(first["optimizer"]) == {2 * batches}
    assert _steps(first["optimizer_discriminator"]) == {2 * batches * 5}
    assert first["generator_average"]["n_updates"] == 2 * batches
    # AMSGrad was switched on after epoch 1; a continuation keeps it, at its own rates
    gan.set_params(warm_start=True, max_epochs=1, lr=1e-4, discriminator_lr=2e-4)
    gan.fit(*events)
    second = gan.training_state_
    assert _steps(second["optimizer"]) == {3 * batches}
    assert _steps(second["optimizer_discriminator"]) == {3 * batches * 5}
    assert second["generator_average"]["n_updates"] == 3 * batches
    groups = gan.net_.optimizer_.param_groups + gan.net_.optimizer_discriminator_.param_groups
    assert all(g["amsgrad"] for g in groups)
    assert [g["lr"] for g in groups] == [1e-4, 2e-4]
    # without warm_start the same estimator starts afresh
    gan.set_params(warm_start=False).fit(*events)
    assert _steps(gan.training_state_["optimizer"]) == {batches}


def test_a_restored_training_takes_the_step_the_uninterrupted_one_would(events):
    # no weight average and no selection: the fitted net is left exactly where training ended
    gan = ConditionalGAN(**{**TINY, "max_epochs": 2, "validation_fraction": 0.0}).fit(*events)
    resumed = ConditionalGAN(**{**TINY, "validation_fraction": 0.0})
    resumed.net_ = resumed._make_net(resumed._build_module(), []).initialize()
    resumed.net_.restore_training_state(gan.training_state_)
    fresh = resumed._make_net(resumed._build_module(), []).initialize()
    fresh.module_.load_state_dict(gan.training_state_["module"])  # weights only, new moments
    resumed.net_.generator_average_ = fresh.generator_average_ = None  # set by fit otherwise
    enu = torch.as_tensor(enu_to_proxy(events[0][:100]), dtype=torch.float32)[:, None]
    target = torch.rand(100, 2)
    after = {}
    for name, net in [("uninterrupted", gan.net_), ("restored", resumed.net_), ("fresh", fresh)]:
        net.history.new_epoch()
        net.history.new_batch()  # train_step records the discriminator's loss there
        torch.manual_seed(7)
        net.train_step((enu, target))
        after[name] = net.module_.state_dict()
    for key, tensor in after["uninterrupted"].items():
        assert torch.equal(after["restored"][key], tensor), key
    assert not all(torch.equal(after["fresh"][k], t) for k, t in after["uninterrupted"].items())


def test_warm_start_keeps_the_kept_model_unless_an_epoch_beats_it():
    muons = generate_events(3000, target="12C", probe="numu", random_state=5)
    events = (muons["E_nu"], muons[["E_mu", "theta"]])
    gan = ConditionalGAN(**{**TINY, "max_epochs": 4}).fit(*events)
    kept = {k: v.clone() for k, v in gan.module_.state_dict().items()}
    gan.set_params(warm_start=True, max_epochs=2, lr=1e-30, discriminator_lr=1e-30)
    gan.fit(*events)
    # the continuation starts where training ended (epoch 4), but the kept model competes
    selection = dict(gan.net_.callbacks_)["best_map_epoch"]
    assert np.isfinite(selection.start_score_)
    assert gan.best_epoch_ == 0
    for name, tensor in gan.module_.state_dict().items():
        assert torch.equal(tensor, kept[name]), name


def test_the_training_state_saves_loads_and_continues_alike(events, tmp_path):
    params = {**TINY, "max_epochs": 1, "generator_ema": 0.9}
    gan = ConditionalGAN(**params).fit(*events)
    gan.save(tmp_path / "with", training_state=True)
    gan.save(tmp_path / "without")
    assert ConditionalGAN.load(tmp_path / "without").training_state_ is None
    loaded = ConditionalGAN.load(tmp_path / "with", device="cpu")
    assert qestl.load(tmp_path / "with").training_state_["frozen_stages"] == 0
    continued = [m.set_params(warm_start=True).fit(*events) for m in (gan, loaded)]
    pd.testing.assert_frame_equal(
        continued[0].sample([0.7, 4.0], 20, 5), continued[1].sample([0.7, 4.0], 20, 5)
    )
    # a GAN loaded without its training state says how to continue, before any work
    bare = ConditionalGAN.load(tmp_path / "without").set_params(warm_start=True)
    with pytest.raises(ValueError, match="saved without its training state.*from_pretrained"):
        bare.fit(None, None)
    with pytest.raises(ValueError, match="holds no training state"):
        bare.save(tmp_path / "again", training_state=True)
    # and one of another architecture is refused, naming why
    other = ConditionalGAN(**{**params, "generator_width": 9}).fit(*events)
    other.training_state_ = loaded.training_state_
    with pytest.raises(ValueError, match="does not fit this GAN"):
        other.set_params(warm_start=True).fit(*events)
