"""Toy parton densities and Bodek–Yang-corrected structure functions of the inelastic tail.

The valence and sea shapes are a qestl choice (PHYSICS.md §5.4), normalised to the
quark-number sum rules; the scaling variable ξ_w and the K factors are those of
Bodek & Yang, J. Phys. G 29, 1899 (2003) (2003 parameters, as in GENIE's BYStrucFunc),
which were fitted for GRV98 and are applied to the toy PDFs here. Weak structure
functions feed the neutrino DIS tail (§5.4), electromagnetic ones the optional
inelastic tail of the electron model (§4.4). Energies in GeV; arrays broadcast.
"""

import numpy as np

from qestl.physics.constants import COS_CABIBBO, DIPOLE_MASS2, M_NUCLEON, M_PROTON
from qestl.physics.probes import check_nucleon, probe_sign

__all__ = [
    "KAPPA_DIS",
    "toy_pdfs",
    "bodek_yang_xi",
    "bodek_yang_k_factors",
    "dis_ramp",
    "weak_structure_functions",
    "electron_structure_functions",
]

#: Overall normalisation of the toy-PDF structure functions (qestl tune, §5.4).
KAPPA_DIS = 1.19
#: Lower edge and length of the RES → DIS ramp in W [GeV] (qestl choice, §5.4).
_RAMP_START, _RAMP_LENGTH = 1.4, 0.2
#: Bodek–Yang (2003) ξ_w parameters A [dimensionless], B [GeV²].
_BY_A, _BY_B = 0.538, 0.305
#: Bodek–Yang (2003) valence (C_v1, C_v2) for u and d, and sea C_s [GeV²].
_BY_CV_U, _BY_CV_D = (0.291, 0.189), (0.202, 0.255)
_BY_CS_U, _BY_CS_D = 0.363, 0.621


def toy_pdfs(x):
    """Toy momentum densities x u_v, x d_v and x S of the proton (one sea flavour).

    x u_v = 2.1875 x^½ (1 − x)³, x d_v = 1.2305 x^½ (1 − x)⁴ (∫u_v dx = 2, ∫d_v dx = 1),
    x S = 0.63 (1 − x)⁷ for each of ū, d̄ (and u, d sea); PHYSICS.md §5.4, qestl choice.

    Parameters
    ----------
    x : float or array_like
        Momentum fraction, clipped to [0, 1].

    Returns
    -------
    xuv, xdv, xsea : ndarray
        Each with the shape of ``x``.

    Examples
    --------
    >>> [round(float(f), 4) for f in toy_pdfs(0.1)]
    [0.5043, 0.2553, 0.3013]
    """
    x = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
    one_minus = 1.0 - x
    root = np.sqrt(x)
    return 2.1875 * root * one_minus**3, 1.2305 * root * one_minus**4, 0.63 * one_minus**7


def bodek_yang_xi(x, Q2):
    """Bodek–Yang scaling variable ξ_w (Bodek & Yang 2003, eq. 8 with 2003 parameters).

    ξ_w = 2x(Q² + B)/(Q²[1 + √(1 + 4M_p²x²/Q²)] + 2Ax), A = 0.538, B = 0.305 GeV².

    Parameters
    ----------
    x : float or array_like
        Bjorken x.
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²].

    Returns
    -------
    ndarray
        ξ_w, broadcast shape; 0 where x = Q² = 0.
    """
    x, Q2 = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(Q2, dtype=float))
    # Q²·√(1 + 4M²x²/Q²) written without dividing by Q², so Q² = 0 is harmless.
    denominator = Q2 + np.sqrt(Q2**2 + 4.0 * M_PROTON**2 * x**2 * Q2) + 2.0 * _BY_A * x
    numerator = 2.0 * x * (Q2 + _BY_B)
    safe = denominator > 0
    return np.where(safe, numerator / np.where(safe, denominator, 1.0), 0.0)


def bodek_yang_k_factors(Q2):
    """Bodek–Yang low-Q² K factors of the valence and sea quarks (2003 parameters).

    K_v = (1 − G_D²)(Q² + C_v2)/(Q² + C_v1), K_s = Q²/(Q² + C_s), with G_D the dipole
    form factor (PHYSICS.md §5.4; Bodek & Yang 2003, eqs. 9–10).

    Parameters
    ----------
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²], ≥ 0.

    Returns
    -------
    k_uv, k_dv, k_su, k_sd : ndarray
        Each with the shape of ``Q2``; all vanish at Q² = 0 and tend to 1 at large Q².
    """
    Q2 = np.asarray(Q2, dtype=float)
    suppression = 1.0 - (1.0 + Q2 / DIPOLE_MASS2) ** -4
    k_uv = suppression * (Q2 + _BY_CV_U[1]) / (Q2 + _BY_CV_U[0])
    k_dv = suppression * (Q2 + _BY_CV_D[1]) / (Q2 + _BY_CV_D[0])
    return k_uv, k_dv, Q2 / (Q2 + _BY_CS_U), Q2 / (Q2 + _BY_CS_D)


def dis_ramp(W):
    """RES → DIS transition ramp r(W) = clip((W − 1.4)/0.2, 0, 1) (qestl choice, §5.4).

    Parameters
    ----------
    W : float or array_like
        Hadronic invariant mass [GeV].

    Returns
    -------
    ndarray
        r(W) in [0, 1], shape of ``W``.
    """
    return np.clip((np.asarray(W, dtype=float) - _RAMP_START) / _RAMP_LENGTH, 0.0, 1.0)


def _bjorken(W, Q2):
    """Energy transfer ν_h = (W² − M² + Q²)/2M and x = Q²/2Mν_h of a nucleon at rest."""
    W, Q2 = np.broadcast_arrays(np.asarray(W, dtype=float), np.asarray(Q2, dtype=float))
    nu = (W**2 - M_NUCLEON**2 + Q2) / (2.0 * M_NUCLEON)
    inelastic = (W > M_NUCLEON) & (Q2 >= 0)
    x = np.where(inelastic, Q2 / (2.0 * M_NUCLEON * np.where(inelastic, nu, 1.0)), 0.0)
    return nu, x, inelastic


def _corrected_pdfs(x, Q2):
    """K-factor-weighted proton densities K·xq at ξ_w: (u_v, d_v, ū-type sea, d̄-type sea)."""
    xi = bodek_yang_xi(x, Q2)
    xuv, xdv, xsea = toy_pdfs(xi)
    k_uv, k_dv, k_su, k_sd = bodek_yang_k_factors(Q2)
    return k_uv * xuv, k_dv * xdv, k_su * xsea, k_sd * xsea


def _from_f2(F2, x, Q2):
    """F1 from the Callan–Gross-like relation 2xF1 = F2 (1 + 4M²x²/Q²) (0 where x = 0)."""
    positive = x > 0
    safe_x = np.where(positive, x, 1.0)
    safe_q2 = np.where(positive, Q2, 1.0)
    F1 = F2 * (1.0 + 4.0 * M_NUCLEON**2 * safe_x**2 / safe_q2) / (2.0 * safe_x)
    return np.where(positive, F1, 0.0), safe_x, positive


def weak_structure_functions(W, Q2, *, probe="numu", nucleon="p"):
    """Charged-current structure functions F1…F5 of one free nucleon (no RES/DIS ramp).

    PHYSICS.md §5.4: V = K_v ξ q_v(ξ_w) with q_v = d_v for ν p, ν̄ n and u_v for ν n, ν̄ p
    (neutron densities by isospin, u ↔ d), F2 = 2κ cos²θ_C [V + (K_su + K_sd) ξS],
    xF3 = 2κ cos²θ_C V, 2xF1 = F2 (1 + 4M²x²/Q²), F4 = 0, F5 = F2/x
    (Albright & Jarlskog 1975). κ = 1.19.

    Parameters
    ----------
    W : float or array_like
        Hadronic invariant mass [GeV].
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²]; broadcast against ``W``.
    probe : {"numu", "numubar"}, default "numu"
        Incoming (anti)neutrino.
    nucleon : {"p", "n"}, default "p"
        Struck nucleon.

    Returns
    -------
    ndarray
        Shape ``(5,) + broadcast(W, Q2).shape``: F1…F5 (dimensionless); 0 where W ≤ M
        or Q² ≤ 0.

    Raises
    ------
    ValueError
        For an unknown probe or nucleon.
    """
    probe_sign(probe)
    check_nucleon(nucleon)
    _, x, inelastic = _bjorken(W, Q2)
    Q2 = np.broadcast_to(np.asarray(Q2, dtype=float), x.shape)
    uv, dv, su, sd = _corrected_pdfs(x, Q2)
    # ν turns d into u: valence d of the proton, valence d of the neutron (= u_v of the proton).
    valence = dv if (probe == "numu") == (nucleon == "p") else uv
    norm = 2.0 * KAPPA_DIS * COS_CABIBBO**2
    F2 = np.where(inelastic, norm * (valence + su + sd), 0.0)
    xF3 = np.where(inelastic, norm * valence, 0.0)
    F1, safe_x, positive = _from_f2(F2, x, Q2)
    F3 = np.where(positive, xF3 / safe_x, 0.0)
    F5 = np.where(positive, F2 / safe_x, 0.0)
    return np.stack([F1, F2, F3, np.zeros_like(F2), F5])


def electron_structure_functions(W, Q2, Z, N):
    """Inelastic electromagnetic structure functions W1, W2 of a nucleus (incoherent sum).

    PHYSICS.md §4.4 (qestl choice): F2^{ep} = κ[(4/9)(K_uv ξu_v + 2K_su ξS)
    + (1/9)(K_dv ξd_v + 2K_sd ξS)] at ξ_w, neutron by u ↔ d; 2xF1 = F2 (1 + 4M²x²/Q²);
    W2 = F2/ν, W1 = F1/M; summed as Z·p + N·n and multiplied by the ramp r(W) of §5.4.
    Valid only as a rough tail: factor 1.5–3 uncertain above W = 1.5 GeV (§4.5).

    Parameters
    ----------
    W : float or array_like
        Hadronic invariant mass for a nucleon at rest [GeV].
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²]; broadcast against ``W``.
    Z, N : int
        Proton and neutron numbers.

    Returns
    -------
    W1, W2 : ndarray
        Per nucleus [GeV⁻¹], broadcast shape of ``W`` and ``Q2``; 0 for W ≤ 1.4 GeV.

    Raises
    ------
    ValueError
        If Z or N is negative.
    """
    if Z < 0 or N < 0:
        raise ValueError(f"Z and N must be >= 0, got Z={Z!r}, N={N!r}")
    nu, x, inelastic = _bjorken(W, Q2)
    Q2 = np.broadcast_to(np.asarray(Q2, dtype=float), x.shape)
    uv, dv, su, sd = _corrected_pdfs(x, Q2)
    up_like = uv + 2.0 * su
    down_like = dv + 2.0 * sd
    f2_p = (4.0 / 9.0) * up_like + (1.0 / 9.0) * down_like
    f2_n = (4.0 / 9.0) * down_like + (1.0 / 9.0) * up_like
    F2 = np.where(inelastic, KAPPA_DIS * (Z * f2_p + N * f2_n) * dis_ramp(W), 0.0)
    F1, _, _ = _from_f2(F2, x, Q2)
    safe_nu = np.where(inelastic, nu, 1.0)
    return F1 / M_NUCLEON, np.where(inelastic, F2 / safe_nu, 0.0)
