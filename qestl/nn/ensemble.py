"""A whole ensemble of MLPs as one module: parameters carry a leading member axis.

Hidden activations have shape (members, features, rows): one batched matmul
evaluates all members and one optimizer step trains them all; no Python loop
over members runs in a training step. Rows last makes a (M, F, n) tensor a
free view of shape (1, M*F, n), so per-member BatchNorm is one call of torch's
fused ``batch_norm`` with M*F channels instead of a chain of element-wise ops
(which dominated the epoch time on CPU).
"""

import math

import torch
from torch import nn

from qestl.nn.freezing import freeze_leading

__all__ = ["ACTIVATIONS", "BatchedLinear", "BatchedBatchNorm", "CurveDropout", "EnsembleMLP"]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "silu": nn.SiLU, "gelu": nn.GELU, "elu": nn.ELU}


class BatchedLinear(nn.Module):
    """``members`` independent dense layers, y_m = x_m W_m + b_m.

    Parameters
    ----------
    members, in_features, out_features : int

    Shapes
    ------
    input (M, in, n) or (in, n) (broadcast to all members); output (M, out, n).
    With M = 1 a (P, in, n) input broadcasts over P as well. ``weight`` is
    (M, out, in) like ``torch.nn.Linear`` per member, ``bias`` (M, out, 1).
    """

    def __init__(self, members, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(members, out_features, in_features))
        self.bias = nn.Parameter(torch.empty(members, out_features, 1))
        # The bound torch.nn.Linear's default initialisation gives, member by member.
        bound = 1.0 / math.sqrt(in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        """Apply every member's layer: (M, in, n) or (in, n) -> (M, out, n)."""
        if x.dim() == 3 and x.shape[0] == self.weight.shape[0]:
            return torch.baddbmm(self.bias, self.weight, x)  # fused multiply-add
        return torch.matmul(self.weight, x) + self.bias


class BatchedBatchNorm(nn.Module):
    """Batch normalization with separate statistics and affine parameters per member.

    Parameters
    ----------
    members, features : int
    momentum : float, default 0.1
        Weight of the new batch in the running statistics (torch convention;
        Flax's default momentum 0.99 is 0.01 here).
    eps : float, default 1e-5

    Shapes
    ------
    input and output (M, features, n); statistics are taken over the rows n.
    Buffers ``running_mean`` and ``running_var`` have shape (M, features).
    """

    def __init__(self, members, features, momentum=0.1, eps=1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.weight = nn.Parameter(torch.ones(members, features))
        self.bias = nn.Parameter(torch.zeros(members, features))
        self.register_buffer("running_mean", torch.zeros(members, features))
        self.register_buffer("running_var", torch.ones(members, features))

    def forward(self, x):
        """Normalise (M, features, n) with batch statistics (training) or running ones."""
        members, features, rows = x.shape
        if members != self.weight.shape[0]:  # (P, F, n) passes through one member's statistics
            scale = self.weight / torch.sqrt(self.running_var + self.eps)
            shift = self.bias - self.running_mean * scale
            return x * scale.unsqueeze(-1) + shift.unsqueeze(-1)
        out = nn.functional.batch_norm(
            x.reshape(1, members * features, rows),
            self.running_mean.view(-1),
            self.running_var.view(-1),
            self.weight.view(-1),
            self.bias.view(-1),
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
        )
        return out.view(members, features, rows)


class CurveDropout(nn.Module):
    """Dropout that can keep one mask per predicted curve (Monte Carlo dropout).

    In training it drops activations element by element. With ``per_curve``
    set (prediction of Model B), one mask of shape (P, 1, features) is drawn
    for each of the P passes and shared by all rows, so each pass is one
    smooth curve, as in Kowal et al.'s code. Off when ``p == 0``.

    Parameters
    ----------
    p : float
        Drop probability.
    """

    def __init__(self, p=0.0):
        super().__init__()
        self.p = p
        self.per_curve = False
        self.curve_generator = None
        self.curve_masks = None

    def start_curves(self, generator=None):
        """Draw new curve masks at the next forward pass, from ``generator``, and keep them.

        Prediction in chunks of rows calls the module once per chunk; keeping
        the masks makes each pass one curve over all chunks.
        """
        self.per_curve = True
        self.curve_generator = generator
        self.curve_masks = None

    def stop_curves(self):
        """Back to element-wise dropout in training (and none in evaluation)."""
        self.per_curve = False
        self.curve_generator = self.curve_masks = None

    def forward(self, x):
        """Drop activations of (M or P, features, n)."""
        if self.p == 0.0 or not (self.training or self.per_curve):
            return x
        if not self.per_curve:
            keep = torch.rand(x.shape, device=x.device) >= self.p
            return x * keep / (1.0 - self.p)
        if self.curve_masks is None:
            shape = (x.shape[0], x.shape[1], 1)
            draw = torch.rand(shape, device=x.device, generator=self.curve_generator)
            self.curve_masks = (draw >= self.p) / (1.0 - self.p)
        return x * self.curve_masks


class EnsembleMLP(nn.Module):
    """Stacked MLPs: blocks Dense -> BatchNorm -> activation -> Dropout, then Dense(1).

    The structure of Model A of Kowal et al. (PRC 110, 025501): ten hidden
    blocks and a scalar output; the logit is turned into a cross section by
    the caller (sigmoid times the Mott-like scale).

    Parameters
    ----------
    members : int
        Ensemble size M.
    in_features : int
    hidden_layers : sequence of int
        Widths of the hidden blocks.
    activation : str, default "relu"
    dropout : float, default 0
    batch_norm : bool, default True

    Shapes
    ------
    input (n, in) or (P, n, in) (P passes of a one-member net); output logits (M or P, n).
    """

    def __init__(
        self,
        members,
        in_features,
        hidden_layers=(64,) * 10,
        activation="relu",
        dropout=0.0,
        batch_norm=True,
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        layers = []
        width = in_features
        for hidden in hidden_layers:
            layers.append(BatchedLinear(members, width, hidden))
            if batch_norm:
                layers.append(BatchedBatchNorm(members, hidden))
            # In place: the dense (or BatchNorm) output it overwrites is not
            # needed by their backward, and a fresh (M, F, n) tensor per layer
            # costs an allocation and a pass over memory.
            inplace = {"inplace": True} if activation == "relu" else {}
            layers.append(ACTIVATIONS[activation](**inplace))
            layers.append(CurveDropout(dropout))
            width = hidden
        layers.append(BatchedLinear(members, width, 1))
        self.layers = nn.Sequential(*layers)
        self.members = members
        self.n_frozen = 0

    def freeze(self, n_layers):
        """Hold the first ``n_layers`` weight layers fixed, with their BatchNorm.

        Their weights stop receiving gradients and their BatchNorm layers stay
        in evaluation mode (the running statistics of the source fit are
        used and never updated), as in Graczyk et al.'s transfer learning.

        Parameters
        ----------
        n_layers : int
            0 frees everything; at most ``len(weight_layers()) - 1``.
        """
        freeze_leading(self.blocks(), n_layers, what="weight layers")
        self.n_frozen = n_layers
        return self.train(self.training)

    def train(self, mode=True):
        """Training mode, except for the BatchNorm layers of frozen blocks."""
        super().train(mode)
        if not self.n_frozen:  # skorch calls this every step: skip building the blocks
            return self
        for block in self.blocks()[: self.n_frozen]:
            for layer in block:
                if isinstance(layer, BatchedBatchNorm):
                    layer.eval()
        return self

    def blocks(self):
        """The layers grouped per weight layer (the dense layer and what follows it).

        Returns
        -------
        list of nn.ModuleList
            In depth order, one per weight layer: the unit of freezing.
        """
        blocks = []
        for layer in self.layers:
            if isinstance(layer, BatchedLinear):
                blocks.append(nn.ModuleList())
            blocks[-1].append(layer)
        return blocks

    def weight_layers(self):
        """The dense layers in order (11 for the paper's network)."""
        return [layer for layer in self.layers if isinstance(layer, BatchedLinear)]

    def forward(self, x):
        """Logits of every member: (n, in) or (P, n, in) -> (M or P, n)."""
        return self.layers(x.transpose(-1, -2)).squeeze(-2)
