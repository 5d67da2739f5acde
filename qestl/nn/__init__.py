"""Torch modules only: the batched ensemble MLP and the losses. No scikit-learn here."""

from qestl.nn.ensemble import BatchedBatchNorm, BatchedLinear, CurveDropout, EnsembleMLP
from qestl.nn.losses import (
    chi2_with_normalization,
    log_space_chi2,
    normalization_sums,
    profiled_normalization,
)

__all__ = [
    "BatchedBatchNorm",
    "BatchedLinear",
    "CurveDropout",
    "EnsembleMLP",
    "chi2_with_normalization",
    "log_space_chi2",
    "normalization_sums",
    "profiled_normalization",
]
