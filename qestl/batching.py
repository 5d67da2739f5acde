"""Mini-batches fetched by one indexing call each, for skorch's ``iterator_train``.

skorch's default iterator is a torch ``DataLoader`` that calls the dataset
once per row and then collates the rows: for a GAN epoch over 10^6 events
that is 10^6 Python calls. torch's "batched fetching" mode (``batch_size=None``
with a sampler that yields whole index sets) hands the dataset one index per
batch instead.
"""

import torch
from torch.utils.data import DataLoader, Sampler

__all__ = ["batch_loader"]


class _IndexBatches(Sampler):
    """Yields ``(indices,)`` per batch: an int64 tensor wrapped in a 1-tuple.

    skorch's ``Dataset`` passes tuples straight to ``data[index]`` (tensors,
    arrays, and dicts of them), whereas a list or array index goes through
    scikit-learn's ``_safe_indexing``, which inspects every element (about
    1 ms per 1024-row batch, measured). ``data[(idx,)]`` is ``data[idx]``.
    """

    def __init__(self, n_rows, batch_size, shuffle, drop_last):
        self.n_rows = n_rows
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last

    def __len__(self):
        if self.drop_last:
            return self.n_rows // self.batch_size
        return -(-self.n_rows // self.batch_size)

    def __iter__(self):
        # randperm draws from torch's global CPU stream, as DataLoader(shuffle=True) does
        order = torch.randperm(self.n_rows) if self.shuffle else torch.arange(self.n_rows)
        for batch in order.split(self.batch_size)[: len(self)]:
            yield (batch,)


def batch_loader(dataset, batch_size, shuffle=False, drop_last=False):
    """A ``DataLoader`` that fetches each mini-batch with one indexing call.

    Drop-in for skorch's ``iterator_train`` / ``iterator_valid``
    (``NeuralNet(iterator_train=batch_loader, iterator_train__shuffle=True)``).

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        Holding tensors, arrays or dicts of them (indexed as ``data[(idx,)]``).
    batch_size : int
        Rows per batch; the last batch may be smaller unless ``drop_last``.
    shuffle : bool, default False
        Draw a new permutation each epoch from torch's global random
        stream (as ``DataLoader(shuffle=True)`` does), so seeded fits stay
        reproducible.
    drop_last : bool, default False

    Returns
    -------
    torch.utils.data.DataLoader
        Yields what ``dataset[(indices,)]`` returns, e.g. ``(X_batch, y_batch)``.
    """
    batches = _IndexBatches(len(dataset), batch_size, shuffle, drop_last)
    return DataLoader(dataset, sampler=batches, batch_size=None)
