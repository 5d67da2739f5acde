"""Model ν event generator: kinematic limits, cross sections and API (PHYSICS.md §5, §6, §7.2)."""

import numpy as np
import pandas as pd
import pytest

from qestl.constants import M_MUON, M_NUCLEON
from qestl.kinematics import E_MU_GAP, q2_neutrino, w_neutrino
from qestl.physics.constants import M_NEUTRON, M_PION, M_PROTON
from qestl.physics.neutrino import MODELS, NeutrinoModel, cross_section, generate_events
from qestl.physics.neutrino.generator import weighted_events
from qestl.physics.neutrino.models import resolve_model

GEV_38 = 1e-38
# (target, probe, model, energy range): both Fermi gases, both probes, both nuclei.
CONFIGS = {
    "12C nu GFG": ("12C", "numu", "default", (0.3, 10.0)),
    "12C nubar GFG": ("12C", "numubar", "default", (0.3, 2.0)),
    "40Ar nu LFG": ("40Ar", "numu", NeutrinoModel(fermi_gas="local"), (0.3, 2.0)),
    "12C nu changed": ("12C", "numu", "changed", (0.3, 2.0)),
}


@pytest.fixture(scope="module", params=list(CONFIGS))
def events(request):
    target, probe, model, energy = CONFIGS[request.param]
    return generate_events(10_000, target, probe, model, energy, random_state=1)


def test_kinematic_limits(events):
    E_nu, E_mu = events["E_nu"].to_numpy(), events["E_mu"].to_numpy()
    assert np.all(E_mu >= M_MUON)
    assert np.all(E_mu < E_nu - E_MU_GAP)  # needed by the GAN proxy E_mu'
    assert events["theta"].between(0.0, 180.0).all()
    assert np.all(events["Q2"] >= 0)
    # The boosted muon reproduces the sampled Q² (Lorentz invariant): checks the boost.
    np.testing.assert_allclose(
        q2_neutrino(E_nu, E_mu, events["theta"]), events["Q2"], rtol=1e-8, atol=1e-9
    )
    W = events["W"]
    res, dis = events["channel"] == "RES", events["channel"] == "DIS"
    assert W[res].between(M_NUCLEON + M_PION, 1.6).all()
    assert (W[dis] >= 1.4).all()
    assert set(events["channel"].cat.categories) == {"QE", "RES", "DIS"}
    assert events.attrs["overflows"] <= 1e-4 * sum(events.attrs["trials"].values())


def test_qe_pauli_bound_carbon_gfg():
    # §6: E_mu − E_nu ≤ √(M_n² + k_F²) − ε_B − √(M_p² + k_F²) = −23.7 MeV (12C, ν, GFG).
    kf, binding = 0.221, 0.025
    bound = np.sqrt(M_NEUTRON**2 + kf**2) - binding - np.sqrt(M_PROTON**2 + kf**2)
    assert bound == pytest.approx(-0.0237, abs=5e-5)
    events = generate_events(10_000, energy=(0.3, 1.0), random_state=2)
    qe = events[events["channel"] == "QE"]
    assert len(qe) > 3000
    assert (qe["E_mu"] - qe["E_nu"]).max() <= bound


def test_reconstructed_w_peaks():
    # §7.2: W from the muon with a nucleon at rest peaks at 1.24 GeV for RES at 1 GeV;
    # QE sits just above M (binding moves the energy transfer up).
    events = generate_events(20_000, energy=1.0, random_state=3)
    w = w_neutrino(events["E_nu"], events["E_mu"], events["theta"])
    qe = w[events["channel"] == "QE"]
    assert 0.93 < np.nanmedian(qe) < 1.0
    res = w[events["channel"] == "RES"]
    counts, edges = np.histogram(res, bins=np.arange(1.0, 1.6, 0.01))
    smooth = np.convolve(counts, np.ones(5) / 5, mode="same")
    assert 1.21 < edges[np.argmax(smooth)] + 0.005 < 1.28
    # The true W of RES events is a Δ peak below M_Δ (§7.2: dσ/dW peaks at 1.216 GeV).
    assert 1.18 < events.loc[events["channel"] == "RES", "W"].median() < 1.26


def test_channel_fractions_follow_cross_sections():
    events = generate_events(20_000, energy=1.0, random_state=4)
    fractions = events["channel"].value_counts(normalize=True)
    # §7.2, 12C ν at 1 GeV: QE / RES / DIS = 5.93 / 4.16 / 0.13.
    assert fractions["QE"] == pytest.approx(5.93 / 10.22, abs=0.02)
    assert fractions["RES"] == pytest.approx(4.16 / 10.22, abs=0.02)


def test_unweighted_q2_matches_weighted_trials():
    events = generate_events(20_000, energy=1.0, random_state=5)
    qe = events.loc[events["channel"] == "QE", "Q2"]
    trials = weighted_events(100_000, "QE", energy=1.0, random_state=6)
    weighted_mean = np.average(trials["Q2"], weights=trials["weight"])
    assert qe.mean() == pytest.approx(weighted_mean, rel=0.03)


def test_pauli_blocking_ratio():
    # §7.2: 12C GFG, ν, 1 GeV; ratio with/without blocking per Q² bin, and the
    # Fermi-gas factor 3x/4 − x³/16 at x = ⟨q⟩/k_F.
    kwargs = dict(n=300_000, channel="QE", energy=1.0, random_state=7)
    free = weighted_events(pauli_blocking=False, **kwargs)
    blocked = weighted_events(pauli_blocking=True, **kwargs)
    edges = [0.0, 0.01, 0.02, 0.05, 0.1, 0.15]
    num, _ = np.histogram(blocked["Q2"], edges, weights=blocked["weight"])
    den, _ = np.histogram(free["Q2"], edges, weights=free["weight"])
    np.testing.assert_allclose(num / den, [0.250, 0.414, 0.597, 0.806, 0.940], atol=0.02)
    q = np.sqrt(free["Q2"] + (1.0 - free["E_mu"]) ** 2)
    sums, _ = np.histogram(free["Q2"], edges[:3], weights=free["weight"] * q)
    x = sums / den[:2] / 0.221
    np.testing.assert_allclose(num[:2] / den[:2], 0.75 * x - x**3 / 16, atol=0.02)
    assert blocked.loc[blocked["Q2"] > 0.2, "weight"].sum() == pytest.approx(
        free.loc[free["Q2"] > 0.2, "weight"].sum()
    )


@pytest.mark.parametrize(
    ("target", "probe", "reference"),
    [
        ("12C", "numu", {1.0: (5.93, 4.16, 0.13), 3.0: (5.76, 6.51, 11.49)}),
        ("12C", "numubar", {1.0: (2.02, 1.01, 0.03), 3.0: (3.67, 3.71, 3.60)}),
        ("40Ar", "numu", {1.0: (21.42, 13.06, 0.47), 3.0: (20.89, 20.62, 39.46)}),
    ],
)
def test_per_nucleus_cross_sections(target, probe, reference):
    table = cross_section(list(reference), target, probe, n_trials=50_000) / GEV_38
    for energy, values in reference.items():
        for channel, value in zip(("QE", "RES", "DIS"), values, strict=True):
            # §7.2: 3 % tolerance, 0.01e-38 cm² floor for the tiny DIS values at 1 GeV.
            assert table.loc[energy, channel] == pytest.approx(value, rel=0.03, abs=0.01)
    assert np.allclose(table["total"], table[["QE", "RES", "DIS"]].sum(axis=1))


def test_antineutrino_qe_below_neutrino_and_changed_model_above_default():
    nu = cross_section(1.0, channel="QE", n_trials=50_000)
    nubar = cross_section(1.0, probe="numubar", channel="QE", n_trials=50_000)
    changed = cross_section(1.0, model="changed", channel="QE", n_trials=50_000)
    assert nubar < 0.4 * nu
    assert changed > 1.2 * nu
    assert changed / GEV_38 == pytest.approx(7.71, rel=0.03)  # §7.2 alternative model
    # Per target nucleon (§7.2): ν 0.988 with Pauli blocking, LFG 0.996.
    assert nu / 6 / GEV_38 == pytest.approx(0.988, rel=0.03)


def test_cross_section_forms():
    sigma = cross_section(np.array([[1.0, 2.0]]), channel="RES", n_trials=2000)
    assert sigma.shape == (1, 2)
    assert isinstance(cross_section(1.0, channel="RES", n_trials=2000), float)
    a = cross_section([1.0], n_trials=2000, random_state=3)
    b = cross_section([1.0], n_trials=2000, random_state=3)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["QE", "RES", "DIS", "total"]


def test_random_state_reproducibility():
    a = generate_events(500, energy=(0.5, 2.0), random_state=11)
    b = generate_events(500, energy=(0.5, 2.0), random_state=11)
    c = generate_events(500, energy=(0.5, 2.0), random_state=12)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["E_mu"], c["E_mu"])


def test_energy_forms():
    fixed = generate_events(50, energy=1.5, random_state=0)
    assert np.all(fixed["E_nu"] == 1.5)
    per_event = [0.7, 2.0, 1.2]
    listed = generate_events(energy=per_event, random_state=0)
    np.testing.assert_array_equal(listed["E_nu"], per_event)
    assert len(generate_events(3, energy=np.array(per_event), random_state=0)) == 3
    # A list of two energies is two events; only a tuple is a range.
    assert list(generate_events(energy=[0.5, 1.5], random_state=0)["E_nu"]) == [0.5, 1.5]
    ranged = generate_events(200, energy=(0.5, 1.5), random_state=0)
    assert ranged["E_nu"].between(0.5, 1.5).all() and ranged["E_nu"].nunique() == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(target="16O"), "supports the targets"),
        (dict(target="unobtainium"), "supports the targets"),
        (dict(probe="nue"), "probe must be one of"),
        (dict(model="nuwro"), "changed"),
        (dict(energy=-1.0), "within"),
        (dict(energy=(1.0, 50.0)), "within"),
        (dict(energy=(2.0, 1.0)), "low < high"),
        (dict(energy=(1.0, 2.0, 3.0)), "pair"),
        (dict(n=None, energy=[1.0, np.nan]), "finite"),
        (dict(energy="one"), "energy must be"),
        (dict(n=3, energy=[1.0, 2.0]), "does not match"),
        (dict(n=0), "positive integer"),
        (dict(n=None), "n is required"),
    ],
)
def test_generate_events_errors(kwargs, message):
    kwargs = {"n": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        generate_events(**kwargs)


def test_model_and_cross_section_errors():
    with pytest.raises(ValueError, match="channel must be one of"):
        cross_section(1.0, channel="COH")
    with pytest.raises(ValueError, match="n_trials"):
        cross_section(1.0, n_trials=0)
    with pytest.raises(ValueError, match="fermi_gas"):
        NeutrinoModel(fermi_gas="spectral")
    with pytest.raises(ValueError, match="w_res_max"):
        NeutrinoModel(w_res_max=1.0)
    assert resolve_model("changed") is MODELS["changed"]
    assert MODELS["changed"].axial_mass == 1.35 and MODELS["changed"].fermi_gas == "local"
