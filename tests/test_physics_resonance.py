"""N → Δ form factors, width and structure functions against PHYSICS.md §5.3 and §7.2."""

import numpy as np
import pytest

from qestl.physics.constants import GAMMA_DELTA, M_DELTA, M_NUCLEON, M_PION
from qestl.physics.resonance import (
    W_THRESHOLD,
    breit_wigner,
    delta_form_factors,
    delta_structure_functions,
    delta_width,
    pion_momentum,
)


def test_structure_functions_reference_point():
    # PHYSICS.md §7.2: Ŵ1…Ŵ5 at Q² = 0.2 GeV², W = 1.232 GeV (default C5A(0), M_AΔ).
    expected = [1.9878, 1.2017, -5.8206, -3.8920, 4.8162]
    np.testing.assert_allclose(delta_structure_functions(1.232, 0.2), expected, rtol=1e-4)


def test_structure_functions_broadcast_to_leading_axis_of_five():
    W = np.linspace(1.1, 1.5, 4)[:, None]
    Q2 = np.array([0.1, 0.5, 1.0])
    result = delta_structure_functions(W, Q2)
    assert result.shape == (5, 4, 3)
    np.testing.assert_allclose(result[:, 2, 1], delta_structure_functions(W[2, 0], Q2[1]))


def test_vector_only_equals_vanishing_axial_coupling():
    W, Q2 = np.array([1.15, 1.232, 1.4]), np.array([0.05, 0.3, 1.2])
    vector = delta_structure_functions(W, Q2, vector_only=True)
    np.testing.assert_allclose(vector, delta_structure_functions(W, Q2, c5a0=0.0), atol=1e-14)
    # Ŵ3 is the V–A interference term: it vanishes without axial current and not otherwise.
    assert np.all(vector[2] == 0.0)
    assert np.all(delta_structure_functions(W, Q2)[2] < 0.0)


def test_axial_parameters_change_only_axial_parts():
    base = delta_structure_functions(1.232, 0.5)
    harder = delta_structure_functions(1.232, 0.5, axial_mass=1.034)
    assert harder[0] > base[0]
    np.testing.assert_allclose(
        delta_structure_functions(1.232, 0.5, vector_only=True, axial_mass=2.0),
        delta_structure_functions(1.232, 0.5, vector_only=True),
    )


def test_form_factors_at_zero_q2():
    c3v, c4v, c5v, c3a, c4a, c5a, c6a = delta_form_factors(0.0, c5a0=1.19)
    assert c3v == pytest.approx(2.13)
    assert c4v == pytest.approx(-1.51)
    assert c5v == 0.0 and c3a == 0.0
    assert c5a == pytest.approx(1.19)
    assert c4a == pytest.approx(-1.19 / 4)
    assert c6a == pytest.approx(M_NUCLEON**2 * 1.19 / M_PION**2)


def test_form_factor_axial_mass_must_be_positive():
    with pytest.raises(ValueError, match="axial_mass"):
        delta_form_factors(0.1, axial_mass=0.0)


def test_width_at_pole_and_threshold():
    assert delta_width(M_DELTA) == pytest.approx(GAMMA_DELTA)
    # √((M_Δ² + M² − m_π²)² − 4M_Δ²M²)/2M_Δ with the average nucleon mass, by hand.
    assert pion_momentum(M_DELTA) == pytest.approx(0.22659, abs=1e-5)
    assert delta_width(W_THRESHOLD) == 0.0
    assert np.all(np.diff(delta_width(np.linspace(1.09, 1.6, 20))) > 0)


def test_breit_wigner_pole_value_and_support():
    assert breit_wigner(M_DELTA) == pytest.approx(1.0 / (np.pi * M_DELTA * GAMMA_DELTA))
    below = breit_wigner(np.array([0.9, 1.0, W_THRESHOLD]))
    np.testing.assert_array_equal(below, 0.0)
    assert breit_wigner(W_THRESHOLD + 1e-3) > 0.0
