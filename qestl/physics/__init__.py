"""Physics models: the inclusive electron cross section and the CC neutrino generator.

Formulas, parameters and reference values are documented in PHYSICS.md of the
project documents; every function names the paper and equation it implements.
"""

from qestl.physics import electron, neutrino

__all__ = ["electron", "neutrino"]
