"""Inclusive electron–nucleus cross section d²σ/dΩdω, "model E" (PHYSICS.md §4).

Three additive parts, each available on its own:

- quasielastic (QE): superscaling (SuSA) or relativistic-Fermi-gas scaling function
  times relativistic single-nucleon responses, with optional transverse enhancement;
- Δ(1232): N→Δ electroexcitation smeared over a Fermi sphere;
- inelastic tail (off by default): Bodek–Yang-like toy structure functions.

Validity (PHYSICS.md §4.5, §7.1). Good: the QE peak for A ≥ 4, q ≳ 0.3 GeV,
Q² ≲ 1 GeV² (peak heights within ≈ 20 %); the Δ peak within ≈ 20 %. Poor: the dip
between QE and Δ (no meson-exchange currents: −40 … −60 %), W > 1.5 GeV (toy tail,
off by a factor 1.5–3), x > 1 tails at Q² > 1.5 GeV² (no short-range correlations),
q < 0.3 GeV and ω < 30 MeV (giant resonances, discrete states), 2H and 3He (scaling
fails) and heavy nuclei at E < 1 GeV (no Coulomb distortion: 208Pb peaks sit ≈ 20 MeV
low).

Targets are names (``'12C'``, ``'carbon'``), :class:`~qestl.datasets.targets.Nucleus`
objects or ``(Z, A)`` pairs; a pair must be one of the tabulated nuclei of
:func:`qestl.physics.nuclei.nuclear_parameters`. Energies are in GeV, angles in degrees,
cross sections per nucleus in nb/(sr GeV), responses and structure functions per
nucleus in GeV⁻¹.
"""

import numpy as np

from qestl.kinematics import q2_electron
from qestl.physics.constants import ALPHA, HBARC2_NB, M_DELTA, M_NUCLEON, M_PION
from qestl.physics.formfactors import SACHS_MODELS, sachs
from qestl.physics.nuclei import nuclear_parameters
from qestl.physics.partons import electron_structure_functions
from qestl.physics.resonance import breit_wigner, delta_structure_functions

__all__ = [
    "QE_MODELS",
    "TRANSVERSE_ENHANCEMENT",
    "mott",
    "scaling_variable",
    "scaling_function",
    "pauli_factor",
    "quasielastic_responses",
    "delta_structure_functions_nucleon",
    "delta_structure_functions_nucleus",
    "inelastic_structure_functions",
    "quasielastic_cross_section",
    "delta_cross_section",
    "inelastic_cross_section",
    "components",
    "cross_section",
]

#: Scaling functions accepted as ``qe_model``.
QE_MODELS = ("susa", "rfg")
#: Default transverse enhancement (A_T, B_T [GeV²]): GENIE's carbon values from
#: Bodek, Christy & Coopersmith, EPJC 74, 3091 (2014).
TRANSVERSE_ENHANCEMENT = (5.19, 0.376)

# Amaro et al., PRC 71, 015501 (2005): fit of the longitudinal superscaling function,
# parameters as coded in the JLab F1F209 routine.
_SUSA_P = (1.5576, 1.7720, -0.3014, 2.4291)
# Fermi-sphere average of the Δ part: 24-point Gauss-Legendre nodes on u ∈ [−1, 1].
_GL_U, _GL_W = np.polynomial.legendre.leggauss(24)
_DELTA_BLOCK = 4096


# --------------------------------------------------------------------------- input


def _check_kinematics(E, theta, omega):
    """Broadcast and validate (E, θ, ω); also return the mask 0 < ω < E."""
    E, theta, omega = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (E, theta, omega)))
    if not np.all(np.isfinite(E) & (E > 0)):
        raise ValueError("beam energy E must be finite and > 0 GeV")
    if not np.all((theta > 0) & (theta <= 180)):
        raise ValueError("scattering angle theta must lie in (0, 180] degrees")
    if not np.all(np.isfinite(omega)):
        raise ValueError("energy transfer omega must be finite")
    return E, theta, omega, (omega > 0) & (omega < E)


def _check_q_omega(q, omega):
    """Broadcast (q, ω); also return the mask of the spacelike region 0 < ω < q."""
    q, omega = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(omega, dtype=float))
    if not np.all(np.isfinite(q) & np.isfinite(omega)):
        raise ValueError("q and omega must be finite")
    return q, omega, (omega > 0) & (q > omega)


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


def _check_choice(value, allowed, what):
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; use one of {allowed}")


def _electron_kinematics(E, theta, omega):
    """Q² [GeV²] and q [GeV] with the electron mass neglected (PHYSICS.md §4.1)."""
    Q2 = q2_electron(E, theta, omega)
    return Q2, np.sqrt(Q2 + omega**2)


def _scatter(mask, values):
    """Put values computed on ``mask`` into a zero array of the mask's shape."""
    out = np.zeros(mask.shape)
    out[mask] = values
    return out


# --------------------------------------------------------------------------- Mott


def mott(E, theta):
    """Mott cross section σ_M = (ħc)² α² cos²(θ/2) / (4E² sin⁴(θ/2)), no recoil factor.

    Donnelly & Sick, PRC 60, 065502 (1999), eq. (1); PHYSICS.md §4.1.

    Parameters
    ----------
    E : float or array_like
        Beam energy [GeV], > 0.
    theta : float or array_like
        Scattering angle [degrees], in (0, 180].

    Returns
    -------
    ndarray
        σ_M [nb/sr], broadcast shape (0 at 180°).

    Examples
    --------
    >>> round(float(mott(0.56, 60.0)), 2)
    198.36
    """
    E, theta, _, _ = _check_kinematics(E, theta, 0.0)
    cos2 = np.cos(np.deg2rad(theta) / 2.0) ** 2
    return _mott_tan2(E, theta) * cos2 / (1.0 - cos2)


def _mott_tan2(E, theta):
    """σ_M tan²(θ/2) = (ħc)² α² / (4E² sin²(θ/2)) [nb/sr], finite at θ = 180°."""
    return HBARC2_NB * ALPHA**2 / (4.0 * E**2 * np.sin(np.deg2rad(theta) / 2.0) ** 2)


# --------------------------------------------------------------------------- QE


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
    _check_choice(model, QE_MODELS, "qe_model")
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
    _check_choice(qe_model, QE_MODELS, "qe_model")
    _check_choice(ff, SACHS_MODELS, "form-factor model ff")
    te = _te_parameters(transverse_enhancement, qe_model)
    nucleus = nuclear_parameters(target)
    q, omega, mask = _check_q_omega(q, omega)
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
    return _scatter(mask, f * g_l / kf), _scatter(mask, f * g_t / kf)


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
    E, theta, omega, physical = _check_kinematics(E, theta, omega)
    Q2, q = _electron_kinematics(E, theta, omega)
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
    return mott(E, theta) * (v_l * r_l + v_t * r_t) + _mott_tan2(E, theta) * r_t


# --------------------------------------------------------------------------- Δ(1232)


def delta_structure_functions_nucleon(W, Q2):
    """Electromagnetic N→Δ(1232) structure functions W₁, W₂ of one nucleon at rest.

    W_i = (2M_Δ/3) BW(W) Ŵ_i(W, Q²)|_{C^A=0}: the vector part of the Lalakulich–Paschos
    Δ⁺⁺ structure functions (PRD 71, 074003 (2005); PHYSICS.md §5.3) divided by 3,
    since |⟨Δ⁺⁺|V⁺|p⟩|² = 3|⟨Δ⁺|J_em|p⟩|² (the same for n → Δ⁰). PHYSICS.md §4.3.
    At W = M_Δ, Q² = 0 the photoabsorption σ_T = 4π²α W₁/K, K = (W² − M²)/2M, is 0.424 mb.

    Parameters
    ----------
    W : array_like
        Hadronic invariant mass [GeV], above M + m_π.
    Q2 : array_like
        Four-momentum transfer squared [GeV²].

    Returns
    -------
    W1, W2 : ndarray
        [GeV⁻¹] per nucleon, broadcast shape.
    """
    hat = delta_structure_functions(W, Q2, vector_only=True)
    scale = (2.0 * M_DELTA / 3.0) * breit_wigner(W)
    return scale * hat[0], scale * hat[1]


def delta_structure_functions_nucleus(target, q, omega):
    """Fermi-smeared N→Δ(1232) structure functions W₁^A, W₂^A per nucleus.

    The nucleon functions of :func:`delta_structure_functions_nucleon`, averaged over a
    Fermi sphere:
    W_i^A = A ∫ du (3/4)(1 − u²) W_i^{N→Δ}(W_u, Q²) with
    W_u² = M² + 2Mω − Q² − 2E_s(M + ω) + 2qk_F u (Bosted-style smearing; a qestl
    construction, PHYSICS.md §4.3), 24-point Gauss–Legendre, terms with W_u ≤ M + m_π
    dropped.

    Parameters
    ----------
    target : str, Nucleus or (Z, A) tuple
        Nucleus with superscaling parameters (k_F, E_s of PHYSICS.md §3).
    q, omega : array_like
        Three-momentum and energy transfer [GeV].

    Returns
    -------
    W1, W2 : ndarray
        [GeV⁻¹], broadcast shape; 0 outside 0 < ω < q.
    """
    nucleus = nuclear_parameters(target)
    q, omega, mask = _check_q_omega(q, omega)
    qm, wm = q[mask], omega[mask]
    W1, W2 = np.empty(qm.shape), np.empty(qm.shape)
    # Blocks keep the (points × 24 nodes) temporaries cache-sized: ≈ 2× faster at 1e5 points.
    for start in range(0, qm.size, _DELTA_BLOCK):
        block = slice(start, start + _DELTA_BLOCK)
        W1[block], W2[block] = _fermi_averaged_delta(nucleus, qm[block, None], wm[block, None])
    return _scatter(mask, W1), _scatter(mask, W2)


def _fermi_averaged_delta(nucleus, q, omega):
    """W₁^A, W₂^A for q, ω of shape (n, 1), the Gauss–Legendre nodes on the last axis."""
    Q2 = q**2 - omega**2
    w2 = (
        M_NUCLEON**2
        + 2.0 * M_NUCLEON * omega
        - Q2
        - 2.0 * nucleus.energy_shift * (M_NUCLEON + omega)
        + 2.0 * q * nucleus.kf_superscaling * _GL_U
    )
    above = w2 > (M_NUCLEON + M_PION) ** 2
    weights = nucleus.A * _GL_W * 0.75 * (1.0 - _GL_U**2)
    Q2_above = np.broadcast_to(Q2, w2.shape)[above]
    w1_terms, w2_terms = np.zeros(w2.shape), np.zeros(w2.shape)
    w1_terms[above], w2_terms[above] = delta_structure_functions_nucleon(
        np.sqrt(w2[above]), Q2_above
    )
    return w1_terms @ weights, w2_terms @ weights


def _structure_function_cross_section(structure_functions, target, E, theta, omega):
    """σ_M [W₂ + 2W₁ tan²(θ/2)] with ``structure_functions(target, q, omega)`` [nb/(sr GeV)].

    Zero outside the physical region 0 < ω < E.
    """
    E, theta, omega, physical = _check_kinematics(E, theta, omega)
    _, q = _electron_kinematics(E, theta, omega)
    W1, W2 = structure_functions(target, np.where(physical, q, 0.0), np.where(physical, omega, 0.0))
    total = mott(E, theta) * W2 + 2.0 * _mott_tan2(E, theta) * W1
    return np.where(physical, total, 0.0)


def delta_cross_section(target, E, theta, omega):
    """Δ(1232) part of d²σ/dΩdω = σ_M [W₂^A + 2W₁^A tan²(θ/2)] per nucleus.

    Structure functions from :func:`delta_structure_functions_nucleus` (PHYSICS.md §4.3).
    At W = M_Δ, Q² = 0 they give σ_T(γp → Δ) = 0.424 mb.

    Parameters
    ----------
    target : str, Nucleus or (Z, A) tuple
        Nucleus with parameters in PHYSICS.md §3.
    E, theta, omega : array_like
        Beam energy [GeV], scattering angle [degrees], energy transfer [GeV].

    Returns
    -------
    ndarray
        [nb/(sr GeV)], broadcast shape; 0 for ω ≤ 0 or ω ≥ E.
    """
    return _structure_function_cross_section(
        delta_structure_functions_nucleus, target, E, theta, omega
    )


# --------------------------------------------------------------------------- inelastic


def inelastic_structure_functions(target, q, omega):
    """Inelastic-tail structure functions W₁, W₂ per nucleus on nucleons at rest.

    Toy-PDF F₂^{eN} with Bodek–Yang ξ_w and K factors (PHYSICS.md §4.4, a qestl
    choice), summed Z·p + N·n and multiplied by the ramp r(W) = clip((W − 1.4)/0.2, 0, 1)
    of PHYSICS.md §5.4; W² = M² + 2Mω − Q². Poor above W ≈ 1.5 GeV (factor 1.5–3).

    Parameters
    ----------
    target : str, Nucleus or (Z, A) tuple
        Nucleus (Z and N are used).
    q, omega : array_like
        Three-momentum and energy transfer [GeV].

    Returns
    -------
    W1, W2 : ndarray
        [GeV⁻¹], broadcast shape; 0 outside 0 < ω < q and below the pion threshold.
    """
    nucleus = nuclear_parameters(target)
    q, omega, mask = _check_q_omega(q, omega)
    Q2 = q**2 - omega**2
    w2 = M_NUCLEON**2 + 2.0 * M_NUCLEON * omega - Q2
    mask &= w2 > (M_NUCLEON + M_PION) ** 2
    W1, W2 = electron_structure_functions(np.sqrt(w2[mask]), Q2[mask], nucleus.Z, nucleus.N)
    return _scatter(mask, W1), _scatter(mask, W2)


def inelastic_cross_section(target, E, theta, omega):
    """Inelastic-tail part of d²σ/dΩdω = σ_M [W₂ + 2W₁ tan²(θ/2)] per nucleus.

    Structure functions from :func:`inelastic_structure_functions` (PHYSICS.md §4.4).

    Parameters
    ----------
    target : str, Nucleus or (Z, A) tuple
        Nucleus.
    E, theta, omega : array_like
        Beam energy [GeV], scattering angle [degrees], energy transfer [GeV].

    Returns
    -------
    ndarray
        [nb/(sr GeV)], broadcast shape; 0 for ω ≤ 0 or ω ≥ E.
    """
    return _structure_function_cross_section(inelastic_structure_functions, target, E, theta, omega)


# --------------------------------------------------------------------------- total


def components(
    target,
    E,
    theta,
    omega,
    *,
    qe_model="susa",
    transverse_enhancement=None,
    delta=True,
    inelastic=False,
    ff="kelly",
):
    """The parts of the inclusive cross section, each in nb/(sr GeV) per nucleus.

    Parameters
    ----------
    target, E, theta, omega, qe_model, transverse_enhancement, delta, inelastic, ff
        As in :func:`cross_section`.

    Returns
    -------
    dict of str to ndarray
        ``"qe"`` always, ``"delta"`` and ``"inelastic"`` when switched on; each with the
        broadcast shape of (E, theta, omega).
    """
    parts = {
        "qe": quasielastic_cross_section(
            target,
            E,
            theta,
            omega,
            qe_model=qe_model,
            transverse_enhancement=transverse_enhancement,
            ff=ff,
        )
    }
    if delta:
        parts["delta"] = delta_cross_section(target, E, theta, omega)
    if inelastic:
        parts["inelastic"] = inelastic_cross_section(target, E, theta, omega)
    return parts


def cross_section(
    target,
    E,
    theta,
    omega,
    *,
    qe_model="susa",
    transverse_enhancement=None,
    delta=True,
    inelastic=False,
    ff="kelly",
):
    """Inclusive electron–nucleus cross section d²σ/dΩdω (model E, PHYSICS.md §4).

    Sum of the quasielastic (:func:`quasielastic_cross_section`), Δ(1232)
    (:func:`delta_cross_section`) and, optionally, inelastic-tail
    (:func:`inelastic_cross_section`) parts. See the module docstring for where the
    model is reliable: QE peaks of A ≥ 4 at q ≳ 0.3 GeV, Q² ≲ 1 GeV² within ≈ 20 %;
    the QE–Δ dip 40–60 % low; no Coulomb distortion.

    Parameters
    ----------
    target : str, Nucleus or (Z, A) tuple
        ``'12C'``, ``'carbon'``, ``Nucleus(...)`` or ``(6, 12)``; the nucleus needs
        superscaling parameters (:func:`qestl.physics.nuclei.nuclear_parameters`).
    E : float or array_like
        Beam energy [GeV], > 0.
    theta : float or array_like
        Electron scattering angle [degrees], in (0, 180]; 180° (transverse only) is fine.
    omega : float or array_like
        Energy transfer E − E′ [GeV].
    qe_model : {"susa", "rfg"}, default "susa"
        Superscaling fit of Amaro et al. (2005) or the relativistic-Fermi-gas parabola.
    transverse_enhancement : None, bool or (float, float), default None
        Bodek et al. enhancement of G_M: True = (A_T, B_T) = (5.19, 0.376 GeV²), False,
        or a pair. None means on for ``"susa"`` and off for ``"rfg"`` (PHYSICS.md §7.1:
        the RFG parabola is already ≈ 20 % above SuSA at the peak).
    delta : bool, default True
        Include the Fermi-smeared Δ(1232).
    inelastic : bool, default False
        Include the toy inelastic tail (W ≳ 1.4 GeV).
    ff : {"kelly", "dipole", "bbba05"}, default "kelly"
        Nucleon form factors of the QE part.

    Returns
    -------
    ndarray
        d²σ/dΩdω [nb/(sr GeV)] per nucleus, broadcast shape of (E, theta, omega);
        0 for ω ≤ 0 or ω ≥ E.

    Raises
    ------
    ValueError
        For E ≤ 0, θ outside (0, 180], non-finite ω, an unknown option or a nucleus
        without parameters.

    Examples
    --------
    >>> round(float(cross_section("12C", 0.56, 60.0, 0.14, delta=False)))
    5386
    """
    parts = components(
        target,
        E,
        theta,
        omega,
        qe_model=qe_model,
        transverse_enhancement=transverse_enhancement,
        delta=delta,
        inelastic=inelastic,
        ff=ff,
    )
    return sum(parts.values())
