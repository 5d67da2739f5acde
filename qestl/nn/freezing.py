"""Freezing the leading stages of a network: the one rule of qestl's transfer learning."""

import numpy as np

__all__ = ["freeze_leading", "resolve_freeze"]


def freeze_leading(stages, n_frozen, what="stages"):
    """Stop gradients to the parameters of the first ``n_frozen`` of ``stages``, free the rest.

    A network is a sequence of stages (weight layers with what follows them,
    or blocks) and the leading ones keep their pretrained weights. Used by
    the ensemble MLP (:meth:`qestl.nn.EnsembleMLP.freeze`) and the GAN
    (:meth:`qestl.nn.gan.GanModule.freeze`). Layers with running state
    (BatchNorm) are the caller's business: only parameters are touched here.

    Parameters
    ----------
    stages : sequence of nn.Module
        In depth order.
    n_frozen : int
        In [0, len(stages) - 1]: the last stage always trains.
    what : str, default "stages"
        What a stage is, for the error message.
    """
    if not 0 <= n_frozen < len(stages):
        raise ValueError(
            f"can freeze 0 to {len(stages) - 1} of the {len(stages)} {what}, got {n_frozen}"
        )
    for index, stage in enumerate(stages):
        for parameter in stage.parameters():
            parameter.requires_grad_(index >= n_frozen)


def resolve_freeze(freeze, n_weight_layers):
    """Number of leading weight layers (or stages) to hold fixed.

    Parameters
    ----------
    freeze : int or {"full", "shallow"}
        An int is the count itself; "full" (fine-tune everything) is 0;
        "shallow" trains only the last two weight layers. In the layer-wise
        study of Graczyk et al. (2026), L trailing layers trained means
        ``freeze = n_weight_layers - L``.
    n_weight_layers : int

    Returns
    -------
    int
    """
    if freeze == "full":
        return 0
    if freeze == "shallow":
        return n_weight_layers - 2
    if isinstance(freeze, bool) or not isinstance(freeze, int | np.integer):
        raise ValueError(f"freeze must be an int, 'full' or 'shallow', got {freeze!r}")
    if not 0 <= freeze < n_weight_layers:
        raise ValueError(
            f"freeze must lie in [0, {n_weight_layers - 1}] for a network of "
            f"{n_weight_layers} weight layers, got {freeze}"
        )
    return int(freeze)
