"""The pages' examples read the QES archive through QESTL_DATA, as the tests do.

Without it (and outside CI, where its absence is an error: tests/conftest.py)
a page whose examples read measured data is skipped, not failed.
"""

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _needs_the_archive(request):
    page = Path(str(request.node.fspath))
    text = page.read_text(encoding="utf-8") if page.suffix == ".md" else ""
    if not any(word in text for word in ("QESTL_DATA", "load_qes", "archive_points")):
        return
    folder = os.environ.get("QESTL_DATA")
    if not folder or not (Path(folder) / "eQE_12C.dat").is_file():
        pytest.skip(f"{page.name}: set QESTL_DATA to the QES archive folder to run its examples")
