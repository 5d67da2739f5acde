"""The struck nucleon of model ν: global or local Fermi gas (PHYSICS.md §5.2).

A relativistic Fermi gas in the NuWro style: the nucleon momentum is uniform in the
Fermi sphere and the nucleon is put off shell by a removal energy ε_B,
E_N = √(M_i² + p²) − ε_B (Smith & Moniz 1972). The global gas (GFG) uses one k_F per
species and ε_B of PHYSICS.md §3 (Moniz et al. 1971, GENIE); the local gas (LFG) first
draws the position r from the density, then k_F,N(r) = ħc (3π² ρ_N(r))^{1/3} and
ε_B(r) = √(M² + k_F(r)²) − M + ε₀ (Juszczak, Nowak & Sobczyk 2006, NuWro).
"""

from dataclasses import dataclass
from functools import cache

import numpy as np

from qestl.physics.constants import HBARC, M_NEUTRON, M_NUCLEON, M_PROTON
from qestl.physics.nuclei import density, nuclear_parameters

__all__ = [
    "SUPPORTED_TARGETS",
    "LFG_BINDING_OFFSET",
    "StruckNucleons",
    "check_target",
    "fermi_momenta",
    "sample_nucleons",
    "pauli_allowed",
]

#: Nuclei the neutrino model supports (they have both RFG parameters and a density).
SUPPORTED_TARGETS = ("12C", "40Ar")
#: ε₀ of the LFG removal energy [GeV] (NuWro default; physics basis unverified, §3).
LFG_BINDING_OFFSET = 0.007
# Outer radius of the tabulated LFG position CDF [fm]: ρ(15 fm)/ρ(0) < 1e-9 for both nuclei.
_R_MAX_FM = 15.0


@dataclass(frozen=True)
class StruckNucleons:
    """A batch of bound nucleons, one per trial (arrays of length n, GeV).

    Attributes
    ----------
    momentum : ndarray, shape (n, 3)
        Three-momentum p⃗ in the nucleus rest frame [GeV].
    energy : ndarray, shape (n,)
        Off-shell energy E_N = √(M_i² + p²) − ε_B [GeV].
    is_proton : ndarray of bool, shape (n,)
        Species of the struck nucleon.
    kf_proton, kf_neutron : ndarray, shape (n,)
        Fermi momenta of both species where the nucleon sits [GeV] (the same for all
        trials in the global gas); the final-state species sets the Pauli bound.
    """

    momentum: np.ndarray
    energy: np.ndarray
    is_proton: np.ndarray
    kf_proton: np.ndarray
    kf_neutron: np.ndarray

    @property
    def mass2(self):
        """Invariant mass squared m_t² = E_N² − p² of the off-shell nucleon [GeV²]."""
        return self.energy**2 - np.einsum("ij,ij->i", self.momentum, self.momentum)


def check_target(target):
    """Parameters of a nucleus the neutrino model supports.

    Parameters
    ----------
    target : str or Nucleus
        ``'12C'``, ``'carbon'``, ``'40Ar'``, ``'argon'``, ...

    Returns
    -------
    NuclearParameters

    Raises
    ------
    ValueError
        For any nucleus other than 12C and 40Ar.

    Examples
    --------
    >>> check_target("argon").kf_neutron
    0.259
    """
    try:
        params = nuclear_parameters(target)
    except ValueError:
        params = None
    if params is None or params.name not in SUPPORTED_TARGETS:
        raise ValueError(
            f"the neutrino model supports the targets {SUPPORTED_TARGETS}, got {target!r}"
        )
    return params


@cache
def _radius_quantiles(name):
    """(CDF, r) table of the LFG position density ∝ r² ρ(r) for inverse sampling."""
    r = np.linspace(0.0, _R_MAX_FM, 3001)
    pdf = r * r * density(name, r)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(r))])
    return cdf / cdf[-1], r


def _local_kf(params, r_fm):
    """k_F,p(r), k_F,n(r) = ħc (3π² ρ_N(r))^{1/3} with ρ_p = (Z/A)ρ, ρ_n = (N/A)ρ [GeV]."""
    rho = density(params.name, r_fm)
    shares = (params.Z / params.A, params.N / params.A)
    return tuple(HBARC * np.cbrt(3.0 * np.pi**2 * share * rho) for share in shares)


def fermi_momenta(params, fermi_gas, n, rng):
    """Proton and neutron Fermi momenta seen by n struck nucleons.

    Parameters
    ----------
    params : NuclearParameters
        From :func:`check_target`.
    fermi_gas : {"global", "local"}
        GFG: k_F^R of PHYSICS.md §3 for every trial; LFG: the radius r is drawn from
        r² ρ(r) and the Fermi momenta are those of the local densities.
    n : int
        Number of trials.
    rng : numpy.random.Generator

    Returns
    -------
    kf_proton, kf_neutron : ndarray, shape (n,)
        [GeV].
    """
    if fermi_gas == "global":
        return np.full(n, params.kf_proton), np.full(n, params.kf_neutron)
    cdf, r_grid = _radius_quantiles(params.name)
    return _local_kf(params, np.interp(rng.random(n), cdf, r_grid))


def sample_nucleons(params, is_proton, fermi_gas, rng):
    """Draw the struck nucleons of a batch of trials (PHYSICS.md §5.2).

    The momentum is uniform in the Fermi sphere of the struck species; the removal
    energy is ε_B of §3 (GFG) or √(M² + k_F(r)²) − M + ε₀ (LFG), which puts the most
    energetic nucleon ε₀ = 7 MeV below the free mass.

    Parameters
    ----------
    params : NuclearParameters
        From :func:`check_target`.
    is_proton : ndarray of bool, shape (n,)
        Species of each struck nucleon.
    fermi_gas : {"global", "local"}
    rng : numpy.random.Generator

    Returns
    -------
    StruckNucleons

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> hit = sample_nucleons(check_target("12C"), np.zeros(1000, bool), "global", rng)
    >>> bool(np.all(np.linalg.norm(hit.momentum, axis=1) <= 0.221))
    True
    """
    is_proton = np.asarray(is_proton, dtype=bool)
    n = is_proton.size
    kf_p, kf_n = fermi_momenta(params, fermi_gas, n, rng)
    kf = np.where(is_proton, kf_p, kf_n)
    # Uniform in the sphere: |p| ∝ u^{1/3}, isotropic direction.
    size = kf * np.cbrt(rng.random(n))
    cos_t = rng.uniform(-1.0, 1.0, n)
    sin_t = np.sqrt(1.0 - cos_t**2)
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    momentum = size[:, None] * np.column_stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t])
    mass = np.where(is_proton, M_PROTON, M_NEUTRON)
    if fermi_gas == "global":
        binding = params.binding
    else:
        binding = np.sqrt(M_NUCLEON**2 + kf**2) - M_NUCLEON + LFG_BINDING_OFFSET
    energy = np.sqrt(mass**2 + size**2) - binding
    return StruckNucleons(momentum, energy, is_proton, kf_p, kf_n)


def pauli_allowed(final_momentum, kf_final):
    """Pauli test of the outgoing nucleon: allowed where |p⃗ + q⃗| ≥ k_F of its species.

    Parameters
    ----------
    final_momentum : ndarray, shape (n, 3)
        Outgoing nucleon three-momentum p⃗ + q⃗ [GeV].
    kf_final : ndarray, shape (n,)
        Fermi momentum of the final species at the interaction point [GeV].

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    return np.einsum("ij,ij->i", final_momentum, final_momentum) >= kf_final**2
