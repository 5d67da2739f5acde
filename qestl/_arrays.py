"""The few operations that differ between numpy arrays and torch tensors.

:mod:`qestl.kinematics` and :mod:`qestl.chi2` are written once for both:
operators and the methods the two share (``sum``, ``**``) serve as they are,
and what has another name in torch goes through here. torch is looked up,
never imported: a tensor can only exist once torch is loaded.
"""

import sys
from contextlib import nullcontext

import numpy as np

__all__ = ["namespace", "asarray", "like", "errstate", "segment_sum", "take_per_point"]


def _is_tensor(value):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def namespace(*values):
    """The module whose functions act on ``values``: torch if any is a tensor, else numpy.

    Parameters
    ----------
    *values : array_like or torch.Tensor

    Returns
    -------
    module
        ``torch`` or ``numpy``; both have ``sqrt``, ``sin``, ``cos``,
        ``deg2rad``, ``rad2deg``, ``clip`` and ``zeros``.
    """
    return sys.modules["torch"] if any(_is_tensor(v) for v in values) else np


def asarray(*values):
    """The values as arrays of one kind: tensors if any is one, else float64 ndarrays.

    Non-tensors among tensors become tensors of the first tensor's dtype and
    device, so that python floats and numpy constants mix with them.

    Parameters
    ----------
    *values : array_like or torch.Tensor

    Returns
    -------
    ndarray or Tensor, or a tuple of them for several values
    """
    tensors = [v for v in values if _is_tensor(v)]
    if tensors:
        arrays = tuple(like(v, tensors[0]) for v in values)
    else:
        arrays = tuple(np.asarray(v, dtype=float) for v in values)
    return arrays[0] if len(arrays) == 1 else arrays


def like(value, reference):
    """``value`` in the array type, dtype (and device) of ``reference``."""
    if _is_tensor(reference):
        return namespace(reference).as_tensor(value, dtype=reference.dtype, device=reference.device)
    return np.asarray(value, dtype=reference.dtype)


def errstate(*values):
    """Numpy's ``errstate(invalid="ignore")`` for arrays; nothing to silence for tensors."""
    return nullcontext() if namespace(*values) is not np else np.errstate(invalid="ignore")


def segment_sum(values, index, n_segments):
    """Sums of ``values`` over the points of each segment, along the last axis.

    Parameters
    ----------
    values : ndarray or Tensor of shape (..., n)
    index : integer array of shape (n,)
        Segment of each point, in [0, n_segments).
    n_segments : int

    Returns
    -------
    ndarray or Tensor of shape (..., n_segments)
        Same type, dtype (and device) as ``values``.
    """
    shape = (*values.shape[:-1], n_segments)
    if _is_tensor(values):
        out = namespace(values).zeros(shape, dtype=values.dtype, device=values.device)
        return out.index_add_(-1, index, values)
    out = np.zeros(shape, dtype=values.dtype)
    np.add.at(out, (Ellipsis, index), values)
    return out


def take_per_point(per_segment, index):
    """The value of each point's segment.

    Parameters
    ----------
    per_segment : ndarray or Tensor of shape (..., K)
    index : integer array of shape (n,) or of the leading shape of ``per_segment`` + (n,)
        Segment of each point; a leading axis when each row has its own points.

    Returns
    -------
    ndarray or Tensor of shape (..., n)
    """
    index = index if _is_tensor(index) else np.asarray(index)
    if index.ndim == 1:
        return per_segment[..., index]
    if _is_tensor(per_segment):
        return per_segment.gather(-1, index)
    return np.take_along_axis(per_segment, index, axis=-1)
