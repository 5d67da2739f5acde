import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qestl import CrossSectionRegressor
from qestl.benchmark import (
    PAPER_TABLE,
    evaluate,
    paper_points,
    pick_layers,
    resolve_methods,
    run_transfer_benchmark,
    transfer_table,
)
from qestl.cli import main
from qestl.datasets import cut_low_excitation, load_qes, split_data
from qestl.metrics import band_calibration, reduced_chi2

COLUMNS = ["E", "theta", "omega"]
ANCHORS = Path(__file__).resolve().parents[2] / "shared" / "data" / "anchors" / "table1.csv"


@pytest.fixture(scope="module")
def tiny_carbon(qes_dir):
    carbon = cut_low_excitation(load_qes("12C", data_home=qes_dir))
    return CrossSectionRegressor(
        n_estimators=2, hidden_layers=(8, 8), max_epochs=3, norm_warmup=1, random_state=0
    ).fit(carbon[COLUMNS], carbon["xsec"], sigma=carbon["error"])


def _oxygen_cell(source, output, data_home, max_epochs):
    """Settings of run_transfer_benchmark for a one-cell grid: 16O, 10 % of its points, 1 split.

    Parameters
    ----------
    source : CrossSectionRegressor
        The carbon model.
    output, data_home : path-like
        Folders of the results and of the archive.
    max_epochs : int
        Epochs of every fit.

    Returns
    -------
    dict
        Keyword arguments, quiet (no progress bar).
    """
    return dict(
        targets=["16O"],
        fractions=[0.1],
        seeds=1,
        source=source,
        output=output,
        data_home=data_home,
        max_epochs=max_epochs,
        progress=False,
    )


def test_paper_points_reproduce_the_papers_counts(qes_dir):
    for target in ("16O", "27Al", "56Fe"):
        assert len(paper_points(target, data_home=qes_dir)) == PAPER_TABLE[target]["points"]
    aluminium = paper_points("27Al", data_home=qes_dir)
    starred = paper_points("27Al*", data_home=qes_dir)
    rock_7257 = (aluminium["citation"] == "Rock-pc") & np.isclose(aluminium["E"], 7.257)
    assert len(starred) == len(aluminium) - rock_7257.sum() and rock_7257.sum() > 0
    assert starred.attrs["target"] == "27Al*"
    iron = paper_points("56Fe", data_home=qes_dir)
    assert iron["E"].max() <= 8.0 and iron["theta"].max() < 180.0
    assert "Hotta:1994" not in set(iron["citation"])


@pytest.mark.skipif(not ANCHORS.is_file(), reason="the anchors folder lies beside the repository")
def test_paper_table_matches_the_anchor_file():
    with ANCHORS.open() as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    assert len(rows) == 2 * len(PAPER_TABLE)
    for row in rows:
        entry = PAPER_TABLE[row["target"]]
        fraction = float(row["train_fraction"])
        value, layers = entry[fraction]
        assert value == pytest.approx(float(row["chi2_per_point"]))
        assert layers == (int(row["best_L"]) if row["best_L"] else None)
        assert entry["scaled"][fraction] == pytest.approx(float(row["scaled_carbon"]))


def test_resolve_methods_names_and_errors():
    assert resolve_methods(["layers"], 3) == ["L1", "L2", "L3"]
    assert resolve_methods(["full", "L3", "shallow", "scratch"], 11) == [
        "L11",
        "L3",
        "L2",
        "scratch",
    ]
    with pytest.raises(ValueError, match=r"L must lie in \[1, 3\]"):
        resolve_methods(["L4"], 3)
    with pytest.raises(ValueError, match="unknown method 'deep'"):
        resolve_methods(["deep"], 3)


def test_transfer_benchmark_scores_every_treatment_by_hand(tiny_carbon, qes_dir, tmp_path):
    settings = _oxygen_cell(tiny_carbon, tmp_path, qes_dir, max_epochs=2)
    table = run_transfer_benchmark(**settings, command="test command")
    # the source has 3 weight layers: full = L3, shallow = L2
    assert list(table["method"]) == ["scaled", "superscaling", "L3", "L2", "scratch"]
    oxygen = paper_points("16O", data_home=qes_dir)
    train, test = split_data(oxygen, 0.1, by="point", random_state=0)
    assert set(table["n_train"]) == {len(train)} and set(table["n_test"]) == {len(test)}
    f = tiny_carbon.predict(test[COLUMNS]) * 16 / 12
    y, s = test["xsec"].to_numpy(), test["error"].to_numpy()
    d = test["norm_uncertainty"].to_numpy()
    scaled = table.iloc[0]
    assert scaled["chi2_none"] == pytest.approx(np.mean((f - y) ** 2 / s**2), rel=1e-6)
    assert scaled["chi2_quadrature"] == pytest.approx(
        np.mean((f - y) ** 2 / (s**2 + (d * y) ** 2)), rel=1e-6
    )
    assert np.all(table["chi2_quadrature"] <= table["chi2_none"] + 1e-12)
    assert np.all(table["chi2_profile"] <= table["chi2_none"] + 1e-9)
    result = json.loads((tmp_path / "transfer.json").read_text())
    assert result["commands"] == ["test command"] and len(result["runs"]) == 5
    text = (tmp_path / "transfer.md").read_text()
    assert text.index("test command") < text.index("## Transfer table")
    assert "| 16O | 10% | full (L=3) |" in text
    assert "| 0.79 (L=4) |" in text  # the paper's best L beside the best-L rows
    assert "| 0.8 |" in text  # the paper's scaled carbon beside ours
    # the summary line: qestl's full fine-tuning (1 split) beside the paper's best L
    full = table.loc[table["method"] == "L3", "chi2_quadrature"].item()
    summary = next(
        line for line in text.splitlines() if line.startswith("| 16O | 10% | ") and "(1)" in line
    )
    assert summary.startswith(f"| 16O | 10% | {full:.3g} (1) |") and "| 0.79 (L=4) |" in summary


def test_benchmark_resumes_and_falls_back_to_announced_pseudo_data(
    tiny_carbon, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("QESTL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    settings = _oxygen_cell(tiny_carbon, tmp_path, tmp_path, max_epochs=1)
    first = run_transfer_benchmark(methods=("scaled", "superscaling"), **settings)
    assert "PSEUDO-DATA" in capsys.readouterr().err
    assert "**PSEUDO-DATA**" in (tmp_path / "transfer.md").read_text()
    # the superscaling model is not scored on pseudo-data made by itself
    assert list(first["method"]) == ["scaled"] and list(first["data"]) == ["pseudo"]

    resumed = run_transfer_benchmark(methods=("scaled", "L1"), **settings)
    assert list(resumed["method"]) == ["scaled", "L1"]
    assert resumed.loc[0, "wall_s"] == first.loc[0, "wall_s"]  # kept, not refitted
    commands = json.loads((tmp_path / "transfer.json").read_text())["commands"]
    assert len(commands) == 2
    run_transfer_benchmark(methods=("scaled",), command="nothing to fit", **settings)
    # a run that fits nothing rewrites the tables but is not one of the commands that made them
    assert json.loads((tmp_path / "transfer.json").read_text())["commands"] == commands
    restarted = run_transfer_benchmark(methods=("scaled",), resume=False, **settings)
    assert len(restarted) == 1 and restarted.loc[0, "wall_s"] != first.loc[0, "wall_s"]
    # fits made with other settings are neither mixed in nor silently thrown away
    with pytest.raises(ValueError, match=r"source_prior 0.0 there, 100 here.*--restart"):
        run_transfer_benchmark(methods=("scaled",), source_prior=100, **settings)
    with pytest.raises(ValueError, match="max_epochs 1 there, 2 here"):
        run_transfer_benchmark(methods=("scaled",), **{**settings, "max_epochs": 2})
    assert len(json.loads((tmp_path / "transfer.json").read_text())["runs"]) == 1
    primed = run_transfer_benchmark(
        methods=("scaled",), source_prior=100, **{**settings, "output": tmp_path / "primed"}
    )
    assert len(primed) == 1 and list(primed["source_prior"]) == [100]
    # an overflowing chi2 is stored as null and read back as the worst value, not as missing
    stored = json.loads((tmp_path / "transfer.json").read_text())
    stored["runs"][0]["chi2_quadrature"] = None
    (tmp_path / "transfer.json").write_text(json.dumps(stored))
    kept = run_transfer_benchmark(methods=("scaled",), **settings)
    assert kept.loc[0, "chi2_quadrature"] == np.inf
    with pytest.raises(
        ValueError, match=r"n_jobs must be a positive int or -1 \(every core\), got 0"
    ):
        run_transfer_benchmark(methods=("scaled",), n_jobs=0, **settings)
    with pytest.raises(ValueError, match="nothing to fit"):
        run_transfer_benchmark(methods=("superscaling",), **settings)
    prior = r"'source_prior' parameter of TransferRegressor must be a float in the range \[0, inf\)"
    with pytest.raises(ValueError, match=prior + r"\. Got -1"):
        run_transfer_benchmark(source_prior=-1, **settings)
    with pytest.raises(ValueError, match="seeds: 2 counts for 1 fractions"):
        run_transfer_benchmark(methods=("scaled",), **{**settings, "seeds": [1, 2]})
    with pytest.raises(FileNotFoundError, match="QESTL_DATA"):
        run_transfer_benchmark(data_source="real", **settings)


def _runs(rows):
    columns = [
        "target",
        "train_fraction",
        "seed",
        "trained_layers",
        "chi2_quadrature",
        "oob_chi2_quadrature",
    ]
    runs = pd.DataFrame(rows, columns=columns)
    runs["method"] = ["L" + str(k) if k else "scaled" for k in runs["trained_layers"]]
    runs["chi2_none"] = 2 * runs["chi2_quadrature"]
    runs["chi2_profile"] = runs["chi2_quadrature"]
    runs["wall_s"] = runs["cpu_s"] = 1.0
    runs["n_train"] = 12
    return runs


def test_pick_layers_on_test_points_and_on_training_points_by_hand():
    runs = _runs(
        [
            # seed, L, test chi2, out-of-bag chi2 on the training points
            ("16O", 0.1, 0, 1, 5.0, 1.0),
            ("16O", 0.1, 1, 1, 1.0, 9.0),
            ("16O", 0.1, 2, 1, 6.0, 9.0),
            ("16O", 0.1, 0, 2, 2.0, 4.0),
            ("16O", 0.1, 1, 2, 3.0, 2.0),
            ("16O", 0.1, 2, 2, 4.0, 3.0),
            ("16O", 0.1, 0, 3, 0.5, 8.0),  # best, but run on one split only: not a candidate
            ("16O", 0.1, 0, 4, 4.0, 9.0),  # run on four splits: compared on the three shared
            ("16O", 0.1, 1, 4, 4.0, 9.0),
            ("16O", 0.1, 2, 4, 4.0, 9.0),
            ("16O", 0.1, 3, 4, 0.1, 9.0),
            ("16O", 0.1, 0, 0, 50.0, np.nan),  # a baseline
        ]
    )
    picks = pick_layers(runs).set_index("choice")
    # medians over the three splits: L1 5.0, L2 3.0, L4 4.0 (its split 3 left out)
    assert picks.loc["test", "layers"] == [2, 2, 2]
    assert picks.loc["test", "chi2_quadrature"] == [2.0, 3.0, 4.0]
    # per split, the lowest out-of-bag chi2: split 0 -> L1, 1 -> L2, 2 -> L2
    assert picks.loc["training", "layers"] == [1, 2, 2]
    assert picks.loc["training", "chi2_quadrature"] == [5.0, 3.0, 4.0]
    table = transfer_table(runs, n_weight_layers=4).set_index("method")
    assert table.loc["best L (test)", "chi2_quadrature"] == 3.0
    assert table.loc["best L (training)", "chi2_quadrature"] == 4.0
    assert table.loc["best L (test)", "paper"] == 0.79
    assert table.loc["best L (test)", "ratio_to_paper"] == pytest.approx(3.0 / 0.79)
    assert table.loc["scaled", "paper"] == 0.8
    assert table.loc["shallow (L=2)", "splits"] == 3
    # beside every fine-tuning row, the paper's best fine-tuned figure and its L
    assert table.loc["shallow (L=2)", "paper"] == 0.79
    assert table.loc["shallow (L=2)", "paper_layers"] == 4


def test_dask_cluster_gives_the_local_results(tiny_carbon, qes_dir, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    settings = dict(
        targets=["16O"],
        fractions=[0.1],
        seeds=1,
        methods=["scaled", "layers"],
        source=tiny_carbon,
        data_home=qes_dir,
        max_epochs=3,
        progress=False,
    )
    local = run_transfer_benchmark(output=tmp_path / "local", **settings)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_transfer_benchmark(
            output=tmp_path / "dask", scheduler=cluster.scheduler_address, **settings
        )
    columns = ["chi2_quadrature", "chi2_none", "chi2_profile"]
    local, remote = (t.sort_values("method").reset_index(drop=True) for t in (local, remote))
    assert list(remote["method"]) == ["L1", "L2", "L3", "scaled"]
    np.testing.assert_array_equal(remote[columns].to_numpy(), local[columns].to_numpy())


def test_benchmark_command_reports_bad_settings(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("QESTL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    common = ["--data-home", str(tmp_path), "--output", str(tmp_path)]
    assert main(["benchmark", "--targets", "16O", "--data", "real", *common]) == 2
    assert "QESTL_DATA" in capsys.readouterr().err
    assert main(["--source-prior", "-1", *common]) == 2
    err = capsys.readouterr().err
    assert (
        "'source_prior' parameter of TransferRegressor must be a float in the range [0, inf)" in err
    )
    assert main(["benchmark", "--methods", "deep", *common]) == 2
    assert "unknown method 'deep'" in capsys.readouterr().err
    dask = pytest.importorskip("dask")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        address = ["--scheduler", "tcp://127.0.0.1:1"]
        status = main(["benchmark", "--data", "pseudo", "--methods", "scaled", *address, *common])
    assert status == 2
    assert "no Dask scheduler answers at 'tcp://127.0.0.1:1'" in capsys.readouterr().err


class _FixedModel:
    """A model whose mean and band are given: evaluate's arithmetic by hand."""

    def predict(self, X, return_std=False):
        mean = np.array([10.0, 10.0, 10.0, 10.0])
        std = np.array([3.0, 0.0, 4.0, 0.0])
        return (mean, std) if return_std else mean


def test_evaluate_by_hand():
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
    assert found["chi2_with_band"] == pytest.approx((0.64 + 4 + 0 + 2.25) / 4)
    assert found["fraction_within_1_sigma_with_band"] == pytest.approx(0.5)
    assert found["chi2_none"] == pytest.approx((1 + 4 + 0 + 2.25) / 4)
    # quadrature: sigma^2 + (0.05 y)^2 = 16.49, 1.36, 9.25, 4.1225
    assert found["chi2_quadrature"] == pytest.approx((16 / 16.49 + 4 / 1.36 + 0 + 9 / 4.1225) / 4)
    assert found["chi2_quadrature"] == pytest.approx(
        reduced_chi2(
            test["xsec"], [10.0] * 4, test["error"], norm_uncertainty=0.05, treatment="quadrature"
        )
    )


def test_band_calibration_rejects_a_band_of_the_wrong_length():
    with pytest.raises(ValueError, match="band has 1 values for 2 points"):
        band_calibration([1.0, 2.0], [1.0, 2.0], [0.1, 0.1], [0.1])
