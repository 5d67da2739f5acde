"""How an ensemble regressor gets its uncertainty: members (Model A) or dropout passes (Model B).

Each strategy answers the few questions on which the two models differ, so
the fit and the prediction read the same for both.
"""

from contextlib import contextmanager

import torch

from qestl.nn import CurveDropout

__all__ = ["DropoutPasses", "EnsembleMembers"]


class EnsembleMembers:
    """Model A: ``n`` networks side by side, each on its own replica of the data.

    The spread of the members is the uncertainty; the post-fit selection
    (``member_cut``) drops members that ran away.
    """

    dropout = 0.0
    selects_members = True

    def __init__(self, n):
        self.n_trained = self.n_passes = int(n)

    def resampling(self, resampling):
        """How each member's data are drawn (``resampling`` as given)."""
        return resampling

    def expand(self, features):
        """Inputs of one prediction pass (each member reads the same rows)."""
        return features

    @contextmanager
    def masks(self, module, seed):
        """No masks to hold: an ensemble predicts deterministically."""
        yield

    def kept(self, per_member, members_kept):
        """The rows of the members kept."""
        return per_member[members_kept]


class DropoutPasses:
    """Model B: one network with dropout, kept on at prediction, ``n`` passes.

    Each pass holds one dropout mask over all the rows it predicts (one
    curve per mask), drawn from ``seed`` so that a prediction repeats. The
    one network trains on the data themselves (no point replicas).
    """

    selects_members = False
    n_trained = 1

    def __init__(self, n, dropout):
        self.n_passes = int(n)
        self.dropout = float(dropout)

    def resampling(self, resampling):
        """Bootstrap weights still apply; point replicas do not (one network)."""
        return "bootstrap" if resampling == "bootstrap" else "none"

    def expand(self, features):
        """The rows once per pass: (n_passes, n, F)."""
        return features.expand(self.n_passes, -1, -1)

    @contextmanager
    def masks(self, module, seed):
        """Hold one dropout mask per pass while predicting, drawn from ``seed``."""
        device = next(module.parameters()).device
        dropouts = [m for m in module.modules() if isinstance(m, CurveDropout)]
        generator = torch.Generator(device=device)
        generator.manual_seed(seed)
        for layer in dropouts:
            layer.start_curves(generator)
        try:
            yield
        finally:
            for layer in dropouts:
                layer.stop_curves()

    def kept(self, per_member, members_kept):
        """Every pass."""
        return per_member
