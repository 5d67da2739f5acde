import json

import numpy as np
import pandas as pd
import pytest

from qestl import CrossSectionRegressor
from qestl.benchmark import evaluate, run_transfer_benchmark
from qestl.cli import main
from qestl.datasets import cut_low_excitation, load_qes, split_data
from qestl.metrics import band_calibration, reduced_chi2


@pytest.fixture(scope="module")
def tiny_carbon(qes_dir):
    carbon = cut_low_excitation(load_qes("12C", data_home=qes_dir))
    return CrossSectionRegressor(
        n_estimators=2, hidden_layers=(8, 8), max_epochs=3, norm_warmup=1, random_state=0
    ).fit(carbon[["E", "theta", "omega"]], carbon["xsec"], sigma=carbon["error"])


def test_transfer_benchmark_writes_results_with_hand_checked_baseline(
    tiny_carbon, qes_dir, tmp_path
):
    table = run_transfer_benchmark(
        targets=["16O"],
        fractions=[0.1],
        seeds=1,
        source=tiny_carbon,
        output=tmp_path,
        data_home=qes_dir,
        progress=False,
    )
    assert list(table["method"]) == ["scaled", "superscaling", "full", "shallow", "scratch"]
    oxygen = cut_low_excitation(load_qes("16O", data_home=qes_dir))
    train, test = split_data(oxygen, 0.1, by="point", random_state=0)
    assert set(table["n_train"]) == {len(train)} and set(table["n_test"]) == {len(test)}
    scaled = tiny_carbon.predict(test[["E", "theta", "omega"]]) * 16 / 12
    expected = reduced_chi2(test["xsec"], scaled, test["error"])
    assert table.loc[0, "chi2_per_point"] == pytest.approx(expected, rel=1e-6)
    assert np.all(np.isfinite(table["chi2_per_point_profiled"]))
    # profiling the normalizations can only lower the chi2 of a fixed prediction
    assert np.all(table["chi2_per_point_profiled"] <= table["chi2_per_point"] + 1e-9)
    result = json.loads((tmp_path / "transfer.json").read_text())
    assert len(result["runs"]) == 5 and result["figures"] == {"16O": "transfer_16O.png"}
    text = (tmp_path / "transfer.md").read_text()
    assert "| 16O | 10% | full |" in text and "| 0.79 |" in text
    assert (tmp_path / "transfer_16O.png").stat().st_size > 10_000


def test_benchmark_command_reports_missing_data(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("QESTL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    status = main(
        ["benchmark", "--targets", "16O", "--data", "real"]
        + ["--data-home", str(tmp_path), "--output", str(tmp_path)]
    )
    assert status == 2
    assert "QESTL_DATA" in capsys.readouterr().err
    status = main(["--source-prior", "-1", "--data-home", str(tmp_path), "--output", str(tmp_path)])
    assert status == 2
    assert "source_prior must be a float >= 0, got -1" in capsys.readouterr().err


def test_benchmark_falls_back_to_announced_pseudo_data_and_resumes(
    tiny_carbon, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("QESTL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    settings = dict(
        targets=["16O"],
        fractions=[0.1],
        seeds=1,
        source=tiny_carbon,
        output=tmp_path,
        data_home=tmp_path,
        progress=False,
    )
    first = run_transfer_benchmark(methods=("scaled", "superscaling"), **settings)
    assert "PSEUDO-DATA" in capsys.readouterr().err
    assert "**PSEUDO-DATA**" in (tmp_path / "transfer.md").read_text()
    stored = json.loads((tmp_path / "transfer.json").read_text())
    assert stored["pseudo_data"] == ["16O"]
    # the superscaling model is not scored on pseudo-data made by itself
    assert list(first["method"]) == ["scaled"] and list(first["data"]) == ["pseudo"]

    resumed = run_transfer_benchmark(methods=("scaled",), resume=True, **settings)
    assert resumed.loc[0, "wall_s"] == first.loc[0, "wall_s"]  # kept, not refitted
    # a run stored as made on measured data is not mixed with pseudo-data runs
    stored["runs"][0]["data"] = "measured"
    (tmp_path / "transfer.json").write_text(json.dumps(stored))
    redone = run_transfer_benchmark(methods=("scaled",), resume=True, **settings)
    assert len(redone) == 1 and redone.loc[0, "wall_s"] != first.loc[0, "wall_s"]
    # nor are runs made with another prior on the source weights
    primed = run_transfer_benchmark(methods=("scaled",), resume=True, source_prior=100, **settings)
    assert len(primed) == 1 and primed.loc[0, "wall_s"] != redone.loc[0, "wall_s"]
    assert list(primed["source_prior"]) == [100]
    assert "fine-tuning with source_prior=100." in (tmp_path / "transfer.md").read_text()
    with pytest.raises(ValueError, match="source_prior must be a float >= 0, got -1"):
        run_transfer_benchmark(source_prior=-1, **settings)
    with pytest.raises(FileNotFoundError, match="QESTL_DATA"):
        run_transfer_benchmark(data_source="real", **settings)


class _FixedModel:
    """A model whose mean and band are given: evaluate's arithmetic by hand."""

    def predict(self, X, return_std=False):
        mean = np.array([10.0, 10.0, 10.0, 10.0])
        std = np.array([3.0, 0.0, 4.0, 0.0])
        return (mean, std) if return_std else mean


def test_evaluate_band_calibration_by_hand():
    test = pd.DataFrame(
        {
            "E": [1.0] * 4,
            "theta": [30.0] * 4,
            "omega": [0.1, 0.2, 0.3, 0.4],
            "xsec": [14.0, 12.0, 10.0, 7.0],
            "error": [4.0, 1.0, 3.0, 2.0],
            "dataset": ["a"] * 4,
            "norm_uncertainty": [0.05] * 4,
        }
    )
    found = evaluate(_FixedModel(), test)
    # pulls with the band: 4/5, 2/1, 0/5, -3/2
    assert found["chi2_per_point_with_band"] == pytest.approx((0.64 + 4 + 0 + 2.25) / 4)
    assert found["fraction_within_1_sigma_with_band"] == pytest.approx(0.5)
    assert found["chi2_per_point"] == pytest.approx((1 + 4 + 0 + 2.25) / 4)


def test_band_calibration_rejects_a_band_of_the_wrong_length():
    with pytest.raises(ValueError, match="band has 1 values for 2 points"):
        band_calibration([1.0, 2.0], [1.0, 2.0], [0.1, 0.1], [0.1])
