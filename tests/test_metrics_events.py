import numpy as np
import pandas as pd
import pytest

from qestl.constants import M_MUON
from qestl.kinematics import E_MU_GAP, proxy_to_emu, proxy_to_enu, proxy_to_theta
from qestl.metrics import (
    EventScorer,
    emd,
    event_proxies,
    histogram_pulls,
    map_2d,
    map_3d,
    map_3d_scorer,
    map_proxies,
)
from qestl.plotting_events import plot_proxy_histograms, plot_pull_map, plot_w_q2

SQRT_2_OVER_PI = np.sqrt(2 / np.pi)


def toy_muons(E_nu, rng, shift=0.0):
    """(E_mu, theta): E_mu a Beta fraction of the available energy, theta forward; + shift [deg]."""
    E_mu = M_MUON + (E_nu - E_MU_GAP - M_MUON) * rng.beta(5, 2, E_nu.size)
    theta = np.clip(180 * rng.beta(1.2, 3 + 2 * E_nu) + shift, 0, 180)
    return np.column_stack([E_mu, theta])


def toy_events(n, rng, shift=0.0, energy=None):
    """(E_nu, E_mu, theta) of :func:`toy_muons`, E_nu uniform in 0.3-10 GeV or fixed."""
    E_nu = rng.uniform(0.3, 10.0, n) if energy is None else np.full(n, energy)
    return np.column_stack([E_nu, toy_muons(E_nu, rng, shift)])


def test_map_3d_of_one_distribution_is_sqrt_2_over_pi():
    rng = np.random.default_rng(1)
    a, b = toy_events(300_000, rng), toy_events(300_000, rng)
    assert map_3d(a, b, tails=False) == pytest.approx(SQRT_2_OVER_PI, abs=0.03)
    # unequal sizes: the pulls are normalised to the totals
    assert map_3d(a, toy_events(100_000, rng), tails=False) == pytest.approx(
        SQRT_2_OVER_PI, abs=0.03
    )


def test_map_3d_grows_with_a_shift():
    rng = np.random.default_rng(2)
    a = toy_events(100_000, rng)
    same = map_3d(a, toy_events(100_000, rng))
    shifted = map_3d(a, toy_events(100_000, rng, shift=3.0))
    assert shifted > same + 0.5


def test_map_2d_at_one_energy():
    rng = np.random.default_rng(3)
    a, b = toy_events(200_000, rng, energy=1.0), toy_events(200_000, rng, energy=1.0)
    # at one energy only ~150 bins are populated: the MAP scatters by ~0.6/sqrt(150)
    assert map_2d(a, b, tails=False) == pytest.approx(SQRT_2_OVER_PI, abs=0.15)
    assert map_2d(a, toy_events(200_000, rng, shift=5.0, energy=1.0)) > 1.0


def test_histogram_pulls_formula():
    a, b = np.array([10.0, 4.0, 0.0, 0.0]), np.array([6.0, 4.0, 2.0, 0.0])
    pulls = histogram_pulls(a, b)  # n = 14, m = 12
    assert pulls[0] == pytest.approx((12 * 10 - 14 * 6) / np.sqrt(14 * 12 * 16))
    assert pulls[2] == pytest.approx(-14 * 2 / np.sqrt(14 * 12 * 2))
    assert np.isnan(pulls[3])
    # equal totals: (a - b) / sqrt(a + b)
    assert histogram_pulls([9.0, 1.0], [5.0, 5.0])[0] == pytest.approx(4 / np.sqrt(14))
    assert np.allclose(histogram_pulls(b, a)[:3], -pulls[:3])


def test_map_tails_selects_bins():
    # bin 0: counts (10, 6); bin 1: counts (1, 3); bin 2: (2, 0) has an empty side
    a = np.r_[np.full(10, -0.9), np.full(1, 0.1), np.full(2, 0.9)][:, None]
    b = np.r_[np.full(6, -0.9), np.full(3, 0.1)][:, None]
    pulls = histogram_pulls([10.0, 1.0, 2.0], [6.0, 3.0, 0.0])
    assert map_proxies(a, b, bins=3) == pytest.approx(np.mean(np.abs(pulls[:2])))
    assert map_proxies(a, b, bins=3, tails=False) == pytest.approx(abs(pulls[0]))
    assert np.isnan(map_proxies(a[:3], b[:3], bins=3, tails=False))


def _events_at_proxies(proxies):
    E_nu = proxy_to_enu(proxies[:, 0])
    return np.column_stack([E_nu, proxy_to_emu(proxies[:, 1], E_nu), proxy_to_theta(proxies[:, 2])])


def test_emd_of_a_one_bin_shift_is_the_bin_width():
    rng = np.random.default_rng(4)
    centres = (np.arange(14) + 0.5) * 2 / 14 - 1
    cells = centres[rng.integers(2, 12, (500, 3))]
    shifted = cells.copy()
    shifted[:, 2] += 2 / 14
    a, b = _events_at_proxies(cells), _events_at_proxies(shifted)
    assert emd(a, a) == pytest.approx(0.0, abs=1e-8)
    assert emd(a, b) == pytest.approx(2 / 14, rel=1e-6)


def test_emd_of_a_million_events_is_binned():
    # the speed (10^6 events well under 5 s) is measured in benchmarks/gan_carbon.py
    rng = np.random.default_rng(5)
    a, b = toy_events(1_000_000, rng), toy_events(1_000_000, rng, shift=3.0)
    assert 0.01 < emd(a, b) < 0.2


def test_event_proxies_rejects_unphysical_events():
    good = np.array([[1.0, 0.5, 10.0]])
    assert event_proxies(pd.DataFrame(good, columns=["E_nu", "E_mu", "theta"])).shape == (1, 3)
    with pytest.raises(ValueError, match=r"outside m_mu <= E_mu <= E_nu - 0.004.*rows \[1\]"):
        event_proxies(np.array([[1.0, 0.5, 10.0], [1.0, 0.999, 10.0]]))
    with pytest.raises(ValueError, match="rows \\[0\\]"):
        event_proxies(np.array([[1.0, 0.5, 181.0]]))
    with pytest.raises(ValueError, match="NaN"):
        event_proxies(np.array([[1.0, np.nan, 10.0]]))
    with pytest.raises(ValueError, match="shape"):
        event_proxies(np.ones((3, 2)))
    with pytest.raises(ValueError, match="lacks columns \\['theta'\\]"):
        event_proxies(pd.DataFrame({"E_nu": [1.0], "E_mu": [0.5]}))


class _Replay:
    """A "generator" that returns the given events at the requested energies."""

    def __init__(self, muons):
        self.muons = muons

    def sample(self, E_nu, random_state=None):
        return pd.DataFrame({"E_nu": E_nu, "E_mu": self.muons[:, 0], "theta": self.muons[:, 1]})


def test_event_scorer_compares_samples_at_the_test_energies():
    rng = np.random.default_rng(6)
    X = rng.uniform(0.3, 10.0, 20_000)
    y = toy_muons(X, rng)
    assert map_3d_scorer(_Replay(y), X, y) == 0.0
    same, shifted = toy_muons(X, rng), toy_muons(X, rng, shift=5.0)
    assert map_3d_scorer(_Replay(shifted), X, y) < map_3d_scorer(_Replay(same), X, y) - 0.2
    assert EventScorer(emd)(_Replay(shifted), X, y) < EventScorer(emd)(_Replay(same), X, y)
    with pytest.raises(ValueError, match="shape \\(20000, 2\\)"):
        map_3d_scorer(_Replay(y), X, y[:10])


def test_event_plots():
    rng = np.random.default_rng(7)
    a, b = toy_events(3000, rng, energy=2.0), toy_events(3000, rng, energy=2.0, shift=5.0)
    fig = plot_w_q2(a, b)
    assert [ax.get_xlabel() for ax in fig.axes] == ["W [GeV]", "Q² [GeV²]"]
    assert len(plot_proxy_histograms(a, b).axes) == 3  # two panels and the colour bar
    fig = plot_pull_map(a, b)
    assert fig.axes[0].get_title() == f"MAP-2D = {map_2d(a, b):.2f}"
