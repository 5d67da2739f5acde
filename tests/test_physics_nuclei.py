import dataclasses

import numpy as np
import pytest

from qestl.physics.nuclei import available_nuclei, density, nuclear_parameters
from qestl.targets import Nucleus


@pytest.mark.parametrize("target", ["12C", "carbon", "C", Nucleus("12C", 6, 12), (6, 12)])
def test_aliases_give_the_carbon_entry(target):
    p = nuclear_parameters(target)
    assert (p.name, p.Z, p.A, p.N) == ("12C", 6, 12, 6)
    assert (p.kf_superscaling, p.energy_shift) == pytest.approx((0.228, 0.020))
    assert (p.kf_proton, p.kf_neutron, p.binding) == pytest.approx((0.221, 0.221, 0.025))


def test_table_entries_in_gev():
    argon = nuclear_parameters("argon")
    assert (argon.kf_proton, argon.kf_neutron, argon.binding) == pytest.approx(
        (0.242, 0.259, 0.0295)
    )
    assert nuclear_parameters("Pb").energy_shift == pytest.approx(0.031)
    deuteron = nuclear_parameters("2H")
    assert deuteron.kf_superscaling == pytest.approx(0.085)
    assert deuteron.binding is None and not deuteron.has_rfg


def test_parameters_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        nuclear_parameters("12C").binding = 0.03


def test_missing_nucleus_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"no model parameters for 238U.*12C, 16O"):
        nuclear_parameters("238U")
    with pytest.raises(ValueError, match="no model parameters"):
        nuclear_parameters((7, 14))
    with pytest.raises(ValueError, match="unknown target"):
        nuclear_parameters("12Xx")
    assert available_nuclei()[3] == "12C"


@pytest.mark.parametrize("target, A", [("12C", 12), ("40Ar", 40)])
def test_density_is_normalised_to_A(target, A):
    r = np.linspace(0.0, 15.0, 30001)
    rho = density(target, r)
    integral = np.trapezoid(4 * np.pi * r**2 * rho, r)
    assert integral == pytest.approx(A, rel=1e-6)
    # Central densities near nuclear saturation, 0.16 fm⁻³.
    assert 0.12 < rho[0] < 0.22
    assert rho[-1] < 1e-6 * rho[0]


def test_density_errors():
    with pytest.raises(ValueError, match="no density for 56Fe; available: 12C, 40Ar"):
        density("56Fe", 1.0)
    with pytest.raises(ValueError, match="r_fm must be >= 0"):
        density("12C", [-1.0, 1.0])
