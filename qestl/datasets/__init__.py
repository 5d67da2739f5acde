"""Data: the QES archive of measured (e,e') cross sections, selections and splits.

Every loader returns a pandas DataFrame with documented columns and units
(GeV, degrees, nb/(sr GeV)).
"""

from qestl.datasets._cache import get_data_home
from qestl.datasets.fetch import QES_ARCHIVE_URL, fetch_qes
from qestl.datasets.generator_files import (
    CHANNELS,
    EVENT_COLUMNS,
    read_events,
    read_genie_gst,
    read_nuisance_flat,
)
from qestl.datasets.normalization import (
    DEFAULT_NORM_UNCERTAINTY,
    NORM_UNCERTAINTY,
    norm_uncertainty_of,
)
from qestl.datasets.qes import QES_COLUMNS, load_qes
from qestl.datasets.qes_format import read_qes_file
from qestl.datasets.selection import (
    LOW_EXCITATION_CUT,
    cut_low_excitation,
    select_kinematics,
    split_data,
)
from qestl.datasets.synthetic import make_cc_events, make_inclusive_electron
from qestl.targets import Nucleus, parse_target

__all__ = [
    "CHANNELS",
    "EVENT_COLUMNS",
    "DEFAULT_NORM_UNCERTAINTY",
    "LOW_EXCITATION_CUT",
    "NORM_UNCERTAINTY",
    "Nucleus",
    "QES_ARCHIVE_URL",
    "QES_COLUMNS",
    "cut_low_excitation",
    "fetch_qes",
    "get_data_home",
    "load_qes",
    "make_cc_events",
    "make_inclusive_electron",
    "norm_uncertainty_of",
    "parse_target",
    "read_events",
    "read_genie_gst",
    "read_nuisance_flat",
    "read_qes_file",
    "select_kinematics",
    "split_data",
]
