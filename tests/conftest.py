import os
from pathlib import Path

import pytest

from qestl.datasets import load_qes

_IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _data_dir():
    value = os.environ.get("QESTL_DATA")
    return Path(value) if value else None


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
