import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qestl import CrossSectionRegressor
from qestl.datasets import load_qes
from qestl.kinematics import mott_like_scale

_IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _data_dir():
    value = os.environ.get("QESTL_DATA")
    return Path(value).resolve() if value else None


def pytest_sessionstart(session):
    folder = _data_dir()
    if _IN_CI and (folder is None or not (folder / "eQE_12C.dat").is_file()):
        raise pytest.UsageError(
            f"CI needs the QES archive: QESTL_DATA={os.environ.get('QESTL_DATA')!r} "
            "does not hold eQE_12C.dat"
        )


@pytest.fixture(scope="session")
def qes_dir():
    """The archive folder; tests that need real data skip outside CI when it is absent."""
    folder = _data_dir()
    if folder is None or not (folder / "eQE_12C.dat").is_file():
        pytest.skip("set QESTL_DATA to the QES archive folder to run real-data tests")
    return folder


@pytest.fixture(scope="session")
def carbon(qes_dir):
    return load_qes("12C", data_home=qes_dir)


def _make_toy_data(n=120, seed=0):
    """A smooth, QE-like toy spectrum set in archive units."""
    rng = np.random.default_rng(seed)
    E = rng.choice([0.5, 1.0, 1.5], n)
    theta = rng.choice([30.0, 45.0, 60.0], n)
    omega = rng.uniform(0.02, 0.45, n)
    peak = 0.25 * E * (theta / 45.0)
    y = 0.01 * mott_like_scale(E, theta) * np.exp(-(((omega - peak) / 0.08) ** 2)) + 1.0
    sigma = 0.05 * y + 0.5
    X = pd.DataFrame({"E": E, "theta": theta, "omega": omega})
    dataset = np.where(theta < 40, "exp-a", "exp-b")
    return X, y + rng.normal(0, 1, n) * sigma, sigma, dataset


@pytest.fixture(scope="session")
def toy_data():
    """(X, y, sigma, dataset): 120 points of three QE-like toy spectra in archive units."""
    return _make_toy_data()


@pytest.fixture(scope="session")
def fit_toy_regressor(toy_data):
    """A function that fits a seeded CrossSectionRegressor on :func:`toy_data`.

    ``fit_toy_regressor(**settings)`` returns
    ``CrossSectionRegressor(**settings, random_state=0)`` fitted on (X, y) with
    sigma and dataset, the sources and fitted models the estimator tests share.
    """
    X, y, sigma, dataset = toy_data

    def fit(**settings):
        model = CrossSectionRegressor(**settings, random_state=0)
        return model.fit(X, y, sigma=sigma, dataset=dataset)

    return fit


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Run from an empty folder with no QESTL_DATA and an empty user cache.

    Only the archive files a test puts somewhere (or fetches) are found.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QESTL_DATA", raising=False)
    monkeypatch.delenv("QESTL_QES_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path
