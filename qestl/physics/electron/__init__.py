"""Inclusive electron–nucleus cross section d²σ/dΩdω, "model E" (PHYSICS.md §4).

Three additive parts, each available on its own:

- quasielastic (QE): superscaling (SuSA) or relativistic-Fermi-gas scaling function
  times relativistic single-nucleon responses, with optional transverse enhancement;
- Δ(1232): N→Δ electroexcitation smeared over a Fermi sphere;
- inelastic tail (off by default): Bodek–Yang-like toy structure functions.

Validity (PHYSICS.md §4.5, §7.1). Good: the QE peak for A ≥ 4, q ≳ 0.3 GeV,
Q² ≲ 1 GeV² (peak heights within ≈ 20 %); the Δ peak within ≈ 20 %. Poor: the dip
between QE and Δ (no meson-exchange currents: −40 … −60 %), W > 1.5 GeV (toy tail,
off by a factor 1.5–3), x > 1 tails at Q² > 1.5 GeV² (no short-range correlations),
q < 0.3 GeV and ω < 30 MeV (giant resonances, discrete states), 2H and 3He (scaling
fails) and heavy nuclei at E < 1 GeV (no Coulomb distortion: 208Pb peaks sit ≈ 20 MeV
low).

Targets are names (``'12C'``, ``'carbon'``), :class:`~qestl.targets.Nucleus`
objects or ``(Z, A)`` pairs; a pair must be one of the tabulated nuclei of
:func:`qestl.physics.nuclei.nuclear_parameters`. Energies are in GeV, angles in degrees,
cross sections per nucleus in nb/(sr GeV), responses and structure functions per
nucleus in GeV⁻¹.
"""

from qestl.physics.electron._common import mott
from qestl.physics.electron.inclusive import components, cross_section
from qestl.physics.electron.inelastic import (
    delta_cross_section,
    delta_structure_functions_nucleon,
    delta_structure_functions_nucleus,
    inelastic_cross_section,
    inelastic_structure_functions,
)
from qestl.physics.electron.quasielastic import (
    QE_MODELS,
    TRANSVERSE_ENHANCEMENT,
    pauli_factor,
    quasielastic_cross_section,
    quasielastic_responses,
    scaling_function,
    scaling_variable,
)

__all__ = [
    "QE_MODELS",
    "TRANSVERSE_ENHANCEMENT",
    "mott",
    "scaling_variable",
    "scaling_function",
    "pauli_factor",
    "quasielastic_responses",
    "delta_structure_functions_nucleon",
    "delta_structure_functions_nucleus",
    "inelastic_structure_functions",
    "quasielastic_cross_section",
    "delta_cross_section",
    "inelastic_cross_section",
    "components",
    "cross_section",
]
