import numpy as np
import pytest

from qestl.physics.constants import G_AXIAL, M_NUCLEON, M_PION, MU_NEUTRON, MU_PROTON
from qestl.physics.formfactors import (
    SACHS_MODELS,
    axial,
    dirac_pauli,
    isovector,
    pseudoscalar,
    sachs,
)

# PHYSICS.md §2 test values (GEp, GEn, GMp, GMn) at Q² = 1 GeV², five digits.
REFERENCE_Q2_1 = {
    "kelly": (0.16478, 0.04296, 0.49913, -0.35096),
    "dipole": (0.17239, 0.03614, 0.48147, -0.32980),
    "bbba05": (0.16410, 0.04317, 0.49383, -0.35176),
}


@pytest.mark.parametrize("model", SACHS_MODELS)
def test_sachs_reference_values(model):
    np.testing.assert_allclose(sachs(1.0, model), REFERENCE_Q2_1[model], atol=6e-6)


@pytest.mark.parametrize("model", SACHS_MODELS)
def test_sachs_static_limits(model):
    gep, gen, gmp, gmn = sachs(0.0, model)
    np.testing.assert_allclose([gep, gen, gmp, gmn], [1.0, 0.0, MU_PROTON, MU_NEUTRON], atol=1e-12)


@pytest.mark.parametrize("model", SACHS_MODELS)
def test_sachs_broadcasts_and_falls(model):
    Q2 = np.linspace(0.0, 3.0, 12).reshape(3, 4)
    gep, _, gmp, _ = sachs(Q2, model)
    assert gep.shape == gmp.shape == (3, 4)
    assert np.all(np.diff(gmp.ravel()) < 0)


def test_sachs_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown form-factor model 'galster'"):
        sachs(1.0, "galster")
    with pytest.raises(ValueError, match="Q2 must be >= 0"):
        sachs([-0.1, 0.2])


def test_dirac_pauli_of_proton_at_zero():
    F1, F2 = dirac_pauli(1.0, MU_PROTON, 0.0)
    assert F1 == pytest.approx(1.0)
    assert F2 == pytest.approx(MU_PROTON - 1.0)


def test_dirac_pauli_inverts_to_sachs():
    tau = np.array([0.1, 0.5])
    GE, GM = np.array([0.6, 0.2]), np.array([1.8, 0.6])
    F1, F2 = dirac_pauli(GE, GM, tau)
    np.testing.assert_allclose(F1 - tau * F2, GE)
    np.testing.assert_allclose(F1 + F2, GM)


def test_isovector_normalisation_and_difference():
    F1V, F2V = isovector(np.array([0.0, 0.5]))
    assert F1V[0] == pytest.approx(1.0)
    assert F2V[0] == pytest.approx(MU_PROTON - MU_NEUTRON - 1.0)
    gep, gen, gmp, gmn = sachs(0.5, "dipole")
    tau = 0.5 / (4 * M_NUCLEON**2)
    assert F1V[1] + F2V[1] == pytest.approx(gmp - gmn)
    assert F1V[1] - tau * F2V[1] == pytest.approx(gep - gen)


def test_axial_and_pseudoscalar():
    assert axial(0.0) == pytest.approx(G_AXIAL)
    assert axial(1.03**2) == pytest.approx(G_AXIAL / 4)
    assert axial(1.35**2, axial_mass=1.35) == pytest.approx(G_AXIAL / 4)
    assert pseudoscalar(0.0, G_AXIAL) == pytest.approx(2 * M_NUCLEON**2 * G_AXIAL / M_PION**2)
    with pytest.raises(ValueError, match="axial_mass"):
        axial(0.1, axial_mass=0.0)


def test_isospin_factor_limits_and_mirror_nuclei():
    from qestl.physics.formfactors import isospin_factor

    q2 = np.array([1e-9, 0.3, 1.0, 3.0])
    theta = np.array([20.0, 60.0, 120.0, 180.0])
    # Z = N: exactly 1; Q2 -> 0: the neutron is invisible, 2Z/A.
    assert np.allclose(isospin_factor(6, 12, q2, theta), 1.0)
    assert float(isospin_factor(2, 3, 1e-9, 30.0)) == pytest.approx(4 / 3, rel=1e-6)
    # Mirror nuclei: the proton-rich one scatters more; the two factors average to 1.
    helium, triton = isospin_factor(2, 3, q2, theta), isospin_factor(1, 3, q2, theta)
    assert (helium > triton).all() and np.allclose((helium + triton) / 2, 1.0)
    # Backward (magnetic) scattering: the ratio of the magnetic moments squared.
    _, _, GMp, GMn = sachs(1.0, "kelly")
    expected = (2 * GMp**2 + GMn**2) / (GMp**2 + 2 * GMn**2)
    ratio = isospin_factor(2, 3, 1.0, 180.0) / isospin_factor(1, 3, 1.0, 180.0)
    assert float(ratio) == pytest.approx(float(expected), rel=1e-9)
