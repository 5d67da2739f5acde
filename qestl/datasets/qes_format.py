"""The file format of the QES archive: one ``eQE_<A><Symbol>.dat`` file into a DataFrame.

O. Benhar, D. Day and I. Sick, Rev. Mod. Phys. 80, 189 (2008). Each file
holds ``#`` comment lines and whitespace-separated columns Z, A, E [GeV],
theta [deg], omega [GeV], xsec [nb/(sr GeV)], error [nb/(sr GeV)] and the
INSPIRE key of the experiment. Both the reader (:mod:`qestl.datasets.qes`)
and the downloader (:mod:`qestl.datasets.fetch`, which checks what it got)
parse files with it.
"""

from pathlib import Path

import pandas as pd

__all__ = ["read_qes_file"]

_FILE_COLUMNS = ["Z", "A", "E", "theta", "omega", "xsec", "error", "citation"]


def read_qes_file(path):
    """Parse one archive file into its eight raw columns.

    Parameters
    ----------
    path : str or path-like
        An ``eQE_*.dat`` file.

    Returns
    -------
    pandas.DataFrame
        Columns Z, A, E, theta, omega, xsec, error, citation, one row per data line.

    Raises
    ------
    ValueError
        Naming the file and line of a row without 8 fields or with a non-numeric
        value (a truncated download shows up here), or for a file without data.
    """
    path = Path(path)
    rows = []
    # A hand loop rather than pandas.read_csv: it names the file and line of a
    # malformed row, which is how a truncated or corrupt download is reported.
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            fields = text.split()
            if len(fields) != len(_FILE_COLUMNS):
                raise ValueError(
                    f"{path.name} line {number}: expected {len(_FILE_COLUMNS)} fields "
                    f"(Z A E theta omega xsec error citation), found {len(fields)}: {text!r}"
                )
            try:
                values = [float(field) for field in fields[:7]]
            except ValueError:
                raise ValueError(
                    f"{path.name} line {number}: non-numeric value in {text!r}"
                ) from None
            rows.append((*values, fields[7]))
    if not rows:
        raise ValueError(f"{path.name}: no data rows")
    frame = pd.DataFrame(rows, columns=_FILE_COLUMNS)
    return frame.astype({"Z": int, "A": int})
