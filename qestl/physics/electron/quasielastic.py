"""Quasielastic part of the electron model: superscaling times single-nucleon responses.

SuSA (Amaro et al., PRC 71, 015501 (2005)) or relativistic-Fermi-gas scaling
function, relativistic single-nucleon responses, optional transverse
enhancement (Bodek, Budd & Christy, EPJC 71, 1726 (2011)); PHYSICS.md §4.2.
"""

import numpy as np

from qestl.physics.constants import M_NUCLEON
from qestl.physics.electron._common import (
    check_choice,
    check_kinematics,
    check_q_omega,
    electron_kinematics,
    mott,
    mott_tan2,
    scatter,
)
from qestl.physics.formfactors import SACHS_MODELS, sachs
from qestl.physics.nuclei import nuclear_parameters

__all__ = [
    "QE_MODELS",
    "TRANSVERSE_ENHANCEMENT",
    "scaling_variable",
    "scaling_function",
    "pauli_factor",
    "quasielastic_responses",
    "quasielastic_cross_section",
]

#: Scaling functions accepted as ``qe_model``.
QE_MODELS = ("susa", "rfg")
#: Default transverse enhancement (A_T, B_T [GeV²]): GENIE's carbon values from
#: Bodek, Christy & Coopersmith, EPJC 74, 3091 (2014).
TRANSVERSE_ENHANCEMENT = (5.19, 0.376)

# Amaro et al., PRC 71, 015501 (2005): fit of the longitudinal superscaling function,
# parameters as coded in the JLab F1F209 routine.
_SUSA_P = (1.5576, 1.7720, -0.3014, 2.4291)


def _te_parameters(transverse_enhancement, qe_model):
    """(A_T, B_T) from None / True / False / a pair; None when switched off."""
    if transverse_enhancement is None:
        # The enhancement was fitted on top of scaling models that undershoot the QE
        # peak; the RFG parabola is already ≈ 20 % higher than SuSA, so it goes without.
        transverse_enhancement = qe_model == "susa"
    if transverse_enhancement is True or transverse_enhancement is np.True_:
        return TRANSVERSE_ENHANCEMENT
    if transverse_enhancement is False or transverse_enhancement is np.False_:
        return None
    try:
        a_t, b_t = (float(v) for v in transverse_enhancement)
    except (TypeError, ValueError):
        raise ValueError(
            "transverse_enhancement must be None, True, False or a pair (A_T, B_T), "
            f"got {transverse_enhancement!r}"
        ) from None
    if not (np.isfinite(a_t) and a_t >= 0 and b_t > 0):
        raise ValueError(f"transverse enhancement needs A_T >= 0 and B_T > 0, got {a_t}, {b_t}")
    return a_t, b_t


def scaling_variable(q, omega, kf, energy_shift=0.0):
    """Superscaling variable ψ (or ψ′ with an energy shift).

    ψ = (λ − τ) / sqrt(ξ_F [(1 + λ)τ + κ sqrt(τ(1 + τ))]) with κ = q/2M, λ = ω/2M,
    τ = κ² − λ², ξ_F = sqrt(1 + (k_F/M)²) − 1 (Alberico et al., PRC 38, 1801 (1988));
    ψ′ replaces λ by λ − E_s/2M (Maieron, Donnelly & Sick, PRC 65, 025502 (2002)).

    Parameters
    ----------
    q, omega : array_like
        Three-momentum and energy transfer [GeV].
    kf : float
        Fermi momentum [GeV].
    energy_shift : float, default 0
        E_s [GeV].

    Returns
    -------
    ndarray
        ψ, broadcast shape; NaN where the shifted τ ≤ 0 or 1 + λ ≤ 0 (no response).
    """
    q, omega = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(omega, dtype=float))
    kappa = q / (2.0 * M_NUCLEON)
    lam = (omega - energy_shift) / (2.0 * M_NUCLEON)
    tau = kappa**2 - lam**2
    xi_f = np.sqrt(1.0 + (kf / M_NUCLEON) ** 2) - 1.0
    ok = (tau > 0) & (1.0 + lam > 0)
    tau_ok = np.where(ok, tau, 1.0)
    denominator = xi_f * ((1.0 + lam) * tau_ok + kappa * np.sqrt(tau_ok * (1.0 + tau_ok)))
    return np.where(ok, (lam - tau_ok) / np.sqrt(np.where(ok, denominator, 1.0)), np.nan)


def scaling_function(psi, model="susa"):
    """Quasielastic scaling function f(ψ′).

    ``"susa"``: f = p₁ / {[1 + p₂²(ψ′ − p₃)²][1 + exp(−p₄ψ′)]},
    p = (1.5576, 1.7720, −0.3014, 2.4291) (Amaro et al., PRC 71, 015501 (2005);
    ∫f dψ′ = 1.048, maximum 0.6105 at ψ′ = −0.056).
    ``"rfg"``: f = (3/4)(1 − ψ′²) for |ψ′| < 1, else 0 (∫f = 1).

    Parameters
    ----------
    psi : array_like
        Scaling variable ψ′; NaN gives 0.
    model : {"susa", "rfg"}, default "susa"

    Returns
    -------
    ndarray
        f(ψ′), shape of ``psi``.
    """
    check_choice(model, QE_MODELS, "qe_model")
    psi = np.nan_to_num(np.asarray(psi, dtype=float), nan=np.inf)
    if model == "rfg":
        return np.where(np.abs(psi) < 1.0, 0.75 * (1.0 - np.minimum(psi**2, 1.0)), 0.0)
    p1, p2, p3, p4 = _SUSA_P
    with np.errstate(over="ignore"):
        tail = 1.0 + np.exp(-p4 * psi)
    finite = np.isfinite(psi)
    shape = p1 / ((1.0 + p2**2 * (np.where(finite, psi, 0.0) - p3) ** 2) * tail)
    return np.where(finite, shape, 0.0)


def pauli_factor(q, kf):
    """Pauli suppression of the Fermi gas, P = (3/4)(q/k_F)[1 − (q/k_F)²/12] for q < 2k_F.

    Tsai, Rev. Mod. Phys. 46, 815 (1974), eq. (B54), as used in F1F209; 1 above 2k_F.

    Parameters
    ----------
    q : array_like
        Three-momentum transfer [GeV], ≥ 0.
    kf : float
        Fermi momentum [GeV].

    Returns
    -------
    ndarray
        P(q) ∈ [0, 1], shape of ``q``.
    """
    x = np.asarray(q, dtype=float) / kf
    return np.where(x < 2.0, 0.75 * x * (1.0 - x**2 / 12.0), 1.0)


def quasielastic_responses(
    target, q, omega, *, qe_model="susa", transverse_enhancement=None, ff="kelly"
):
    """Longitudinal and transverse QE responses R_L, R_T per nucleus.

    R_{L,T} = f(ψ′) G_{L,T}(κ, λ) / k_F with the relativistic-Fermi-gas single-nucleon
    functions G_L, G_T of Amaro et al., PRC 71, 015501 (2005) (evaluated at the unshifted
    ψ, τ as in F1F209), the Pauli factor of :func:`pauli_factor` on the nucleon form
    factors, and the transverse enhancement G_M → G_M sqrt(1 + A_T Q² e^{−Q²/B_T}) of
    Bodek, Budd & Christy, EPJC 71, 1726 (2011). PHYSICS.md §4.2.

    Parameters
    ----------
    target : str, Nucleus or (Z, A) tuple
        Nucleus with superscaling parameters (PHYSICS.md §3).
    q, omega : array_like
        Three-momentum and energy transfer [GeV]; broadcast together.
    qe_model : {"susa", "rfg"}, default "susa"
        Scaling function, see :func:`scaling_function`.
    transverse_enhancement : None, bool or (float, float), default None
        True for (A_T, B_T) = (5.19, 0.376 GeV²), False for none, or a pair. None means
        on for ``"susa"`` and off for ``"rfg"``, the pairings of PHYSICS.md §7.1.
    ff : {"kelly", "dipole", "bbba05"}, default "kelly"
        Nucleon form factors, see :func:`qestl.physics.formfactors.sachs`.

    Returns
    -------
    R_L, R_T : ndarray
        [GeV⁻¹], broadcast shape; 0 outside the spacelike region 0 < ω < q.
    """
    check_choice(qe_model, QE_MODELS, "qe_model")
    check_choice(ff, SACHS_MODELS, "form-factor model ff")
    te = _te_parameters(transverse_enhancement, qe_model)
    nucleus = nuclear_parameters(target)
    q, omega, mask = check_q_omega(q, omega)
    kf = nucleus.kf_superscaling
    qm, wm = q[mask], omega[mask]

    Q2 = qm**2 - wm**2
    kappa = qm / (2.0 * M_NUCLEON)
    tau = Q2 / (4.0 * M_NUCLEON**2)
    xi_f = np.sqrt(1.0 + (kf / M_NUCLEON) ** 2) - 1.0
    psi2 = scaling_variable(qm, wm, kf) ** 2
    f = scaling_function(scaling_variable(qm, wm, kf, nucleus.energy_shift), qe_model)

    gep, gen, gmp, gmn = sachs(Q2, ff)
    if te is not None:
        a_t, b_t = te
        boost2 = 1.0 + a_t * Q2 * np.exp(-Q2 / b_t)
        gmp2, gmn2 = gmp**2 * boost2, gmn**2 * boost2
    else:
        gmp2, gmn2 = gmp**2, gmn**2
    pauli = pauli_factor(qm, kf)
    ge2 = pauli * (nucleus.Z * gep**2 + nucleus.N * gen**2)
    gm2 = pauli * (nucleus.Z * gmp2 + nucleus.N * gmn2)

    w_bar = (ge2 + tau * gm2) / (1.0 + tau)
    delta = (
        xi_f
        * (1.0 - psi2)
        * (np.sqrt(tau * (1.0 + tau)) / kappa + xi_f / 3.0 * (1.0 - psi2) * tau / kappa**2)
    )
    denominator = 2.0 * kappa * (1.0 + xi_f * (1.0 + psi2) / 2.0)
    g_l = np.maximum(0.0, kappa**2 / tau * (ge2 + delta * w_bar) / denominator)
    g_t = np.maximum(0.0, (2.0 * tau * gm2 + delta * w_bar) / denominator)
    return scatter(mask, f * g_l / kf), scatter(mask, f * g_t / kf)


def quasielastic_cross_section(
    target, E, theta, omega, *, qe_model="susa", transverse_enhancement=None, ff="kelly"
):
    """Quasielastic d²σ/dΩdω = σ_M [v_L R_L + v_T R_T] per nucleus.

    Rosenbluth form of Donnelly & Sick, PRC 60, 065502 (1999): v_L = (Q²/q²)²,
    v_T = Q²/2q² + tan²(θ/2); responses from :func:`quasielastic_responses`.

    Parameters
    ----------
    target : str, Nucleus or (Z, A) tuple
        Nucleus with parameters in PHYSICS.md §3.
    E, theta, omega : array_like
        Beam energy [GeV], scattering angle [degrees], energy transfer [GeV].
    qe_model, transverse_enhancement, ff
        As in :func:`quasielastic_responses`.

    Returns
    -------
    ndarray
        [nb/(sr GeV)], broadcast shape; 0 for ω ≤ 0 or ω ≥ E.
    """
    E, theta, omega, physical = check_kinematics(E, theta, omega)
    Q2, q = electron_kinematics(E, theta, omega)
    r_l, r_t = quasielastic_responses(
        target,
        np.where(physical, q, 0.0),
        np.where(physical, omega, 0.0),
        qe_model=qe_model,
        transverse_enhancement=transverse_enhancement,
        ff=ff,
    )
    v_l = np.divide(Q2**2, q**4, out=np.zeros_like(q), where=physical)
    v_t = np.divide(Q2, 2.0 * q**2, out=np.zeros_like(q), where=physical)
    # σ_M tan²(θ/2) is taken as one factor so that backward angles up to 180° stay finite.
    return mott(E, theta) * (v_l * r_l + v_t * r_t) + mott_tan2(E, theta) * r_t
