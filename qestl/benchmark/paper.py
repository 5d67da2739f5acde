"""The transfer study of Graczyk et al. (2026): its data selection and its Table I.

Table I of "Inclusive electron-nucleus cross section models from domain
adaptation" (Graczyk, Kowal, Banerjee, Bonilla, Prasad, Sobczyk, 2026) gives,
per target, the held-out chi2/N of the carbon network fine-tuned with the
best number L of trailing weight layers trained, and of the untuned carbon
network scaled by A/12. Its evaluation error adds each dataset's
normalization uncertainty in quadrature to the point errors (qestl's
``treatment="quadrature"``).
"""

import pandas as pd

from qestl.datasets import cut_low_excitation, load_qes, parse_target

__all__ = ["ARCHIVE_NUCLEI", "PAPER_TABLE", "archive_points", "paper_points"]

#: Graczyk et al. (2026), Table I: target -> {train fraction: (chi2/N, best L
#: of 11 or None), "scaled": {train fraction: chi2/N of scaled carbon},
#: "points": points used or None}. chi2/N in the quadrature currency.
PAPER_TABLE = {
    "3He": {0.7: (2.26, 9), 0.1: (10.90, 8), "scaled": {0.7: 1561.6, 0.1: 2462.5}, "points": 2027},
    "6Li": {0.7: (2.78, 8), 0.1: (71.34, 11), "scaled": {0.7: 1086.4, 0.1: 755.9}, "points": 129},
    "16O": {0.7: (0.64, 4), 0.1: (0.79, 4), "scaled": {0.7: 0.7, 0.1: 0.8}, "points": 120},
    "27Al": {0.7: (0.44, 9), 0.1: (260.13, 9), "scaled": {0.7: 157.3, 0.1: 221.9}, "points": 507},
    "27Al*": {0.7: (0.29, None), 0.1: (1.38, None), "scaled": {0.7: 2.5, 0.1: 3.4}, "points": None},
    "40Ca": {0.7: (0.55, 8), 0.1: (3.51, 8), "scaled": {0.7: 67.3, 0.1: 42.1}, "points": 1182},
    "56Fe": {0.7: (0.57, 10), 0.1: (3.64, 10), "scaled": {0.7: 17.7, 0.1: 21.9}, "points": 2174},
}

#: Beam energies [GeV] of the paper's study: up to 8 GeV.
MAX_BEAM_ENERGY = 8.0

#: Experiments in qestl's archive copy that the paper does not use.
UNUSED_CITATIONS = ("Hotta:1994",)

#: The nuclei of the QES archive that qestl's multi-nucleus model learns from.
ARCHIVE_NUCLEI = ("2H", "3H", "4He", "12C", "16O", "27Al", "56Fe", "197Au", "208Pb", "238U")

#: The starred 27Al row of Table I leaves out Rock 1992's points at this beam energy [GeV].
ROCK_STARRED_ENERGY = 7.257


def paper_points(target, data_home=None, data=None):
    """The points of ``target`` that the paper's transfer study uses.

    The low-excitation cut (E_x >= 26.5 MeV), beam energies up to 8 GeV,
    angles below 180 degrees (the output scale S_A vanishes at 180), without
    Hotta 1994. ``"27Al*"`` is 27Al without Rock 1992's 7.257 GeV points,
    the paper's starred row. On qestl's archive copy this gives exactly the
    paper's counts for 16O (120), 27Al (507) and 56Fe (2174).

    Parameters
    ----------
    target : str
        Nucleus as :func:`qestl.datasets.load_qes` takes it, or ``"27Al*"``.
    data_home : path-like, optional
        Folder of archive files (else ``QESTL_DATA``, then the cache).
    data : pandas.DataFrame, optional
        The target's :func:`~qestl.datasets.load_qes` frame, when already
        loaded (or pseudo-data); then nothing is read.

    Returns
    -------
    pandas.DataFrame
        The selected rows; ``attrs["target"]`` is ``target`` as given
        (``"27Al*"`` stays starred).
    """
    starred = target.endswith("*")
    nucleus = target.rstrip("*")
    if data is None:
        data = load_qes(nucleus, data_home=data_home)
    name = data.attrs.get("target", nucleus)
    kept = cut_low_excitation(data)
    keep = (
        (kept["E"] <= MAX_BEAM_ENERGY)
        & (kept["theta"] < 180.0)
        & ~kept["citation"].isin(UNUSED_CITATIONS)
    )
    if starred:
        keep &= ~(
            (kept["citation"] == "Rock-pc") & (kept["E"].sub(ROCK_STARRED_ENERGY).abs() < 1e-6)
        )
    selected = kept[keep].copy()
    selected.attrs.update(data.attrs)
    selected.attrs["target"] = name + ("*" if starred else "")
    return selected


def archive_points(targets=ARCHIVE_NUCLEI, data_home=None):
    """The points of several nuclei for one multi-nucleus fit, as one frame.

    The paper's selection without its energy limit: the low-excitation cut,
    without Hotta 1994, at every beam energy and angle (180 degrees
    included, which a fit needs ``output_scale="transverse"`` for). Columns
    as :func:`qestl.datasets.load_qes`, Z and A included, so the frame goes
    straight into a ``CrossSectionRegressor(nucleus_inputs=True)``.

    Parameters
    ----------
    targets : iterable of str, default ``ARCHIVE_NUCLEI``
        Nuclei as :func:`qestl.datasets.load_qes` takes them.
    data_home : path-like, optional
        Folder of archive files (else ``QESTL_DATA``, then the cache).

    Returns
    -------
    pandas.DataFrame
        With a fresh RangeIndex, a ``target`` column (the nucleus's name,
        e.g. "4He") and ``attrs["targets"]``, the targets as given.
    """
    targets = list(targets)
    if not targets:
        raise ValueError("archive_points needs at least one target")
    frames = []
    for target in targets:
        kept = cut_low_excitation(load_qes(target, data_home=data_home))
        kept = kept[~kept["citation"].isin(UNUSED_CITATIONS)]
        frames.append(kept.assign(target=parse_target(target).name))
    points = pd.concat(frames, ignore_index=True)
    points.attrs["targets"] = targets
    return points
