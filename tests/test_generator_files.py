import importlib.util
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from qestl.constants import M_MUON
from qestl.datasets.generator_files import (
    CHANNELS,
    read_events,
    read_genie_gst,
    read_nuisance_flat,
)

# Hand-made GENIE gst events. Columns: neu, fspl, cc, channel flag, Ev, neutrino
# direction, lepton momentum [GeV], lepton angle to the neutrino [deg], wght.
# Entry 6 is NC, entry 7 is nu_e CC: both must be removed. Entry 8 has a beam
# along (0, 0.6, 0.8) and a muon along z: theta = arccos(0.8).
Z = (0.0, 0.0, 1.0)
GST_EVENTS = [
    (14, 13, True, "qel", 1.0, Z, 0.6, 30.0, 1.0),
    (14, 13, True, "mec", 1.5, Z, 0.9, 20.0, 1.0),
    (14, 13, True, "res", 2.0, Z, 1.2, 45.0, 1.0),
    (14, 13, True, "dis", 5.0, Z, 3.0, 10.0, 1.0),
    (14, 13, True, "coh", 3.0, Z, 2.5, 2.0, 1.0),
    (-14, -13, True, "qel", 0.8, Z, 0.5, 60.0, 1.0),
    (14, 14, False, "res", 2.0, Z, 1.5, 25.0, 1.0),
    (12, 11, True, "qel", 1.0, Z, 0.7, 40.0, 1.0),
    (14, 13, True, "qel", 2.0, (0.0, 0.6, 0.8), 1.1, None, 1.0),
    (14, 13, True, None, 4.0, Z, 0.3, 170.0, 2.5),
]
LEPTON_MASS = {13: M_MUON, 14: 0.0, 11: 0.000511}
THETA_8 = np.degrees(np.arccos(0.8))  # 36.8699 deg


def _gst_branches():
    columns = {name: [] for name in ("neu", "fspl", "cc", "nc", "Ev", "El", "wght")}
    for flag in ("qel", "res", "dis", "mec", "coh"):
        columns[flag] = []
    for axis in ("x", "y", "z"):
        columns[f"p{axis}v"], columns[f"p{axis}l"] = [], []
    for neu, fspl, cc, flag, Ev, direction, p, theta, wght in GST_EVENTS:
        nu = np.asarray(direction)
        if theta is None:
            lepton = p * np.array(Z)
        else:
            # Rotate about the x axis: the beam is along z for these events.
            t = np.radians(theta)
            lepton = p * np.array([0.0, np.sin(t), np.cos(t)])
        for axis, nu_i, lep_i in zip("xyz", nu * Ev, lepton, strict=True):
            columns[f"p{axis}v"].append(nu_i)
            columns[f"p{axis}l"].append(lep_i)
        columns["El"].append(np.hypot(p, LEPTON_MASS[abs(fspl)]))
        columns["neu"].append(neu)
        columns["fspl"].append(fspl)
        columns["cc"].append(cc)
        columns["nc"].append(not cc)
        columns["Ev"].append(Ev)
        columns["wght"].append(wght)
        for name in ("qel", "res", "dis", "mec", "coh"):
            columns[name].append(flag == name)
    dtypes = {"neu": np.int32, "fspl": np.int32}
    for name in ("cc", "nc", "qel", "res", "dis", "mec", "coh"):
        dtypes[name] = np.bool_
    return {
        name: np.asarray(values, dtype=dtypes.get(name, np.float64))
        for name, values in columns.items()
    }


def _write_tree(path, name, branches):
    uproot = pytest.importorskip("uproot")
    # mktree writes a TTree, as GENIE and NUISANCE do (plain assignment would
    # write an RNTuple).
    with uproot.recreate(path) as handle:
        handle.mktree(name, {key: value.dtype for key, value in branches.items()})
        handle[name].extend(branches)
    return path


# Hand-made NUISANCE flat-tree events: Mode, cc, PDGnu, PDGLep, Enu_true, ELep,
# CosLep, Weight. Entry 7 is NC elastic, entry 10 is nu_e CC.
FLAT_EVENTS = [
    (1, 1, 14, 13, 1.0, 0.7, np.cos(np.radians(30.0)), 1.0),
    (2, 1, 14, 13, 1.2, 0.8, 0.9, 1.0),
    (11, 1, 14, 13, 2.0, 1.1, 0.5, 1.0),
    (21, 1, 14, 13, 3.0, 1.5, 0.7, 1.0),
    (26, 1, 14, 13, 6.0, 2.0, 0.95, 1.0),
    (16, 1, 14, 13, 2.5, 2.0, 0.999, 1.0),
    (-1, 1, -14, -13, 0.9, 0.6, 0.0, 1.0),
    (51, 0, 14, 14, 1.0, 0.9, 0.8, 1.0),
    (15, 1, 14, 13, 5.0, 4.0, 0.99, 1.0),
    (12, 1, 14, 13, 1.5, 0.9, -0.5, 0.8),
    (1, 1, 12, 11, 1.0, 0.6, 0.5, 1.0),
]
SCALE_FACTOR = 3.2e-41


def _flat_branches():
    names = ("Mode", "cc", "PDGnu", "PDGLep", "Enu_true", "ELep", "CosLep", "Weight")
    dtypes = (np.int32, np.int8, np.int32, np.int32, np.float32, np.float32, np.float32, np.float32)
    rows = list(zip(*FLAT_EVENTS, strict=True))
    branches = {
        name: np.asarray(values, dtype=dtype)
        for name, values, dtype in zip(names, rows, dtypes, strict=True)
    }
    branches["fScaleFactor"] = np.full(len(FLAT_EVENTS), SCALE_FACTOR)
    return branches


@pytest.fixture
def gst_file(tmp_path):
    return _write_tree(tmp_path / "sample.gst.root", "gst", _gst_branches())


@pytest.fixture
def flat_file(tmp_path):
    return _write_tree(tmp_path / "flat.root", "FlatTree_VARS", _flat_branches())


def test_gst_kinematics_channels_and_cc_selection(gst_file):
    with pytest.warns(UserWarning, match="kept 8 of 10 events; removed 1 not charged-current"):
        events = read_genie_gst(gst_file)
    kept = [0, 1, 2, 3, 4, 5, 8, 9]
    assert list(events.index) == kept
    assert events.attrs["n_read"] == 10
    assert events.attrs["n_removed"] == {"not_cc": 1, "cc_not_muon": 1}
    assert list(events.channel) == ["QE", "MEC", "RES", "DIS", "COH", "QE", "QE", "OTHER"]
    assert tuple(events.channel.cat.categories) == CHANNELS
    p = np.array([GST_EVENTS[i][6] for i in kept])
    np.testing.assert_allclose(events.E_mu, np.sqrt(p**2 + M_MUON**2), rtol=1e-12)
    np.testing.assert_allclose(events.E_nu, [GST_EVENTS[i][4] for i in kept])
    expected_theta = [30.0, 20.0, 45.0, 10.0, 2.0, 60.0, THETA_8, 170.0]
    np.testing.assert_allclose(events.theta, expected_theta, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(events.weight, [1, 1, 1, 1, 1, 1, 1, 2.5])
    np.testing.assert_array_equal(events.nu_pdg, [14, 14, 14, 14, 14, -14, 14, 14])


def test_gst_entry_stop_reads_a_prefix_without_warning(gst_file):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events = read_genie_gst(gst_file, entry_stop=3)
    assert list(events.channel) == ["QE", "MEC", "RES"]
    assert events.attrs["n_removed"] == {"not_cc": 0, "cc_not_muon": 0}


def test_gst_missing_branch_is_named(tmp_path):
    branches = _gst_branches()
    del branches["El"]
    path = _write_tree(tmp_path / "broken.root", "gst", branches)
    with pytest.raises(ValueError, match=r"lacks the branches \['El'\]"):
        read_genie_gst(path)
    with pytest.raises(ValueError, match="no tree 'FlatTree_VARS'"):
        read_nuisance_flat(path)


def test_gst_unphysical_event_is_reported(tmp_path):
    branches = _gst_branches()
    branches["El"][2] = 2.5  # above Ev = 2.0
    path = _write_tree(tmp_path / "bad.root", "gst", branches)
    with pytest.raises(ValueError, match=r"1 row with E_mu > E_nu \(first at index 2\)"):
        with pytest.warns(UserWarning):
            read_genie_gst(path)


def test_nuisance_modes_angles_weights(flat_file):
    with pytest.warns(UserWarning, match="kept 9 of 11 events"):
        events = read_nuisance_flat(flat_file)
    kept = [0, 1, 2, 3, 4, 5, 6, 8, 9]
    assert list(events.index) == kept
    assert events.attrs["n_removed"] == {"not_cc": 1, "cc_not_muon": 1}
    expected = ["QE", "MEC", "RES", "DIS", "DIS", "COH", "QE", "OTHER", "RES"]
    assert list(events.channel) == expected
    # Hand-computed angles; the file stores float32 cosines.
    theta = [30.0, 25.841933, 60.0, 45.572996, 18.194872, 2.562558, 90.0, 8.109614, 120.0]
    np.testing.assert_allclose(events.theta, theta, atol=2e-3)
    np.testing.assert_allclose(events.E_mu, [FLAT_EVENTS[i][5] for i in kept], rtol=1e-7)
    np.testing.assert_allclose(events.weight, [1, 1, 1, 1, 1, 1, 1, 1, 0.8], rtol=1e-7)
    np.testing.assert_array_equal(events.nu_pdg, [14] * 6 + [-14, 14, 14])
    np.testing.assert_array_equal(events.scale_factor, SCALE_FACTOR)


def test_read_events_tells_root_formats_apart(gst_file, flat_file, tmp_path):
    with pytest.warns(UserWarning):
        gst = read_events(gst_file)
        flat = read_events(flat_file)
    assert gst.shape[0] == 8 and "scale_factor" not in gst.columns
    assert flat.shape[0] == 9 and "scale_factor" in flat.columns
    other = _write_tree(tmp_path / "other.root", "T", {"x": np.zeros(2)})
    with pytest.raises(
        ValueError, match=r"no GENIE gst or NUISANCE flat tree among the trees \['T'\]"
    ):
        read_events(other)


def _table():
    return pd.DataFrame(
        {
            "E_nu": [1.0, 2.0, 3.0],
            "E_mu": [0.6, 1.5, 0.2],
            "theta": [30.0, 10.0, 120.0],
            "channel": ["QE", "MEC", "DIS"],
            "weight": [1.0, 0.5, 2.0],
        }
    )


def test_csv_round_trip(tmp_path):
    path = tmp_path / "events.csv"
    _table().to_csv(path, index=False)
    events = read_events(path)
    pd.testing.assert_frame_equal(events.drop(columns="channel"), _table().drop(columns="channel"))
    assert list(events.channel) == ["QE", "MEC", "DIS"]
    assert tuple(events.channel.cat.categories) == CHANNELS


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("E_mu", np.nan, r"1 row with NaN or infinite"),
        ("E_mu", 2.5, r"1 row with E_mu > E_nu \(first at index 1\)"),
        ("theta", 190.0, r"theta outside \[0, 180\] degrees \(first at index 1\)"),
        ("E_mu", 0.05, r"E_mu below the muon mass"),
        ("channel", "CCQE", r"unknown channel values \['CCQE'\]"),
        ("E_nu", "one", r"column 'E_nu' is not numeric"),
    ],
)
def test_csv_bad_rows_are_named(tmp_path, column, value, message):
    table = _table().astype({column: object})
    table.loc[1, column] = value
    path = tmp_path / "bad.csv"
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match=message):
        read_events(path)


def test_csv_missing_columns_and_default_weight(tmp_path):
    path = tmp_path / "short.csv"
    _table().drop(columns=["theta", "weight"]).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"missing the columns \['theta'\]"):
        read_events(path)
    _table().drop(columns="weight").to_csv(path, index=False)
    np.testing.assert_array_equal(read_events(path).weight, 1.0)


def test_unknown_suffix_and_format(tmp_path):
    with pytest.raises(ValueError, match="cannot tell the format from the suffix '.txt'"):
        read_events(tmp_path / "events.txt")
    with pytest.raises(ValueError, match="unknown format 'hepmc'"):
        read_events(tmp_path / "events.csv", format="hepmc")


@pytest.mark.skipif(
    not any(importlib.util.find_spec(name) for name in ("pyarrow", "fastparquet")),
    reason="Parquet needs pyarrow or fastparquet",
)
def test_parquet_round_trip(tmp_path):
    path = tmp_path / "events.parquet"
    _table().to_parquet(path)
    events = read_events(path)
    np.testing.assert_allclose(events.E_mu, _table().E_mu)
    assert list(events.channel) == ["QE", "MEC", "DIS"]


def test_missing_uproot_says_how_to_install(monkeypatch, tmp_path):
    # None in sys.modules makes `import uproot` raise ImportError.
    monkeypatch.setitem(sys.modules, "uproot", None)
    message = r'pip install "qestl\[uproot\]"'
    with pytest.raises(ImportError, match=message):
        read_genie_gst(tmp_path / "sample.root")
    with pytest.raises(ImportError, match=message):
        read_events(tmp_path / "sample.root")
