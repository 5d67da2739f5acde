"""qestl.batching: one index per mini-batch, every row once per epoch, seeded order."""

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset

from qestl.batching import batch_loader


def _rows(batches):
    return torch.cat([X["row"] for X, _ in batches]).tolist()


def test_every_row_once_in_batches_of_the_requested_size():
    X = {"row": torch.arange(10), "feature": torch.arange(20.0).reshape(10, 2)}
    batches = list(batch_loader(Dataset(X, torch.arange(10) * 3), batch_size=4, shuffle=True))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert sorted(_rows(batches)) == list(range(10))
    for X_batch, y_batch in batches:  # rows stay aligned across the dict and y
        np.testing.assert_array_equal(y_batch, 3 * X_batch["row"])
        np.testing.assert_array_equal(X_batch["feature"][:, 0], 2 * X_batch["row"])


def test_without_shuffle_the_order_is_kept_and_drop_last_drops():
    data = Dataset(torch.arange(10.0)[:, None], torch.zeros(10))
    batches = list(batch_loader(data, batch_size=4, drop_last=True))
    assert len(batches) == 2
    assert torch.cat([X for X, _ in batches]).squeeze(1).tolist() == list(range(8))


def test_shuffle_follows_torch_seed():
    data = Dataset({"row": torch.arange(50)}, torch.zeros(50))

    def order(seed):
        torch.manual_seed(seed)
        return _rows(batch_loader(data, batch_size=8, shuffle=True))

    assert order(1) == order(1)
    assert order(1) != order(2)
    assert order(1) != list(range(50))


@pytest.mark.parametrize("batch_size", [1, 7, 50, 64])
def test_length_matches_iteration(batch_size):
    loader = batch_loader(Dataset(torch.zeros(50, 1), torch.zeros(50)), batch_size=batch_size)
    assert len(loader) == len(list(loader)) == -(-50 // batch_size)
