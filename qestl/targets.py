"""Target nuclei: names, charge Z and mass number A.

The vocabulary the data (:mod:`qestl.datasets`) and the physics models
(:mod:`qestl.physics`) share, so it sits below both.
"""

from typing import NamedTuple

__all__ = ["Nucleus", "parse_target"]


class Nucleus(NamedTuple):
    """A target nucleus.

    Attributes
    ----------
    name : str
        Canonical name, mass number then symbol, e.g. ``'12C'``.
    Z : int
        Charge number.
    A : int
        Mass number.
    """

    name: str
    Z: int
    A: int


# (symbol, Z, default A, element names). The default A is the isotope the
# archive and the papers mean by the bare symbol.
_ELEMENTS = [
    ("H", 1, 2, ("deuterium",)),
    ("He", 2, 4, ("helium",)),
    ("Li", 3, 6, ("lithium",)),
    ("Be", 4, 9, ("beryllium",)),
    ("C", 6, 12, ("carbon",)),
    ("O", 8, 16, ("oxygen",)),
    ("Mg", 12, 24, ("magnesium",)),
    ("Al", 13, 27, ("aluminium", "aluminum")),
    ("Ar", 18, 40, ("argon",)),
    ("Ca", 20, 40, ("calcium",)),
    ("Ti", 22, 48, ("titanium",)),
    ("Fe", 26, 56, ("iron",)),
    ("Ni", 28, 59, ("nickel",)),
    ("Au", 79, 197, ("gold",)),
    ("Pb", 82, 208, ("lead",)),
    ("U", 92, 238, ("uranium",)),
]
_BY_SYMBOL = {symbol.lower(): (symbol, Z, A) for symbol, Z, A, _ in _ELEMENTS}
_BY_WORD = {word: (symbol, Z, A) for symbol, Z, A, words in _ELEMENTS for word in words}
_BY_WORD["tritium"] = ("H", 1, 3)


def parse_target(target):
    """Resolve a target name to a :class:`Nucleus`.

    Parameters
    ----------
    target : str or Nucleus
        ``'12C'``, ``'C12'``, ``'C'``, ``'carbon'`` (case-insensitive). A bare
        symbol or element name means the isotope the archive holds (``'Fe'`` is
        56Fe, ``'H'`` is deuterium, ``'He'`` is 4He).

    Returns
    -------
    Nucleus

    Raises
    ------
    ValueError
        For a name that is not a known nucleus.

    Examples
    --------
    >>> parse_target("carbon")
    Nucleus(name='12C', Z=6, A=12)
    >>> parse_target("3He").Z
    2
    """
    if isinstance(target, Nucleus):
        return target
    text = str(target).strip()
    key = text.lower()
    if key in _BY_WORD:
        symbol, Z, A = _BY_WORD[key]
        return Nucleus(f"{A}{symbol}", Z, A)
    digits = "".join(ch for ch in key if ch.isdigit())
    letters = "".join(ch for ch in key if ch.isalpha())
    if letters in _BY_SYMBOL and (key == letters + digits or key == digits + letters):
        symbol, Z, default_A = _BY_SYMBOL[letters]
        A = int(digits) if digits else default_A
        if A < Z:
            raise ValueError(f"target {target!r}: mass number {A} is below the charge {Z}")
        return Nucleus(f"{A}{symbol}", Z, A)
    known = ", ".join(sorted({f"{A}{s}" for s, _, A, _ in _ELEMENTS}))
    raise ValueError(f"unknown target {target!r}; use a name like '12C', 'C' or 'carbon' ({known})")
