"""What the benchmark scripts share: the carbon fit's figures of merit.

The result files themselves are written by :func:`qestl.benchmark.report.write_result`
and :func:`~qestl.benchmark.report.record_row`, which head every file with the
command, the commit, the date and the machine that made it.
"""

import numpy as np

from qestl import metrics
from qestl.metrics import reduced_chi2

#: Kinematic columns of an electron-scattering table: E [GeV], theta [deg], omega [GeV].
COLS = ["E", "theta", "omega"]


def pulls(part, mean, norm_by_dataset):
    """(y - N_k mean) / sigma per point of ``part``, N_k from ``norm_by_dataset``."""
    fitted = part["dataset"].map(norm_by_dataset).to_numpy()
    return (part["xsec"].to_numpy() - mean * fitted) / part["error"].to_numpy()


def band_pulls(part, mean, std, norm_by_dataset):
    """Pulls against the data error and the model's spread added in quadrature.

    (y - N_k mean) / sqrt(sigma^2 + (N_k std)^2) per point of ``part``: the
    calibration test of the band (chi2/N 1, 68 % within 1 when it is right).
    """
    fitted = part["dataset"].map(norm_by_dataset).to_numpy()
    return metrics.band_pulls(part["xsec"], fitted * mean, part["error"], fitted * std)


def figures(model, part, norm_by_dataset, members=None):
    """chi2/N of ``part`` three ways, member chi2/N, and the median relative uncertainty.

    ``members`` (n_members, len(part)) are the members' predictions of
    ``part`` when the caller has them already; else they are computed.
    """
    if members is None:
        members = model.predict_members(part[COLS])
    mean, std = members.mean(0), members.std(0)
    fitted = part["dataset"].map(norm_by_dataset).to_numpy()
    member_chi2 = [reduced_chi2(part["xsec"], m * fitted, part["error"]) for m in members]
    pulls_squared = pulls(part, mean, norm_by_dataset) ** 2
    with_band, within = metrics.band_calibration(
        part["xsec"], fitted * mean, part["error"], fitted * std
    )
    return {
        "n_points": len(part),
        # how much chi2/N would move with another draw of points like these
        "chi2_per_point_standard_error": float(pulls_squared.std(ddof=1) / np.sqrt(len(part))),
        # the training fit's N_k, without their penalty (a property of the fit,
        # not of these points)
        "chi2_per_point_fitted_norm": reduced_chi2(part["xsec"], fitted * mean, part["error"]),
        "chi2_per_point_profiled_norm": reduced_chi2(
            part["xsec"],
            mean,
            part["error"],
            dataset=part["dataset"],
            norm_uncertainty=part["norm_uncertainty"],
            treatment="profile",
        ),
        "chi2_per_point_no_norm": reduced_chi2(part["xsec"], mean, part["error"]),
        "member_chi2_per_point_median": float(np.median(member_chi2)),
        "median_relative_uncertainty": float(np.median(std / np.abs(mean))),
        "chi2_per_point_with_band": with_band,
        "fraction_within_1_sigma_with_band": within,
    }
