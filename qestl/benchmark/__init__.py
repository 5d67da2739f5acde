"""The transfer study of Graczyk et al. (2026) and the multi-nucleus source.

Shared by the ``qestl benchmark`` / ``qestl transfer`` commands and
``benchmarks/``: the paper's data selection and Table I
(:mod:`~qestl.benchmark.paper`), the recipe and tests of the multi-nucleus
model (:mod:`~qestl.benchmark.nuclei`), the grid of fits run locally or on a Dask
cluster (:mod:`~qestl.benchmark.grid`), its tables
(:mod:`~qestl.benchmark.report`), the resumable driver
(:mod:`~qestl.benchmark.study`), and the writer that stamps every result
file with the command, commit, date and machine that made it
(:mod:`~qestl.benchmark.results`).
"""

from qestl.benchmark.grid import (
    SCORED_TREATMENTS,
    evaluate,
    fit_cell,
    fit_method,
    resolve_methods,
    run_cells,
)
from qestl.benchmark.nuclei import (
    NUCLEI_RECIPE,
    fit_nuclei_model,
    per_nucleus_scores,
    source_excursions,
    zero_shot_scores,
)
from qestl.benchmark.paper import ARCHIVE_NUCLEI, PAPER_TABLE, archive_points, paper_points
from qestl.benchmark.report import layer_table, pick_layers, transfer_table
from qestl.benchmark.results import (
    PROVENANCE,
    code_version,
    current_command,
    machine_label,
    made_by,
    matmul_rate,
    provenance,
    record_row,
    rewrite_page,
    write_result,
)
from qestl.benchmark.study import DEFAULT_METHODS, run_transfer_benchmark

__all__ = [
    "PROVENANCE",
    "code_version",
    "current_command",
    "machine_label",
    "made_by",
    "matmul_rate",
    "provenance",
    "record_row",
    "rewrite_page",
    "write_result",
    "ARCHIVE_NUCLEI",
    "DEFAULT_METHODS",
    "NUCLEI_RECIPE",
    "PAPER_TABLE",
    "archive_points",
    "SCORED_TREATMENTS",
    "evaluate",
    "fit_cell",
    "fit_method",
    "fit_nuclei_model",
    "layer_table",
    "paper_points",
    "per_nucleus_scores",
    "pick_layers",
    "resolve_methods",
    "run_cells",
    "run_transfer_benchmark",
    "source_excursions",
    "transfer_table",
    "zero_shot_scores",
]
