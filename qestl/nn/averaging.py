"""Exponential moving average of a network's weights (Polyak averaging of GAN generators)."""

from contextlib import contextmanager

import torch
from torch.optim.swa_utils import AveragedModel

__all__ = ["WeightAverage"]


class WeightAverage:
    """Exponential moving average of a module's parameters, to swap in for evaluation.

    A GAN's generator circles around the equilibrium instead of settling on
    it; the average of its recent weights lies closer to it (Yazici et al.,
    "The Unusual Effectiveness of Averaging in GAN Training", ICLR 2019).
    The copy and the update count come from
    :class:`torch.optim.swa_utils.AveragedModel`; the decay warms up as
    ``min(decay, (1 + t) / (10 + t))`` after ``t`` updates (as TensorFlow's
    ``ExponentialMovingAverage`` with ``num_updates``), so the random initial
    weights do not linger in the average for thousands of steps.

    Parameters
    ----------
    module : torch.nn.Module
        The network being trained (its buffers are not averaged).
    decay : float in (0, 1)
        Weight of the old average per update; the average spans about
        ``1 / (1 - decay)`` updates.
    """

    def __init__(self, module, decay):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), got {decay}")
        self.module = module
        self.decay = decay
        self.average = AveragedModel(module, multi_avg_fn=self._update, use_buffers=False)
        # Counted here too: AveragedModel's count lives on the device, and
        # reading it every step would synchronise a GPU.
        self.n_updates = 0

    def _update(self, averaged, current, _):
        # AveragedModel copies the weights on the first update and calls this
        # from the second on; n_updates has not been incremented yet.
        t = self.n_updates
        weight = 1.0 - min(self.decay, (1.0 + t) / (10.0 + t))
        for old, new in zip(averaged, current, strict=True):
            old.lerp_(new, weight)

    def update(self):
        """Fold the module's current parameters into the average (after an optimizer step)."""
        self.average.update_parameters(self.module)
        self.n_updates += 1

    @contextmanager
    def swapped_in(self):
        """Give the module the averaged parameters inside the block, its own after it."""
        own = [p.detach().clone() for p in self.module.parameters()]
        self.copy_to_module()
        try:
            yield self.module
        finally:
            self._set_parameters(own)

    def copy_to_module(self):
        """Overwrite the module's parameters with the average (no-op before any update)."""
        if self.n_updates > 0:
            self._set_parameters(self.average.module.parameters())

    def state_dict(self):
        """The average and its update count, to continue it in another fit.

        Returns
        -------
        dict
            ``parameters``: list of Tensor (the averaged parameters, in the
            module's order); ``n_updates``: int.
        """
        return {
            "parameters": [p.detach().clone() for p in self.average.module.parameters()],
            "n_updates": self.n_updates,
        }

    def load_state_dict(self, state):
        """Continue the average saved by :meth:`state_dict` (same module architecture).

        Parameters
        ----------
        state : dict

        Raises
        ------
        ValueError
            When the saved parameters do not match the module's in number or shape.
        """
        averaged = list(self.average.module.parameters())
        saved = state["parameters"]
        shapes = [tuple(p.shape) for p in averaged]
        if [tuple(t.shape) for t in saved] != shapes:
            raise ValueError(
                f"the saved weight average holds {len(saved)} tensors that do not match the "
                f"module's {len(shapes)} parameters"
            )
        with torch.no_grad():
            for parameter, tensor in zip(averaged, saved, strict=True):
                parameter.copy_(tensor)
        self.n_updates = int(state["n_updates"])
        self.average.n_averaged.fill_(self.n_updates)

    def _set_parameters(self, tensors):
        with torch.no_grad():
            for parameter, tensor in zip(self.module.parameters(), tensors, strict=True):
                parameter.copy_(tensor)
