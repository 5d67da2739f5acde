"""Target nuclei, re-exported from :mod:`qestl.targets` under their former module path.

``from qestl.datasets import Nucleus, parse_target`` is the way to import them.
"""

from qestl.targets import Nucleus, parse_target

__all__ = ["Nucleus", "parse_target"]
