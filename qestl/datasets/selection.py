"""Selections and splits of cross-section tables (DataFrames from :func:`load_qes`)."""

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from qestl import kinematics

__all__ = ["cut_low_excitation", "select_kinematics", "split_data", "LOW_EXCITATION_CUT"]

#: Default excitation-energy threshold of the low-omega cut [GeV] (26.5 MeV).
LOW_EXCITATION_CUT = 0.0265

_DERIVED = {
    "Q2": lambda d: kinematics.q2_electron(d["E"], d["theta"], d["omega"]),
    "q": lambda d: kinematics.q3_electron(d["E"], d["theta"], d["omega"]),
    "W": lambda d: kinematics.w_invariant(d["E"], d["theta"], d["omega"]),
    "x": lambda d: kinematics.x_bjorken(d["E"], d["theta"], d["omega"]),
}


def cut_low_excitation(data, threshold=LOW_EXCITATION_CUT):
    """Drop points below the giant-resonance region: E_x = omega - |q|^2/(2 M_A) < threshold.

    Kowal et al. (PRC 110, 025501) remove low-omega points (nuclear
    excitations and giant resonances, which the networks are not meant to
    describe) with a cut their text does not state. Reading the points kept
    and removed in their supplement plots: every removed point has excitation
    energy below about 26.5 MeV and every kept one above (one kept point at
    25.8 MeV, at high |q|, is the only exception); a plain omega threshold
    cannot reproduce it (omega = 28 MeV is kept at 36 deg and removed at 60
    deg). This rule with M_A = A u is therefore the default. On the 2012
    carbon file it removes 108 of 2524 points, all with omega <= 40 MeV but
    one: an Arrington 1998 point at E = 4.045 GeV, 15 deg, omega = 75 MeV
    (|q| = 1.05 GeV, E_x = 25.9 MeV), the kind of high-|q| point the paper kept.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns E [GeV], theta [deg], omega [GeV] and A.
    threshold : float, default 0.0265
        Smallest excitation energy kept [GeV].

    Returns
    -------
    pandas.DataFrame
        The rows kept, with their original index (so the removed rows can be
        recovered with ``data.drop(kept.index)``).
    """
    excitation = kinematics.excitation_energy(data["E"], data["theta"], data["omega"], data["A"])
    return data[np.asarray(excitation) >= threshold]


def select_kinematics(data, **ranges):
    """Keep the rows whose kinematics lie inside closed ranges.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns E [GeV], theta [deg], omega [GeV] (and any others).
    **ranges : (low, high)
        One closed interval per variable; ``None`` leaves a side open. Any
        column of ``data`` works, and the derived variables ``Q2`` [GeV^2],
        ``q`` (= |q|) [GeV], ``W`` [GeV] and ``x`` (Bjorken).

    Returns
    -------
    pandas.DataFrame
        The selected rows with their original index.

    Raises
    ------
    ValueError
        For a variable that is neither a column nor a derived variable.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"E": [0.5, 1.0, 2.0], "theta": [30.0, 30.0, 60.0],
    ...                   "omega": [0.1, 0.2, 0.3]})
    >>> select_kinematics(d, E=(0.6, None), theta=(None, 45)).index.tolist()
    [1]
    """
    keep = np.ones(len(data), dtype=bool)
    for name, (low, high) in ranges.items():
        if name in data.columns:
            values = np.asarray(data[name], dtype=float)
        elif name in _DERIVED:
            values = np.asarray(_DERIVED[name](data), dtype=float)
        else:
            known = sorted(set(data.columns) | set(_DERIVED))
            raise ValueError(f"cannot select on {name!r}: not a column or one of {known}")
        if low is not None:
            keep &= values >= low
        if high is not None:
            keep &= values <= high
    return data[keep]


def split_data(data, train_size=0.7, *, by="point", random_state=None):
    """Split a table into training and test parts, by point or by whole spectrum.

    ``by="point"`` draws points at random over the whole table, as the
    transfer-learning paper does for its 7:3 and 1:9 splits (train and test
    points then alternate inside a spectrum); ``by="spectrum"`` keeps every
    spectrum whole on one side (``train_size`` then counts spectra), a harder
    test of interpolation between kinematics.

    Parameters
    ----------
    data : pandas.DataFrame
        Needs a ``spectrum`` column when ``by="spectrum"``.
    train_size : float, default 0.7
        Fraction in (0, 1) of points (or spectra) used for training.
    by : {"point", "spectrum"}
    random_state : int, RandomState or None
        Seed of the draw.

    Returns
    -------
    train, test : pandas.DataFrame
        Disjoint parts of ``data`` with their original index.
    """
    if not 0.0 < train_size < 1.0:
        raise ValueError(f"train_size must lie in (0, 1), got {train_size!r}")
    if by == "point":
        train_idx, test_idx = train_test_split(
            np.arange(len(data)), train_size=train_size, random_state=random_state
        )
    elif by == "spectrum":
        if "spectrum" not in data.columns:
            raise ValueError("by='spectrum' needs a 'spectrum' column")
        splitter = GroupShuffleSplit(n_splits=1, train_size=train_size, random_state=random_state)
        train_idx, test_idx = next(splitter.split(data, groups=data["spectrum"]))
    else:
        raise ValueError(f"by must be 'point' or 'spectrum', got {by!r}")
    return data.iloc[np.sort(train_idx)], data.iloc[np.sort(test_idx)]
