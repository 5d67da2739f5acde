"""What the parts of the electron model share: input checks, kinematics, the Mott factor.

The cross sections of the parts are sigma_M times responses or structure
functions; PHYSICS.md §4.1. Energies in GeV, angles in degrees.
"""

import numpy as np

from qestl.kinematics import q2_electron
from qestl.physics.constants import ALPHA, HBARC2_NB

__all__ = [
    "check_choice",
    "check_kinematics",
    "check_q_omega",
    "electron_kinematics",
    "mott",
    "mott_tan2",
    "scatter",
    "structure_function_cross_section",
]


def check_kinematics(E, theta, omega):
    """Broadcast and validate (E, θ, ω); also return the mask 0 < ω < E."""
    E, theta, omega = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (E, theta, omega)))
    if not np.all(np.isfinite(E) & (E > 0)):
        raise ValueError("beam energy E must be finite and > 0 GeV")
    if not np.all((theta > 0) & (theta <= 180)):
        raise ValueError("scattering angle theta must lie in (0, 180] degrees")
    if not np.all(np.isfinite(omega)):
        raise ValueError("energy transfer omega must be finite")
    return E, theta, omega, (omega > 0) & (omega < E)


def check_q_omega(q, omega):
    """Broadcast (q, ω); also return the mask of the spacelike region 0 < ω < q."""
    q, omega = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(omega, dtype=float))
    if not np.all(np.isfinite(q) & np.isfinite(omega)):
        raise ValueError("q and omega must be finite")
    return q, omega, (omega > 0) & (q > omega)


def check_choice(value, allowed, what):
    """Raise a ValueError naming ``what`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; use one of {allowed}")


def electron_kinematics(E, theta, omega):
    """Q² [GeV²] and q [GeV] with the electron mass neglected (PHYSICS.md §4.1)."""
    Q2 = q2_electron(E, theta, omega)
    return Q2, np.sqrt(Q2 + omega**2)


def scatter(mask, values):
    """Put values computed on ``mask`` into a zero array of the mask's shape."""
    out = np.zeros(mask.shape)
    out[mask] = values
    return out


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
    E, theta, _, _ = check_kinematics(E, theta, 0.0)
    cos2 = np.cos(np.deg2rad(theta) / 2.0) ** 2
    return mott_tan2(E, theta) * cos2 / (1.0 - cos2)


def mott_tan2(E, theta):
    """σ_M tan²(θ/2) = (ħc)² α² / (4E² sin²(θ/2)) [nb/sr], finite at θ = 180°."""
    return HBARC2_NB * ALPHA**2 / (4.0 * E**2 * np.sin(np.deg2rad(theta) / 2.0) ** 2)


def structure_function_cross_section(structure_functions, target, E, theta, omega):
    """σ_M [W₂ + 2W₁ tan²(θ/2)] with ``structure_functions(target, q, omega)`` [nb/(sr GeV)].

    Zero outside the physical region 0 < ω < E.
    """
    E, theta, omega, physical = check_kinematics(E, theta, omega)
    _, q = electron_kinematics(E, theta, omega)
    W1, W2 = structure_functions(target, np.where(physical, q, 0.0), np.where(physical, omega, 0.0))
    total = mott(E, theta) * W2 + 2.0 * mott_tan2(E, theta) * W1
    return np.where(physical, total, 0.0)
