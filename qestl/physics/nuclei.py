"""Nuclear parameters of the physics models (PHYSICS.md §3).

Two parameter sets per nucleus: the superscaling Fermi momentum k_F^S and energy
shift E_s of the electron model (Maieron, Donnelly & Sick 2002), and the
relativistic-Fermi-gas Fermi momenta and binding energy of the neutrino model
(Moniz et al. 1971; GENIE defaults). Also the charge densities of the local
Fermi gas (De Vries et al. 1987) for 12C and 40Ar.
"""

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import integrate

from qestl.targets import Nucleus, parse_target

__all__ = ["NuclearParameters", "nuclear_parameters", "available_nuclei", "density"]


@dataclass(frozen=True)
class NuclearParameters:
    """Model parameters of one nucleus (energies and momenta in GeV).

    Attributes
    ----------
    name : str
        Canonical name, e.g. ``'12C'``.
    Z, A : int
        Charge and mass number.
    kf_superscaling : float
        Superscaling Fermi momentum k_F^S [GeV] (model E).
    energy_shift : float
        Superscaling energy shift E_s [GeV] (model E).
    kf_proton, kf_neutron : float or None
        Relativistic-Fermi-gas Fermi momenta k_F^R [GeV] (model ν); None where
        PHYSICS.md §3 has no value.
    binding : float or None
        RFG binding (removal) energy ε_B [GeV] (model ν), or None.
    source_superscaling, source_rfg : str
        Where the numbers come from, with "unverified" where PHYSICS.md says so.
    """

    name: str
    Z: int
    A: int
    kf_superscaling: float
    energy_shift: float
    kf_proton: float | None
    kf_neutron: float | None
    binding: float | None
    source_superscaling: str
    source_rfg: str

    @property
    def N(self):
        """Neutron number A − Z."""
        return self.A - self.Z

    @property
    def has_rfg(self):
        """Whether the relativistic-Fermi-gas parameters (model ν) are tabulated."""
        return self.binding is not None


# PHYSICS.md §3 in MeV: name, k_F^S, E_s, source S, k_F^R proton, neutron, ε_B, source R.
_TABLE_MEV = [
    ("2H", 85, 2.2, "F1F209 code; scaling not valid for A<4", None, None, None, "not modelled"),
    ("3He", 180, 10, "F1F209 (later versions 115/1-15): unverified", None, None, None, "—"),
    ("4He", 200, 15, "F1F209 original block; GENIE SuSA 15: unverified", None, None, None, "—"),
    ("12C", 228, 20, "MDS 2002 (F1F209 + GENIE agree)", 221, 221, 25, "Moniz 1971 (GENIE)"),
    ("16O", 230, 16, "GENIE SuSA tune (not in MDS): unverified", 225, 225, 27, "GENIE: unverified"),
    ("27Al", 236, 18, "MDS 2002 (F1F209 + GENIE agree)", 239, 239, 32, "Mg/Si interp.: unverified"),
    ("40Ar", 241, 28, "assumed = 40Ca (GENIE SuSA 28)", 242, 259, 29.5, "GENIE: unverified"),
    ("40Ca", 241, 28, "MDS 2002 (F1F209 + GENIE agree)", 251, 251, 28, "Moniz 1971 (GENIE)"),
    ("48Ca", 241, 28, "assumed = 40Ca", 251, 251, 28, "assumed = 40Ca"),
    ("48Ti", 241, 28, "assumed (F1F209 bucket 39<=A<=55)", 251, 251, 30, "GENIE ε; k_F assumed"),
    ("56Fe", 241, 23, "MDS 2002 (F1F209 + GENIE agree)", 251, 263, 36, "GENIE: unverified"),
    ("197Au", 245, 28, "F1F209 bucket A>60; GENIE 31: unverified", 245, 283, 44, "= 208Pb"),
    ("208Pb", 248, 31, "GENIE SuSA tune (not MDS): unverified", 245, 283, 44, "GENIE/Moniz 1971"),
]


def _gev(value):
    return None if value is None else value / 1000


def _build_table():
    table = {}
    for name, kfs, es, src_s, kfp, kfn, eb, src_r in _TABLE_MEV:
        nucleus = parse_target(name)
        table[nucleus.name] = NuclearParameters(
            nucleus.name, nucleus.Z, nucleus.A, kfs / 1000, es / 1000,
            _gev(kfp), _gev(kfn), _gev(eb), src_s, src_r,
        )  # fmt: skip
    return table


_PARAMETERS = _build_table()


def available_nuclei():
    """Names of the nuclei with tabulated parameters, lightest first."""
    return tuple(_PARAMETERS)


def _resolve(target):
    """Nucleus for a name, a Nucleus or a (Z, A) pair."""
    if isinstance(target, tuple) and not isinstance(target, Nucleus) and len(target) == 2:
        Z, A = (int(v) for v in target)
        for entry in _PARAMETERS.values():
            if (entry.Z, entry.A) == (Z, A):
                return Nucleus(entry.name, Z, A)
        return Nucleus(f"(Z={Z}, A={A})", Z, A)
    return parse_target(target)


def nuclear_parameters(target):
    """Look up the PHYSICS.md §3 parameters of a nucleus.

    Parameters
    ----------
    target : str, Nucleus or (Z, A) tuple
        ``'12C'``, ``'carbon'``, ``'C'``, ``Nucleus('12C', 6, 12)`` or ``(6, 12)``.

    Returns
    -------
    NuclearParameters

    Raises
    ------
    ValueError
        For an unknown name, or a nucleus without tabulated parameters (the
        message lists those that have them).

    Examples
    --------
    >>> p = nuclear_parameters("carbon")
    >>> p.kf_superscaling, p.energy_shift, p.binding
    (0.228, 0.02, 0.025)
    """
    nucleus = _resolve(target)
    try:
        return _PARAMETERS[nucleus.name]
    except KeyError:
        raise ValueError(
            f"no model parameters for {nucleus.name} (from {target!r}); "
            f"available nuclei: {', '.join(_PARAMETERS)}"
        ) from None


# Charge-density shapes (De Vries, De Jager, De Vries 1987, as tabulated in GENIE and
# NuWro), r in fm; each is normalised below so that ∫ρ d³r = A.
def _modified_harmonic_oscillator(r, a=1.69, alpha=1.08):
    x2 = (r / a) ** 2
    return (1.0 + alpha * x2) * np.exp(-x2)


def _two_parameter_fermi(r, c=3.53, z=0.542):
    # exp overflow at large r only drives the shape to 0, which is the right limit.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp((r - c) / z))


_DENSITY_SHAPES = {"12C": _modified_harmonic_oscillator, "40Ar": _two_parameter_fermi}


@cache
def _density_norm(name):
    """A / ∫ shape(r) 4πr² dr, computed once per nucleus."""
    shape = _DENSITY_SHAPES[name]
    volume, _ = integrate.quad(lambda r: 4.0 * np.pi * r * r * shape(r), 0.0, np.inf)
    return parse_target(name).A / volume


def density(target, r_fm):
    """Nucleon number density ρ(r) of the local Fermi gas, ∫ρ d³r = A.

    12C: modified harmonic oscillator ρ ∝ [1 + α(r/a)²] e^{−(r/a)²}, a = 1.69 fm,
    α = 1.08; 40Ar: two-parameter Fermi ρ ∝ 1/(1 + e^{(r−c)/z}), c = 3.53 fm,
    z = 0.542 fm (De Vries et al. 1987; PHYSICS.md §3). The charge shape is used
    for all nucleons: ρ_p = (Z/A)ρ, ρ_n = (N/A)ρ.

    Parameters
    ----------
    target : str, Nucleus or (Z, A) tuple
        12C or 40Ar.
    r_fm : float or array_like
        Radius [fm], ≥ 0.

    Returns
    -------
    ndarray
        ρ(r) [fm⁻³], shape of ``r_fm``.

    Raises
    ------
    ValueError
        For a nucleus without a density, or a negative radius.
    """
    nucleus = _resolve(target)
    if nucleus.name not in _DENSITY_SHAPES:
        raise ValueError(f"no density for {nucleus.name}; available: {', '.join(_DENSITY_SHAPES)}")
    r = np.asarray(r_fm, dtype=float)
    if np.any(r < 0):
        raise ValueError(f"r_fm must be >= 0 fm, got min {r.min():g}")
    return _density_norm(nucleus.name) * _DENSITY_SHAPES[nucleus.name](r)
