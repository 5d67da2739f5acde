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

import re

__all__ = [
    "NORM_UNCERTAINTY",
    "DEFAULT_NORM_UNCERTAINTY",
    "norm_uncertainty_of",
    "parse_dataset_label",
    "dataset_norm_uncertainty",
]

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
    "Day:1979bx": 0.030,
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


# "Day:1979bx" -> "Day:1979": the INSPIRE key without the letters after its year.
_AUTHOR_YEAR = re.compile(r"^(.*:\d{4})[a-z]*$")
# "Chen:1990kq theta=15" -> ("Chen:1990kq", "15"): the labels of load_qes's dataset column.
_ANGLE_LABEL = re.compile(r"^(.*) theta=(\S+)$")


def _author_year(citation):
    match = _AUTHOR_YEAR.match(citation) if isinstance(citation, str) else None
    return match.group(1) if match else None


def _table_entry(table, citation, default):
    if citation in table:
        return table[citation]
    # INSPIRE keys end in letters (Day:1979bx) that sources cite with or
    # without, or differently: fall back to the one key of the same
    # Author:Year. Two or more such keys are ambiguous: the default then.
    stem = _author_year(citation)
    if stem is None:
        return default
    matches = [key for key in table if _author_year(key) == stem]
    return table[matches[0]] if len(matches) == 1 else default


def norm_uncertainty_of(citation, theta=None, table=None, default=DEFAULT_NORM_UNCERTAINTY):
    """Look up the normalization uncertainty of one experiment.

    A citation not in the table as written is looked up by its Author:Year
    part (the key without the letters after the year, ``"Day:1979"`` for
    ``"Day:1979bx"``) when exactly one key of the table has that part.

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
    >>> norm_uncertainty_of("Day:1979")  # the table's key is Day:1979bx
    0.03
    """
    entry = _table_entry(NORM_UNCERTAINTY if table is None else table, citation, default)
    if isinstance(entry, dict):
        if theta is None:
            # One normalization for all angles: the largest is the honest bound.
            return float(max(entry.values()))
        for angle, value in entry.items():
            if abs(float(theta) - angle) < 0.5:
                return float(value)
        return default
    return float(entry)


def parse_dataset_label(label):
    """Citation and angle of a dataset label of :func:`qestl.datasets.load_qes`.

    Experiments split by angle have labels ``"<citation> theta=<angle>"``
    (the angle in degrees, as ``f"{theta:g}"``); the others are labelled by
    their citation alone.

    Parameters
    ----------
    label : str
        Entry of the ``dataset`` column; other types are read as ``str(label)``.

    Returns
    -------
    citation : str
    theta : float or None
        Scattering angle [degrees]; None for a label without one.

    Examples
    --------
    >>> parse_dataset_label("Chen:1990kq theta=15")
    ('Chen:1990kq', 15.0)
    >>> parse_dataset_label("Day:1993md")
    ('Day:1993md', None)
    """
    label = str(label)
    match = _ANGLE_LABEL.match(label)
    if match:
        try:
            return match.group(1), float(match.group(2))
        except ValueError:
            pass
    return label, None


def dataset_norm_uncertainty(label, table=None, default=DEFAULT_NORM_UNCERTAINTY):
    """Normalization uncertainty of a dataset, from its label (:func:`parse_dataset_label`).

    The value :func:`qestl.datasets.load_qes` puts in the ``norm_uncertainty``
    column of the dataset's rows when called without ``norm_uncertainty``.

    Parameters
    ----------
    label : str
        Dataset label, ``"<citation>"`` or ``"<citation> theta=<angle>"``.
    table, default
        As in :func:`norm_uncertainty_of`.

    Returns
    -------
    float
        Relative uncertainty delta_k; ``default`` (5 %) for citations the
        table does not know.

    Examples
    --------
    >>> dataset_norm_uncertainty("Chen:1990kq theta=15")
    0.01
    >>> dataset_norm_uncertainty("Zeller:1973ge")
    0.05
    """
    citation, theta = parse_dataset_label(label)
    return norm_uncertainty_of(citation, theta, table, default)
