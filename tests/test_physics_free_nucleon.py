"""Free-nucleon CC ν_μ / ν̄_μ cross sections and DIS structure functions (PHYSICS.md §5, §7.2)."""

import numpy as np
import pytest
from scipy.integrate import quad

from qestl.physics.constants import (
    COS_CABIBBO,
    G_AXIAL,
    G_FERMI,
    HBARC2_CM2,
    M_MUON,
    M_NEUTRON,
    M_NUCLEON,
    M_PION,
    M_PROTON,
)
from qestl.physics.neutrino.free_nucleon import (
    delta_d2sigma_dq2dw,
    dis_d2sigma_dq2dw,
    dsigma_dw,
    q2_range,
    qe_dsigma_dq2,
    total_cross_section,
)
from qestl.physics.partons import (
    bodek_yang_k_factors,
    dis_ramp,
    electron_structure_functions,
    toy_pdfs,
    weak_structure_functions,
)

# Deterministic quadrature reproduces the prototype's 3-digit numbers; 1 % leaves room
# for rounding only (PHYSICS.md's 3 % is meant for Monte Carlo estimates).
RTOL = 0.01

ENERGIES = [0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0]
QE_NU_N = [0.488, 0.838, 1.000, 1.080, 1.088, 1.069, 1.035, 0.999, 0.969]
QE_NUBAR_P = [0.138, 0.227, 0.304, 0.399, 0.512, 0.587, 0.680, 0.770, 0.848]


def sigma38(E, channel, **kwargs):
    return total_cross_section(E, channel, **kwargs) * 1e38


# --- quasielastic -----------------------------------------------------------------------


def test_qe_table_neutrino():
    np.testing.assert_allclose(sigma38(ENERGIES, "QE", probe="numu", nucleon="n"), QE_NU_N, RTOL)


def test_qe_table_antineutrino():
    result = sigma38(ENERGIES, "QE", probe="numubar", nucleon="p")
    np.testing.assert_allclose(result, QE_NUBAR_P, RTOL)


@pytest.mark.parametrize(
    ("probe", "nucleon", "params", "expected"),
    [
        ("numu", "n", {"axial_mass": 1.35}, 1.382),
        ("numubar", "p", {"axial_mass": 1.35}, 0.474),
        ("numu", "n", {"ff": "bbba05"}, 1.076),
    ],
)
def test_qe_alternative_parameters(probe, nucleon, params, expected):
    assert sigma38(1.0, "QE", probe=probe, nucleon=nucleon, **params) == pytest.approx(
        expected, rel=RTOL
    )


def test_qe_forward_limit():
    # dσ/dQ²(Q² → 0, m → 0) = G_F² cos²θ_C (1 + g_A²)/2π (PHYSICS.md §5.1).
    analytic = (G_FERMI * COS_CABIBBO) ** 2 * (1.0 + G_AXIAL**2) / (2.0 * np.pi) * HBARC2_CM2
    massless = qe_dsigma_dq2(np.array([0.5, 1.0, 5.0]), 0.0, lepton_mass=0.0)
    np.testing.assert_allclose(massless, analytic, rtol=1e-12)
    assert analytic * 1e38 == pytest.approx(2.10, abs=0.005)
    q2_min, _ = q2_range(1.0, M_PROTON, target_mass=M_NEUTRON)
    assert qe_dsigma_dq2(1.0, q2_min) * 1e38 == pytest.approx(2.084, rel=1e-3)


def test_antineutrino_qe_below_neutrino_everywhere():
    E = np.geomspace(0.12, 20.0, 40)
    nu = total_cross_section(E, "QE", probe="numu", nucleon="n")
    nubar = total_cross_section(E, "QE", probe="numubar", nucleon="p")
    assert np.all(nubar < nu)


def test_qe_needs_the_right_nucleon():
    zero = total_cross_section([1.0, 3.0], "QE", probe="numu", nucleon="p")
    np.testing.assert_array_equal(zero, 0.0)
    assert np.all(total_cross_section([1.0], "QE", probe="numubar", nucleon="n") == 0.0)


def test_qe_quadrature_matches_adaptive_integration():
    E = 2.0
    lo, hi = q2_range(E, M_PROTON, target_mass=M_NEUTRON)
    reference, _ = quad(lambda q2: float(qe_dsigma_dq2(E, q2)), float(lo), float(hi))
    assert total_cross_section(E, "QE", probe="numu", nucleon="n") == pytest.approx(
        reference, rel=1e-6
    )


# --- Δ(1232) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("probe", "nucleon", "expected"), [("numu", "p", 7.25), ("numubar", "n", 1.84)]
)
def test_delta_double_differential_reference_point(probe, nucleon, expected):
    value = delta_d2sigma_dq2dw(1.0, 0.2, 1.232, probe=probe, nucleon=nucleon) * 1e38
    assert value == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize(
    ("E", "probe", "nucleon", "params", "expected"),
    [
        (1.0, "numu", "p", {}, 0.545),
        (3.0, "numu", "p", {}, 0.815),
        (1.0, "numubar", "n", {}, 0.123),
        (3.0, "numubar", "n", {}, 0.462),
        (1.0, "numu", "p", {"axial_mass": 1.034}, 0.601),
    ],
)
def test_delta_totals(E, probe, nucleon, params, expected):
    result = sigma38(E, "RES", probe=probe, nucleon=nucleon, **params)
    assert result == pytest.approx(expected, rel=RTOL)


def test_delta_isospin_weights():
    E, Q2, W = 1.5, np.array([0.1, 0.4, 0.8]), np.array([1.15, 1.232, 1.35])
    for probe, main, other in [("numu", "p", "n"), ("numubar", "n", "p")]:
        strong = delta_d2sigma_dq2dw(E, Q2, W, probe=probe, nucleon=main)
        weak = delta_d2sigma_dq2dw(E, Q2, W, probe=probe, nucleon=other)
        np.testing.assert_allclose(weak, strong / 3.0)


@pytest.mark.parametrize("E", [1.0, 3.0])
def test_delta_peak_below_pole(E):
    W = np.arange(1.19, 1.25, 0.0005)
    spectrum = dsigma_dw(E, W, "RES", probe="numu", nucleon="p")
    assert 1.2155 <= W[np.argmax(spectrum)] <= 1.2185


def test_delta_zero_outside_its_window():
    W = np.array([1.0, M_NUCLEON + M_PION - 1e-6, 1.6, 1.7])
    np.testing.assert_array_equal(delta_d2sigma_dq2dw(3.0, 0.3, W), 0.0)


# --- thresholds and kinematic limits ----------------------------------------------------

THRESHOLDS = [
    ("QE", "numu", "n", ((M_PROTON + M_MUON) ** 2 - M_NEUTRON**2) / (2 * M_NEUTRON), 0.1102),
    ("QE", "numubar", "p", ((M_NEUTRON + M_MUON) ** 2 - M_PROTON**2) / (2 * M_PROTON), 0.1130),
    (
        "RES",
        "numu",
        "p",
        ((M_NUCLEON + M_PION + M_MUON) ** 2 - M_NUCLEON**2) / (2 * M_NUCLEON),
        0.2773,
    ),
]


@pytest.mark.parametrize(("channel", "probe", "nucleon", "threshold", "quoted"), THRESHOLDS)
def test_thresholds(channel, probe, nucleon, threshold, quoted):
    assert threshold == pytest.approx(quoted, abs=1e-4)
    below, above = total_cross_section(
        [threshold * (1 - 1e-4), threshold * (1 + 1e-3)], channel, probe=probe, nucleon=nucleon
    )
    assert below == 0.0
    assert above > 0.0


def test_q2_range_limits():
    q2_min, q2_max = q2_range([0.2, 1.0], 1.232)
    assert np.isnan(q2_min[0]) and np.isnan(q2_max[0])
    assert 0.0 < q2_min[1] < q2_max[1]
    # Massless lepton: forward scattering reaches Q² = 0.
    assert q2_range(1.0, M_NUCLEON, lepton_mass=0.0)[0] == pytest.approx(0.0, abs=1e-12)


def test_differentials_vanish_outside_kinematics_without_nan():
    E = np.array([0.05, 1.0, 1.0, 1.0])
    Q2 = np.array([0.1, -0.1, 50.0, 0.3])
    W = np.array([1.232, 1.232, 1.232, 1.232])
    for values in (
        qe_dsigma_dq2(E, Q2),
        delta_d2sigma_dq2dw(E, Q2, W),
        dis_d2sigma_dq2dw(E, Q2, W),
    ):
        assert np.all(np.isfinite(values))
        np.testing.assert_array_equal(values[:3], 0.0)
    assert qe_dsigma_dq2(1.0, 0.3) > 0 and delta_d2sigma_dq2dw(1.0, 0.3, 1.232) > 0


def test_differentials_are_vectorised():
    rng = np.random.default_rng(0)
    E = rng.uniform(0.3, 10.0, 20_000)
    Q2 = rng.uniform(0.0, 3.0, E.size)
    W = rng.uniform(1.0, 3.0, E.size)
    for values in (
        qe_dsigma_dq2(E, Q2, probe="numubar"),
        delta_d2sigma_dq2dw(E, Q2, W, nucleon="n"),
        dis_d2sigma_dq2dw(E, Q2, W, probe="numubar", nucleon="n"),
    ):
        assert values.shape == E.shape
        assert np.all(np.isfinite(values)) and np.all(values >= 0) and np.any(values > 0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: qe_dsigma_dq2(1.0, 0.2, probe="nue"), "probe"),
        (lambda: delta_d2sigma_dq2dw(1.0, 0.2, 1.2, nucleon="d"), "nucleon"),
        (lambda: total_cross_section(1.0, "COH", probe="numu", nucleon="p"), "channel"),
        (lambda: qe_dsigma_dq2([1.0, np.nan], 0.2), "E contains NaN"),
        (lambda: qe_dsigma_dq2(1.0, 0.2, axial_mass=-1.0), "axial_mass"),
        (lambda: weak_structure_functions(2.0, 1.0, probe="numu", nucleon="x"), "nucleon"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- inelastic tail and structure functions ----------------------------------------------


def test_toy_pdf_sum_rules():
    assert quad(lambda x: toy_pdfs(x)[0] / x, 0, 1)[0] == pytest.approx(2.0, rel=1e-4)
    assert quad(lambda x: toy_pdfs(x)[1] / x, 0, 1)[0] == pytest.approx(1.0, rel=1e-4)


def test_k_factors_limits():
    np.testing.assert_allclose(bodek_yang_k_factors(0.0), 0.0)
    np.testing.assert_allclose(bodek_yang_k_factors(1e4), 1.0, rtol=1e-3)


@pytest.mark.parametrize("probe", ["numu", "numubar"])
@pytest.mark.parametrize("nucleon", ["p", "n"])
def test_weak_structure_functions_sanity(probe, nucleon):
    W, Q2 = np.meshgrid(np.linspace(1.2, 4.0, 30), np.geomspace(1e-3, 20.0, 30))
    F1, F2, F3, F4, F5 = weak_structure_functions(W, Q2, probe=probe, nucleon=nucleon)
    assert np.all(F2 >= 0) and np.all(F1 >= 0) and np.any(F2 > 0)
    x = Q2 / (W**2 - M_NUCLEON**2 + Q2)
    assert np.all(x * F3 <= F2)  # valence never exceeds valence + sea
    np.testing.assert_array_equal(F4, 0.0)
    np.testing.assert_allclose(F5 * x, F2)


def test_dis_zero_below_ramp_and_ramp_shape():
    np.testing.assert_allclose(dis_ramp([1.3, 1.4, 1.5, 1.6, 2.5]), [0, 0, 0.5, 1, 1])
    W = np.array([1.2, 1.35, 1.4, 1.45, 2.0])
    values = dis_d2sigma_dq2dw(5.0, 1.0, W)
    np.testing.assert_array_equal(values[:3], 0.0)
    assert np.all(values[3:] > 0)
    assert np.all(sigma38([0.5, 0.6], "DIS", probe="numu", nucleon="p") == 0.0)


@pytest.mark.parametrize(("probe", "expected"), [("numu", 72.3 / 12), ("numubar", 31.8 / 12)])
def test_dis_size_at_10_gev(probe, expected):
    # Per nucleon vs the 12C table of PHYSICS.md §7.2 divided by A: Fermi motion changes
    # the DIS cross section at 10 GeV by about 1 %.
    per_nucleon = np.mean(
        [sigma38(10.0, "DIS", probe=probe, nucleon=nucleon) for nucleon in ("p", "n")]
    )
    assert per_nucleon == pytest.approx(expected, rel=0.03)


def test_electron_structure_functions_incoherent_sum():
    W, Q2 = np.array([1.3, 1.5, 1.9, 2.5]), np.array([0.5, 1.0, 1.5, 2.0])
    W1p, W2p = electron_structure_functions(W, Q2, 1, 0)
    W1n, W2n = electron_structure_functions(W, Q2, 0, 1)
    W1, W2 = electron_structure_functions(W, Q2, 6, 6)
    np.testing.assert_allclose(W1, 6 * (W1p + W1n))
    np.testing.assert_allclose(W2, 6 * (W2p + W2n))
    assert W1[0] == 0.0 and W2[0] == 0.0
    assert np.all(W2[1:] > 0) and np.all(W2n[1:] < W2p[1:])  # u quarks dominate F2^p
    with pytest.raises(ValueError, match="Z and N"):
        electron_structure_functions(W, Q2, -1, 6)
