"""Physical constants of the physics models (PHYSICS.md §1; GeV units).

Values are PDG 2022 / CODATA 2018 as listed in PHYSICS.md §1, where the
unverified ones are marked. The nucleon, muon and Δ masses are re-exported
from :mod:`qestl.constants` so that the whole package uses one value.
"""

from qestl.constants import M_DELTA, M_MUON, M_NEUTRON, M_NUCLEON, M_PROTON

__all__ = [
    "HBARC",
    "HBARC2_MB",
    "HBARC2_NB",
    "HBARC2_CM2",
    "ALPHA",
    "G_FERMI",
    "COS_CABIBBO",
    "M_PROTON",
    "M_NEUTRON",
    "M_NUCLEON",
    "M_MUON",
    "M_PION",
    "M_DELTA",
    "GAMMA_DELTA",
    "MU_PROTON",
    "MU_NEUTRON",
    "G_AXIAL",
    "DIPOLE_MASS2",
]

#: ħc [GeV fm] (PDG 2022).
HBARC = 0.1973269804
#: (ħc)² [GeV² mb]: multiply a cross section in GeV⁻² by this to get mb.
HBARC2_MB = 0.3893793721
#: (ħc)² [GeV² nb].
HBARC2_NB = 3.893793721e5
#: (ħc)² [GeV² cm²].
HBARC2_CM2 = 3.893793721e-28
#: Fine-structure constant (CODATA 2018).
ALPHA = 1.0 / 137.035999084
#: Fermi constant G_F [GeV⁻²].
G_FERMI = 1.1663788e-5
#: cos θ_C = |V_ud| (PDG 2022).
COS_CABIBBO = 0.97373
#: Charged pion mass [GeV].
M_PION = 0.13957039
#: Δ(1232) Breit–Wigner width Γ_Δ [GeV].
GAMMA_DELTA = 0.117
#: Proton magnetic moment [nuclear magnetons].
MU_PROTON = 2.79284734
#: Neutron magnetic moment [nuclear magnetons].
MU_NEUTRON = -1.91304273
#: Axial coupling g_A = F_A(0) (PDG 2022; F_A > 0 convention).
G_AXIAL = 1.2754
#: Dipole mass squared M_V² of the standard dipole form factor [GeV²].
DIPOLE_MASS2 = 0.71
