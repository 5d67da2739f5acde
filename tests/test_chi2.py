"""The one chi2 (qestl.chi2): hand values, numpy and torch alike, and its three users agree."""

import numpy as np
import pytest
import torch

from qestl.chi2 import chi2_terms, member_chi2, normalization_sums, profiled_normalization
from qestl.metrics import chi2, profile_normalizations
from qestl.nn.losses import MAX_PULLS, chi2_with_normalization
from qestl.nn.losses import profiled_normalization as training_normalization


def _members(seed=0, members=3, n=30, datasets=4):
    rng = np.random.default_rng(seed)
    f = rng.uniform(0.5, 2.0, (members, n))
    index = rng.integers(0, datasets, n)
    scale = rng.uniform(0.8, 1.2, datasets)
    y = f[0] * scale[index] + rng.normal(0.0, 0.05, n)
    return f, y, np.full(n, 0.05), index, rng.uniform(0.02, 0.1, datasets)


def test_chi2_terms_hand_values():
    # N = (1.1, 0.9) for datasets (0, 0, 1): scaled f = 1.1, 2.2, 2.7 against y = 1.1, 2.0, 2.5,
    # pulls 0, 0.4, 0.4; penalty (0.1 / 0.05)^2 + (0.1 / 0.1)^2 = 5
    f, y = np.array([1.0, 2.0, 3.0]), np.array([1.1, 2.0, 2.5])
    sigma, index = np.array([0.1, 0.5, 0.5]), np.array([0, 0, 1])
    data, penalty = chi2_terms(f, y, sigma, index, np.array([1.1, 0.9]), np.array([0.05, 0.1]))
    assert data == pytest.approx(0.32, rel=1e-12)
    assert penalty == pytest.approx(5.0, rel=1e-12)
    # weights multiply the squared pulls; no norm: N = 1 and no penalty
    weighted, _ = chi2_terms(f, y, sigma, index, np.array([1.1, 0.9]), weight=[1.0, 2.0, 0.0])
    assert weighted == pytest.approx(0.32, rel=1e-12)
    assert chi2_terms(f, y, sigma) == (pytest.approx(1.0 + 0.0 + 1.0), 0.0)


def test_numpy_and_torch_give_the_same_numbers():
    f, y, sigma, index, delta = _members()
    weight = np.random.default_rng(1).integers(0, 3, f.shape).astype(float)
    tensors = [torch.tensor(a) for a in (f, y, sigma, index, delta, weight)]
    f_t, y_t, sigma_t, index_t, delta_t, weight_t = tensors
    for kwargs in ({}, {"max_pulls": 1.0}, {"max_pulls": 1.0, "overall_scale": True}):
        a, b = normalization_sums(f, y, sigma, index, 4, weight)
        a_t, b_t = normalization_sums(f_t, y_t, sigma_t, index_t, 4, weight_t)
        np.testing.assert_allclose(a_t.numpy(), a, rtol=1e-13)
        np.testing.assert_allclose(b_t.numpy(), b, rtol=1e-13)
        norm = profiled_normalization(a, b, delta, **kwargs)
        norm_t = profiled_normalization(a_t, b_t, delta_t, **kwargs)
        assert isinstance(norm_t, torch.Tensor) and norm_t.shape == (3, 4)
        np.testing.assert_allclose(norm_t.numpy(), norm, rtol=1e-13)
        terms = chi2_terms(f, y, sigma, index, norm, delta, weight)
        terms_t = chi2_terms(f_t, y_t, sigma_t, index_t, norm_t, delta_t, weight_t)
        for value, value_t in zip(terms, terms_t, strict=True):
            np.testing.assert_allclose(value_t.numpy(), value, rtol=1e-13)


def test_per_member_points_index_the_normalizations_per_member():
    f, y, sigma, _, delta = _members()
    norm = np.array([[1.0, 1.1, 0.9, 1.2], [0.8, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.3]])
    index = np.random.default_rng(2).integers(0, 4, f.shape)  # each member its own datasets
    data, _ = chi2_terms(f, y, sigma, index, norm)
    by_hand = [np.sum(((norm[m, index[m]] * f[m] - y) / sigma) ** 2) for m in range(3)]
    np.testing.assert_allclose(data, by_hand, rtol=1e-13)
    data_t, _ = chi2_terms(*(torch.tensor(a) for a in (f, y, sigma, index, norm)))
    np.testing.assert_allclose(data_t.numpy(), by_hand, rtol=1e-13)


def test_member_chi2_is_the_mean_squared_pull_with_each_members_normalizations():
    f, y, sigma, index, _ = _members()
    norm = np.random.default_rng(3).uniform(0.9, 1.1, (3, 4))
    by_hand = np.mean(((norm[:, index] * f - y) / sigma) ** 2, axis=1)
    np.testing.assert_allclose(member_chi2(f, y, sigma, norm[:, index]), by_hand, rtol=1e-13)
    np.testing.assert_allclose(member_chi2(f, y, sigma, norm, dataset=index), by_hand, rtol=1e-13)
    np.testing.assert_allclose(
        member_chi2(f, y, sigma), np.mean(((f - y) / sigma) ** 2, axis=1), rtol=1e-13
    )


def test_profiled_normalization_hand_value_and_bound():
    # y = 2 f on three points, sigma = delta = 0.5: a = 24, b = 12, N = 28 / 16 = 1.75
    a, b = normalization_sums(np.ones(3), np.full(3, 2.0), np.full(3, 0.5), np.zeros(3, int), 1)
    assert (a.tolist(), b.tolist()) == ([24.0], [12.0])
    assert profiled_normalization(a, b, [0.5]).tolist() == [1.75]
    assert profiled_normalization(a, b, [0.5], max_pulls=float("inf")).tolist() == [1.75]
    assert profiled_normalization(a, b, [0.5], max_pulls=1.0).tolist() == [1.5]


def test_the_training_loss_is_the_chi2_per_point():
    f, y, sigma, index, delta = _members()
    norm = np.random.default_rng(4).uniform(0.9, 1.1, (3, 4))
    data, penalty = chi2_terms(f, y, sigma, index, norm, delta)
    loss = chi2_with_normalization(
        *(torch.tensor(a) for a in (f, np.broadcast_to(y, f.shape), sigma, index, norm, delta))
    )
    np.testing.assert_allclose(loss.numpy(), (data + penalty) / f.shape[1], rtol=1e-13)


def test_training_bounds_the_metric_does_not():
    # One dataset wants N ~ 2, far beyond 1 + 5 delta = 1.25.
    f, y = np.ones(10), np.r_[np.full(5, 2.0), np.ones(5)]
    sigma, index, delta = np.full(10, 0.01), np.repeat([0, 1], 5), np.array([0.05, 0.05])
    exact = profile_normalizations(y, f, sigma, index, 0.05)
    assert exact[0] == pytest.approx((1e5 + 400) / (5e4 + 400), rel=1e-13)  # a = 1e5, b = 5e4
    a, b = (torch.tensor(s)[None] for s in normalization_sums(f, y, sigma, index, 2))
    bounded = training_normalization(a, b, torch.tensor(delta), overall_scale=False)
    assert bounded[0, 0].item() == pytest.approx(1.0 + MAX_PULLS * 0.05)
    # the metric's profile chi2 is the exact minimum: its N, not the bounded one
    profile = chi2(y, f, sigma, dataset=index, norm_uncertainty=0.05, treatment="profile")
    assert profile == pytest.approx(sum(chi2_terms(f, y, sigma, index, exact[[0, 5]], delta)))
    assert profile < sum(chi2_terms(f, y, sigma, index, bounded[0].numpy(), delta))
