"""One network for many nuclei (Al Hammal et al., PRC 107, 065501): its recipe and its tests.

The multi-nucleus source reads each point's Z and A beside the kinematics
(``CrossSectionRegressor(nucleus_inputs=True)``). This module holds the
recipe of the shipped ``"nuclei"`` model, the fit on a chosen set of
archive nuclei (all of them, or all but one for Al Hammal's
leave-one-nucleus-out test) and the per-nucleus scores of its card.
"""

import numpy as np

from qestl.benchmark.grid import chi2_by_treatment
from qestl.benchmark.paper import ARCHIVE_NUCLEI, archive_points, paper_points
from qestl.datasets import cut_low_excitation, load_qes, parse_target
from qestl.estimators import CrossSectionRegressor

__all__ = [
    "EXCURSION_NUCLEI",
    "NUCLEI_RECIPE",
    "fit_nuclei_model",
    "nucleus_dataset_labels",
    "per_nucleus_scores",
    "source_excursions",
    "zero_shot_scores",
]

#: The nuclei of item "beyond its data" of a transfer source: 4He to 238U.
EXCURSION_NUCLEI = ("4He", "12C", "16O", "27Al", "56Fe", "197Au", "208Pb", "238U")

#: Parameters of the shipped "nuclei" model (CrossSectionRegressor). The
#: architecture and learning rate of the carbon model; the transverse output
#: scale because the archive holds points at 180 degrees; 300 epochs of the
#: 11.7k points are as many optimizer steps as the carbon model's 1500
#: epochs of 2.4k, and a 30-epoch warm-up as many as its 100 (at batch 256).
NUCLEI_RECIPE = {
    "n_estimators": 40,
    "hidden_layers": (128,) * 4,
    "activation": "gelu",
    "features": "scaling",
    "nucleus_inputs": True,
    "output_scale": "transverse",
    "max_epochs": 300,
    "lr": 5e-3,
    "batch_size": 256,
    "norm_warmup": 30,
    "random_state": 2026,
}


def nucleus_dataset_labels(points):
    """Normalization sets of a multi-nucleus frame: one per (nucleus, dataset).

    An experiment that measured several nuclei normalised each target on its
    own (target thickness and density are the main normalization errors), so
    one N_k per nucleus and dataset.

    Parameters
    ----------
    points : pandas.DataFrame
        :func:`qestl.datasets.load_qes` columns, with Z, A, ``dataset`` and
        ``norm_uncertainty``.

    Returns
    -------
    labels : ndarray of str, shape (n,)
        ``"<A> <dataset>"``, e.g. ``"56 Day:1993md"``.
    deltas : dict
        Label -> relative normalization uncertainty, for ``norm_uncertainty``.
    """
    labels = points["A"].astype(str).str.cat(points["dataset"].astype(str), sep=" ").to_numpy()
    deltas = dict(zip(labels, points["norm_uncertainty"].astype(float), strict=True))
    return labels, deltas


def fit_nuclei_model(targets=ARCHIVE_NUCLEI, leave_out=(), data_home=None, **params):
    """Fit one network to the archive points of several nuclei.

    Parameters
    ----------
    targets : iterable of str, default ``ARCHIVE_NUCLEI``
        Nuclei to learn from (:func:`qestl.benchmark.archive_points`).
    leave_out : iterable of str
        Nuclei removed from ``targets``: the leave-one-nucleus-out sources.
    data_home : path-like, optional
    **params
        Overrides of :data:`NUCLEI_RECIPE` (e.g. ``n_estimators``).

    Returns
    -------
    CrossSectionRegressor
        Fitted, with ``training_targets_`` (list of str) and ``training_points_``
        (the frame it was fitted to, in order).
    """
    left_out = {parse_target(name).name for name in leave_out}
    unknown = left_out - {parse_target(name).name for name in targets}
    if unknown:
        raise ValueError(f"leave_out names nuclei not among the targets: {sorted(unknown)}")
    kept = [name for name in targets if parse_target(name).name not in left_out]
    points = archive_points(kept, data_home=data_home)
    labels, deltas = nucleus_dataset_labels(points)
    model = CrossSectionRegressor(**{**NUCLEI_RECIPE, **params, "norm_uncertainty": deltas})
    model.fit(points, points["xsec"], sigma=points["error"], dataset=labels)
    model.training_targets_ = kept
    model.training_points_ = points
    return model


def _scores(points, prediction, prefix):
    """chi2/N in the quadrature and point-error treatments, keyed ``<prefix>_<treatment>``."""
    return chi2_by_treatment(points, prediction, ("quadrature", "none"), prefix)


def per_nucleus_scores(model, points):
    """Training and out-of-bag chi2/N of a multi-nucleus fit, per nucleus.

    Parameters
    ----------
    model : CrossSectionRegressor
        Fitted to ``points`` (in this order); without ``oob_prediction_``
        (a loaded model) the held-out figures are None.
    points : pandas.DataFrame

    Returns
    -------
    list of dict
        Per nucleus (by A, from the ``target`` column): ``target``, ``points``,
        ``train_<treatment>``
        and ``held_out_<treatment>`` (the out-of-bag prediction of the
        points the members held out, :attr:`CrossSectionRegressor.oob_prediction_`).
    """
    prediction = model.predict(points)
    oob = getattr(model, "oob_prediction_", np.full(len(points), np.nan))
    rows = []
    for target in points.sort_values("A")["target"].unique():
        rows_of = (points["target"] == target).to_numpy()
        part = points[rows_of]
        covered = rows_of & np.isfinite(oob)
        row = {"target": target, "points": int(rows_of.sum())}
        row.update(_scores(part, prediction[rows_of], "train"))
        if covered.any():
            row.update(_scores(points[covered], oob[covered], "held_out"))
        else:  # a loaded model keeps no out-of-bag prediction
            row.update({f"held_out_{t}": None for t in ("quadrature", "none")})
        rows.append(row)
    return rows


def zero_shot_scores(model, target, data_home=None):
    """Score a multi-nucleus model on every paper point of a nucleus (no fit to it).

    Parameters
    ----------
    model : CrossSectionRegressor
        Nucleus-aware; for Al Hammal's test, fitted without ``target``.
    target : str
        Nucleus, e.g. ``"16O"``.
    data_home : path-like, optional

    Returns
    -------
    dict
        ``target``, ``points`` and ``zero_shot_<treatment>`` chi2/N on
        :func:`qestl.benchmark.paper_points`.
    """
    points = paper_points(target, data_home=data_home)
    prediction = model.predict(points)
    return {"target": target, "points": len(points), **_scores(points, prediction, "zero_shot")}


def source_excursions(source, targets=EXCURSION_NUCLEI, data_home=None):
    """How far a transfer source's untuned prediction strays from each nucleus's data.

    At every archive point past the low-excitation cut (any beam energy and
    angle), the factor between the source's prediction for the nucleus and
    the measured cross section, max(p / y, y / p): for a single-nucleus
    source the prediction scaled by A / A_source (the "scaled carbon" start
    of fine-tuning), for a nucleus-aware one its prediction at the nucleus's
    Z and A. A source whose output runs away beyond its training data shows
    factors of 1e3 and more there.

    Parameters
    ----------
    source : PretrainedModel
    targets : iterable of str, default ``EXCURSION_NUCLEI``
    data_home : path-like, optional

    Returns
    -------
    list of dict
        Per target: ``target``, ``points``, ``within_10`` and ``within_100``
        (fractions of the points within those factors) and ``worst_factor``.
        A prediction of 0 (the Mott-like scale at 180 degrees) is an
        infinite factor.
    """
    model = source.regressor()
    rows = []
    for target in targets:
        points = cut_low_excitation(load_qes(target, data_home=data_home))
        if (points["xsec"] <= 0).any():
            raise ValueError(f"{target}: non-positive cross sections have no factor to the data")
        if source.nucleus_inputs:
            prediction = model.predict(points)
        else:
            prediction = model.predict(points) * parse_target(target).A / source.mass_number
        with np.errstate(divide="ignore"):
            ratio = np.abs(np.log10(prediction / points["xsec"].to_numpy()))
        rows.append(
            {
                "target": target,
                "points": len(points),
                "within_10": float(np.mean(ratio <= 1.0)),
                "within_100": float(np.mean(ratio <= 2.0)),
                "worst_factor": float(10 ** ratio.max()),
            }
        )
    return rows
