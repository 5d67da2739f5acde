"""Torch modules only: the batched ensemble MLP, the GAN networks, losses, freezing.

No scikit-learn here.
"""

from qestl.nn.clipping import clip_member_gradients, member_gradient_norms, per_member
from qestl.nn.ensemble import BatchedBatchNorm, BatchedLinear, CurveDropout, EnsembleMLP
from qestl.nn.freezing import freeze_leading, resolve_freeze
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
    "clip_member_gradients",
    "freeze_leading",
    "log_space_chi2",
    "member_gradient_norms",
    "normalization_sums",
    "per_member",
    "profiled_normalization",
    "resolve_freeze",
]
