"""The transfer study of Graczyk et al. (2026): carbon ensemble -> other nuclei.

Shared by the ``qestl benchmark`` / ``qestl transfer`` commands and
``benchmarks/``: the paper's data selection and Table I
(:mod:`~qestl.benchmark.paper`), the grid of fits run locally or on a Dask
cluster (:mod:`~qestl.benchmark.grid`), its tables
(:mod:`~qestl.benchmark.report`) and the resumable driver
(:mod:`~qestl.benchmark.study`).
"""

from qestl.benchmark.grid import (
    SCORED_TREATMENTS,
    evaluate,
    fit_cell,
    fit_method,
    resolve_methods,
    run_cells,
)
from qestl.benchmark.paper import ARCHIVE_NUCLEI, PAPER_TABLE, archive_points, paper_points
from qestl.benchmark.report import layer_table, pick_layers, transfer_table
from qestl.benchmark.study import DEFAULT_METHODS, run_transfer_benchmark

__all__ = [
    "ARCHIVE_NUCLEI",
    "DEFAULT_METHODS",
    "PAPER_TABLE",
    "archive_points",
    "SCORED_TREATMENTS",
    "evaluate",
    "fit_cell",
    "fit_method",
    "layer_table",
    "paper_points",
    "pick_layers",
    "resolve_methods",
    "run_cells",
    "run_transfer_benchmark",
    "transfer_table",
]
