"""Long fits: a progress line (``verbose=1``) and a wall-clock budget."""

import sys
import time

from skorch.callbacks import Callback

__all__ = ["EpochProgress", "TimeBudget"]


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
