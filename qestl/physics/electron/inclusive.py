"""The inclusive cross section of the electron model: the sum of its parts."""

from qestl.physics.electron.inelastic import delta_cross_section, inelastic_cross_section
from qestl.physics.electron.quasielastic import quasielastic_cross_section

__all__ = ["components", "cross_section"]


def components(target, E, theta, omega, *, delta=True, inelastic=False, **qe_options):
    """The parts of the inclusive cross section, each in nb/(sr GeV) per nucleus.

    Parameters
    ----------
    target, E, theta, omega, delta, inelastic
        As in :func:`cross_section`.
    **qe_options
        ``qe_model``, ``transverse_enhancement``, ``ff`` of the quasielastic
        part, as in :func:`cross_section`.

    Returns
    -------
    dict of str to ndarray
        ``"qe"`` always, ``"delta"`` and ``"inelastic"`` when switched on; each with the
        broadcast shape of (E, theta, omega).
    """
    parts = {"qe": quasielastic_cross_section(target, E, theta, omega, **qe_options)}
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
