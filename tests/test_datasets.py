import shutil

import numpy as np
import pandas as pd
import pytest

from qestl import kinematics
from qestl.datasets import (
    QES_COLUMNS,
    cut_low_excitation,
    load_qes,
    norm_uncertainty_of,
    parse_target,
    read_qes_file,
    select_kinematics,
    split_data,
)


@pytest.mark.parametrize("name", ["12C", "C", "carbon", "Carbon", "C12", " 12c "])
def test_parse_target_aliases(name):
    assert parse_target(name) == ("12C", 6, 12)


def test_parse_target_isotopes_and_errors():
    assert parse_target("3He") == ("3He", 2, 3)
    assert parse_target("Fe") == ("56Fe", 26, 56)
    assert parse_target("tritium") == ("3H", 1, 3)
    with pytest.raises(ValueError, match="unknown target 'Xx'"):
        parse_target("Xx")
    with pytest.raises(ValueError, match="below the charge"):
        parse_target("3Fe")


def test_load_carbon_counts(carbon):
    assert list(carbon.columns) == list(QES_COLUMNS)
    assert len(carbon) == 2524
    assert carbon["dataset"].nunique() == 10
    assert carbon["spectrum"].nunique() == 60
    assert carbon.attrs["target"] == "12C"
    assert carbon["Z"].eq(6).all() and carbon["A"].eq(12).all()
    # spectra nest inside datasets; negative cross sections are kept
    assert (carbon.groupby("spectrum")["dataset"].nunique() == 1).all()
    assert carbon["error"].gt(0).all()


def test_norm_uncertainties_from_table(carbon):
    per_set = carbon.groupby("dataset")["norm_uncertainty"].unique()
    assert per_set.map(len).eq(1).all()
    assert per_set["Day:1993md"][0] == pytest.approx(0.034)
    assert per_set["Barreau:1983ht"][0] == pytest.approx(0.05)  # documented default


def test_angle_split_hook(qes_dir):
    iron = load_qes("56Fe", data_home=qes_dir)
    chen = iron[iron["citation"] == "Chen:1990kq"]
    assert set(chen["dataset"]) == {"Chen:1990kq theta=15", "Chen:1990kq theta=85"}
    assert chen.groupby("dataset")["norm_uncertainty"].first().tolist() == [0.010, 0.021]
    merged = load_qes("56Fe", data_home=qes_dir, split_by_angle=False)
    assert set(merged.loc[merged["citation"] == "Chen:1990kq", "norm_uncertainty"]) == {0.021}
    carbon = load_qes("12C", data_home=qes_dir, split_by_angle=["Barreau:1983ht"])
    barreau = carbon[carbon["citation"] == "Barreau:1983ht"]
    assert barreau["dataset"].nunique() == barreau["theta"].nunique() > 1


def test_norm_uncertainty_override(qes_dir):
    flat = load_qes("12C", data_home=qes_dir, norm_uncertainty=0.02)
    assert set(flat["norm_uncertainty"]) == {0.02}
    mixed = load_qes("12C", data_home=qes_dir, norm_uncertainty={"Barreau:1983ht": 0.1})
    assert set(mixed.loc[mixed["citation"] == "Barreau:1983ht", "norm_uncertainty"]) == {0.1}
    assert set(mixed.loc[mixed["citation"] == "Day:1993md", "norm_uncertainty"]) == {0.034}
    assert norm_uncertainty_of("Williamson:1997", 140.0) == 0.04


def test_location_order(qes_dir, tmp_path, monkeypatch):
    # data_home wins over QESTL_DATA, which wins over the cache
    lines = (qes_dir / "eQE_16O.dat").read_text().splitlines(keepends=True)
    header = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#") and line.strip()]
    (tmp_path / "eQE_16O.dat").write_text("".join(header + body[:5]))
    monkeypatch.setenv("QESTL_DATA", str(qes_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert len(load_qes("O", data_home=tmp_path)) == 5
    assert len(load_qes("O")) == 126
    monkeypatch.delenv("QESTL_DATA")
    with pytest.raises(FileNotFoundError, match="QESTL_DATA"):
        load_qes("O")
    cache = tmp_path / "cache" / "qestl"
    cache.mkdir(parents=True)
    shutil.copy(qes_dir / "eQE_16O.dat", cache)
    assert len(load_qes("O")) == 126


def test_malformed_file_names_line(tmp_path):
    path = tmp_path / "eQE_12C.dat"
    path.write_text("# header\n 6 12 0.5 36.0 0.1 1.0e3 1.0e2 X:2000\n 6 12 0.5 36.0 0.1 1.0e3\n")
    with pytest.raises(ValueError, match="line 3: expected 8 fields"):
        read_qes_file(path)
    path.write_text(" 6 12 0.5 36.0 abc 1.0e3 1.0e2 X:2000\n")
    with pytest.raises(ValueError, match="line 1: non-numeric"):
        read_qes_file(path)
    path.write_text(" 8 16 0.5 36.0 0.1 1.0e3 1.0e2 X:2000\n")
    with pytest.raises(ValueError, match="not 12C"):
        load_qes("12C", data_home=tmp_path)


def test_low_excitation_cut_on_carbon(carbon):
    kept = cut_low_excitation(carbon)
    removed = carbon.drop(kept.index)
    ex_kept = kinematics.excitation_energy(kept["E"], kept["theta"], kept["omega"], 12)
    ex_removed = kinematics.excitation_energy(removed["E"], removed["theta"], removed["omega"], 12)
    assert len(kept) + len(removed) == len(carbon)
    assert ex_kept.min() >= 0.0265 and ex_removed.max() < 0.0265
    # the cut acts at low omega, as in the paper's plots (removed omega <= 40 MeV), except
    # at high |q| where the recoil term grows: one Arrington 1998 point at 4 GeV, 15 deg
    q = kinematics.q3_electron(removed["E"], removed["theta"], removed["omega"])
    assert 50 < len(removed) < 200 and removed["omega"][q < 1.0].max() <= 0.040
    assert (q >= 1.0).sum() == 1
    # it is not a plain omega cut: omega = 28 MeV is kept at some angles, removed at others
    at_28 = carbon[np.isclose(carbon["omega"], 0.028)]
    assert at_28.index.isin(kept.index).any() and at_28.index.isin(removed.index).any()
    assert len(cut_low_excitation(carbon, threshold=0.0)) > len(kept)


def test_select_kinematics(carbon):
    part = select_kinematics(carbon, E=(1.0, 2.0), theta=(None, 40.0))
    assert part["E"].between(1.0, 2.0).all() and (part["theta"] <= 40.0).all()
    outside = carbon.drop(part.index)
    assert not (outside["E"].between(1.0, 2.0) & (outside["theta"] <= 40.0)).any()
    by_w = select_kinematics(carbon, W=(1.1, 1.4))
    w = kinematics.w_invariant(by_w["E"], by_w["theta"], by_w["omega"])
    assert len(by_w) > 100 and np.all((w >= 1.1) & (w <= 1.4))
    with pytest.raises(ValueError, match="cannot select on 'nu'"):
        select_kinematics(carbon, nu=(0, 1))


@pytest.mark.parametrize("train_size", [0.7, 0.1])
def test_point_split(carbon, train_size):
    train, test = split_data(carbon, train_size, random_state=0)
    assert len(train) + len(test) == len(carbon)
    assert not set(train.index) & set(test.index)
    assert len(train) == pytest.approx(train_size * len(carbon), abs=1)
    again, _ = split_data(carbon, train_size, random_state=0)
    other, _ = split_data(carbon, train_size, random_state=1)
    assert train.index.equals(again.index) and not train.index.equals(other.index)
    # per-point draws put train and test points in the same spectra
    assert len(set(train["spectrum"]) & set(test["spectrum"])) > 10


def test_spectrum_split(carbon):
    train, test = split_data(carbon, 0.7, by="spectrum", random_state=3)
    assert not set(train["spectrum"]) & set(test["spectrum"])
    assert train["spectrum"].nunique() == 42 and test["spectrum"].nunique() == 18
    with pytest.raises(ValueError, match="by must be"):
        split_data(carbon, by="dataset")
    with pytest.raises(ValueError, match="train_size"):
        split_data(carbon, 1.5)
    with pytest.raises(ValueError, match="'spectrum' column"):
        split_data(pd.DataFrame({"E": [1.0, 2.0]}), by="spectrum")
