"""Figures of merit, as functions and scikit-learn scorers.

chi2 of cross-section fits with the papers' treatments of the dataset
normalizations (:mod:`qestl.metrics.cross_sections`, on the one chi2 of
:mod:`qestl.chi2`); MAP-3D, MAP-2D and EMD of generated neutrino events
(Bonilla et al., arXiv:2508.12987; :mod:`qestl.metrics.events`); their
scorers (:mod:`qestl.metrics.scorers`).
"""

from qestl.chi2 import member_chi2
from qestl.metrics.cross_sections import (
    TREATMENTS,
    band_calibration,
    band_pulls,
    chi2,
    profile_normalizations,
    reduced_chi2,
    resolve_norm_uncertainty,
    scale_factors,
)
from qestl.metrics.events import (
    emd,
    event_proxies,
    histogram_pulls,
    map_2d,
    map_3d,
    map_criterion,
    map_proxies,
    muon_columns,
    proxy_histogram,
)
from qestl.metrics.scorers import (
    EventScorer,
    chi2_scorer,
    emd_scorer,
    make_chi2_scorer,
    map_3d_no_tails_scorer,
    map_3d_scorer,
)

__all__ = [
    "band_calibration",
    "band_pulls",
    "chi2",
    "chi2_scorer",
    "emd",
    "emd_scorer",
    "event_proxies",
    "EventScorer",
    "histogram_pulls",
    "make_chi2_scorer",
    "map_2d",
    "map_3d",
    "map_3d_no_tails_scorer",
    "map_3d_scorer",
    "map_criterion",
    "map_proxies",
    "member_chi2",
    "muon_columns",
    "profile_normalizations",
    "proxy_histogram",
    "reduced_chi2",
    "resolve_norm_uncertainty",
    "scale_factors",
    "TREATMENTS",
]
