"""Input checks shared by every qestl estimator.

Bad rows are never dropped silently: each check raises a ``ValueError`` that
says which input, how many rows and the first offending index (the DataFrame
index label when a DataFrame was given, else the position).
"""

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = [
    "KINEMATIC_COLUMNS",
    "NUCLEUS_COLUMNS",
    "check_dense_real",
    "check_fit_size",
    "check_kinematics",
    "check_nuclei",
    "check_fit_inputs",
    "as_column",
    "record_input_columns",
    "raise_rows",
]

#: Input columns of the electron-scattering estimators, in array order.
KINEMATIC_COLUMNS = ("E", "theta", "omega")

#: The target's columns, after the kinematics, of nucleus-aware models.
NUCLEUS_COLUMNS = ("Z", "A")


def _labels(obj, n):
    if isinstance(obj, pd.DataFrame | pd.Series):
        return obj.index
    return pd.RangeIndex(n)


def raise_rows(name, bad, labels, condition):
    """Raise the ValueError that names the offending rows: how many, and the first one.

    Parameters
    ----------
    name : str
        The input, as the message names it.
    bad : ndarray of bool, shape (n,)
        The offending rows; at least one is True.
    labels : pandas.Index
        Label of each row (the DataFrame index, or the positions).
    condition : str
        What is wrong with them, e.g. ``"NaN or infinite values"``.

    Raises
    ------
    ValueError
        Always.
    """
    rows = np.flatnonzero(bad)
    first = labels[rows[0]]
    first = first.item() if isinstance(first, np.generic) else first
    raise ValueError(
        f"{name}: {rows.size} row{'s' if rows.size != 1 else ''} with {condition} "
        f"(first at index {first!r})"
    )


def check_dense_real(values, name):
    """Refuse what cannot be read as real numbers without loss: None, sparse or complex input.

    A complex value would otherwise lose its imaginary part silently in the
    conversion to float.

    Parameters
    ----------
    values : object
        An input as given (array_like, DataFrame, Series, sparse matrix...).
    name : str
        Name used in error messages.

    Raises
    ------
    ValueError
        For None, a scipy sparse matrix or array, or complex values.

    Examples
    --------
    >>> check_dense_real([[1.0 + 2.0j]], "X")
    Traceback (most recent call last):
    ...
    ValueError: Complex data not supported: X holds complex numbers
    """
    if values is None:
        raise ValueError(f"{name} is None")
    if sparse.issparse(values):
        raise ValueError(
            f"{name} is a sparse matrix, and sparse input is not supported: pass a dense "
            f"array (e.g. {name}.toarray())"
        )
    if isinstance(values, pd.DataFrame):
        dtypes = list(values.dtypes)
    elif isinstance(values, pd.Series | np.ndarray):
        dtypes = [values.dtype]
    else:
        dtypes = [np.asarray(values).dtype]
    if any(pd.api.types.is_complex_dtype(dtype) for dtype in dtypes):
        raise ValueError(f"Complex data not supported: {name} holds complex numbers")


def _n_rows(X):
    """Rows of an input checked by :func:`check_dense_real`, before its columns are read."""
    if isinstance(X, pd.DataFrame | pd.Series):
        return len(X)
    shape = np.asarray(X).shape
    if not shape:
        raise ValueError(f"X must be 2-D, of shape (n_samples, n_features), got a scalar {X!r}")
    return shape[0]


def check_fit_size(X, y, min_samples=1, reason=None):
    """First checks of a fit, before any column is read: y given, dense real input, enough rows.

    Parameters
    ----------
    X, y : object
        The inputs of ``fit`` as given.
    min_samples : int, default 1
        Fewest rows the fit accepts.
    reason : str, optional
        Why that many, for the error message.

    Returns
    -------
    int
        The number of rows of X.

    Raises
    ------
    ValueError
        For y = None, sparse or complex X or y, or fewer than ``min_samples`` rows.

    Examples
    --------
    >>> check_fit_size([[1.0, 30.0, 0.2]], [5.0], 2, "the model needs a spread")
    Traceback (most recent call last):
    ...
    ValueError: X has 1 sample, too few to fit: at least 2 are needed (the model needs a spread)
    """
    check_dense_real(X, "X")
    if y is None:
        raise ValueError(
            "fit requires y to be passed, but the target y is None: give the measured values"
        )
    check_dense_real(y, "y")
    n = _n_rows(X)
    if n < min_samples:
        why = f" ({reason})" if reason else ""
        raise ValueError(
            f"X has {n} sample{'s' if n != 1 else ''}, too few to fit: at least {min_samples} "
            f"are needed{why}"
        )
    return n


def record_input_columns(estimator, X, n_columns):
    """Set ``n_features_in_`` and, for a DataFrame X, ``feature_names_in_`` after a fit.

    ``feature_names_in_`` holds the columns the model reads, E, theta, omega
    (and Z, A when it reads each row's nucleus), not every column of the
    frame: the others are ignored. It is removed after a fit to an array.

    Parameters
    ----------
    estimator : estimator
    X : pandas.DataFrame or array_like
        The X of the fit.
    n_columns : {3, 5}
        Columns the model reads.
    """
    estimator.n_features_in_ = n_columns
    if isinstance(X, pd.DataFrame):
        names = (KINEMATIC_COLUMNS + NUCLEUS_COLUMNS)[:n_columns]
        estimator.feature_names_in_ = np.asarray(names, dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_


def as_column(values, name, n_rows=None, labels=None):
    """Convert per-point values to a float vector, checking length and finiteness.

    Parameters
    ----------
    values : array_like of shape (n,) or (n, 1)
    name : str
        Name used in error messages.
    n_rows : int, optional
        Required length.
    labels : index, optional
        Row labels for error messages.

    Returns
    -------
    ndarray of shape (n,), float64
    """
    check_dense_real(values, name)
    array = np.asarray(values, dtype=float)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be one value per row, got shape {array.shape}")
    if n_rows is not None and array.shape[0] != n_rows:
        raise ValueError(f"{name} has {array.shape[0]} rows but X has {n_rows}")
    labels = _labels(values, array.shape[0]) if labels is None else labels
    bad = ~np.isfinite(array)
    if bad.any():
        raise_rows(name, bad, labels, "NaN or infinite values")
    return array


def _named_or_positional(X, columns, n_array_columns, where):
    """The ``columns`` of a DataFrame by name, or array columns ``where``, as floats."""
    check_dense_real(X, "X")
    if isinstance(X, pd.DataFrame):
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks the columns {missing}; it needs {list(columns)}")
        return X[list(columns)].to_numpy(dtype=float)
    array = np.asarray(X, dtype=float)
    if array.ndim != 2:
        raise ValueError(
            f"X must be 2-D, of shape (n_samples, {n_array_columns}), got shape {array.shape}"
        )
    width = array.shape[1]
    # scikit-learn's wording for too few columns, which its estimator checks look for
    if width < n_array_columns:
        raise ValueError(
            f"X has {width} feature(s) (shape={array.shape}) while a minimum of "
            f"{n_array_columns} is required"
        )
    if width > n_array_columns:
        raise ValueError(
            f"X has {width} features (shape={array.shape}) but exactly {n_array_columns} are read"
        )
    return array[:, where]


def check_nuclei(X):
    """Validate the target nucleus of every row and return (Z, A) as a float array.

    Parameters
    ----------
    X : pandas.DataFrame or array_like of shape (n, 5)
        Columns Z and A by name, or array columns (E, theta, omega, Z, A).

    Returns
    -------
    ndarray of shape (n, 2), float64
        Columns (Z, A).

    Raises
    ------
    ValueError
        For missing columns, non-integer or non-finite values, Z < 1 or A < Z.

    Examples
    --------
    >>> check_nuclei([[1.0, 30.0, 0.2, 8, 16]]).tolist()
    [[8.0, 16.0]]
    """
    array = _named_or_positional(
        X, NUCLEUS_COLUMNS, len(KINEMATIC_COLUMNS) + 2, slice(len(KINEMATIC_COLUMNS), None)
    )
    labels = _labels(X, array.shape[0])
    charge, mass = array.T
    checks = [
        (~np.isfinite(array).all(axis=1), "NaN or infinite Z or A"),
        ((charge != np.round(charge)) | (mass != np.round(mass)), "a non-integer Z or A"),
        (charge < 1, "Z < 1"),
        (mass < charge, "A < Z"),
    ]
    for bad, condition in checks:
        if bad.any():
            raise_rows("X", bad, labels, condition)
    return array


def check_kinematics(X, columns=KINEMATIC_COLUMNS, nucleus=False):
    """Validate electron-scattering kinematics and return them as a float array.

    Parameters
    ----------
    X : pandas.DataFrame or array_like of shape (n, 3)
        Beam energy E [GeV], scattering angle theta [deg], energy transfer
        omega [GeV]: DataFrame columns by name (other columns are ignored),
        array columns in that order.
    columns : tuple of str
        Names of the three columns.
    nucleus : bool, default False
        Arrays carry the target's Z and A as two more columns (n, 5)
        (:func:`check_nuclei` checks them).

    Returns
    -------
    ndarray of shape (n, 3), float64
        Columns (E, theta, omega).

    Raises
    ------
    ValueError
        For sparse or complex input, a wrong shape or missing column, NaN or
        infinite values, E <= 0, omega <= 0, omega >= E, or theta outside
        (0, 180] degrees.

    Examples
    --------
    >>> check_kinematics([[1.0, 30.0, 1.2]])
    Traceback (most recent call last):
    ...
    ValueError: X: 1 row with omega >= E (first at index 0)
    """
    n_array_columns = len(columns) + (len(NUCLEUS_COLUMNS) if nucleus else 0)
    try:
        array = _named_or_positional(X, columns, n_array_columns, slice(0, len(columns)))
    except ValueError as error:
        if isinstance(X, pd.DataFrame):
            raise
        names = list(columns) + (list(NUCLEUS_COLUMNS) if nucleus else [])
        raise ValueError(f"{error}: the columns {names}") from None
    if array.shape[0] == 0:
        raise ValueError("X has no rows")
    labels = _labels(X, array.shape[0])
    finite = np.isfinite(array).all(axis=1)
    if not finite.all():
        raise_rows("X", ~finite, labels, "NaN or infinite values")
    energy, theta, omega = array.T
    checks = [
        (energy <= 0.0, "E <= 0"),
        # elastic scattering (omega = 0) or an electron that gained energy: outside every model
        (omega <= 0.0, "omega <= 0"),
        (omega >= energy, "omega >= E"),
        ((theta <= 0.0) | (theta > 180.0), "theta outside (0, 180] degrees"),
    ]
    for bad, condition in checks:
        if bad.any():
            raise_rows("X", bad, labels, condition)
    return array


def check_fit_inputs(X, y, sigma=None, dataset=None):
    """Validate everything a cross-section fit receives.

    Parameters
    ----------
    X : pandas.DataFrame or array_like of shape (n, 3)
        Kinematics, see :func:`check_kinematics`.
    y : array_like of shape (n,)
        Measured cross sections [nb/(sr GeV)]; negative values are valid data.
    sigma : array_like of shape (n,), optional
        Point-to-point uncertainties [nb/(sr GeV)], all > 0.
    dataset : array_like of shape (n,), optional
        Normalization-set label of each point (any hashable values).

    Returns
    -------
    X : ndarray of shape (n, 3)
    y : ndarray of shape (n,)
    sigma : ndarray of shape (n,) or None
    dataset : ndarray of shape (n,) or None
    """
    array = check_kinematics(X)
    n = array.shape[0]
    y = as_column(y, "y", n)
    if sigma is not None:
        sigma = as_column(sigma, "sigma", n)
        bad = sigma <= 0.0
        if bad.any():
            raise_rows("sigma", bad, _labels(X, n), "sigma <= 0")
    if dataset is not None:
        dataset = np.asarray(dataset)
        if dataset.ndim != 1 or dataset.shape[0] != n:
            raise ValueError(
                f"dataset must have {n} labels, one per row of X, got shape {dataset.shape}"
            )
        missing = pd.isna(dataset)
        if missing.any():
            raise_rows("dataset", missing, _labels(X, n), "a missing label")
    return array, y, sigma, dataset
