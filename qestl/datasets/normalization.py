"""Normalization uncertainties of the experiments in the QES archive.

Values are the relative uncertainties delta_k of the overall normalization of
each experiment, from Table II of Graczyk et al. (2026), "Inclusive
electron-nucleus cross section models from domain adaptation" (summarised in
the project's PAPERS.md). They are properties of an experiment, so an entry
applies to every target it measured. Experiments whose uncertainty differs by
angle (Chen 1990, Williamson 1997) map angles [degrees] to values; such an
experiment is split into one normalization set per angle by default.

Experiments absent from the table (Barreau 1983, Bagdasaryan 1988, Zeller
1973, Zghiche 1993, von Reden 1990, Hotta 1994, ...) get
:data:`DEFAULT_NORM_UNCERTAINTY`, 5 %: the upper end of the published values
for experiments of the same era. Override with the ``norm_uncertainty``
argument of :func:`qestl.datasets.load_qes`.
"""

__all__ = ["NORM_UNCERTAINTY", "DEFAULT_NORM_UNCERTAINTY", "norm_uncertainty_of"]

#: Relative normalization uncertainty used where the table has no entry.
DEFAULT_NORM_UNCERTAINTY = 0.05

#: Citation (INSPIRE key as in the archive) -> relative uncertainty, or a
#: mapping scattering angle [deg] -> relative uncertainty.
NORM_UNCERTAINTY = {
    "Anghinolfi:1996vm": 0.045,
    "Arrington:1995hs": 0.040,
    "Arrington:1998ps": 0.040,
    "Baran:1988tw": 0.037,
    "Bosted:1992fy": 0.030,
    "Chen:1990kq": {15.0: 0.010, 85.0: 0.021},
    "Day:1979": 0.030,
    "Day:1993md": 0.034,
    "Dow:1988rk": 0.030,
    "Fomin:2010ei": 0.040,
    "Heimlich:1973": 0.030,
    "Marchand:1985us": 0.025,
    "Mccarthy:1976re": 0.030,
    "Meziani:1984is": 0.050,
    "Meziani:1992xr": 0.015,
    "O'Connell:1987ag": 0.050,
    "Rock-pc": 0.030,
    "Sealock:1989nx": 0.025,
    "Whitney:1974hr": 0.030,
    "Williamson:1997": {45.5: 0.030, 90.0: 0.060, 140.0: 0.040},
}


def norm_uncertainty_of(citation, theta=None, table=None, default=DEFAULT_NORM_UNCERTAINTY):
    """Look up the normalization uncertainty of one experiment.

    Parameters
    ----------
    citation : str
        INSPIRE key of the experiment, as in the archive's ``citation`` column.
    theta : float, optional
        Scattering angle [degrees], for experiments tabulated per angle; without
        it such an experiment gets the largest of its per-angle values.
    table : mapping, optional
        Replaces :data:`NORM_UNCERTAINTY`.
    default : float
        Value for experiments (or angles) not in the table.

    Returns
    -------
    float
        Relative uncertainty (0.04 means 4 %).

    Examples
    --------
    >>> norm_uncertainty_of("Chen:1990kq", theta=85.0)
    0.021
    >>> norm_uncertainty_of("Barreau:1983ht")
    0.05
    """
    entry = (NORM_UNCERTAINTY if table is None else table).get(citation, default)
    if isinstance(entry, dict):
        if theta is None:
            # One normalization for all angles: the largest is the honest bound.
            return float(max(entry.values()))
        for angle, value in entry.items():
            if abs(float(theta) - angle) < 0.5:
                return float(value)
        return default
    return float(entry)
