import matplotlib.collections as mcoll
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from qestl.plotting import cross_section_unit, figure_legend, plot_layers, plot_spectra
from qestl.plotting_events import (
    describe_events,
    plot_proxy_histograms,
    plot_pull_map,
    plot_w_q2,
)


class _FlatModel:
    """Predicts ``value`` +- 0.5 everywhere; records the grids it was asked about."""

    def __init__(self, value=2.0):
        self.value = value
        self.grids = []

    def predict(self, X, return_std=False):
        self.grids.append(X)
        mean = np.full(len(X), self.value)
        return (mean, np.full(len(X), 0.5)) if return_std else mean


# (E, theta) deliberately out of order: the panels must come out sorted
_KINEMATICS = [(2.0, 15.0), (0.5, 30.0), (1.0, 60.0), (0.5, 20.0), (1.0, 40.0)]


def _data(target="16O"):
    rows = []
    for E, theta in _KINEMATICS:
        for omega in np.linspace(0.05, 0.4, 8):
            rows.append((E, theta, omega, 2000.0, 100.0, "X:2000", f"X E={E:g} theta={theta:g}"))
    frame = pd.DataFrame(
        rows, columns=["E", "theta", "omega", "xsec", "error", "citation", "spectrum"]
    )
    frame.attrs["target"] = target
    return frame


def _visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def _legend_labels(fig):
    assert len(fig.legends) == 1, "one figure legend"
    return [text.get_text() for text in fig.legends[0].get_texts()]


def _sticks_out(fig):
    """Visible axes (with their labels and ticks), legends and titles that the figure cuts off."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    parts = [ax for ax in fig.axes if ax.get_visible()] + fig.legends + fig.texts  # suptitle
    out = []
    for part in parts:
        extent = part.get_tightbbox(renderer) if hasattr(part, "get_tightbbox") else None
        extent = extent or part.get_window_extent(renderer)
        if (
            extent.x0 < box.x0 - 1
            or extent.y0 < box.y0 - 1
            or extent.x1 > box.x1 + 1
            or extent.y1 > box.y1 + 1
        ):
            out.append(part)
    return out


def test_panels_band_and_test_points():
    data = _data()
    model = _FlatModel()
    fig = plot_spectra(data, model, test=data.index[::4], ncols=2)
    visible = _visible(fig)
    assert len(visible) == 5
    ax = visible[0]
    assert any(isinstance(c, mcoll.PolyCollection) for c in ax.collections)  # 1 sigma band
    # the model is evaluated on each panel's own (E, theta), below omega = E
    grid = model.grids[0]
    assert grid["E"].nunique() == 1 and grid["omega"].max() < grid["E"].iloc[0]
    # scale 1e-3: the band is drawn in μb/(sr GeV)
    line = ax.get_lines()[-1]
    assert np.allclose(line.get_ydata(), 2.0e-3)
    plt.close(fig)


def test_panels_ordered_by_energy_then_angle():
    data = _data()
    fig = plot_spectra(data, ncols=3)
    titles = [ax.get_title().splitlines()[0] for ax in _visible(fig)]
    expected = [f"E = {E:g} GeV, θ = {theta:g}°" for E, theta in sorted(_KINEMATICS)]
    assert titles == expected
    # also when the spectra are named in another order
    names = [f"X E={E:g} theta={theta:g}" for E, theta in _KINEMATICS[:3]]
    fig = plot_spectra(data, spectra=names)
    titles = [ax.get_title().splitlines()[0] for ax in _visible(fig)]
    assert titles == ["E = 0.5 GeV, θ = 30°", "E = 1 GeV, θ = 60°", "E = 2 GeV, θ = 15°"]
    plt.close("all")


def test_legend_collects_every_panel():
    data = _data()
    # test points only in the last panel (E = 2 GeV): a legend of the first panel lacks them
    last = data.index[data["E"] == 2.0][:3]
    fig = plot_spectra(
        data,
        _FlatModel(),
        reference=_FlatModel(3.0),
        labels=("fine-tuned", "scaled carbon"),
        test=last,
        ncols=2,
    )
    first_panel = _visible(fig)[0].get_legend_handles_labels()[1]
    assert "test" not in first_panel
    assert _legend_labels(fig) == [
        "train",
        "test",
        "fine-tuned",
        "fine-tuned ±1σ",
        "scaled carbon",
    ]
    plt.close(fig)


def test_title_units_and_axis_labels_on_every_panel():
    data = _data("56Fe")
    # 5 panels on a 2 x 3 grid: the third column of the first row sits above an empty slot
    fig = plot_spectra(data, ncols=3)
    assert "56Fe" in fig.get_suptitle() and "μb/(sr GeV)" in fig.get_suptitle()
    for ax in _visible(fig):
        assert ax.get_xlabel() == "ω [GeV]"
        assert ax.get_ylabel() == "d²σ/dΩdω [μb/(sr GeV)]"
        assert "ub" not in ax.get_ylabel()
    assert sum(not ax.get_visible() for ax in fig.axes) == 1
    assert _sticks_out(fig) == []
    plt.close(fig)
    fig = plot_spectra(data, scale=1)
    assert {ax.get_ylabel() for ax in _visible(fig)} == {"d²σ/dΩdω [nb/(sr GeV)]"}
    plt.close(fig)


def test_nucleus_from_columns_without_attrs():
    data = _data()
    data.attrs.clear()
    data["Z"], data["A"] = 8, 16
    fig = plot_spectra(data)
    assert "Z = 8, A = 16" in fig.get_suptitle()
    fig = plot_spectra(data, title="oxygen, my selection")
    assert fig.get_suptitle() == "oxygen, my selection"
    plt.close("all")


def test_cross_section_unit():
    assert cross_section_unit(1e-3) == "μb/(sr GeV)"
    assert cross_section_unit(1.0) == "nb/(sr GeV)"
    assert cross_section_unit(1e-6) == "mb/(sr GeV)"
    assert cross_section_unit(0.01) == "100 nb/(sr GeV)"


def test_choose_and_reject_spectra():
    data = _data()
    fig = plot_spectra(data, max_panels=2)
    assert sum(ax.get_visible() for ax in fig.axes) == 2
    # spread over the range: the lowest and the highest energy
    titles = [ax.get_title().splitlines()[0] for ax in _visible(fig)]
    assert titles == ["E = 0.5 GeV, θ = 20°", "E = 2 GeV, θ = 15°"]
    with pytest.raises(ValueError, match="spectra not in data"):
        plot_spectra(data, spectra=["nope"])
    plt.close("all")


def _layer_table():
    rows = []
    for target in ("16O", "56Fe"):
        for fraction in (0.1, 0.7):
            for layers in (1, 2, 11):
                value = 2.0 + layers / 10 + fraction
                rows.append((target, fraction, layers, value, value - 0.1, value + 0.2))
    return pd.DataFrame(
        rows,
        columns=[
            "target",
            "train_fraction",
            "trained_layers",
            "chi2_quadrature",
            "chi2_quadrature_min",
            "chi2_quadrature_max",
        ],
    )


def test_layers_legend_from_all_panels():
    # only the second target has the paper's best L: its stars must reach the legend
    paper = {"56Fe": {0.1: (3.64, 10), 0.7: (0.57, 10)}}
    fig = plot_layers(_layer_table(), paper)
    assert _legend_labels(fig) == [
        "qestl, 10% train (median, range over splits)",
        "qestl, 70% train (median, range over splits)",
        "paper, 10% train (best L)",
        "paper, 70% train (best L)",
    ]
    assert [ax.get_title() for ax in fig.axes] == [
        "16O: fine-tuned from carbon",
        "56Fe: fine-tuned from carbon",
    ]
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()
    assert _sticks_out(fig) == []
    plt.close(fig)


def _events(n, rng, energy=None, target="12C"):
    E_nu = np.full(n, energy) if energy else rng.uniform(0.5, 5.0, n)
    E_mu = rng.uniform(0.2, 0.9, n) * (E_nu - 0.11) + 0.106
    frame = pd.DataFrame({"E_nu": E_nu, "E_mu": E_mu, "theta": rng.uniform(2.0, 90.0, n)})
    frame.attrs.update(target=target, probe="numu")
    return frame


def test_describe_events():
    rng = np.random.default_rng(0)
    low, high = _events(20, rng, energy=0.5, target="40Ar"), _events(20, rng, energy=5.0)
    assert describe_events(low, high) == r"CC $\nu_\mu$ on 40Ar, $E_\nu$ = 0.5–5 GeV"
    bare = _events(50, rng, energy=1.0).to_numpy()
    assert describe_events(bare) == r"CC $\nu_\mu$ events, $E_\nu$ = 1 GeV"
    # the nucleus comes from whichever sample carries it
    assert (
        describe_events(bare, _events(50, rng, energy=1.0))
        == r"CC $\nu_\mu$ on 12C, $E_\nu$ = 1 GeV"
    )


def test_event_figures_name_the_sample_and_keep_labels_inside():
    rng = np.random.default_rng(1)
    a, b = _events(2000, rng, energy=1.0), _events(2000, rng, energy=1.0)
    for fig in (
        plot_w_q2(a.to_numpy(), b, labels=("GAN", "generator")),
        plot_proxy_histograms(a, b),
        plot_pull_map(a, b),
    ):
        assert fig.get_suptitle() == r"CC $\nu_\mu$ on 12C, $E_\nu$ = 1 GeV"
        for ax in fig.axes:
            assert ax.get_xlabel() or ax.get_ylabel(), "colour bars carry a label"
        assert _sticks_out(fig) == []
        plt.close(fig)
    fig = plot_w_q2(a, b, labels=("GAN", "generator"))
    assert _legend_labels(fig) == ["GAN", "generator"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["1/N dN/dW [GeV⁻¹]", "1/N dN/dQ² [GeV⁻²]"]
    plt.close(fig)
    fig = plot_proxy_histograms(a, b)
    assert all(ax.get_xlabel().startswith(r"$E_\mu'$") for ax in fig.axes[:2])
    assert all(ax.get_ylabel().startswith(r"$\theta'$") for ax in fig.axes[:2])
    plt.close(fig)


def test_figure_legend_puts_the_order_first_then_sorts_the_rest():
    fig, axes = plt.subplots(1, 2, layout="constrained")
    axes[0].plot([0, 1], [0, 1], label="b")
    axes[0].plot([0, 1], [1, 0], label="data")
    axes[1].plot([0, 1], [0, 1], label="a")
    axes[1].plot([0, 1], [1, 1], label="b")  # drawn twice, listed once
    assert figure_legend(fig, axes, order=("data",), key=str) == ["data", "a", "b"]
    assert figure_legend(fig, axes) == ["b", "data", "a"]
    plt.close(fig)
