"""The charged-current probes and struck nucleons of the neutrino model, and their checks."""

__all__ = ["NUCLEONS", "PROBES", "check_nucleon", "probe_sign"]

#: Accepted probes and their sign ζ (+1 neutrino, −1 antineutrino).
PROBES = {"numu": 1.0, "numubar": -1.0}
#: Accepted struck nucleons.
NUCLEONS = ("p", "n")


def probe_sign(probe):
    """ζ of a probe: +1 for ``"numu"``, −1 for ``"numubar"``.

    Raises
    ------
    ValueError
        For any other probe.
    """
    try:
        return PROBES[probe]
    except (KeyError, TypeError):
        raise ValueError(f"probe must be one of {tuple(PROBES)}, got {probe!r}") from None


def check_nucleon(nucleon):
    """Raise a ValueError unless ``nucleon`` is ``"p"`` or ``"n"``."""
    if nucleon not in NUCLEONS:
        raise ValueError(f"nucleon must be one of {NUCLEONS}, got {nucleon!r}")
