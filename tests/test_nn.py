import numpy as np
import pytest
import torch
from scipy.optimize import minimize_scalar
from torch import nn

from qestl.metrics import chi2, profile_normalizations
from qestl.nn import (
    BatchedBatchNorm,
    BatchedLinear,
    CurveDropout,
    EnsembleMLP,
    chi2_with_normalization,
    clip_member_gradients,
    log_space_chi2,
    member_gradient_norms,
    normalization_sums,
    profiled_normalization,
)


def test_batched_linear_equals_one_linear_per_member():
    torch.manual_seed(0)
    layer = BatchedLinear(3, 4, 5)
    x = torch.randn(3, 4, 7)  # (members, features, rows)
    out = layer(x)
    for m in range(3):
        ref = nn.functional.linear(x[m].T, layer.weight[m], layer.bias[m, :, 0])
        assert torch.allclose(out[m], ref.T, atol=1e-6)
    assert layer(x[0]).shape == (3, 5, 7)  # one input broadcast to all members


def test_batched_batchnorm_equals_batchnorm1d_per_member():
    torch.manual_seed(0)
    bn = BatchedBatchNorm(2, 4)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.uniform_(-1, 1)
    x = torch.randn(2, 4, 16) * torch.tensor([1.0, 3.0]).view(2, 1, 1)
    out = bn(x)
    for m in range(2):
        ref = nn.BatchNorm1d(4)
        with torch.no_grad():
            ref.weight.copy_(bn.weight[m])
            ref.bias.copy_(bn.bias[m])
        assert torch.allclose(out[m], ref(x[m].T).T, atol=1e-5)
        assert torch.allclose(bn.running_mean[m], ref.running_mean, atol=1e-6)
        assert torch.allclose(bn.running_var[m], ref.running_var, atol=1e-5)
    bn.eval()
    mean, var = bn.running_mean.unsqueeze(-1), bn.running_var.unsqueeze(-1)
    expected = (x - mean) / torch.sqrt(var + 1e-5) * bn.weight.unsqueeze(-1) + bn.bias.unsqueeze(-1)
    assert torch.allclose(bn(x), expected, atol=1e-5)
    # P passes of a one-member net use that member's running statistics
    single = BatchedBatchNorm(1, 4).eval()
    passes = torch.randn(5, 4, 3)
    assert torch.allclose(single(passes), passes / torch.sqrt(torch.tensor(1 + 1e-5)), atol=1e-6)


def test_members_are_independent():
    torch.manual_seed(0)
    mlp = EnsembleMLP(3, 5, hidden_layers=(8, 8))
    out = mlp(torch.randn(20, 5))
    assert out.shape == (3, 20)
    out[1].sum().backward()
    for p in mlp.parameters():
        assert torch.all(p.grad[[0, 2]] == 0) and torch.any(p.grad[1] != 0)


def test_paper_network_size():
    # Kowal et al.: 10 blocks of 300 -> 820,801 trainable parameters per net, 11 weight layers
    mlp = EnsembleMLP(1, 5, hidden_layers=(300,) * 10)
    assert sum(p.numel() for p in mlp.parameters()) == 820_801
    assert len(mlp.weight_layers()) == 11


def test_curve_dropout_one_mask_per_curve():
    torch.manual_seed(0)
    layer = CurveDropout(0.5)
    layer.eval()
    x = torch.ones(4, 6, 10)  # (passes, features, rows)
    assert torch.equal(layer(x), x)  # off at evaluation
    layer.per_curve = True
    out = layer(x)
    assert torch.all(out == out[:, :, :1])  # same mask for every row of a pass
    assert not torch.all(out[0] == out[1])  # new mask per pass
    layer.per_curve = False
    layer.train()
    dropped = layer(x)
    assert not torch.all(dropped == dropped[:, :, :1])


def test_chi2_loss_hand_value():
    f = torch.tensor([[1.0, 2.0, 3.0]])
    y = torch.tensor([[1.1, 2.0, 2.5]])
    sigma = torch.tensor([0.1, 0.5, 0.5])
    dataset = torch.tensor([0, 0, 1])
    norm = torch.tensor([[1.1, 0.9]])
    delta = torch.tensor([0.05, 0.1])
    # pulls: (1.1-1.1)/0.1=0, (2.2-2)/0.5=0.4, (2.7-2.5)/0.5=0.4; penalty (0.1/0.05)^2+(0.1/0.1)^2
    expected = (0.0 + 0.16 + 0.16) / 3 + (4.0 + 1.0) / 3
    value = chi2_with_normalization(f, y, sigma, dataset, norm, delta)
    assert value.item() == pytest.approx(expected, rel=1e-5)
    weight = torch.tensor([[1.0, 2.0, 0.0]])
    weighted = chi2_with_normalization(f, y, sigma, dataset, norm, delta, weight=weight)
    assert weighted.item() == pytest.approx((0.0 + 2 * 0.16) / 3 + 5.0 / 3, rel=1e-5)


def test_profiled_normalization_is_the_chi2_minimum():
    rng = np.random.default_rng(1)
    f = torch.tensor(rng.uniform(1, 2, (2, 40)), dtype=torch.float64)
    y = f * torch.tensor([[1.1], [0.8]], dtype=torch.float64) + 0.01
    y[:, 25:] *= 1.05  # dataset 1 sits 5 % above dataset 0
    sigma = torch.full((40,), 0.05, dtype=torch.float64)
    dataset = torch.tensor([0] * 25 + [1] * 15)
    delta = torch.tensor([0.05, 0.2], dtype=torch.float64)
    # Sums over two mini-batches add up to the full-data sums.
    halves = [
        normalization_sums(f[:, s], y[:, s], sigma[s], dataset[s], 2)
        for s in (slice(0, 17), slice(17, 40))
    ]
    a, b = (halves[0][i] + halves[1][i] for i in range(2))
    norm = profiled_normalization(a, b, delta)
    scales = []
    for m in range(2):
        # Per dataset: the closed form of qestl.metrics; then the overall
        # scale c minimising sum_k (c N_k - 1)^2 / delta_k^2.
        per_point = profile_normalizations(
            y[m].numpy(), f[m].numpy(), sigma.numpy(), dataset.numpy(), delta[dataset].numpy()
        )
        per_set = np.array([per_point[0], per_point[-1]])
        w = delta.numpy() ** -2
        c = (per_set * w).sum() / (per_set**2 * w).sum()
        assert norm[m].numpy() == pytest.approx(c * per_set, rel=1e-10)
        scales.append(c)
    # The relative normalization of the two datasets follows the data.
    assert (norm[:, 1] / norm[:, 0]).numpy() == pytest.approx([1.05, 1.05], rel=6e-3)
    # Along the flat direction (f / s, s N) that leaves the data term alone,
    # the chi2 of the network that absorbed the scale (f / c) is smallest at s = 1.
    absorbed = f / torch.tensor(scales, dtype=f.dtype)[:, None]
    best = chi2_with_normalization(absorbed, y, sigma, dataset, norm, delta)
    for s in (0.99, 1.01):
        moved = chi2_with_normalization(absorbed / s, y, sigma, dataset, norm * s, delta)
        assert torch.all(moved > best)


def test_log_space_chi2_matches_chi2_near_data():
    y = torch.tensor([[1.0, 2.0, -0.5]])
    sigma = torch.tensor([0.1, 0.2, 0.3])
    f = y.clone()
    f[0, :2] *= 1.001
    f[0, 2] = 0.1  # non-positive data are left out of the warm-up loss
    near = log_space_chi2(f, y, sigma).item()
    exact = float(((f[0, :2] - y[0, :2]) / sigma[:2]).pow(2).mean())
    assert near == pytest.approx(exact, rel=2e-3)


def test_profiled_normalization_minimises_chi2():
    rng = np.random.default_rng(1)
    f = rng.uniform(1, 2, 30)
    sigma = np.full(30, 0.05)
    dataset = np.repeat(["a", "b"], 15)
    y = f * np.where(dataset == "a", 1.08, 0.95) + rng.normal(0, 0.05, 30)
    norms = profile_normalizations(y, f, sigma, dataset, 0.05)
    for label in "ab":
        part = dataset == label

        def objective(n, part=part):
            return np.sum(((n * f[part] - y[part]) / sigma[part]) ** 2) + ((n - 1) / 0.05) ** 2

        best = minimize_scalar(
            objective, bounds=(0.5, 1.5), method="bounded", options={"xatol": 1e-10}
        )
        assert norms[part][0] == pytest.approx(best.x, abs=1e-6)
    profiled = chi2(y, f, sigma, dataset=dataset, norm_uncertainty=0.05, treatment="profile")
    assert profiled < chi2(y, f, sigma)


def test_profiled_normalization_is_bounded_to_five_deltas():
    # A member that predicts almost nothing for dataset 1 would need N_1 ~ 100.
    f = torch.ones(1, 20, dtype=torch.float64)
    f[:, 10:] = 0.01
    y = torch.ones(1, 20, dtype=torch.float64)
    sigma = torch.full((20,), 0.001, dtype=torch.float64)
    dataset = torch.tensor([0] * 10 + [1] * 10)
    delta = torch.tensor([0.05, 0.04], dtype=torch.float64)
    a, b = normalization_sums(f, y, sigma, dataset, 2)
    # Unbounded, the overall scale c ~ 1/N_1 drags N_0 to ~0.01 (the collapse
    # seen on carbon); the bound stops it at 1 - 5 delta_0.
    free = profiled_normalization(a, b, delta, max_pulls=float("inf"))
    assert free[0, 0].item() < 0.02
    norm = profiled_normalization(a, b, delta)
    assert norm[0, 0].item() == pytest.approx(1 - 5 * 0.05)
    assert norm[0, 1].item() == pytest.approx(free[0, 1].item())  # inside its bound
    assert profiled_normalization(a, b, delta, max_pulls=2.0)[0, 0].item() == pytest.approx(0.9)


def test_clip_member_gradients_clips_each_member_on_its_own():
    weight = nn.Parameter(torch.zeros(3, 2, 2))
    bias = nn.Parameter(torch.zeros(3, 2, 1))
    weight.grad = torch.full((3, 2, 2), 1.0)  # member norms 2 (weight) and sqrt(2) (bias)
    bias.grad = torch.full((3, 2, 1), 1.0)
    weight.grad[2] *= 100.0  # a spike in member 2 only
    before = member_gradient_norms([weight, bias])
    assert before[0].item() == pytest.approx(6**0.5)
    norms = clip_member_gradients([weight, bias], torch.tensor([10.0, 1.0, 10.0]))
    assert torch.equal(norms, before)
    after = member_gradient_norms([weight, bias])
    assert after.tolist() == pytest.approx([6**0.5, 1.0, 10.0])
    # Clipping rescales a member's whole gradient: its direction is kept.
    assert torch.allclose(weight.grad[1], bias.grad[1, :, :1].expand(2, 2))
    assert torch.equal(weight.grad[0], torch.ones(2, 2))


@pytest.mark.parametrize("batch_norm", [False, True])
def test_in_place_relu_gives_the_gradients_of_an_out_of_place_one(batch_norm):
    torch.manual_seed(0)
    net = EnsembleMLP(3, 4, (6, 6, 6), batch_norm=batch_norm)
    assert all(layer.inplace for layer in net.layers if isinstance(layer, nn.ReLU))
    reference = EnsembleMLP(3, 4, (6, 6, 6), batch_norm=batch_norm)
    reference.load_state_dict(net.state_dict())
    for layer in reference.layers:
        if isinstance(layer, nn.ReLU):
            layer.inplace = False
    x = torch.randn(20, 4)
    for model in (net, reference):
        model(x).pow(2).sum().backward()
    for (name, p), q in zip(net.named_parameters(), reference.parameters(), strict=True):
        assert p.grad.abs().sum() > 0, name
        assert torch.allclose(p.grad, q.grad), name
