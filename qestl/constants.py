"""Physical constants used across qestl (GeV units, PDG 2022 unless noted)."""

#: Proton mass [GeV].
M_PROTON = 0.93827208816
#: Neutron mass [GeV].
M_NEUTRON = 0.93956542052
#: Average nucleon mass (M_p + M_n) / 2 [GeV].
M_NUCLEON = 0.5 * (M_PROTON + M_NEUTRON)
#: Muon mass [GeV].
M_MUON = 0.1056583755
#: Atomic mass unit [GeV]; M_A = A * u reproduces the 11.178 GeV used for 12C.
ATOMIC_MASS_UNIT = 0.93149410242
#: Delta(1232) pole mass [GeV].
M_DELTA = 1.232
#: Fine-structure constant as used in the Mott-like scale of Kowal et al. (1/137 exactly).
ALPHA_KOWAL = 1.0 / 137.0
