"""skorch net and callbacks of the ensemble regressors (chi2 with normalizations)."""

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.utils import to_device

from qestl.nn import (
    chi2_with_normalization,
    clip_member_gradients,
    log_space_chi2,
    member_gradient_norms,
    normalization_sums,
    per_member,
    profiled_normalization,
)
from qestl.nn.cross_section import member_rows, precise_batch_norm

__all__ = ["BestMemberEpoch", "EnsembleNet", "MemberGradientClipping", "SourcePrior"]


class EnsembleNet(NeuralNet):
    """skorch net whose loss is the sum of the members' chi2 with normalizations.

    Trains a :class:`qestl.nn.cross_section.CrossSectionModule`. X is a dict
    of tensors: ``features`` (n, F), ``log_scale`` (n,), ``sigma`` (n,),
    ``dataset`` (n,) (index of each point's normalization set) and
    ``weight`` (n, M) (each member's point weights; 0 holds a point out);
    y (n, M) holds each member's replica targets [nb/(sr GeV)].

    Parameters
    ----------
    *args, **kwargs
        Those of :class:`skorch.NeuralNet`.
    norm_warmup : int, default 0
        Epochs of the chi2 linearised in log space
        (:func:`qestl.nn.log_space_chi2`) with every N_k = 1.
    norm_start : int, default 0
        Epoch from which the N_mk are profiled every epoch (never during the
        warm-up); before it they stay as they are.
    use_norm : bool, default True
        False: no normalizations (N = 1 and no penalty).
    """

    def __init__(self, *args, norm_warmup=0, norm_start=0, use_norm=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.norm_warmup = norm_warmup
        self.norm_start = norm_start
        self.use_norm = use_norm

    @property
    def _profiling(self):
        """Whether this epoch profiles N_mk (from ``norm_start`` on, with normalizations on)."""
        return self.use_norm and len(self.history) > max(self.norm_warmup, self.norm_start)

    def _zero_grad_optimizer(self, set_to_none=None):
        # Zero the gradient buffers in place instead of freeing them: the
        # allocator otherwise hands megabytes back to the OS after every step
        # and page-faults them in again during the next backward pass
        # (measured on CPU: 40 % fewer page faults, about 3 % of an epoch).
        super()._zero_grad_optimizer(set_to_none=False if set_to_none is None else set_to_none)

    def on_epoch_begin(self, net, **kwargs):
        """Start the epoch's normalization sums afresh."""
        super().on_epoch_begin(net, **kwargs)
        self.module_.norm_sums.zero_()

    def on_epoch_end(self, net, **kwargs):
        """Profile N_mk on the epoch's sums (from ``norm_start`` on)."""
        # Profile N_mk in closed form on this epoch's predictions of the
        # training points: it always sits at the chi2 minimum of the current
        # network, whereas an N_mk learned by Adam drifts along the flat
        # direction N f = const (Adam steps every parameter by ~lr whatever
        # the gradient) and soaks up shape errors.
        module = self.module_
        if self._profiling:
            a, b = module.norm_sums
            module.norm.copy_(profiled_normalization(a, b, module.norm_uncertainty))
        super().on_epoch_end(net, **kwargs)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Sum over the members of chi2 / n_m (log-space chi2 during the warm-up)."""
        module = self.module_
        X = to_device(X, self.device)  # skorch moves only the inputs of the forward pass
        y_true = to_device(y_true, self.device)
        if training and self._profiling:
            a, b = normalization_sums(
                y_pred, y_true.T, X["sigma"], X["dataset"], module.norm.shape[1], X["weight"].T
            )
            module.norm_sums[0] += a
            module.norm_sums[1] += b
        if len(self.history) <= self.norm_warmup:
            # Warm-up: find the scale of every spectrum with N_k = 1.
            per_member = log_space_chi2(y_pred, y_true.T, X["sigma"], weight=X["weight"].T)
            return per_member.sum()
        per_member = chi2_with_normalization(
            y_pred,
            y_true.T,
            X["sigma"],
            X["dataset"],
            module.norm if self.use_norm else None,
            module.norm_uncertainty,
            weight=X["weight"].T,
            n_total=module.n_total,
        )
        return per_member.sum()


class MemberGradientClipping(Callback):
    """Clip each member's gradient norm at ``factor`` times its running average.

    Adam's step is the gradient over the running root mean square of past
    gradients: after a quiet stretch, one spike moves a member by many
    learning rates at once. On carbon such kicks left single members at
    chi2/N 15-40 while the ensemble mean sat at 3-5, and one member of a
    1500-epoch run never recovered from one (measured). A fixed
    threshold would depend on the units of the loss; one relative to the
    member's own recent gradients does not. The average follows the clipped
    norms (exponential, weight ``1 - decay``).

    Parameters
    ----------
    factor : float
        Clip at this multiple of the running average.
    decay : float, default 0.98
        Weight of the past in the running average.
    """

    def __init__(self, factor, decay=0.98):
        self.factor = factor
        self.decay = decay

    def on_train_begin(self, net, **kwargs):
        """Forget the scale of an earlier fit."""
        self.running_ = None

    def on_grad_computed(self, net, named_parameters, **kwargs):
        """Clip each member's gradient, then update its running average."""
        parameters = [p for _, p in named_parameters if p.grad is not None]
        if self.running_ is None:  # the first step sets the scale
            self.running_ = member_gradient_norms(parameters)
            return
        limit = self.factor * self.running_
        norms = clip_member_gradients(parameters, limit)
        self.running_ = self.decay * self.running_ + (1 - self.decay) * torch.minimum(norms, limit)


class BestMemberEpoch(Callback):
    """Per-member validation chi2 each epoch; keep each member's best parameters.

    Each member holds out its own points (weight 0 in its training loss). The
    member's parameters at its best validation epoch are copied slice by
    slice along the member axis and restored when training ends. Records
    ``valid_chi2`` (mean over the members) and ``n_improved`` in the history.

    Parameters
    ----------
    data : dict of str -> Tensor
        ``features`` (n, F), ``log_scale`` (n,), ``target`` (M, n),
        ``sigma`` (n,), ``dataset`` (n,): every training point.
    valid_weight : Tensor (M, n) or None
        1 where a point is one of the member's validation points; None
        keeps the last epoch (after exact BatchNorm statistics).
    """

    def __init__(self, data, valid_weight):
        self.data = data
        self.valid_weight = valid_weight

    def on_train_begin(self, net, **kwargs):
        """Move the data to the net's device and start the record."""
        module = net.module_
        self.data_ = {k: v.to(net.device) for k, v in self.data.items()}
        if self.valid_weight is not None:
            self.rows_, self.valid_weight_ = member_rows(self.valid_weight.to(net.device))
        self.best_ = {k: v.detach().clone() for k, v in module.state_dict().items()}
        self.best_score_ = torch.full((module.mlp.members,), float("inf"))
        self.best_epoch_ = torch.zeros(module.mlp.members, dtype=torch.long)

    def on_epoch_end(self, net, **kwargs):
        """Score every member on its own validation rows; keep the improved ones."""
        if self.valid_weight is None:
            return
        module = net.module_
        data, rows = self.data_, self.rows_
        with torch.no_grad():
            precise_batch_norm(module, data["features"], data["log_scale"])
            module.eval()
            # each member on its own validation rows only: (M, k, F) inputs
            pred = module(data["features"][rows], data["log_scale"][rows])
            score = chi2_with_normalization(
                pred,
                data["target"].gather(1, rows),
                data["sigma"][rows],
                data["dataset"][rows],
                module.norm if net.use_norm else None,
                module.norm_uncertainty,
                weight=self.valid_weight_,
            ).cpu()
        module.train()
        improved = score < self.best_score_
        self.best_score_ = torch.where(improved, score, self.best_score_)
        self.best_epoch_[improved] = len(net.history)
        if improved.any():
            for name, value in module.state_dict().items():
                mask = improved.to(value.device)
                self.best_[name][mask] = value.detach()[mask]
        net.history.record("valid_chi2", float(score.mean()))
        net.history.record("n_improved", int(improved.sum()))

    def on_train_end(self, net, **kwargs):
        """Restore each member's best parameters."""
        if self.valid_weight is not None:
            net.module_.load_state_dict(self.best_)
        else:
            precise_batch_norm(net.module_, self.data_["features"], self.data_["log_scale"])


class SourcePrior(Callback):
    """Gaussian prior on the trained weights, centred on the source's (L2-SP).

    Adds 2 strength (p - p_source) / n_m to the gradient of member m's
    loss, n_m its number of training points. The loss is chi2_m / n_m, so
    this makes it (chi2_m + strength * sum (p - p_source)^2) / n_m, and a
    larger target data set outweighs the prior (L2-SP: Li, Grandvalet and
    Davoine, ICML 2018). Added to the gradient rather than to the loss so
    that the recorded loss stays the data's chi2; after the per-member
    clipping, which is for spikes of the chi2 gradient.

    Parameters
    ----------
    strength : float
        alpha >= 0.
    """

    def __init__(self, strength):
        self.strength = strength

    def on_train_begin(self, net, **kwargs):
        """Record the starting (source) weights of the trained parameters."""
        module = net.module_
        self.pairs_ = [(p, p.detach().clone()) for p in module.mlp.parameters() if p.requires_grad]
        self.scale_ = 2 * self.strength / module.n_total  # (members,): n_m of each

    def on_grad_computed(self, net, named_parameters, **kwargs):
        """Add the prior's gradient."""
        with torch.no_grad():
            for param, start in self.pairs_:
                param.grad.add_(per_member(self.scale_, param) * (param - start))
