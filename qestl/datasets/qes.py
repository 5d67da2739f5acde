"""Loader of the Quasielastic Electron Nucleus Scattering Archive (QES archive).

O. Benhar, D. Day and I. Sick, Rev. Mod. Phys. 80, 189 (2008). One file per
nucleus (its format: :mod:`qestl.datasets.qes_format`), found locally or
downloaded (:mod:`qestl.datasets.fetch`), its points labelled by dataset and
spectrum and given their normalization uncertainties.
"""

import numpy as np

from qestl.datasets._cache import archive_filename, data_locations, is_intact, record_path
from qestl.datasets.fetch import fetch_qes
from qestl.datasets.normalization import (
    DEFAULT_NORM_UNCERTAINTY,
    NORM_UNCERTAINTY,
    norm_uncertainty_of,
)
from qestl.datasets.qes_format import read_qes_file
from qestl.targets import parse_target

__all__ = ["load_qes", "read_qes_file", "QES_COLUMNS"]

#: Columns of the DataFrame returned by :func:`load_qes`, with their units.
QES_COLUMNS = {
    "Z": "target charge number",
    "A": "target mass number",
    "E": "beam energy [GeV]",
    "theta": "electron scattering angle [deg]",
    "omega": "energy transfer E - E' [GeV]",
    "xsec": "d2sigma/(domega dOmega) per nucleus [nb/(sr GeV)]",
    "error": "point-to-point uncertainty of xsec [nb/(sr GeV)]",
    "citation": "INSPIRE key of the experiment",
    "dataset": "independent normalization set (the experiment, or experiment and angle)",
    "spectrum": "one measured (citation, E, theta) series",
    "norm_uncertainty": "relative normalization uncertainty of the dataset",
}


def _find_file(nucleus, data_home):
    name = archive_filename(nucleus)
    for folder in data_locations(data_home):
        if (folder / name).is_file():
            return folder / name
    return None


def load_qes(
    target,
    data_home=None,
    *,
    split_by_angle=None,
    norm_uncertainty=None,
    download_if_missing=False,
):
    """Load the measured inclusive cross sections of one nucleus.

    Files are looked up in ``data_home``, then ``$QESTL_DATA``, then the user
    cache (:func:`qestl.datasets.get_data_home`).

    Parameters
    ----------
    target : str
        Nucleus, e.g. ``'12C'``, ``'C'`` or ``'carbon'``.
    data_home : str or path-like, optional
        Folder holding ``eQE_<target>.dat``; searched first.
    split_by_angle : bool or collection of str, optional
        Which experiments get one normalization set per scattering angle
        instead of one per experiment. ``None`` (default) splits the
        experiments whose normalization uncertainty is tabulated per angle
        (Chen 1990, Williamson 1997), as Graczyk et al. (2026) do; ``True``
        splits all, ``False`` none, a collection of citations splits those.
    norm_uncertainty : float or mapping, optional
        Overrides the table :data:`qestl.datasets.NORM_UNCERTAINTY`: one
        relative uncertainty for every dataset, or a mapping citation ->
        uncertainty (or angle -> uncertainty) merged over the table.
    download_if_missing : bool, default False
        Call :func:`fetch_qes` when no local file is found.

    Returns
    -------
    pandas.DataFrame
        One row per measured point, columns :data:`QES_COLUMNS` (E, omega in
        GeV, theta in degrees, xsec and error in nb/(sr GeV)). Negative or
        zero cross sections are kept: they are valid background-subtracted data.
        ``attrs["target"]`` holds the canonical target name.

    Raises
    ------
    FileNotFoundError
        When no file is found, naming the folders searched and how to get it.

    Examples
    --------
    >>> carbon = load_qes("12C")  # doctest: +SKIP
    >>> carbon["dataset"].nunique(), carbon["spectrum"].nunique()  # doctest: +SKIP
    (10, 60)
    """
    nucleus = parse_target(target)
    path = _find_file(nucleus, data_home)
    if path is not None and record_path(path).is_file() and not is_intact(path):
        if not download_if_missing:
            raise OSError(
                f"{path} does not match the sha256 recorded when it was downloaded; "
                f"fetch it again with qestl.datasets.fetch_qes({nucleus.name!r}, force=True)"
            )
        path = None
    if path is None and download_if_missing:
        path = fetch_qes(nucleus.name, data_home=data_home)[nucleus.name]
    if path is None:
        searched = ", ".join(str(folder) for folder in data_locations(data_home))
        raise FileNotFoundError(
            f"no QES archive file {archive_filename(nucleus)} in {searched}. "
            "Set QESTL_DATA to the folder holding the archive files, pass data_home=..., "
            f"or download it with qestl.datasets.fetch_qes({nucleus.name!r})."
        )
    frame = read_qes_file(path)
    mismatch = (frame["Z"] != nucleus.Z) | (frame["A"] != nucleus.A)
    if mismatch.any():
        first = int(np.flatnonzero(mismatch.to_numpy())[0])
        raise ValueError(
            f"{path.name}: {int(mismatch.sum())} rows are not {nucleus.name} "
            f"(Z={nucleus.Z}, A={nucleus.A}); first at row {first}"
        )
    frame = _annotate(frame, split_by_angle, norm_uncertainty)
    frame.attrs["target"] = nucleus.name
    return frame


def _annotate(frame, split_by_angle, norm_uncertainty):
    """Add the dataset, spectrum and norm_uncertainty columns."""
    table = dict(NORM_UNCERTAINTY)
    default = DEFAULT_NORM_UNCERTAINTY
    if isinstance(norm_uncertainty, int | float):
        table, default = {}, float(norm_uncertainty)
    elif norm_uncertainty is not None:
        table.update(norm_uncertainty)

    if split_by_angle is None:
        split = {citation for citation, entry in table.items() if isinstance(entry, dict)}
    elif split_by_angle is True:
        split = set(frame["citation"])
    elif split_by_angle is False:
        split = set()
    else:
        split = set(split_by_angle)

    theta_text = frame["theta"].map("{:g}".format)
    angle_split = frame["citation"].isin(split)
    frame["dataset"] = frame["citation"].where(
        ~angle_split, frame["citation"] + " theta=" + theta_text
    )
    frame["spectrum"] = (
        frame["citation"] + " E=" + frame["E"].map("{:g}".format) + " theta=" + theta_text
    )
    pairs = frame[["citation", "theta"]].drop_duplicates()
    lookup = {
        (citation, theta): norm_uncertainty_of(
            citation, theta if citation in split else None, table, default
        )
        for citation, theta in pairs.itertuples(index=False)
    }
    frame["norm_uncertainty"] = [
        lookup[key] for key in zip(frame["citation"], frame["theta"], strict=True)
    ]
    return frame[list(QES_COLUMNS)]
