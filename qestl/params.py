"""Declared parameter constraints of the estimators, checked before any work.

Every estimator lists the values each constructor parameter may take once,
in a class attribute ``_parameter_constraints`` (scikit-learn's convention),
and calls :func:`validate_params` first thing in ``fit``: a bad setting is
refused before any data is read or any network trained. A value is valid when
it satisfies at least one of its parameter's constraints:

- an :class:`Interval`, :class:`Options` or :class:`StrOptions`, or a
  container of them (:class:`SequenceOf`, :class:`MappingOf`);
- a type (``isinstance``);
- ``None`` (the value None);
- ``"boolean"`` (bool or numpy bool), ``"verbose"`` (bool or int >= 0).

Constraints that tie parameters together or depend on the data (a transfer
source's number of members, the points a validation split needs) stay in the
estimator's own checks.

This is a small public module rather than scikit-learn's implementation
(``sklearn.utils._param_validation``, which follows the same spelling): that
module is private, may change in any scikit-learn release without notice, and
using it would mean capping the scikit-learn versions qestl installs with.
qestl's parameters also need containers (hidden widths, per-dataset
uncertainties) that it does not offer publicly.

Examples
--------
>>> from numbers import Integral
>>> class Net:
...     _parameter_constraints = {"width": [Interval(Integral, 1, None, closed="left")]}
...     def __init__(self, width=8):
...         self.width = width
...     def get_params(self, deep=True):
...         return {"width": self.width}
>>> try:
...     validate_params(Net(width=0))
... except ValueError as error:
...     print(error)
The 'width' parameter of Net must be an int in the range [1, inf). Got 0 instead.
"""

import numbers
from collections.abc import Mapping

import numpy as np

__all__ = [
    "InvalidParameterError",
    "Interval",
    "MappingOf",
    "Options",
    "SequenceOf",
    "StrOptions",
    "validate_params",
]


class InvalidParameterError(ValueError, TypeError):
    """A parameter value outside its declared constraints.

    Both a ValueError and a TypeError, as scikit-learn's error of the same
    name, so that either ``except`` catches it.
    """


def _is_real(value, kind):
    """Whether ``value`` is a number of ``kind`` (Integral or Real); bools are not numbers here."""
    return isinstance(value, kind) and not isinstance(value, bool | np.bool_)


class Interval:
    """Numbers of one kind within bounds.

    Parameters
    ----------
    kind : {numbers.Integral, numbers.Real}
        Integral accepts ints only; Real accepts ints and floats. Bools and
        NaN are never accepted.
    left, right : float or None
        Bounds; None is unbounded.
    closed : {"left", "right", "both", "neither"}, default "left"
        Which bounds belong to the interval.
    """

    def __init__(self, kind, left, right, *, closed="left"):
        if kind not in (numbers.Integral, numbers.Real):
            raise ValueError(f"kind must be numbers.Integral or numbers.Real, got {kind!r}")
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"closed must be 'left', 'right', 'both' or 'neither', got {closed!r}")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value):
        """Whether ``value`` lies in the interval."""
        if not _is_real(value, self.kind):
            return False
        left_closed = self.closed in ("left", "both")
        right_closed = self.closed in ("right", "both")
        if self.left is not None and not (value >= self.left if left_closed else value > self.left):
            return False
        return self.right is None or (value <= self.right if right_closed else value < self.right)

    def __str__(self):
        noun = "an int" if self.kind is numbers.Integral else "a float"
        low = "-inf" if self.left is None else self.left
        high = "inf" if self.right is None else self.right
        opening = "[" if self.closed in ("left", "both") and self.left is not None else "("
        closing = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{noun} in the range {opening}{low}, {high}{closing}"


class Options:
    """A finite set of values of one type.

    Parameters
    ----------
    kind : type
        The values' type (``numbers.Integral`` excludes bools).
    options : set
    """

    def __init__(self, kind, options):
        self.kind, self.options = kind, set(options)

    def is_satisfied_by(self, value):
        """Whether ``value`` is one of the options."""
        if isinstance(value, bool | np.bool_) and self.kind is not bool:
            return False
        return isinstance(value, self.kind) and value in self.options

    def __str__(self):
        return f"one of {sorted(self.options, key=repr)}"


class StrOptions(Options):
    """A finite set of strings.

    Parameters
    ----------
    options : set of str
    """

    def __init__(self, options):
        super().__init__(str, options)

    def __str__(self):
        return f"a str among {sorted(self.options)}"


class SequenceOf:
    """A tuple or list whose every item satisfies ``item``.

    Parameters
    ----------
    item : constraint
        An :class:`Interval`, :class:`Options` or :class:`StrOptions`.
    min_length : int, default 1
    max_length : int or None, default None
    """

    def __init__(self, item, min_length=1, max_length=None):
        self.item, self.min_length, self.max_length = item, min_length, max_length

    def is_satisfied_by(self, value):
        """Whether ``value`` is a tuple or list of the right length and items."""
        if not isinstance(value, tuple | list):
            return False
        too_long = self.max_length is not None and len(value) > self.max_length
        if len(value) < self.min_length or too_long:
            return False
        return all(self.item.is_satisfied_by(v) for v in value)

    def __str__(self):
        if self.max_length == self.min_length:
            size = f"{self.min_length} items"
        elif self.max_length is None:
            size = f"at least {self.min_length} item{'s' if self.min_length != 1 else ''}"
        else:
            size = f"{self.min_length} to {self.max_length} items"
        return f"a tuple or list of {size}, each {self.item}"


class MappingOf:
    """A dict (any mapping) whose every value satisfies ``value``.

    Parameters
    ----------
    value : constraint
        An :class:`Interval`, :class:`Options` or :class:`StrOptions`.
    """

    def __init__(self, value):
        self.value = value

    def is_satisfied_by(self, value):
        """Whether ``value`` is a mapping of valid values."""
        return isinstance(value, Mapping) and all(
            self.value.is_satisfied_by(v) for v in value.values()
        )

    def __str__(self):
        return f"a dict whose values are each {self.value}"


def _satisfies(value, constraint):
    if constraint is None:
        return value is None
    if constraint == "boolean":
        return isinstance(value, bool | np.bool_)
    if constraint == "verbose":
        return isinstance(value, bool | np.bool_) or (
            _is_real(value, numbers.Integral) and value >= 0
        )
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    return constraint.is_satisfied_by(value)


def _describe(constraint):
    if constraint is None:
        return "None"
    if constraint == "boolean":
        return "a bool"
    if constraint == "verbose":
        return "a bool or an int >= 0"
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__!r}"
    return str(constraint)


def validate_params(estimator):
    """Check every constructor parameter of ``estimator`` against its declared constraints.

    Parameters
    ----------
    estimator : estimator
        Declares ``_parameter_constraints``: parameter name -> list of
        constraints (see the module docstring). Parameters it does not list
        are not checked.

    Raises
    ------
    InvalidParameterError
        For the first parameter whose value satisfies none of its
        constraints, naming it, the estimator, what is allowed and the value.
    """
    constraints = estimator._parameter_constraints
    for name, value in estimator.get_params(deep=False).items():
        allowed = constraints.get(name)
        if allowed is None or any(_satisfies(value, c) for c in allowed):
            continue
        described = [_describe(c) for c in allowed]
        options = (
            described[0]
            if len(described) == 1
            else f"{', '.join(described[:-1])} or {described[-1]}"
        )
        raise InvalidParameterError(
            f"The {name!r} parameter of {type(estimator).__name__} must be {options}. "
            f"Got {value!r} instead."
        )
