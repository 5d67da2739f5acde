"""Kinematic variables of inclusive electron and charged-current neutrino scattering.

Pure, vectorised functions: every argument broadcasts, energies are in GeV
and angles in degrees at the interface (radians only inside). No state. They
take numpy array_likes, or torch tensors (then they return tensors, and
gradients flow through them: the GAN's discriminator reads W and Q^2 of
generated events).

The GAN proxy variables follow Bonilla et al., arXiv:2508.12987, Sec. II:
they map (E_nu, E_mu, theta_mu) into [-1, 1] and are inverted exactly here.
"""

import numpy as np

from qestl import _arrays
from qestl.constants import ALPHA_KOWAL, ATOMIC_MASS_UNIT, M_DELTA, M_MUON, M_NUCLEON

__all__ = [
    "q2_electron",
    "q3_electron",
    "omega_qe",
    "omega_delta",
    "x_bjorken",
    "w_invariant",
    "q2_neutrino",
    "w_neutrino",
    "excitation_energy",
    "mott_like_scale",
    "transverse_scale",
    "enu_to_proxy",
    "proxy_to_enu",
    "emu_to_proxy",
    "proxy_to_emu",
    "theta_to_proxy",
    "proxy_to_theta",
    "E_NU_MIN",
    "E_NU_MAX",
    "E_MU_GAP",
]

#: Neutrino-energy range of the GAN proxy variable E_nu' [GeV].
E_NU_MIN, E_NU_MAX = 0.3, 10.0
#: Minimum energy left to the hadronic system in the proxy E_mu' [GeV] (4 MeV).
E_MU_GAP = 0.004


def _sqrt_or_nan(x):
    """sqrt, NaN (quietly) below 0."""
    with _arrays.errstate(x):
        return _arrays.namespace(x).sqrt(x)


def _sin2_half(theta):
    theta = _arrays.asarray(theta)
    xp = _arrays.namespace(theta)
    return xp.sin(xp.deg2rad(theta) / 2.0) ** 2


def q2_electron(E, theta, omega):
    """Four-momentum transfer squared of electron scattering, electron mass neglected.

    Q^2 = 2 E (E - omega) (1 - cos theta) = 4 E E' sin^2(theta / 2).

    Parameters
    ----------
    E : array_like
        Beam energy [GeV].
    theta : array_like
        Electron scattering angle [degrees].
    omega : array_like
        Energy transfer E - E' [GeV].

    Returns
    -------
    ndarray
        Q^2 [GeV^2], broadcast shape of the inputs.

    Examples
    --------
    >>> float(q2_electron(1.0, 90.0, 0.5))
    1.0
    """
    E, theta, omega = _arrays.asarray(E, theta, omega)
    return 4.0 * E * (E - omega) * _sin2_half(theta)


def q3_electron(E, theta, omega):
    """Magnitude of the three-momentum transfer, |q| = sqrt(Q^2 + omega^2).

    Parameters
    ----------
    E, theta, omega : array_like
        Beam energy [GeV], scattering angle [degrees], energy transfer [GeV].

    Returns
    -------
    ndarray
        |q| [GeV].

    Examples
    --------
    >>> float(q3_electron(1.0, 90.0, 0.5)) ** 2
    1.25
    """
    E, theta, omega = _arrays.asarray(E, theta, omega)
    return _arrays.namespace(omega).sqrt(q2_electron(E, theta, omega) + omega**2)


def omega_qe(E, theta, binding=0.0, mass=M_NUCLEON):
    """Energy transfer at the quasielastic peak (Al Hammal et al., PRC 107, 065501, eq. 2).

    The peak of scattering on a nucleon at rest, bound by ``binding``: the
    solution of omega = binding + Q^2(omega) / (2 M), that is
    omega_QE = (binding + 2 E^2 s / M) / (1 + 2 E s / M), with s = sin^2(theta/2).

    Parameters
    ----------
    E : array_like
        Beam energy [GeV].
    theta : array_like
        Scattering angle [degrees].
    binding : array_like, default 0
        Binding (separation) energy [GeV].
    mass : float, default M_NUCLEON
        Nucleon mass [GeV].

    Returns
    -------
    ndarray
        omega_QE [GeV].

    Examples
    --------
    >>> round(float(omega_qe(1.0, 60.0)), 4)  # 0.5 / 0.938919 / (1 + 0.5 / 0.938919)
    0.3475
    """
    E, theta, binding = _arrays.asarray(E, theta, binding)
    s = _sin2_half(theta)
    return (binding + 2.0 * E**2 * s / mass) / (1.0 + 2.0 * E * s / mass)


def omega_delta(E, theta, mass=M_NUCLEON, delta_mass=M_DELTA):
    """Energy transfer at the Delta(1232) peak (Al Hammal et al., PRC 107, 065501, eq. 4).

    The solution of W^2 = M^2 + 2 M omega - Q^2(omega) = M_Delta^2 for a nucleon
    at rest: omega_Delta = (M_Delta^2 - M^2 + 4 E^2 s) / (2 M + 4 E s),
    s = sin^2(theta/2).

    Parameters
    ----------
    E : array_like
        Beam energy [GeV].
    theta : array_like
        Scattering angle [degrees].
    mass, delta_mass : float
        Nucleon and Delta masses [GeV].

    Returns
    -------
    ndarray
        omega_Delta [GeV]; may exceed E below the Delta threshold.

    Examples
    --------
    >>> bool(omega_delta(1.0, 60.0) > omega_qe(1.0, 60.0))
    True
    """
    E, theta = _arrays.asarray(E, theta)
    s = _sin2_half(theta)
    return (delta_mass**2 - mass**2 + 4.0 * E**2 * s) / (2.0 * mass + 4.0 * E * s)


def x_bjorken(E, theta, omega, mass=M_NUCLEON):
    """Bjorken scaling variable x = Q^2 / (2 M omega) (per nucleon).

    Parameters
    ----------
    E, theta, omega : array_like
        Beam energy [GeV], scattering angle [degrees], energy transfer [GeV].
    mass : float, default M_NUCLEON
        Nucleon mass [GeV].

    Returns
    -------
    ndarray
        x_Bj (dimensionless); x = 1 at the free-nucleon elastic peak.

    Examples
    --------
    >>> float(x_bjorken(1.0, 60.0, omega_qe(1.0, 60.0)))  # doctest: +NUMBER
    1.0
    """
    E, theta, omega = _arrays.asarray(E, theta, omega)
    return q2_electron(E, theta, omega) / (2.0 * mass * omega)


def w_invariant(E, theta, omega, mass=M_NUCLEON):
    """Invariant mass of the hadronic final state on a nucleon at rest.

    W = sqrt(M^2 + 2 M omega - Q^2). Unphysical points (W^2 < 0) give NaN.

    Parameters
    ----------
    E, theta, omega : array_like
        Beam energy [GeV], scattering angle [degrees], energy transfer [GeV].
    mass : float, default M_NUCLEON
        Nucleon mass [GeV].

    Returns
    -------
    ndarray
        W [GeV].

    Examples
    --------
    >>> round(float(w_invariant(1.0, 60.0, omega_delta(1.0, 60.0))), 3)
    1.232
    """
    E, theta, omega = _arrays.asarray(E, theta, omega)
    w2 = mass**2 + 2.0 * mass * omega - q2_electron(E, theta, omega)
    return _sqrt_or_nan(w2)


def excitation_energy(E, theta, omega, A):
    """Nuclear excitation energy E_x = omega - |q|^2 / (2 M_A).

    The energy left in the nucleus after subtracting the recoil of the whole
    nucleus, with M_A = A * u (11.178 GeV for 12C). The low-energy cut of
    Kowal et al. (see :func:`qestl.datasets.cut_low_excitation`) uses it.

    Parameters
    ----------
    E, theta, omega : array_like
        Beam energy [GeV], scattering angle [degrees], energy transfer [GeV].
    A : array_like
        Mass number of the target.

    Returns
    -------
    ndarray
        E_x [GeV].

    Examples
    --------
    >>> round(float(excitation_energy(0.2, 60.0, 0.028, 12)) * 1e3, 2)  # MeV
    26.43
    """
    E, theta, omega, A = _arrays.asarray(E, theta, omega, A)
    return omega - q3_electron(E, theta, omega) ** 2 / (2.0 * (A * ATOMIC_MASS_UNIT))


def mott_like_scale(E, theta, A=12):
    """The output scale S_A of the cross-section networks (Kowal et al., PRC 110, 025501).

    S_A = (A / 12) * 1e9 * alpha^2 cos(theta/2) / (4 E^3 sin^4(theta/2)) with
    alpha = 1/137, i.e. the Mott cross section divided by E cos(theta/2); the
    networks predict sigma = sigmoid(output) * S_A.

    Parameters
    ----------
    E : array_like
        Beam energy [GeV].
    theta : array_like
        Scattering angle [degrees].
    A : float, default 12
        Mass number; the scale grows as A / 12.

    Returns
    -------
    ndarray
        S_A [nb/(sr GeV)].

    Examples
    --------
    >>> round(float(mott_like_scale(1.0, 60.0)))  # 1e9 / 137^2 * cos(30 deg) / (4 * 0.5^4)
    184565
    """
    E, theta, A = _arrays.asarray(E, theta, A)
    xp = _arrays.namespace(theta)
    return transverse_scale(E, theta, A) * xp.cos(xp.deg2rad(theta) / 2.0)


def transverse_scale(E, theta, A=12):
    """The Mott-like scale without its electric cos^2(theta/2) suppression.

    S_T = S_A / cos(theta/2) = (A / 12) * 1e9 * alpha^2 / (4 E^3 sin^4(theta/2)).
    The Mott factor cos^2(theta/2) belongs to the longitudinal (electric)
    response only; the transverse (magnetic) one, which dominates backward,
    carries tan^2(theta/2) on top of it, so measured cross sections stay
    finite at 180 degrees where S_A vanishes. S_T equals S_A at forward
    angles (within 1 % below 16 degrees) and stays finite everywhere.

    Parameters
    ----------
    E : array_like
        Beam energy [GeV].
    theta : array_like
        Scattering angle [degrees], in (0, 180].
    A : float, default 12
        Mass number; the scale grows as A / 12.

    Returns
    -------
    ndarray
        S_T [nb/(sr GeV)].

    Examples
    --------
    >>> round(float(transverse_scale(1.0, 180.0)))  # 1e9 / 137^2 / 4
    13320
    """
    E, theta, A = _arrays.asarray(E, theta, A)
    xp = _arrays.namespace(theta)
    return (A / 12.0) * 1e9 * ALPHA_KOWAL**2 / (4.0 * E**3 * xp.sin(xp.deg2rad(theta) / 2.0) ** 4)


def q2_neutrino(E_nu, E_mu, theta, muon_mass=M_MUON, floor=0.0):
    """Q^2 of charged-current neutrino scattering with a massive muon.

    Q^2 = 2 E_nu (E_mu - p_mu cos theta) - m_mu^2.

    Parameters
    ----------
    E_nu : array_like
        Neutrino energy [GeV].
    E_mu : array_like
        Total muon energy [GeV], E_mu >= m_mu.
    theta : array_like
        Muon angle to the neutrino direction [degrees].
    muon_mass : float, default M_MUON
        [GeV].
    floor : float, default 0
        p_mu^2 is raised to at least ``floor`` [GeV^2] before its square root:
        0 for E_mu a hair below m_mu; a small positive value keeps the
        gradient of a tensor finite (a generator in training).

    Returns
    -------
    ndarray or Tensor
        Q^2 [GeV^2].

    Examples
    --------
    >>> round(float(q2_neutrino(1.0, 0.6, 90.0)), 6)  # 2 * 1 * 0.6 - m_mu^2
    1.188836
    """
    E_nu, E_mu, theta = _arrays.asarray(E_nu, E_mu, theta)
    xp = _arrays.namespace(E_mu)
    p_mu = xp.sqrt(xp.clip(E_mu**2 - muon_mass**2, floor, None))
    return 2.0 * E_nu * (E_mu - p_mu * xp.cos(xp.deg2rad(theta))) - muon_mass**2


def w_neutrino(E_nu, E_mu, theta, mass=M_NUCLEON, muon_mass=M_MUON, floor=None):
    """Hadronic invariant mass of a CC event on a nucleon at rest.

    W = sqrt(M^2 + 2 M omega - Q^2), omega = E_nu - E_mu, Q^2 of
    :func:`q2_neutrino`; NaN where W^2 < 0, unless ``floor`` is given.

    Parameters
    ----------
    E_nu, E_mu, theta : array_like
        Neutrino energy [GeV], total muon energy [GeV], muon angle [degrees].
    mass, muon_mass : float
        Nucleon and muon masses [GeV].
    floor : float, optional
        Raise W^2 (and p_mu^2, see :func:`q2_neutrino`) to at least ``floor``
        [GeV^2] before the square roots: finite values and gradients for any
        input (a generator in training). None: NaN where W^2 < 0.

    Returns
    -------
    ndarray or Tensor
        W [GeV].

    Examples
    --------
    >>> E_mu = 1.0 - 0.0  # omega = 0: W^2 = M^2 - Q^2 < M^2
    >>> bool(w_neutrino(1.0, E_mu, 10.0) < M_NUCLEON)
    True
    """
    E_nu, E_mu, theta = _arrays.asarray(E_nu, E_mu, theta)
    q2 = q2_neutrino(E_nu, E_mu, theta, muon_mass, floor=0.0 if floor is None else floor)
    w2 = mass**2 + 2.0 * mass * (E_nu - E_mu) - q2
    if floor is not None:
        w2 = _arrays.namespace(w2).clip(w2, floor, None)
    return _sqrt_or_nan(w2)


def enu_to_proxy(E_nu):
    """Neutrino energy to the GAN proxy E_nu' = 2 (E_nu - 0.3) / (10 - 0.3) - 1.

    Parameters
    ----------
    E_nu : array_like
        Neutrino energy [GeV]; 0.3-10 GeV maps onto [-1, 1].

    Returns
    -------
    ndarray
        E_nu' (dimensionless).

    Examples
    --------
    >>> enu_to_proxy([0.3, 10.0]).tolist()
    [-1.0, 1.0]
    """
    return 2.0 * (_arrays.asarray(E_nu) - E_NU_MIN) / (E_NU_MAX - E_NU_MIN) - 1.0


def proxy_to_enu(enu_proxy):
    """Exact inverse of :func:`enu_to_proxy`.

    Parameters
    ----------
    enu_proxy : array_like
        E_nu' (dimensionless).

    Returns
    -------
    ndarray
        E_nu [GeV].

    Examples
    --------
    >>> float(proxy_to_enu(0.0))
    5.15
    """
    return E_NU_MIN + (_arrays.asarray(enu_proxy) + 1.0) * (E_NU_MAX - E_NU_MIN) / 2.0


def emu_to_proxy(E_mu, E_nu, muon_mass=M_MUON):
    """Muon energy to the GAN proxy E_mu' = 2 sqrt(1 - (E_mu - m_mu)/(E_nu - 0.004 - m_mu)) - 1.

    E_mu = m_mu maps to 1 and E_mu = E_nu - 4 MeV to -1; the square root spreads
    the forward, high-energy peak. Outside that range the result is NaN.

    Parameters
    ----------
    E_mu : array_like
        Total muon energy [GeV].
    E_nu : array_like
        Neutrino energy [GeV].
    muon_mass : float, default M_MUON
        [GeV].

    Returns
    -------
    ndarray
        E_mu' (dimensionless).

    Examples
    --------
    >>> emu_to_proxy([M_MUON, 0.996], 1.0).round(12).tolist()
    [1.0, -1.0]
    """
    E_mu, E_nu = _arrays.asarray(E_mu, E_nu)
    return 2.0 * _sqrt_or_nan(1.0 - (E_mu - muon_mass) / (E_nu - E_MU_GAP - muon_mass)) - 1.0


def proxy_to_emu(emu_proxy, E_nu, muon_mass=M_MUON):
    """Exact inverse of :func:`emu_to_proxy` on [-1, 1].

    Parameters
    ----------
    emu_proxy : array_like
        E_mu' in [-1, 1].
    E_nu : array_like
        Neutrino energy [GeV].
    muon_mass : float, default M_MUON
        [GeV].

    Returns
    -------
    ndarray
        Total muon energy [GeV], in [m_mu, E_nu - 0.004] for E_mu' in [-1, 1].

    Examples
    --------
    >>> round(float(proxy_to_emu(-1.0, 1.0)), 12)
    0.996
    """
    emu_proxy, E_nu = _arrays.asarray(emu_proxy, E_nu)
    return muon_mass + (E_nu - E_MU_GAP - muon_mass) * (1.0 - ((emu_proxy + 1.0) / 2.0) ** 2)


def theta_to_proxy(theta):
    """Muon angle to the GAN proxy theta' = 2 sqrt(theta / pi) - 1.

    Parameters
    ----------
    theta : array_like
        Muon angle [degrees], 0-180 maps onto [-1, 1].

    Returns
    -------
    ndarray
        theta' (dimensionless).

    Examples
    --------
    >>> theta_to_proxy([0.0, 45.0, 180.0]).tolist()
    [-1.0, 0.0, 1.0]
    """
    theta = _arrays.asarray(theta)
    return 2.0 * _sqrt_or_nan(_arrays.namespace(theta).deg2rad(theta) / np.pi) - 1.0


def proxy_to_theta(theta_proxy):
    """Exact inverse of :func:`theta_to_proxy` on [-1, 1].

    Parameters
    ----------
    theta_proxy : array_like
        theta' in [-1, 1].

    Returns
    -------
    ndarray
        Muon angle [degrees].

    Examples
    --------
    >>> float(proxy_to_theta(0.0))
    45.0
    """
    theta_proxy = _arrays.asarray(theta_proxy)
    return _arrays.namespace(theta_proxy).rad2deg(np.pi * ((theta_proxy + 1.0) / 2.0) ** 2)
