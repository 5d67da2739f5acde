"""N → Δ(1232) transition: form factors, Breit–Wigner and hadronic structure functions.

Lalakulich & Paschos, PRD 71, 074003 (2005) structure functions in the form coded
in NuWro (PHYSICS.md §5.3): vector form factors of Lalakulich, Paschos & Piranishvili,
PRD 74, 014009 (2006); axial form factors of Graczyk et al., PRD 80, 093001 (2009).
Shared by the neutrino model (full V − A current) and the electron model (vector part).

All functions broadcast over their array arguments; energies in GeV.
"""

import numpy as np

from qestl.physics.constants import GAMMA_DELTA, M_DELTA, M_NUCLEON, M_PION

__all__ = [
    "W_THRESHOLD",
    "delta_form_factors",
    "pion_momentum",
    "delta_width",
    "breit_wigner",
    "delta_structure_functions",
]

#: Pion-production threshold M + m_π [GeV].
W_THRESHOLD = M_NUCLEON + M_PION
#: Vector mass of the N → Δ vector form factors [GeV] (Lalakulich et al. 2006).
_M_V_DELTA = 0.84


def _check_positive(name, value):
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def delta_form_factors(Q2, *, c5a0=1.19, axial_mass=0.94, vector_only=False):
    """N → Δ weak transition form factors C3V, C4V, C5V, C3A, C4A, C5A, C6A.

    PHYSICS.md §5.3 ("NuWro set 1"): C3V = 2.13 D_V/(1 + Q²/4M_V²),
    C4V = −1.51 D_V/(1 + Q²/4M_V²), D_V = (1 + Q²/M_V²)⁻², M_V = 0.84 GeV, C5V = 0
    (Lalakulich, Paschos & Piranishvili 2006); C5A = C5A(0)(1 + Q²/M_AΔ²)⁻², C4A = −C5A/4,
    C3A = 0, C6A = M² C5A/(Q² + m_π²) (pion pole; Graczyk et al. 2009).

    Parameters
    ----------
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²].
    c5a0 : float, default 1.19
        C5A(0).
    axial_mass : float, default 0.94
        Axial mass M_AΔ [GeV] (alternative 1.034).
    vector_only : bool, default False
        Set all axial form factors to zero (electromagnetic transition, PHYSICS.md §4.3).

    Returns
    -------
    C3V, C4V, C5V, C3A, C4A, C5A, C6A : ndarray
        Dimensionless, each with the shape of ``Q2``.
    """
    _check_positive("axial_mass", axial_mass)
    Q2 = np.asarray(Q2, dtype=float)
    dipole_v = (1.0 + Q2 / _M_V_DELTA**2) ** -2 / (1.0 + Q2 / (4.0 * _M_V_DELTA**2))
    c3v = 2.13 * dipole_v
    c4v = -1.51 * dipole_v
    zero = np.zeros_like(Q2)
    if vector_only:
        return c3v, c4v, zero, zero, zero, zero, zero
    c5a = c5a0 * (1.0 + Q2 / axial_mass**2) ** -2
    c6a = M_NUCLEON**2 * c5a / (Q2 + M_PION**2)
    return c3v, c4v, zero, zero, -0.25 * c5a, c5a, c6a


def pion_momentum(W):
    """Pion momentum in the πN rest frame of invariant mass W (zero below threshold).

    p_π(W) = √((W² + M² − m_π²)² − 4W²M²)/2W (PHYSICS.md §5.3).

    Parameters
    ----------
    W : float or array_like
        Invariant mass of the πN system [GeV].

    Returns
    -------
    ndarray
        p_π [GeV], shape of ``W``; 0 for W ≤ M + m_π.
    """
    W = np.asarray(W, dtype=float)
    disc = (W**2 + M_NUCLEON**2 - M_PION**2) ** 2 - 4.0 * W**2 * M_NUCLEON**2
    above = W > W_THRESHOLD
    safe_w = np.where(above, W, 1.0)
    return np.where(above, np.sqrt(np.where(above, disc, 0.0)) / (2.0 * safe_w), 0.0)


def delta_width(W):
    """Energy-dependent Δ width Γ(W) = Γ_Δ (p_π(W)/p_π(M_Δ))³ M_Δ/W (PHYSICS.md §5.3).

    The P-wave factor p_π³ makes the width vanish at the πN threshold (NuWro delta.cc).

    Parameters
    ----------
    W : float or array_like
        Invariant mass [GeV].

    Returns
    -------
    ndarray
        Γ(W) [GeV], shape of ``W``; 0 below threshold.
    """
    W = np.asarray(W, dtype=float)
    ratio = pion_momentum(W) / pion_momentum(M_DELTA)
    return GAMMA_DELTA * ratio**3 * M_DELTA / np.where(W > 0, W, 1.0)


def breit_wigner(W):
    """Relativistic Δ Breit–Wigner BW(W) = (1/π) M_Δ Γ(W)/[(W² − M_Δ²)² + M_Δ² Γ(W)²].

    Normalised in W² (∫BW dW² ≈ 1 for a narrow width); PHYSICS.md §5.3.

    Parameters
    ----------
    W : float or array_like
        Invariant mass of the hadronic system [GeV].

    Returns
    -------
    ndarray
        BW(W) [GeV⁻²], shape of ``W``; 0 for W ≤ M + m_π.

    Examples
    --------
    >>> round(float(breit_wigner(1.232)), 4)  # 1/(π M_Δ Γ_Δ) at the pole
    2.2083
    """
    W = np.asarray(W, dtype=float)
    width = delta_width(W)
    return width * M_DELTA / np.pi / ((W**2 - M_DELTA**2) ** 2 + (M_DELTA * width) ** 2)


def delta_structure_functions(W, Q2, *, c5a0=1.19, axial_mass=0.94, vector_only=False):
    """Hadronic structure functions Ŵ1…Ŵ5 of N → Δ, nucleon at rest, stable Δ of mass W.

    V1…V5 of Lalakulich & Paschos, PRD 71, 074003 (2005), eqs. in the form of NuWro
    delta.cc (PHYSICS.md §5.3), with P = p·q = (W² − M² + Q²)/2, X = P − Q²,
    S = P + M² + M M_Δ; Ŵ_i = V_i/(2M M_Δ) for i = 1…4 and Ŵ5 = V5/(M M_Δ).
    The Δ mass M_Δ = 1.232 GeV enters the vertex; W only through P.

    Parameters
    ----------
    W : float or array_like
        Invariant mass of the hadronic system [GeV].
    Q2 : float or array_like
        Four-momentum transfer squared [GeV²]; broadcast against ``W``.
    c5a0 : float, default 1.19
        Axial coupling C5A(0).
    axial_mass : float, default 0.94
        Axial mass M_AΔ [GeV].
    vector_only : bool, default False
        Keep only the vector current (all C^A = 0), as for electron scattering.

    Returns
    -------
    ndarray
        Shape ``(5,) + broadcast(W, Q2).shape``: Ŵ1…Ŵ5 (dimensionless).

    Examples
    --------
    >>> np.round(delta_structure_functions(1.232, 0.2), 4)
    array([ 1.9878,  1.2017, -5.8206, -3.892 ,  4.8162])
    """
    W, Q2 = np.broadcast_arrays(np.asarray(W, dtype=float), np.asarray(Q2, dtype=float))
    c3v, c4v, _, _, c4a, c5a, c6a = delta_form_factors(
        Q2, c5a0=c5a0, axial_mass=axial_mass, vector_only=vector_only
    )
    m, md = M_NUCLEON, M_DELTA
    m2, md2, mmd = m * m, md * md, m * md
    p = 0.5 * (W**2 - m2 + Q2)
    x = p - Q2
    s = p + m2 + mmd
    pq = 2.0 * p - Q2
    # Squares and products of the form factors; scalar factors are grouped so that
    # each term costs few passes over the (possibly 10⁶-element) arrays.
    v33, v44, v34 = c3v**2, c4v**2, c3v * c4v
    a44, a55, a45 = c4a**2, c5a**2, c4a * c5a

    v1 = (
        (2.0 / (m2 * md2)) * v33 * (x**2 * (p + m2) + md2 * (p**2 + Q2 * (m2 + mmd)))
        + (2.0 / m2**2) * v44 * x**2 * (p + m2 - mmd)
        + (2.0 / (m2 * mmd)) * v34 * x * (x * (p + m2 - 2.0 * mmd) + md2 * p)
        + 2.0 * (a44 * x**2 / m2**2 + a55 + (2.0 / m2) * a45 * x) * s
    )
    v2 = (
        Q2
        * (
            (2.0 / md2) * v33 * (p + m2 + md2)
            + (2.0 / m2) * v44 * (p + m2 - mmd)
            + (2.0 / mmd) * v34 * (p + (md - m) ** 2)
        )
        + 2.0 * (a55 * (m2 / md2) + a44 * Q2 / m2) * s
    )
    v3 = (-4.0 / md) * c3v * (c4a * x / m + c5a * m) * (2.0 * md2 + 2.0 * mmd + Q2 - p) - (
        4.0 * x * c4v * (c4a * x / m2 + c5a)
    )
    v4 = (
        (2.0 / md2) * v33 * (pq * (p + m2) - md2 * (m2 + mmd))
        + (2.0 / m2) * v44 * pq * (p + m2 - mmd)
        + (2.0 / mmd) * v34 * (pq * (p + m2 - 2.0 * mmd) + p * md2)
        + 2.0
        * (
            a55 * (m2 / md2)
            + a44 * pq / m2
            + c6a**2 * ((Q2 - p) ** 2 + Q2 * md2) / (m2 * md2)
            + 2.0 * a45
            - (2.0 / m2) * c4a * c6a * p
            - (2.0 / md2) * c5a * c6a * (md2 + Q2 - p)
        )
        * s
    )
    v5 = (
        p
        * (
            (2.0 / md2) * v33 * (p + m2 + md2)
            + (2.0 / m2) * v44 * (p + m2 - mmd)
            + (2.0 / mmd) * v34 * (p + (md - m) ** 2)
        )
        + 2.0
        * (a44 * p / m2 + a55 * (m2 / md2) + a45 - c4a * c6a * Q2 / m2 - c5a * c6a * (Q2 - p) / md2)
        * s
    )
    norm = 1.0 / (2.0 * mmd)
    return np.stack([v1 * norm, v2 * norm, v3 * norm, v4 * norm, v5 * (2.0 * norm)])
