import matplotlib.collections as mcoll
import numpy as np
import pandas as pd
import pytest

from qestl.plotting import plot_spectra


class _FlatModel:
    """Predicts 2 +- 0.5 everywhere; records the grids it was asked about."""

    def __init__(self):
        self.grids = []

    def predict(self, X, return_std=False):
        self.grids.append(X)
        mean = np.full(len(X), 2.0)
        return (mean, np.full(len(X), 0.5)) if return_std else mean


def _data():
    rows = []
    for E, theta in [(0.5, 30.0), (1.0, 60.0), (2.0, 15.0)]:
        for omega in np.linspace(0.05, 0.4, 8):
            rows.append((E, theta, omega, 2000.0, 100.0, f"X E={E:g} theta={theta:g}"))
    return pd.DataFrame(rows, columns=["E", "theta", "omega", "xsec", "error", "spectrum"])


def test_panels_band_and_test_points():
    data = _data()
    model = _FlatModel()
    fig = plot_spectra(data, model, test=data.index[::4], ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3
    ax = visible[0]
    assert any(isinstance(c, mcoll.PolyCollection) for c in ax.collections)  # 1 sigma band
    labels = ax.get_legend_handles_labels()[1]
    assert {"train", "test", "model"} <= set(labels)
    # the model is evaluated on each panel's own (E, theta), below omega = E
    grid = model.grids[0]
    assert grid["E"].nunique() == 1 and grid["omega"].max() < grid["E"].iloc[0]
    # scale 1e-3: the band is drawn in ub/(sr GeV)
    line = ax.get_lines()[-1]
    assert np.allclose(line.get_ydata(), 2.0e-3)


def test_choose_and_reject_spectra():
    data = _data()
    fig = plot_spectra(data, max_panels=2)
    assert sum(ax.get_visible() for ax in fig.axes) == 2
    with pytest.raises(ValueError, match="spectra not in data"):
        plot_spectra(data, spectra=["nope"])
