"""Weighted trials of the neutrino generator: proposal, weight and lab muon (PHYSICS.md §5.2, §6).

A trial draws a bound nucleon (:mod:`.nuclear`), proposes W and Q² from a
channel-specific importance density and weighs the proposal by the free-nucleon
cross section of :mod:`.free_nucleon` over its density; :func:`muon` builds
the lab muon and applies Pauli blocking. :mod:`.generator` tabulates and
unweights them.
"""

from typing import NamedTuple

import numpy as np

from qestl.physics.constants import M_DELTA, M_MUON, M_NEUTRON, M_PROTON
from qestl.physics.neutrino import free_nucleon
from qestl.physics.neutrino.free_nucleon import W_DIS_MIN
from qestl.physics.neutrino.nuclear import pauli_allowed, sample_nucleons
from qestl.physics.probes import probe_sign
from qestl.physics.resonance import W_THRESHOLD

__all__ = ["MAX_BATCH", "Trials", "muon", "propose", "trial_weights"]

#: Trials per batch (memory of the temporaries).
MAX_BATCH = 1_000_000
# Proposal scales (§6): Cauchy width of the Δ proposal [GeV], Q² scale of RES/DIS [GeV²].
_RES_WIDTH = 0.12
_Q2_SCALE2 = 1.0


class Trials(NamedTuple):
    """Proposed trials, one per row (arrays of length n, GeV).

    ``weight`` [cm² per nucleus] averages to σ_c; for QE it is the weight before the
    Pauli test, which :func:`muon` applies. The rest is what the lab muon needs:
    lab neutrino energy, nucleon energy and momentum, and the P-frame quantities √s,
    k*, E_ℓ*, p_ℓ*, cos θ*.
    """

    weight: np.ndarray
    Q2: np.ndarray
    W: np.ndarray
    is_proton: np.ndarray
    kf_final: np.ndarray
    E: np.ndarray
    e_nucleon: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    sqrt_s: np.ndarray
    k_star: np.ndarray
    e_star: np.ndarray
    p_star: np.ndarray
    cos_star: np.ndarray

    def take(self, rows):
        """The trials at ``rows`` (index or mask)."""
        return Trials(*(column[rows] for column in self))


def _sample_q2(lo, hi, scale2, power, rng):
    """Q² from g ∝ (1 + Q²/Λ²)^(−power) on [lo, hi], power 1 or 2; returns (Q², g).

    Analytic inverse CDFs: for power 2, u = 1/(1 + Q²/Λ²) is uniform; for power 1,
    ln(1 + Q²/Λ²) is uniform.
    """
    r = rng.random(lo.shape)
    if power == 2:
        u_lo, u_hi = 1.0 / (1.0 + lo / scale2), 1.0 / (1.0 + hi / scale2)
        u = u_hi + (u_lo - u_hi) * r
        return scale2 * (1.0 / u - 1.0), u * u / (scale2 * (u_lo - u_hi))
    t_lo, t_hi = np.log1p(lo / scale2), np.log1p(hi / scale2)
    t = t_lo + (t_hi - t_lo) * r
    return scale2 * np.expm1(t), np.exp(-t) / (scale2 * (t_hi - t_lo))


def _sample_w(channel, w_hi, model, rng):
    """Hadronic mass W, its proposal density g_W and the open-range mask (§6).

    RES: W on [M + m_π, min(w_hi, W_RES)]; DIS: W on [1.4 GeV, w_hi], w_hi = √s − m_μ.
    """
    r = rng.random(w_hi.shape)
    if channel == "RES":
        # Cauchy(M_Δ, 0.12 GeV) truncated by inverting its arctan CDF.
        hi = np.minimum(w_hi, model.w_res_max)
        a_lo = np.arctan((W_THRESHOLD - M_DELTA) / _RES_WIDTH)
        a_hi = np.arctan((hi - M_DELTA) / _RES_WIDTH)
        W = M_DELTA + _RES_WIDTH * np.tan(a_lo + (a_hi - a_lo) * r)
        g = _RES_WIDTH / ((a_hi - a_lo) * ((W - M_DELTA) ** 2 + _RES_WIDTH**2))
        return W, g, hi > W_THRESHOLD
    # DIS: W² uniform, so g_W = 2W / (W²_max − W²_min).
    w2_lo, w2_hi = W_DIS_MIN**2, w_hi**2
    W = np.sqrt(w2_lo + (w2_hi - w2_lo) * r)
    return W, 2.0 * W / (w2_hi - w2_lo), w_hi > W_DIS_MIN


def _free_cross_section(channel, E, Q2, W, is_proton, probe, model):
    """Free-nucleon dσ/dQ² (QE) or d²σ/dQ²dW (RES, DIS) per nucleon [cm²/GeV² or /GeV³]."""
    if channel == "QE":
        return free_nucleon.qe_dsigma_dq2(
            E, Q2, probe=probe, axial_mass=model.axial_mass, lepton_mass=M_MUON
        )
    out = np.zeros_like(E)
    for nucleon, rows in (("p", is_proton), ("n", ~is_proton)):
        if channel == "RES":
            out[rows] = free_nucleon.delta_d2sigma_dq2dw(
                E[rows], Q2[rows], W[rows], probe=probe, nucleon=nucleon,
                axial_mass=model.delta_axial_mass, c5a0=model.c5a0, w_max=model.w_res_max,
            )  # fmt: skip
        else:
            out[rows] = free_nucleon.dis_d2sigma_dq2dw(
                E[rows], Q2[rows], W[rows], probe=probe, nucleon=nucleon
            )
    return out


def propose(channel, E, params, probe, model, rng):
    """One weighted trial per neutrino energy in ``E`` (PHYSICS.md §5.2, §6).

    Parameters
    ----------
    channel : {"QE", "RES", "DIS"}
    E : ndarray, shape (n,)
        Lab neutrino energies [GeV], neutrino along +z.
    params : NuclearParameters
    probe : {"numu", "numubar"}
    model : NeutrinoModel
    rng : numpy.random.Generator

    Returns
    -------
    Trials
        Rows with zero weight carry meaningless kinematics.
    """
    n = E.size
    antineutrino = probe_sign(probe) < 0
    if channel == "QE":
        # ν n → μ⁻ p, ν̄ p → μ⁺ n: the struck species is fixed, N or Z targets.
        is_proton = np.full(n, antineutrino)
        multiplicity = params.Z if antineutrino else params.N
        W = np.full(n, M_NEUTRON if antineutrino else M_PROTON)
    else:
        is_proton = rng.random(n) < params.Z / params.A
        multiplicity = params.A
    hit = sample_nucleons(params, is_proton, model.fermi_gas, rng)
    mt2 = hit.mass2
    px, py, pz = hit.momentum.T
    # P = k + p̃ with k = (E, 0, 0, E); k·p̃ = E (E_N − p_z).
    k_dot_p = E * (hit.energy - pz)
    s = mt2 + 2.0 * k_dot_p
    sqrt_s = np.sqrt(s)
    e_rest = k_dot_p / np.sqrt(mt2)
    m2 = M_MUON**2

    with np.errstate(invalid="ignore", divide="ignore"):
        if channel == "QE":
            g_w, valid = np.ones(n), sqrt_s > W + M_MUON
        else:
            W, g_w, valid = _sample_w(channel, sqrt_s - M_MUON, model, rng)
        # Muon energy and momentum in the P rest frame; Q²∓ at cos θ* = ±1.
        k_star = (s - mt2) / (2.0 * sqrt_s)
        e_star = (s + m2 - W**2) / (2.0 * sqrt_s)
        p_star = np.sqrt(np.clip(e_star**2 - m2, 0.0, None))
        q2_lo = np.clip(2.0 * k_star * (e_star - p_star) - m2, 0.0, None)
        q2_hi = 2.0 * k_star * (e_star + p_star) - m2
        valid &= q2_hi > q2_lo
        if channel == "QE":
            Q2, g_q = _sample_q2(q2_lo, q2_hi, model.axial_mass**2, 2, rng)
        else:
            Q2, g_q = _sample_q2(q2_lo, q2_hi, _Q2_SCALE2, 2 if channel == "RES" else 1, rng)
        cos_star = np.clip((2.0 * k_star * e_star - m2 - Q2) / (2.0 * k_star * p_star), -1, 1)
    # Free formulas only where the bound kinematics is open (they reject NaN input).
    weight = np.zeros(n)
    weight[valid] = (
        multiplicity
        * _free_cross_section(
            channel, e_rest[valid], Q2[valid], W[valid], is_proton[valid], probe, model
        )
        / (g_q * g_w)[valid]
    )
    kf_final = hit.kf_neutron if antineutrino else hit.kf_proton
    return Trials(
        weight, Q2, W, is_proton, kf_final, E, hit.energy, px, py, pz,
        sqrt_s, k_star, e_star, p_star, cos_star,
    )  # fmt: skip


def muon(channel, trials, rng, pauli_blocking=True):
    """Lab muon of each trial, and whether its QE nucleon escapes the Fermi sea.

    The muon is built around k̂* in the rest frame of P = k + p̃ (mass √s) and boosted to
    the lab: a boost to that frame maps a → (P·a/√s, a⃗ − P⃗ (a₀ + a₀*)/(P₀ + √s)), the
    inverse adds P⃗ (a₀ + a₀*)/(P₀ + √s). Pauli blocking (§5.2): the outgoing nucleon
    p⃗ + q⃗ = P⃗ − l⃗ must lie outside the Fermi sphere of its species.

    Returns
    -------
    E_mu, cos_theta : ndarray
        Total muon energy [GeV] and cosine of its angle to the beam.
    allowed : ndarray of bool
        False for Pauli-blocked QE trials.
    """
    t = trials
    P0 = t.E + t.e_nucleon
    Px, Py, Pz = t.px, t.py, t.pz + t.E
    to_lab = P0 + t.sqrt_s
    with np.errstate(invalid="ignore", divide="ignore"):
        # Neutrino direction in the P frame (k massless, so |k⃗*| = k*).
        c = (t.E + t.k_star) / to_lab
        nx, ny, nz = -Px * c / t.k_star, -Py * c / t.k_star, (t.E - Pz * c) / t.k_star
        # A unit vector e1 ⟂ k̂*: project out of x̂, or of ŷ where k̂* is close to x̂.
        near_x = np.abs(nx) > 0.6
        ax, ay = np.where(near_x, 0.0, 1.0), np.where(near_x, 1.0, 0.0)
        dot = ax * nx + ay * ny
        e1x, e1y, e1z = ax - dot * nx, ay - dot * ny, -dot * nz
        norm = np.sqrt(e1x**2 + e1y**2 + e1z**2)
        e1x, e1y, e1z = e1x / norm, e1y / norm, e1z / norm
        e2x, e2y, e2z = ny * e1z - nz * e1y, nz * e1x - nx * e1z, nx * e1y - ny * e1x
        phi = rng.uniform(0.0, 2.0 * np.pi, t.E.size)
        along = t.p_star * t.cos_star
        across = t.p_star * np.sqrt(1.0 - t.cos_star**2)
        u, v = across * np.cos(phi), across * np.sin(phi)
        lx = along * nx + u * e1x + v * e2x
        ly = along * ny + u * e1y + v * e2y
        lz = along * nz + u * e1z + v * e2z
        E_mu = (P0 * t.e_star + Px * lx + Py * ly + Pz * lz) / t.sqrt_s
        c = (E_mu + t.e_star) / to_lab
        lx, ly, lz = lx + Px * c, ly + Py * c, lz + Pz * c
        cos_theta = np.clip(lz / np.sqrt(lx**2 + ly**2 + lz**2), -1.0, 1.0)
    allowed = np.ones(t.E.size, dtype=bool)
    if channel == "QE" and pauli_blocking:
        final = np.column_stack([Px - lx, Py - ly, Pz - lz])
        allowed = pauli_allowed(final, t.kf_final)
    return E_mu, cos_theta, allowed


def trial_weights(channel, E, params, probe, model, rng, pauli_blocking=True):
    """Final weights (Pauli test applied) of one trial per energy, in batches of 1e6.

    Returns
    -------
    ndarray
        Weights [cm² per nucleus], shape of ``E``.
    """
    parts = []
    for i in range(0, E.size, MAX_BATCH):
        trials = propose(channel, E[i : i + MAX_BATCH], params, probe, model, rng)
        weight = trials.weight
        if channel == "QE" and pauli_blocking:
            live = np.flatnonzero(weight > 0)
            _, _, allowed = muon(channel, trials.take(live), rng)
            weight = weight.copy()
            weight[live[~allowed]] = 0.0
        parts.append(weight)
    return np.concatenate(parts)
