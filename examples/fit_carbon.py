"""Fit an ensemble to the carbon data, score it on held-out points and plot it.

A small, quick ensemble (10 members of three layers of 64, 300 epochs); the
shipped "carbon" model is 50 members of four layers of 128 for 1500 epochs.
Writes fit_carbon.png. About 20 s on one core.
"""

import numpy as np

from qestl import CrossSectionRegressor
from qestl.datasets import cut_low_excitation, load_qes, split_data
from qestl.metrics import reduced_chi2
from qestl.plotting import plot_spectra

X = ["E", "theta", "omega"]  # GeV, degrees, GeV
carbon = cut_low_excitation(load_qes("12C"))  # nb/(sr GeV)
train, test = split_data(carbon, 0.9, random_state=0)
deltas = dict(zip(carbon["dataset"], carbon["norm_uncertainty"], strict=False))

model = CrossSectionRegressor(
    n_estimators=10,
    hidden_layers=(64, 64, 64),
    max_epochs=300,
    norm_uncertainty=deltas,
    random_state=0,
)
model.fit(train[X], train["xsec"], sigma=train["error"], dataset=train["dataset"])

mean, std = model.predict(test[X], return_std=True)
print(f"{len(train)} training points, {len(test)} held out")
print(f"median band: {100 * np.median(std / np.abs(mean)):.1f} %")
for treatment in ("none", "quadrature", "profile"):
    chi2 = reduced_chi2(
        test["xsec"], mean, test["error"], dataset=test["dataset"], treatment=treatment
    )
    print(f"held-out chi2/N ({treatment}): {chi2:.2f}")

# the spectra with the most held-out points
spectra = test["spectrum"].value_counts().index[:8]
plot_spectra(carbon, model, spectra=spectra, test=test.index).savefig("fit_carbon.png", dpi=120)
