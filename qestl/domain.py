"""The kinematic range a cross-section model was trained on, and a warning outside it.

A network fitted to carbon spectra up to 5.1 GeV says nothing reliable about
10 GeV, and its ensemble band does not say so either: the members agree
wherever they were never constrained. Scaled to 27Al, the carbon model
trained up to 5.1 GeV is up to 2500x the data at E >= 7 GeV, and fine-tuned
from 10 % of the 27Al points it still misses them by test chi2/N 10^4-10^5
with a 13-20 % band (docs/validation/transfer-2026-12-first-benchmark.md). So
a fitted model remembers the range of beam energies and angles it saw and
warns when asked beyond them.

The range is a box in (E, theta): the beam energies and angles are what an
experiment chooses, and what a user reaches beyond. Energy transfers and Q2
are left out because a spectrum's own omega range ends at the low-excitation
cut and at omega -> E, which every curve drawn through the data crosses.
"""

import warnings

import numpy as np

__all__ = [
    "ExtrapolationWarning",
    "check_domain",
    "training_domain",
    "merge_domains",
    "warn_outside_domain",
]

#: Columns of the domain: name -> column of the (E, theta, omega) kinematics, unit.
_AXES = {"E": (0, "GeV"), "theta": (1, "deg")}


class ExtrapolationWarning(UserWarning):
    """Predictions asked for beyond the beam energies or angles of the training data."""


def training_domain(kinematics):
    """The box of beam energies and angles spanned by training kinematics.

    Parameters
    ----------
    kinematics : ndarray of shape (n, 3)
        Validated (E [GeV], theta [deg], omega [GeV]).

    Returns
    -------
    dict
        ``{"E": [min, max], "theta": [min, max]}`` in GeV and degrees (JSON-able).
    """
    kinematics = np.asarray(kinematics, dtype=float)
    return {
        name: [float(kinematics[:, column].min()), float(kinematics[:, column].max())]
        for name, (column, _) in _AXES.items()
    }


def check_domain(domain, where="domain"):
    """Validate a domain read from a file: None, or ``{"E": [lo, hi], "theta": [lo, hi]}``.

    Parameters
    ----------
    domain : object
    where : str
        Names the source in the error message.

    Returns
    -------
    dict or None
        The domain with float bounds.

    Raises
    ------
    ValueError
        When it is not None nor such a box with finite bounds, low <= high.
    """
    if domain is None:
        return None
    expected = "{'E': [low, high], 'theta': [low, high]}"
    if not isinstance(domain, dict) or set(domain) != set(_AXES):
        raise ValueError(f"{where} must be {expected}, got {domain!r}")
    checked = {}
    for name in _AXES:
        bounds = domain[name]
        try:
            low, high = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise ValueError(f"{where}[{name!r}] must be [low, high], got {bounds!r}") from None
        if not (np.isfinite([low, high]).all() and low <= high):
            raise ValueError(f"{where}[{name!r}] must be finite with low <= high, got {bounds!r}")
        checked[name] = [low, high]
    return checked


def merge_domains(*domains):
    """The smallest box holding every given domain; ``None`` entries (unknown) are skipped.

    Returns
    -------
    dict or None
        None when no domain is known.
    """
    known = [d for d in domains if d is not None]
    if not known:
        return None
    return {
        name: [min(d[name][0] for d in known), max(d[name][1] for d in known)] for name in _AXES
    }


def warn_outside_domain(kinematics, domain, stacklevel=3):
    """Warn (:class:`ExtrapolationWarning`) when kinematics leave ``domain``; do nothing if None.

    Parameters
    ----------
    kinematics : ndarray of shape (n, 3)
        Validated (E [GeV], theta [deg], omega [GeV]).
    domain : dict or None
        From :func:`training_domain`.
    stacklevel : int, default 3
        Points the warning at the caller of the model's ``predict``.

    Returns
    -------
    ndarray of bool, shape (n,)
        Which points lie outside (all False when ``domain`` is None).
    """
    kinematics = np.asarray(kinematics, dtype=float)
    outside = np.zeros(len(kinematics), dtype=bool)
    if domain is None:
        return outside
    reasons = []
    for name, (column, unit) in _AXES.items():
        low, high = domain[name]
        values = kinematics[:, column]
        for mask, side, bound in ((values < low, "<", low), (values > high, ">", high)):
            if mask.any():
                reasons.append(f"{int(mask.sum())} with {name} {side} {bound:g} {unit}")
                outside |= mask
    if reasons:
        ranges = ", ".join(
            f"{name} {domain[name][0]:g}-{domain[name][1]:g} {unit}"
            for name, (_, unit) in _AXES.items()
        )
        warnings.warn(
            f"{int(outside.sum())} of {len(kinematics)} points lie outside the training "
            f"data's range ({ranges}): {', '.join(reasons)}. The model extrapolates there, "
            "and its band does not include that error.",
            ExtrapolationWarning,
            stacklevel=stacklevel,
        )
    return outside
