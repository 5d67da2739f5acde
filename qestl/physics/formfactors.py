"""Nucleon electromagnetic and axial form factors (PHYSICS.md §2).

All functions take Q² = −q² > 0 in GeV² (scalar or array) and broadcast.
The reference values of PHYSICS.md §2 at Q² = 1 GeV² are reproduced with
τ = Q²/4M_p² for Kelly and τ = Q²/4M² (M the average nucleon mass) for the
Galster G_En of the dipole set and for BBBA05.
"""

import numpy as np

from qestl.physics.constants import (
    DIPOLE_MASS2,
    G_AXIAL,
    M_NUCLEON,
    M_PION,
    M_PROTON,
    MU_NEUTRON,
    MU_PROTON,
)

__all__ = [
    "SACHS_MODELS",
    "dipole",
    "sachs",
    "dirac_pauli",
    "axial",
    "pseudoscalar",
    "isovector",
    "isospin_factor",
]

#: Names accepted by :func:`sachs`.
SACHS_MODELS = ("kelly", "dipole", "bbba05")


def _as_q2(Q2):
    Q2 = np.asarray(Q2, dtype=float)
    if np.any(Q2 < 0):
        raise ValueError(f"Q2 must be >= 0 GeV^2 (spacelike), got min {Q2.min():g}")
    return Q2


def dipole(Q2):
    """Standard dipole G_D = (1 + Q²/M_V²)⁻², M_V² = 0.71 GeV².

    Parameters
    ----------
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²].

    Returns
    -------
    ndarray
        G_D, same shape as ``Q2``.
    """
    return (1.0 + _as_q2(Q2) / DIPOLE_MASS2) ** -2


def _ratio(tau, numerator, denominator):
    """Rational parametrisation Σ a_k τ^k / Σ b_k τ^k (coefficients from τ⁰ up)."""
    return np.polynomial.polynomial.polyval(tau, numerator) / np.polynomial.polynomial.polyval(
        tau, denominator
    )


def _kelly(Q2):
    # J. J. Kelly, PRC 70, 068202 (2004), eq. (8) and Table; G_En in Galster form.
    tau = Q2 / (4.0 * M_PROTON**2)
    gep = _ratio(tau, (1.0, -0.24), (1.0, 10.98, 12.82, 21.97))
    gmp = MU_PROTON * _ratio(tau, (1.0, 0.12), (1.0, 10.97, 18.86, 6.55))
    gmn = MU_NEUTRON * _ratio(tau, (1.0, 2.33), (1.0, 14.72, 24.20, 84.1))
    gen = 1.70 * tau / (1.0 + 3.30 * tau) * dipole(Q2)
    return gep, gen, gmp, gmn


def _dipole_galster(Q2):
    # Dipole magnetic and proton electric FFs; G_En of Galster et al., NPB 32, 221 (1971).
    gd = dipole(Q2)
    tau = Q2 / (4.0 * M_NUCLEON**2)
    gen = -MU_NEUTRON * tau / (1.0 + 5.6 * tau) * gd
    return gd, gen, MU_PROTON * gd, MU_NEUTRON * gd


def _bbba05(Q2):
    # Bradford, Bodek, Budd, Arrington, NPB Proc. Suppl. 159, 127 (2006), Table 1.
    tau = Q2 / (4.0 * M_NUCLEON**2)
    gep = _ratio(tau, (1.0, -0.0578), (1.0, 11.1, 13.6, 33.0))
    gmp = MU_PROTON * _ratio(tau, (1.0, 0.15), (1.0, 11.1, 19.6, 7.54))
    gmn = MU_NEUTRON * _ratio(tau, (1.0, 1.81), (1.0, 14.1, 20.7, 68.7))
    gen = _ratio(tau, (0.0, 1.25, 1.30), (1.0, -9.86, 305.0, -758.0, 802.0))
    return gep, gen, gmp, gmn


_SACHS = {"kelly": _kelly, "dipole": _dipole_galster, "bbba05": _bbba05}


def sachs(Q2, model="kelly"):
    """Sachs electric and magnetic form factors of proton and neutron.

    Parameters
    ----------
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²], ≥ 0.
    model : {"kelly", "dipole", "bbba05"}, default "kelly"
        Kelly (2004); dipole with Galster G_En (1971); BBBA05 (Bradford et al. 2006).

    Returns
    -------
    GEp, GEn, GMp, GMn : ndarray
        Each with the shape of ``Q2``; G_M(0) = μ_p, μ_n.

    Raises
    ------
    ValueError
        For an unknown model or negative Q².

    Examples
    --------
    >>> [round(float(g), 5) for g in sachs(1.0, "kelly")]
    [0.16478, 0.04296, 0.49913, -0.35096]
    """
    try:
        parametrisation = _SACHS[model]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown form-factor model {model!r}; use one of {SACHS_MODELS}"
        ) from None
    return parametrisation(_as_q2(Q2))


def dirac_pauli(GE, GM, tau):
    """Dirac and Pauli form factors from Sachs ones.

    F₁ = (G_E + τG_M)/(1 + τ), F₂ = (G_M − G_E)/(1 + τ) (PHYSICS.md §2).

    Parameters
    ----------
    GE, GM : array_like
        Sachs electric and magnetic form factors.
    tau : array_like
        τ = Q²/4M².

    Returns
    -------
    F1, F2 : ndarray
        Broadcast shape of the inputs; F₂(0) is the anomalous magnetic moment.
    """
    GE, GM, tau = (np.asarray(v, dtype=float) for v in (GE, GM, tau))
    return (GE + tau * GM) / (1.0 + tau), (GM - GE) / (1.0 + tau)


def axial(Q2, axial_mass=1.03, g_A=G_AXIAL):
    """Dipole axial form factor F_A = g_A (1 + Q²/M_A²)⁻² (F_A > 0 convention).

    Parameters
    ----------
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²].
    axial_mass : float, default 1.03
        M_A [GeV]; PHYSICS.md §5.5 uses 1.35 as the alternative.
    g_A : float, default G_AXIAL
        F_A(0).

    Returns
    -------
    ndarray
        F_A, shape of ``Q2``.
    """
    if not axial_mass > 0:
        raise ValueError(f"axial_mass must be > 0 GeV, got {axial_mass!r}")
    return g_A * (1.0 + _as_q2(Q2) / axial_mass**2) ** -2


def pseudoscalar(Q2, FA):
    """Pseudoscalar form factor from pion-pole dominance, F_P = 2M² F_A/(m_π² + Q²).

    Parameters
    ----------
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²].
    FA : array_like
        Axial form factor at the same Q².

    Returns
    -------
    ndarray
        F_P, broadcast shape.
    """
    return 2.0 * M_NUCLEON**2 * np.asarray(FA, dtype=float) / (M_PION**2 + _as_q2(Q2))


def isovector(Q2, model="dipole"):
    """Isovector Dirac and Pauli form factors for the weak vector current.

    G^V = G^p − G^n (CVC), converted with τ = Q²/4M², M the average nucleon mass
    (Llewellyn Smith 1972; PHYSICS.md §5.1).

    Parameters
    ----------
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²].
    model : {"dipole", "kelly", "bbba05"}, default "dipole"
        Sachs parametrisation, see :func:`sachs`.

    Returns
    -------
    F1V, F2V : ndarray
        Shape of ``Q2``; F1V(0) = 1, F2V(0) = μ_p − μ_n − 1.
    """
    gep, gen, gmp, gmn = sachs(Q2, model)
    tau = np.asarray(Q2, dtype=float) / (4.0 * M_NUCLEON**2)
    return dirac_pauli(gep - gen, gmp - gmn, tau)


def isospin_factor(Z, A, Q2, theta, model="kelly"):
    """Elastic scattering of Z protons and A - Z neutrons, relative to A/2 of each.

    f = (Z w_p + N w_n) / (A (w_p + w_n) / 2), with the Rosenbluth structure
    of a free nucleon w = (G_E^2 + tau G_M^2) / (1 + tau) + 2 tau G_M^2
    tan^2(theta/2), tau = Q^2 / 4M^2. It is 1 for every nucleus with Z = N;
    it tells mirror nuclei apart by the charges their nucleons carry (3He
    scatters more than 3H, as a proton more than a neutron), while the
    nuclear dynamics, the same for both by isospin symmetry, is left to the
    network. At Q^2 -> 0, where the neutron is nearly invisible, f -> 2Z/A.

    Parameters
    ----------
    Z, A : array_like
        Charge and mass number of the nucleus.
    Q2 : array_like
        Four-momentum transfer squared [GeV^2], >= 0.
    theta : array_like
        Scattering angle [degrees].
    model : str, default "kelly"
        Form factors, as :func:`sachs`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> round(float(isospin_factor(6, 12, 1.0, 30.0)), 12)
    1.0
    >>> round(float(isospin_factor(2, 3, 1e-9, 30.0)), 6)  # 2Z/A
    1.333333
    """
    Z, A = np.asarray(Z, dtype=float), np.asarray(A, dtype=float)
    GEp, GEn, GMp, GMn = sachs(Q2, model)
    tau = _as_q2(Q2) / (4.0 * M_NUCLEON**2)
    half = np.deg2rad(np.asarray(theta, dtype=float)) / 2.0
    cos2, sin2 = np.cos(half) ** 2, np.sin(half) ** 2

    def structure(GE, GM):
        # w cos^2(theta/2): the same ratio, and finite at 180 degrees
        return (GE**2 + tau * GM**2) / (1.0 + tau) * cos2 + 2.0 * tau * GM**2 * sin2

    proton, neutron = structure(GEp, GMp), structure(GEn, GMn)
    return (Z * proton + (A - Z) * neutron) / (A * (proton + neutron) / 2.0)
