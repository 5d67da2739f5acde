"""Gradient clipping member by member, for networks stacked on a leading member axis."""

import torch

__all__ = ["member_gradient_norms", "clip_member_gradients", "per_member"]


def per_member(values, tensor):
    """(M,) ``values`` shaped to broadcast over ``tensor``'s (M, ...) layout."""
    return values.view(-1, *[1] * (tensor.dim() - 1))


def member_gradient_norms(parameters):
    """Euclidean norm of each member's gradient over all its parameters.

    Parameters
    ----------
    parameters : iterable of torch.nn.Parameter
        Tensors of shape (M, ...), member axis first; those without a
        gradient are skipped.

    Returns
    -------
    Tensor (M,)
    """
    norms = [
        torch.linalg.vector_norm(p.grad.reshape(p.shape[0], -1), dim=1)
        for p in parameters
        if p.grad is not None
    ]
    return torch.linalg.vector_norm(torch.stack(norms), dim=0)


def clip_member_gradients(parameters, max_norm):
    """Rescale each member's gradient so that its norm is at most ``max_norm[m]``.

    ``torch.nn.utils.clip_grad_norm_`` takes one norm over all tensors: in a
    batched ensemble one member's spike would shrink every member's step.

    Parameters
    ----------
    parameters : sequence of torch.nn.Parameter
        Tensors of shape (M, ...), member axis first.
    max_norm : Tensor (M,)

    Returns
    -------
    Tensor (M,)
        The norms before clipping.
    """
    parameters = [p for p in parameters if p.grad is not None]
    norms = member_gradient_norms(parameters)
    factor = torch.clamp(max_norm / (norms + 1e-12), max=1.0)
    for p in parameters:
        p.grad.mul_(per_member(factor, p))
    return norms
