"""Model ν: unweighted CC ν_μ / ν̄_μ events and cross sections on 12C and 40Ar.

Quasielastic (Llewellyn Smith 1972), Δ(1232) (Lalakulich & Paschos 2005) and a
Bodek–Yang-like inelastic tail on nucleons of a global or local Fermi gas, generated
without weights (PHYSICS.md §5, §6). Start with :func:`generate_events`.

Examples
--------
>>> from qestl.physics.neutrino import generate_events
>>> events = generate_events(100, target="12C", probe="numu", energy=1.0, random_state=0)
>>> sorted(events["channel"].cat.categories)
['DIS', 'QE', 'RES']
"""

from qestl.physics.neutrino.generator import cross_section, generate_events
from qestl.physics.neutrino.models import MODELS, NeutrinoModel

__all__ = ["cross_section", "generate_events", "MODELS", "NeutrinoModel"]
