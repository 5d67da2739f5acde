"""Freezing the leading stages of a network: the one rule of qestl's transfer learning."""

__all__ = ["freeze_leading"]


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
