"""Which device a fit runs on, and what it supports."""

import torch

__all__ = ["fused_adam_supported", "resolve_device"]


def resolve_device(device):
    """``"auto"`` -> ``"cuda"`` when a GPU is visible, else ``"cpu"``; others unchanged."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def fused_adam_supported(device):
    """Whether torch has a fused (one kernel per step) AdamW for ``device``.

    On CPU the unfused AdamW runs about ten small tensor operations per
    parameter tensor and step; the fused kernel (torch >= 2.4 on CPU) takes
    about 8 % off a width-64 carbon epoch (measured).
    """
    version = tuple(int(part) for part in torch.__version__.split(".")[:2])
    kind = torch.device(device).type
    return (kind == "cuda" and version >= (2, 0)) or (kind == "cpu" and version >= (2, 4))
