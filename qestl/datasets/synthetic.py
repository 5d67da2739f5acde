"""Pseudo-data from qestl's own physics models.

When no measured data are at hand (a first run without the QES archive, a
nucleus the archive lacks, a closure test), these makers produce data in the
same DataFrame formats as the readers: :func:`make_inclusive_electron` in the
format of :func:`qestl.datasets.load_qes`, :func:`make_cc_events` with the
event columns of the generator-file readers (no ``weight``: the events are
unweighted).
"""

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from qestl.datasets.qes import QES_COLUMNS
from qestl.kinematics import w_invariant
from qestl.physics.electron import cross_section
from qestl.physics.neutrino import generate_events
from qestl.targets import parse_target

__all__ = ["PSEUDO_CITATION", "make_inclusive_electron", "make_cc_events", "pseudo_kinematics"]

#: Citation of every pseudo-data point, so they can never pass for measurements.
PSEUDO_CITATION = "qestl-pseudo"

# (E [GeV], theta [deg]) of the built-in spectra: beam energies and angles
# typical of the archive's quasielastic measurements (Barreau, Whitney,
# O'Connell, Sealock, Day, Baran ...), from the giant-resonance-free region up
# to Q2 of about 2 GeV^2.
_SPECTRA = [
    (E, theta)
    for E, angles in [
        (0.36, (60.0, 90.0, 134.5)),
        (0.56, (36.0, 60.0, 145.0)),
        (0.68, (36.0, 60.0)),
        (0.96, (37.5, 60.0)),
        (1.299, (37.5,)),
        (1.5, (13.5, 37.1)),
        (2.02, (15.0, 20.0)),
        (3.595, (16.0, 20.0)),
    ]
    for theta in angles
]


def pseudo_kinematics(points_per_spectrum=40, w_max=1.5):
    """Kinematics of the built-in pseudo-data spectra.

    Each spectrum is a uniform omega grid from 20 MeV (above the discrete
    states) to where the invariant mass on a free nucleon reaches ``w_max``
    (or to 95 % of E).

    Parameters
    ----------
    points_per_spectrum : int, default 40
    w_max : float, default 1.5
        Upper end of the omega grid, as W on a nucleon at rest [GeV].

    Returns
    -------
    pandas.DataFrame
        Columns E [GeV], theta [deg], omega [GeV], dataset (one per beam energy).
    """
    rows = []
    for E, theta in _SPECTRA:
        omega = np.linspace(0.02, 0.95 * E, 400)
        w = w_invariant(E, theta, omega)
        top = omega[w <= w_max].max() if np.any(w <= w_max) else omega[-1]
        grid = np.linspace(0.02, top, points_per_spectrum)
        rows.append(pd.DataFrame({"E": E, "theta": theta, "omega": grid, "dataset": f"E={E:g}"}))
    return pd.concat(rows, ignore_index=True)


def make_inclusive_electron(
    target,
    kinematics=None,
    *,
    noise=0.03,
    norm_uncertainty=0.03,
    error_floor=0.02,
    random_state=None,
    **model_options,
):
    """Pseudo-data of inclusive (e,e') cross sections from :mod:`qestl.physics.electron`.

    Each point is the model times its dataset's normalization N_k ~ N(1, delta)
    plus a Gaussian point-to-point error:
    ``xsec = N_k * model + error * r``, ``error = noise * model + floor``, where
    ``floor = error_floor * noise * max(model)`` of the spectrum keeps the
    errors of points far below the peak finite.

    Parameters
    ----------
    target : str
        Nucleus with superscaling parameters, e.g. ``'16O'``
        (see :func:`qestl.physics.nuclei.nuclear_parameters`).
    kinematics : pandas.DataFrame, optional
        Columns E [GeV], theta [deg], omega [GeV] and optionally dataset (a
        :func:`load_qes` frame works: its kinematics and normalization sets
        are reused, labelled ``'qestl-pseudo <dataset>'``).
        Default: :func:`pseudo_kinematics`.
    noise : float, default 0.03
        Relative point-to-point error, > 0.
    norm_uncertainty : float, default 0.03
        Relative spread delta of the dataset normalizations.
    error_floor : float, default 0.02
        Absolute error floor, as a fraction of ``noise`` times the spectrum maximum.
    random_state : int, RandomState instance or None
    **model_options
        Passed to :func:`qestl.physics.electron.cross_section`
        (``qe_model``, ``transverse_enhancement``, ``inelastic``, ``ff`` ...).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`qestl.datasets.QES_COLUMNS` (citation always
        ``'qestl-pseudo'``), plus ``model`` (the noiseless cross section) and
        ``normalization`` (the N_k applied). ``attrs`` holds ``target``,
        ``pseudo_data = True`` and ``left_out``, the number of points of spectra
        where the model vanishes everywhere (below threshold), left out.

    Examples
    --------
    >>> from qestl.datasets import make_inclusive_electron
    >>> data = make_inclusive_electron("16O", random_state=0)
    >>> data.attrs["pseudo_data"], sorted(data["citation"].unique())
    (True, ['qestl-pseudo'])
    """
    # Pseudo-data always carry errors: a fit divides by them.
    if not 0 < noise < 1:
        raise ValueError(f"noise must be in (0, 1), got {noise!r}")
    if not 0 <= norm_uncertainty < 1:
        raise ValueError(f"norm_uncertainty must be in [0, 1), got {norm_uncertainty!r}")
    if not error_floor > 0:
        raise ValueError(f"error_floor must be positive, got {error_floor!r}")
    nucleus = parse_target(target)
    rng = check_random_state(random_state)
    if kinematics is None:
        kinematics = pseudo_kinematics()
    missing = {"E", "theta", "omega"} - set(kinematics.columns)
    if missing:
        raise ValueError(f"kinematics lacks the columns {sorted(missing)}")
    frame = kinematics.reset_index(drop=True).copy()
    # Pseudo-points never carry a real citation: a given experiment's name
    # only labels which points share a normalization.
    frame["dataset"] = (
        f"{PSEUDO_CITATION} " + frame["dataset"].astype(str)
        if "dataset" in frame
        else PSEUDO_CITATION
    )
    frame["citation"] = PSEUDO_CITATION
    frame["spectrum"] = (
        frame["citation"]
        + " E="
        + frame["E"].map("{:g}".format)
        + " theta="
        + frame["theta"].map("{:g}".format)
    )
    model = cross_section(
        nucleus.name,
        frame["E"].to_numpy(float),
        frame["theta"].to_numpy(float),
        frame["omega"].to_numpy(float),
        **model_options,
    )
    peak = pd.Series(model).groupby(frame["spectrum"]).transform("max").to_numpy()
    error = noise * model + error_floor * noise * peak
    labels, index = np.unique(frame["dataset"], return_inverse=True)
    normalization = (1.0 + norm_uncertainty * rng.standard_normal(labels.size))[index]
    frame["Z"], frame["A"] = nucleus.Z, nucleus.A
    frame["xsec"] = normalization * model + error * rng.standard_normal(model.size)
    frame["error"] = error
    frame["norm_uncertainty"] = norm_uncertainty
    frame["model"] = model
    frame["normalization"] = normalization
    # A spectrum where the model has no strength at all has zero errors and
    # cannot be fitted; it is left out and counted.
    empty = peak <= 0
    frame = frame[~empty].reset_index(drop=True)
    frame = frame[[*QES_COLUMNS, "model", "normalization"]]
    frame.attrs.update(target=nucleus.name, pseudo_data=True, left_out=int(empty.sum()))
    return frame


def make_cc_events(
    n, target="C", probe="numu", model="default", energy=(0.3, 10.0), random_state=None
):
    """Charged-current muon events from :mod:`qestl.physics.neutrino`.

    Parameters
    ----------
    n : int or None
        Number of events; may be None when ``energy`` gives one energy per event.
    target : str, default "C"
        ``'C'``/``'12C'`` or ``'Ar'``/``'40Ar'``.
    probe : {"numu", "numubar"}
    model : str or NeutrinoModel, default "default"
        ``"default"`` or ``"changed"`` (M_A 1.35 GeV, M_A^Delta 1.034 GeV, local
        Fermi gas), see :data:`qestl.physics.neutrino.MODELS`.
    energy : float, tuple (low, high) or array_like of shape (n,)
        Neutrino energy [GeV], 0.2-20 (tuned for 0.3-10): fixed, uniform in
        [low, high] (a tuple), or one per event (a list or array).
    random_state : int, RandomState instance or None

    Returns
    -------
    pandas.DataFrame
        Columns E_nu [GeV], E_mu [GeV, total energy], theta [deg], channel
        (QE, RES, DIS).

    Examples
    --------
    >>> from qestl.datasets import make_cc_events
    >>> events = make_cc_events(1000, energy=1.0, random_state=0)
    >>> list(events.columns)
    ['E_nu', 'E_mu', 'theta', 'channel']
    """
    events = generate_events(
        n,
        target=parse_target(target).name,
        probe=probe,
        model=model,
        energy=energy,
        random_state=random_state,
    )
    return events[["E_nu", "E_mu", "theta", "channel"]]
