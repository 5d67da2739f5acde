"""Load the carbon data, apply the papers' low-omega cut, split 9:1 and plot."""

from qestl.datasets import cut_low_excitation, load_qes, split_data
from qestl.plotting import plot_spectra

carbon = cut_low_excitation(load_qes("12C"))
train, test = split_data(carbon, 0.9, random_state=0)
print(f"{len(train)} training and {len(test)} test points")
plot_spectra(carbon, test=test.index, max_panels=8).savefig("carbon_spectra.png", dpi=120)
