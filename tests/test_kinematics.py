import numpy as np
import pytest
import torch

from qestl import kinematics as k
from qestl.constants import ATOMIC_MASS_UNIT, M_MUON, M_NUCLEON


def test_q2_electron_hand_values():
    # E = 2 GeV, omega = 0.5 GeV, theta = 60 deg: 2*2*1.5*(1 - 0.5) = 3.0
    assert k.q2_electron(2.0, 60.0, 0.5) == pytest.approx(3.0)
    assert k.q3_electron(2.0, 60.0, 0.5) == pytest.approx(np.sqrt(3.25))
    # forward scattering transfers no Q2
    assert k.q2_electron(1.0, 1e-9, 0.3) == pytest.approx(0.0, abs=1e-15)


def test_broadcasting_shapes():
    E = np.array([1.0, 2.0])[:, None]
    theta = np.array([30.0, 60.0, 90.0])
    assert k.q2_electron(E, theta, 0.1).shape == (2, 3)


def test_qe_peak_is_elastic_on_free_nucleon():
    E, theta = np.array([0.5, 1.0, 3.0]), np.array([20.0, 60.0, 120.0])
    w = k.omega_qe(E, theta)
    q2 = k.q2_electron(E, theta, w)
    assert np.allclose(w, q2 / (2 * M_NUCLEON))
    assert np.allclose(k.x_bjorken(E, theta, w), 1.0)
    assert np.allclose(k.w_invariant(E, theta, w), M_NUCLEON)


def test_qe_peak_with_binding_shifts_up():
    shifted = k.omega_qe(1.0, 60.0, binding=0.025)
    q2 = k.q2_electron(1.0, 60.0, shifted)
    assert shifted == pytest.approx(0.025 + q2 / (2 * M_NUCLEON))


def test_delta_peak_gives_delta_mass():
    E, theta = np.array([1.0, 2.0]), np.array([37.5, 15.0])
    w = k.omega_delta(E, theta)
    assert np.allclose(k.w_invariant(E, theta, w), 1.232)
    assert np.all(w > k.omega_qe(E, theta))


def test_w_unphysical_is_nan():
    assert np.isnan(k.w_invariant(1.0, 170.0, 0.001))


def test_excitation_energy_hand_value():
    # E=0.2 GeV, theta=60, omega=0.028: |q|^2 = 4*0.2*0.172*0.25 + 0.028^2 = 0.035184
    expected = 0.028 - 0.035184 / (2 * 12 * ATOMIC_MASS_UNIT)
    assert k.excitation_energy(0.2, 60.0, 0.028, 12) == pytest.approx(expected)
    assert 12 * ATOMIC_MASS_UNIT == pytest.approx(11.178, abs=1e-3)


def test_neutrino_q2_and_w_hand_values():
    E_nu, E_mu, theta = 1.0, 0.6, 30.0
    p = np.sqrt(0.36 - M_MUON**2)
    q2 = 2 * 1.0 * (0.6 - p * np.cos(np.pi / 6)) - M_MUON**2
    assert k.q2_neutrino(E_nu, E_mu, theta) == pytest.approx(q2)
    w2 = M_NUCLEON**2 + 2 * M_NUCLEON * 0.4 - q2
    assert k.w_neutrino(E_nu, E_mu, theta) == pytest.approx(np.sqrt(w2))


def test_neutrino_qe_kinematics_gives_nucleon_mass():
    # free-nucleon QE: omega = Q2 / 2M fixes E_mu for given E_nu, theta; W must be M.
    E_nu, theta = 2.0, 25.0
    from scipy.optimize import brentq

    def f(E_mu):
        return (E_nu - E_mu) - k.q2_neutrino(E_nu, E_mu, theta) / (2 * M_NUCLEON)

    E_mu = brentq(f, M_MUON + 1e-6, E_nu - 1e-6)
    assert k.w_neutrino(E_nu, E_mu, theta) == pytest.approx(M_NUCLEON, rel=1e-9)


def test_proxy_endpoints():
    assert k.enu_to_proxy([0.3, 5.15, 10.0]).tolist() == pytest.approx([-1.0, 0.0, 1.0])
    assert k.emu_to_proxy(M_MUON, 3.0) == pytest.approx(1.0)
    assert k.emu_to_proxy(3.0 - 0.004, 3.0) == pytest.approx(-1.0)
    assert k.theta_to_proxy([0.0, 45.0, 180.0]).tolist() == pytest.approx([-1.0, 0.0, 1.0])
    # hand value: E_nu = 1, E_mu = 0.5 -> 2 sqrt(1 - 0.39434/0.88934) - 1
    expected = 2 * np.sqrt(1 - (0.5 - M_MUON) / (1 - 0.004 - M_MUON)) - 1
    assert k.emu_to_proxy(0.5, 1.0) == pytest.approx(expected)
    assert np.isnan(k.emu_to_proxy(1.0, 1.0))  # above E_nu - 4 MeV


def test_proxy_round_trips():
    rng = np.random.default_rng(0)
    E_nu = rng.uniform(0.3, 10.0, 1000)
    E_mu = M_MUON + rng.uniform(0, 1, 1000) * (E_nu - 0.004 - M_MUON)
    theta = rng.uniform(0, 180, 1000)
    assert np.allclose(k.proxy_to_enu(k.enu_to_proxy(E_nu)), E_nu)
    assert np.allclose(k.proxy_to_emu(k.emu_to_proxy(E_mu, E_nu), E_nu), E_mu)
    assert np.allclose(k.proxy_to_theta(k.theta_to_proxy(theta)), theta)
    p = rng.uniform(-1, 1, 1000)
    assert np.allclose(k.emu_to_proxy(k.proxy_to_emu(p, E_nu), E_nu), p)
    assert np.allclose(k.theta_to_proxy(k.proxy_to_theta(p)), p)


# -- the same functions on torch tensors -------------------------------------------------

ELECTRON = ("q2_electron", "q3_electron", "x_bjorken", "w_invariant")
SCALES = ("mott_like_scale", "transverse_scale")


def _electron_points():
    rng = np.random.default_rng(1)
    E = rng.uniform(0.2, 5.0, 200)
    return E, rng.uniform(5.0, 175.0, 200), rng.uniform(0.01, 0.9, 200) * E


def test_electron_kinematics_on_tensors_equal_numpy():
    E, theta, omega = _electron_points()
    tensors = [torch.tensor(a, dtype=torch.float64) for a in (E, theta, omega)]
    for name in ELECTRON:
        by_torch = getattr(k, name)(*tensors)
        assert isinstance(by_torch, torch.Tensor), name
        np.testing.assert_allclose(by_torch.numpy(), getattr(k, name)(E, theta, omega), rtol=1e-13)
    for name in SCALES:
        by_torch = getattr(k, name)(tensors[0], tensors[1], 27)  # A a python int
        np.testing.assert_allclose(by_torch.numpy(), getattr(k, name)(E, theta, 27), rtol=1e-13)
    by_torch = k.excitation_energy(*tensors, 12)
    np.testing.assert_allclose(by_torch.numpy(), k.excitation_energy(E, theta, omega, 12))
    for name in ("omega_qe", "omega_delta"):
        by_torch = getattr(k, name)(tensors[0], tensors[1])
        np.testing.assert_allclose(by_torch.numpy(), getattr(k, name)(E, theta), rtol=1e-13)


def _neutrino_proxies(n=500, spill=0.0):
    rng = np.random.default_rng(2)
    return (rng.uniform(-1.0 - spill, 1.0 + spill, n) for _ in range(3))


def test_proxy_maps_and_neutrino_kinematics_on_tensors_equal_numpy():
    enu, emu, theta = _neutrino_proxies()
    E_nu = k.proxy_to_enu(enu)
    E_mu = k.proxy_to_emu(emu, E_nu)
    angle = k.proxy_to_theta(theta)
    E_nu_t = k.proxy_to_enu(torch.tensor(enu))
    E_mu_t = k.proxy_to_emu(torch.tensor(emu), E_nu_t)
    angle_t = k.proxy_to_theta(torch.tensor(theta))
    for by_torch, by_numpy in [
        (E_nu_t, E_nu),
        (E_mu_t, E_mu),
        (angle_t, angle),
        (k.q2_neutrino(E_nu_t, E_mu_t, angle_t), k.q2_neutrino(E_nu, E_mu, angle)),
        (k.w_neutrino(E_nu_t, E_mu_t, angle_t), k.w_neutrino(E_nu, E_mu, angle)),
        (k.enu_to_proxy(E_nu_t), enu),
        (k.emu_to_proxy(E_mu_t, E_nu_t), emu),
        (k.theta_to_proxy(angle_t), theta),
    ]:
        assert isinstance(by_torch, torch.Tensor)
        np.testing.assert_allclose(by_torch.numpy(), by_numpy, rtol=1e-12, atol=1e-12)


def test_floor_keeps_w_and_its_gradient_finite_for_any_proxy():
    # A generator in training puts proxies outside [-1, 1]: there W^2 < 0 gives NaN
    # without a floor; with one, W^2 stops at the floor and the gradient stays finite.
    enu, emu, theta = (torch.tensor(a, requires_grad=True) for a in _neutrino_proxies(spill=0.3))
    E_nu = k.proxy_to_enu(enu)
    E_mu = k.proxy_to_emu(emu, E_nu)
    angle = k.proxy_to_theta(theta)
    assert torch.isnan(k.w_neutrino(E_nu, E_mu, angle)).any()
    w = k.w_neutrino(E_nu, E_mu, angle, floor=1e-5)
    q2 = k.q2_neutrino(E_nu, E_mu, angle, floor=1e-5)
    assert w.min().item() == pytest.approx(1e-5**0.5)
    (w + q2).sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in (enu, emu, theta))
    # inside the physical region the floor changes nothing
    inside = torch.isfinite(k.w_neutrino(E_nu, E_mu, angle)) & (E_mu**2 - M_MUON**2 > 1e-5)
    inside &= k.w_neutrino(E_nu, E_mu, angle) ** 2 > 1e-5
    plain = k.w_neutrino(E_nu, E_mu, angle)[inside]
    assert torch.equal(w[inside], plain)


def test_floor_of_numpy_and_torch_agree():
    enu, emu, theta = _neutrino_proxies(spill=0.3)
    E_nu, angle = k.proxy_to_enu(enu), k.proxy_to_theta(theta)
    E_mu = k.proxy_to_emu(emu, E_nu)
    by_numpy = k.w_neutrino(E_nu, E_mu, angle, floor=1e-5)
    by_torch = k.w_neutrino(*(torch.tensor(a) for a in (E_nu, E_mu, angle)), floor=1e-5)
    np.testing.assert_allclose(by_torch.numpy(), by_numpy, rtol=1e-13)
    assert np.isfinite(by_numpy).all()
