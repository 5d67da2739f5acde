import numpy as np
import pytest

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
