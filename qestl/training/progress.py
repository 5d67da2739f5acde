"""Long fits: a progress line (``verbose=1``), a wall-clock budget, a rate decay over it."""

import math
import sys
import time

import torch
from skorch.callbacks import Callback

__all__ = ["CosineTimeDecay", "EpochProgress", "TimeBudget"]


class EpochProgress(Callback):
    """One line on a stream, rewritten in place: epochs done, of how many, and the time left.

    skorch's ``ProgressBar`` counts the batches of one epoch, which for
    these small data sets is over in a blink; a fit of a thousand epochs
    needs the count of epochs and an estimate of the time left instead.
    ``verbose=1`` of the estimators adds it.

    Parameters
    ----------
    label : str, default "fit"
        Text in front of the count.
    every : float, default 1.0
        Least time between two updates of the line [s].
    stream : file-like, optional
        Default ``sys.stderr``.

    Examples
    --------
    >>> import io
    >>> from qestl import CrossSectionRegressor
    >>> X = [[1.0, 30.0, 0.1 * k] for k in range(1, 9)]
    >>> stream = io.StringIO()
    >>> model = CrossSectionRegressor(
    ...     n_estimators=2, hidden_layers=(4,), max_epochs=3, validation_fraction=0,
    ...     callbacks=[EpochProgress(every=0.0, stream=stream)], random_state=0,
    ... ).fit(X, [1e3] * 8, sigma=[50.0] * 8)
    >>> stream.getvalue().splitlines()[-1].split(",")[0].strip()
    'fit: epoch 3/3'
    """

    def __init__(self, label="fit", every=1.0, stream=None):
        self.label = label
        self.every = every
        self.stream = stream

    def on_train_begin(self, net, **kwargs):
        """Start the clock."""
        self.start_ = time.perf_counter()
        self.shown_ = -float("inf")

    def on_epoch_end(self, net, **kwargs):
        """Rewrite the line, at most every ``every`` seconds and after the last epoch."""
        done, total = len(net.history), net.max_epochs
        now = time.perf_counter()
        if now - self.shown_ < self.every and done < total:
            return
        self.shown_ = now
        elapsed = now - self.start_
        left = elapsed / done * (total - done)
        self._write(
            f"\r{self.label}: epoch {done}/{total}, {elapsed:.0f} s, about {left:.0f} s left"
        )

    def on_train_end(self, net, **kwargs):
        """End the line."""
        self._write("\n")

    def _write(self, text):
        stream = self.stream or sys.stderr
        stream.write(text)
        stream.flush()


class TimeBudget(Callback):
    """Stop training at the first epoch end after ``seconds`` (a GPU lease is short).

    skorch ends ``fit`` cleanly on KeyboardInterrupt and still runs
    ``on_train_end``, so qestl's best-epoch callbacks restore their epoch.
    With ``amsgrad_from`` (ConditionalGAN), the AdamW -> AMSGrad switch is
    placed at that fraction of the epochs that fit the budget, as measured
    by the first epoch (``max_epochs`` is then only an upper bound).

    Parameters
    ----------
    seconds : float
        Wall-clock budget of the fit [s].
    amsgrad_from : float in (0, 1), optional
        The GAN's ``amsgrad_from``, to place its optimizer switch within the budget.

    Examples
    --------
    >>> from qestl import CrossSectionRegressor
    >>> X = [[1.0, 30.0, 0.1 * k] for k in range(1, 9)]
    >>> model = CrossSectionRegressor(
    ...     n_estimators=2, hidden_layers=(4,), max_epochs=1000, validation_fraction=0,
    ...     callbacks=[TimeBudget(seconds=0.0)], random_state=0,
    ... ).fit(X, [1e3] * 8, sigma=[50.0] * 8)
    >>> len(model.history_)
    1
    """

    def __init__(self, seconds, amsgrad_from=None):
        self.seconds = seconds
        self.amsgrad_from = amsgrad_from

    def on_train_begin(self, net, **kwargs):
        """Start the clock."""
        self.start_ = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        """Stop once the budget is spent; place the AMSGrad switch after the first epoch."""
        elapsed = time.perf_counter() - self.start_
        if len(net.history) == 1 and self.amsgrad_from is not None and 0 < self.amsgrad_from < 1:
            expected = max(int(self.seconds / elapsed), 2)
            net.amsgrad_epoch = max(round(self.amsgrad_from * expected), 1)
        if elapsed > self.seconds:
            raise KeyboardInterrupt


class CosineTimeDecay(Callback):
    """Lower every optimizer's learning rate on a cosine over the late part of a time budget.

    A GAN's generator circles the equilibrium at a distance set by the step
    size; smaller steps at the end of a fit let it close in (the ν_μ-carbon
    GAN's sixth stage, docs/validation/gan-carbon.md). Time, not epochs,
    sets the schedule because a fit under :class:`TimeBudget` does not know
    its epoch count in advance. The factor on the rates at a fraction
    ``done`` of the budget is ``final + (1 - final) (1 + cos(pi r)) / 2``
    with ``r = (done - start) / (1 - start)`` clipped to [0, 1].

    Every optimizer of the net is scaled (both of a GAN's), from the rates
    each parameter group had at the first training batch; the callback
    sets the rates before every training batch, so it overrides any other
    learning-rate schedule. At the end of the fit the rates are put back,
    so a further fit starts from them, not from the lowered ones.

    Parameters
    ----------
    seconds : float
        The fit's wall-clock budget [s], as given to :class:`TimeBudget`.
    start : float in [0, 1)
        Fraction of the budget spent at the full rates.
    final : float in (0, 1]
        Factor on the rates at the end of the budget.

    Examples
    --------
    >>> from qestl import ConditionalGAN
    >>> budget = 600.0  # s
    >>> gan = ConditionalGAN(max_epochs=1000, callbacks=[
    ...     TimeBudget(budget), CosineTimeDecay(budget, start=0.5, final=0.1)])
    """

    def __init__(self, seconds, start, final):
        self.seconds = seconds
        self.start = start
        self.final = final

    def initialize(self):
        """Check the settings before any work."""
        if not self.seconds > 0:
            raise ValueError(f"CosineTimeDecay: seconds must be > 0, got {self.seconds}")
        if not 0 <= self.start < 1:
            raise ValueError(f"CosineTimeDecay: start must be in [0, 1), got {self.start}")
        if not 0 < self.final <= 1:
            raise ValueError(f"CosineTimeDecay: final must be in (0, 1], got {self.final}")
        return self

    def factor(self, done):
        """The factor on the learning rates once a fraction of the budget is spent.

        Parameters
        ----------
        done : float
            Time spent over the budget (``seconds``); may exceed 1.

        Returns
        -------
        float
            In [``final``, 1]: 1 up to ``start``, ``final`` from 1 on.
        """
        ramp = min(max((done - self.start) / (1.0 - self.start), 0.0), 1.0)
        return self.final + (1.0 - self.final) * 0.5 * (1.0 + math.cos(math.pi * ramp))

    def on_train_begin(self, net, **kwargs):
        """Start the clock."""
        self.clock_ = time.perf_counter()
        self.base_ = None

    def on_batch_begin(self, net, training=False, **kwargs):
        """Set the rates of this training step."""
        if not training:
            return
        if self.base_ is None:
            # skorch keeps each initialized optimizer as a fitted attribute of the net
            self.optimizers_ = [
                o for o in vars(net).values() if isinstance(o, torch.optim.Optimizer)
            ]
            self.base_ = [[group["lr"] for group in o.param_groups] for o in self.optimizers_]
        self._scale(self.factor((time.perf_counter() - self.clock_) / self.seconds))

    def on_train_end(self, net, **kwargs):
        """Put the rates back."""
        if self.base_ is not None:
            self._scale(1.0)

    def _scale(self, factor):
        for optimizer, rates in zip(self.optimizers_, self.base_, strict=True):
            for group, rate in zip(optimizer.param_groups, rates, strict=True):
                group["lr"] = rate * factor
