"""Training: the skorch nets and callbacks behind qestl's estimators.

All are public: pass any callback to an estimator's ``callbacks=[...]``
beside skorch's own (``EarlyStopping``, ``Checkpoint``, ...), or use the
nets directly to train a :mod:`qestl.nn` module your own way.

- :class:`EnsembleNet` trains the batched ensemble on the per-member chi2
  with normalizations; :class:`MemberGradientClipping`,
  :class:`BestMemberEpoch` and :class:`SourcePrior` (transfer learning) are
  its callbacks.
- :class:`GanNet` alternates discriminator and generator steps;
  :class:`BestMapEpoch` keeps the epoch of best MAP on validation events.
- :class:`EpochProgress` shows the epochs done and the time left;
  :class:`TimeBudget` stops a fit after a wall-clock budget (a GPU lease, a
  batch-queue slot), keeping the best epoch so far; :class:`CosineTimeDecay`
  lowers the learning rates over the budget's late part.
"""

from qestl.training.device import fused_adam_supported, resolve_device
from qestl.training.ensemble import (
    BestMemberEpoch,
    EnsembleNet,
    MemberGradientClipping,
    SourcePrior,
)
from qestl.training.gan import BestMapEpoch, GanNet, switch_to_amsgrad
from qestl.training.progress import CosineTimeDecay, EpochProgress, TimeBudget

__all__ = [
    "BestMapEpoch",
    "BestMemberEpoch",
    "CosineTimeDecay",
    "EnsembleNet",
    "EpochProgress",
    "GanNet",
    "MemberGradientClipping",
    "SourcePrior",
    "TimeBudget",
    "fused_adam_supported",
    "resolve_device",
    "switch_to_amsgrad",
]
