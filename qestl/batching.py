"""Mini-batches fetched by one indexing call each, for skorch's ``iterator_train``.

skorch's default iterator is a torch ``DataLoader`` that calls the dataset
once per row and then collates the rows: for a GAN epoch over 10^6 events
that is 10^6 Python calls, more time than the GPU spends on the networks.
torch's own "batched fetching" mode (``batch_size=None`` with a
``BatchSampler`` as sampler) hands the dataset a whole list of indices, and
skorch's ``Dataset`` indexes tensors and dicts of tensors with such a list,
so no collation is needed.
"""

from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

__all__ = ["batch_loader"]


def batch_loader(dataset, batch_size, shuffle=False, drop_last=False):
    """A ``DataLoader`` that fetches each mini-batch with one index list.

    Drop-in for skorch's ``iterator_train`` / ``iterator_valid``
    (``NeuralNet(iterator_train=batch_loader, iterator_train__shuffle=True)``).

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or torch Dataset
        Must accept a list of row indices in ``__getitem__`` (skorch's does
        for tensors, arrays and dicts of them).
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
        Yields what ``dataset[indices]`` returns, e.g. ``(X_batch, y_batch)``.
    """
    rows = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
    return DataLoader(
        dataset, sampler=BatchSampler(rows, batch_size, drop_last=drop_last), batch_size=None
    )
