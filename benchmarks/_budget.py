"""A wall-clock budget for benchmark training runs (a GPU lease is short)."""

import time

from skorch.callbacks import Callback


class TimeBudget(Callback):
    """Stop training at the first epoch end after ``seconds``.

    skorch ends ``fit`` cleanly on KeyboardInterrupt and still runs
    ``on_train_end``, so qestl's best-epoch callbacks restore their epoch.
    With ``amsgrad_from`` (ConditionalGAN), the AdamW -> AMSGrad switch is
    placed at that fraction of the epochs that fit the budget, as measured
    by the first epoch (``max_epochs`` is then only an upper bound).
    """

    def __init__(self, seconds, amsgrad_from=None):
        self.seconds = seconds
        self.amsgrad_from = amsgrad_from

    def on_train_begin(self, net, **kwargs):
        self.start_ = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        elapsed = time.perf_counter() - self.start_
        if len(net.history) == 1 and self.amsgrad_from is not None and 0 < self.amsgrad_from < 1:
            expected = max(int(self.seconds / elapsed), 2)
            net.amsgrad_epoch = max(round(self.amsgrad_from * expected), 1)
        if elapsed > self.seconds:
            raise KeyboardInterrupt
