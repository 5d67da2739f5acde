"""CrossSectionRegressor: the bootstrap-ensemble chi2 fit of Kowal et al. as an estimator."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import Callback, LRScheduler
from skorch.utils import to_device
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR

from qestl import kinematics
from qestl.allocator import retain_freed_memory
from qestl.batching import batch_loader
from qestl.callbacks import EpochProgress
from qestl.datasets.normalization import DEFAULT_NORM_UNCERTAINTY
from qestl.domain import check_domain, training_domain, warn_outside_domain
from qestl.features import KinematicFeatures
from qestl.nn import (
    EnsembleMLP,
    chi2_with_normalization,
    clip_member_gradients,
    log_space_chi2,
    member_gradient_norms,
    normalization_sums,
    profiled_normalization,
)
from qestl.nn.ensemble import _ACTIVATIONS, BatchedBatchNorm, CurveDropout
from qestl.params import Interval, MappingOf, Options, SequenceOf, StrOptions, validate_params
from qestl.persistence import json_floats, load_model_dir, save_model_dir
from qestl.physics.formfactors import isospin_factor
from qestl.postfit import (
    PROBE_NUCLEI,
    out_of_bag_mean,
    probe_kinematics,
    probe_nuclei,
    select_by_excursion,
    select_members,
)
from qestl.validation import (
    check_fit_inputs,
    check_fit_size,
    check_kinematics,
    check_nuclei,
    record_input_columns,
)

__all__ = ["CrossSectionRegressor", "resolve_device", "select_members"]


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


FEATURE_SETS = {"paper": {}, "peaks": {"peaks": True}, "scaling": {"scaling": True}}
"""Input feature sets: name -> options of :class:`qestl.features.KinematicFeatures`."""


#: Output scales S(E, theta, A) [nb/(sr GeV)] of ``output_scale``.
OUTPUT_SCALES = {"mott": kinematics.mott_like_scale, "transverse": kinematics.transverse_scale}

#: Rows per forward pass in prediction: with 50 members of width 128 the
#: activations of one chunk take about 13 MB, whatever the number of rows,
#: and stay in the CPU's caches (4096-row chunks took twice as long;
#: benchmarks/results/predict_speed.md).
PREDICT_CHUNK = 512


def make_features(name, nucleus=False):
    """The unfitted KinematicFeatures of a named feature set (see ``FEATURE_SETS``).

    ``nucleus`` adds the target's log A and Z / A (nucleus-aware models).
    """
    if name not in FEATURE_SETS:
        raise ValueError(f"features must be one of {sorted(FEATURE_SETS)}, got {name!r}")
    return KinematicFeatures(**FEATURE_SETS[name], nucleus=nucleus)


def saved_feature_set(params):
    """Feature set of saved parameters; models saved before the parameter existed read "paper"."""
    return params.get("features", "paper")


def features_from_config(config):
    """The fitted KinematicFeatures stored in a saved model's config."""
    nucleus = bool(config["params"].get("nucleus_inputs", False))
    placeholder = np.array([[1.0, 30.0, 0.1, 6, 12], [2.0, 60.0, 0.5, 8, 16]])
    features = make_features(saved_feature_set(config["params"]), nucleus).fit(
        placeholder if nucleus else placeholder[:, :3]
    )
    features.scaler_.mean_ = np.asarray(config["feature_mean"], dtype=float)
    features.scaler_.scale_ = np.asarray(config["feature_scale"], dtype=float)
    features.scaler_.var_ = features.scaler_.scale_**2
    return features


class CrossSectionModule(nn.Module):
    """The ensemble and its per-dataset normalizations.

    sigma_m(x) = sigmoid(MLP_m(features)) * S_A(E, theta), computed in log space.

    Shapes
    ------
    features (n, F), log_scale (n,) -> cross sections (M, n) [nb/(sr GeV)].

    ``norm`` (M, K) holds the normalizations N_mk (saved with the weights).
    The loss constants of a fit are buffers (moved with the module, not
    saved): ``norm_uncertainty`` (K,) = delta_k, ``n_total`` (M,) = each
    member's number of training points, ``norm_sums`` (2, M, K) the sums of
    :func:`qestl.nn.normalization_sums` accumulated over an epoch.
    """

    def __init__(
        self, members, in_features, n_datasets, hidden_layers, activation, dropout, batch_norm
    ):
        super().__init__()
        self.mlp = EnsembleMLP(
            members, in_features, hidden_layers, activation, dropout, batch_norm=batch_norm
        )
        n_datasets = max(n_datasets, 1)
        self.register_buffer("norm", torch.ones(members, n_datasets))
        self.register_buffer("norm_sums", torch.zeros(2, members, n_datasets), persistent=False)
        self.register_buffer("norm_uncertainty", torch.ones(n_datasets), persistent=False)
        self.register_buffer("n_total", torch.ones(members), persistent=False)

    def forward(self, features, log_scale, **_):
        logits = self.mlp(features)
        return torch.exp(nn.functional.logsigmoid(logits) + log_scale)


class _EnsembleNet(NeuralNet):
    """skorch net whose loss is the per-member chi2 with normalizations."""

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
        super().on_epoch_begin(net, **kwargs)
        self.module_.norm_sums.zero_()

    def on_epoch_end(self, net, **kwargs):
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


def _member_rows(valid):
    """Each member's validation rows, padded to a common length.

    The validation pass then runs every member on its own ~10 % of the
    points instead of all of them (at width 64 on 2 cores the full pass
    cost 0.165 s per epoch, 40 % of a default epoch; measured).

    Parameters
    ----------
    valid : Tensor (M, n)
        1 where a row is one of the member's validation points.

    Returns
    -------
    rows : LongTensor (M, k)
        Row indices, k the largest count; padding repeats row 0.
    weight : Tensor (M, k)
        1 for the member's rows, 0 for the padding.
    """
    counts = valid.sum(dim=1).long()
    # stable sort puts each member's validation rows first, in row order
    order = torch.sort(valid, dim=1, descending=True, stable=True).indices
    width = max(int(counts.max()), 1)
    weight = (torch.arange(width, device=valid.device) < counts[:, None]).to(valid.dtype)
    rows = torch.where(weight > 0, order[:, :width], torch.zeros_like(order[:, :width]))
    return rows, weight


def precise_batch_norm(module, features, log_scale):
    """Set every BatchNorm's running statistics to those of the whole training set.

    The running averages of training lag the weights and carry the noise of
    256-row batches; at the few-per-cent precision of a chi2 fit to carbon
    that alone cost a factor ~10 in member chi2/N (measured). One forward
    pass of all rows with momentum 1 replaces them by the exact full-data
    statistics, which batch statistics estimate during training.
    """
    norms = [m for m in module.modules() if isinstance(m, BatchedBatchNorm)]
    if not norms:
        return
    saved = [m.momentum for m in norms]
    was_training = module.training
    module.train()
    try:
        for m in norms:
            m.momentum = 1.0
        with torch.no_grad():
            module(features, log_scale)
    finally:
        for m, momentum in zip(norms, saved, strict=True):
            m.momentum = momentum
        module.train(was_training)


class _MemberGradientClipping(Callback):
    """Clip each member's gradient norm at ``factor`` times its running average.

    Adam's step is the gradient over the running root mean square of past
    gradients: after a quiet stretch, one spike moves a member by many
    learning rates at once. On carbon such kicks left single members at
    chi2/N 15-40 while the ensemble mean sat at 3-5, and one member of a
    1500-epoch run never recovered from one (measured). A fixed
    threshold would depend on the units of the loss; one relative to the
    member's own recent gradients does not. The average follows the clipped
    norms (exponential, weight ``1 - decay``).
    """

    def __init__(self, factor, decay=0.98):
        self.factor = factor
        self.decay = decay

    def on_train_begin(self, net, **kwargs):
        self.running_ = None

    def on_grad_computed(self, net, named_parameters, **kwargs):
        parameters = [p for _, p in named_parameters if p.grad is not None]
        if self.running_ is None:  # the first step sets the scale
            self.running_ = member_gradient_norms(parameters)
            return
        limit = self.factor * self.running_
        norms = clip_member_gradients(parameters, limit)
        self.running_ = self.decay * self.running_ + (1 - self.decay) * torch.minimum(norms, limit)


class _BestMemberEpoch(Callback):
    """Per-member validation chi2 each epoch; keep each member's best parameters.

    Each member holds out its own points (weight 0 in its training loss). The
    member's parameters at its best validation epoch are copied slice by
    slice along the member axis and restored when training ends.
    """

    def __init__(self, data, valid_weight):
        self.data = data
        self.valid_weight = valid_weight

    def on_train_begin(self, net, **kwargs):
        module = net.module_
        self.data_ = {k: v.to(net.device) for k, v in self.data.items()}
        if self.valid_weight is not None:
            self.rows_, self.valid_weight_ = _member_rows(self.valid_weight.to(net.device))
        self.best_ = {k: v.detach().clone() for k, v in module.state_dict().items()}
        self.best_score_ = torch.full((module.mlp.members,), float("inf"))
        self.best_epoch_ = torch.zeros(module.mlp.members, dtype=torch.long)

    def on_epoch_end(self, net, **kwargs):
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
        if self.valid_weight is not None:
            net.module_.load_state_dict(self.best_)
        else:
            precise_batch_norm(net.module_, self.data_["features"], self.data_["log_scale"])


class CrossSectionRegressor(RegressorMixin, BaseEstimator):
    """Ensemble of neural networks fitted to inclusive (e,e') cross sections with a chi2 loss.

    Model A of Kowal et al. (PRC 110, 025501 (2024)): each member is an MLP
    of Dense -> BatchNorm -> activation blocks whose sigmoid output times the
    Mott-like scale S_A(E, theta) (:func:`qestl.kinematics.mott_like_scale`)
    is the cross section; member m is trained on its own Monte Carlo replica
    y + r sigma of the data (r ~ N(0, 1)), by default with each dataset's
    normalization drawn too (``resample_normalizations``), and the spread of
    the members is the uncertainty. All members train as one batched model.

    The loss of member m is the chi2 of the papers without the factor 1/2,
    sum_i (N_mk f_mi - y_mi)^2 / sigma_i^2 + sum_k (N_mk - 1)^2 / delta_k^2,
    with one normalization N_mk per dataset. The papers learn N_mk with the
    weights; here it is *profiled* in closed form, N_mk = (a_mk + 1/delta_k^2)
    / (b_mk + 1/delta_k^2) with a = sum f y / sigma^2, b = sum f^2 / sigma^2
    over the member's training points of dataset k. At the optimum both
    agree; but a learned N drifts along the flat direction N f = const under
    Adam and absorbs shape errors (a 50-member carbon fit ended with N from
    0.80 to 1.33 and member spreads of 4-11 % in N). By default N_mk = 1
    during training and N_mk is profiled once on the final network;
    ``norm_start`` < 1 profiles it every epoch (from the sums of the epoch's
    mini-batches, held for the next) after that fraction of the epochs
    (see there why not by default).

    Parameters
    ----------
    n_estimators : int >= 1, default 50
        Ensemble members.
    hidden_layers : non-empty tuple of int >= 1, default (128,) * 4
        Widths of the hidden blocks. The paper used (300,) * 10 (about 820k
        parameters per net, 40-60k GPU epochs); four blocks of width 128
        (50k parameters) with the defaults train 50 members on carbon in
        about 8 minutes on 2 CPU cores (0.32 s per epoch,
        benchmarks/results/ensemble_speed_cpu_defaults.md; held-out chi2/N
        1.55 fitted to the quoted errors, 1.49 to PDG-scaled ones,
        docs/regressor.md). Against ten blocks of width 64
        (the previous default) they lowered the held-out chi2/N of 10-member
        fits on three random splits from 1.72 / 1.48 / 1.39 to 1.60 / 1.50 /
        1.22 at batch 128 (benchmarks/results/carbon_recipes.md).
        ``hidden_layers=(300,) * 10`` gives the paper's network.
    activation : {"relu", "tanh", "silu", "gelu", "elu"}, default "gelu"
        The paper uses ReLU. On carbon (10 members, three random splits) GELU
        with lr 5e-3 reaches the same held-out chi2/N with held-out / train
        1.08-1.35 instead of 1.27-1.60 (benchmarks/results/carbon_recipes.md).
    batch_norm : bool, default False
        BatchNorm after each hidden dense layer, as in the paper's Model A.
        Off by default: with 256-row batches the noise of the batch
        statistics (~1/sqrt(256)) sits above the few-per-cent errors of the
        data; on carbon (8 members, 600 epochs) it raised the member chi2/N
        from 12 to 114 and the ensemble's from 4.2 to 17 (measured; recomputing
        exact full-data statistics before evaluation did not help).
        ``batch_norm=True`` restores the paper's blocks.
    features : {"scaling", "paper", "peaks"}, default "scaling"
        Network inputs (:class:`qestl.features.KinematicFeatures`). "paper":
        (E, omega, theta, cos theta, Q2) of Kowal et al.; "peaks" adds
        omega_QE and omega_Delta (Al Hammal et al.); "scaling" adds the
        distances from the quasielastic and Delta peaks in units of |q|,
        (omega - omega_QE) / |q| and (omega - omega_Delta) / |q|, in which
        quasielastic peaks of all kinematics line up. On carbon (10
        members, 1500 epochs) they took the held-out chi2/N from 2.56 to
        1.92 and the median member chi2/N from 5.3 to 3.5 (measured).
    max_epochs : int >= 1, default 1500
    lr : float > 0, default 5e-3
        AdamW learning rate, peak of the schedule.
    lr_schedule : {"cosine", "constant"}, default "cosine"
        Cosine decay of the learning rate to 0 over ``max_epochs``.
    weight_decay : float, default 0
    batch_size : int >= 1, -1 or None, default 128
        Rows per step; -1 or None is the whole training set. Full batch is cheaper per
        epoch but, with one step per epoch, converges far slower on carbon.
        128 rather than 256: on carbon (10 members, three random splits)
        held-out chi2/N 1.72 / 1.48 / 1.39 against 1.87 / 1.81 / 1.47; 64
        lets single members follow their replicas' noise (2.14 on the first).
    norm_uncertainty : float > 0 or dict, default 0.05
        delta_k > 0: one relative uncertainty for all datasets or a mapping
        dataset label -> delta (labels missing from it get 0.05). ``None``
        disables the normalizations (N = 1).
    norm_warmup : int, default 100
        Warm-up epochs: the chi2 linearised in log space
        (:func:`qestl.nn.log_space_chi2`) with all N_k held at 1, which finds
        the scale of every spectrum before the chi2 and the normalizations
        take over (from a random start the chi2 alone is dominated by a few
        low-energy points off by orders of magnitude).
    norm_start : float in [0, 1], default 1.0
        Fraction of ``max_epochs`` during which all N_k stay 1 in the loss;
        they are profiled every epoch from then on (never during the
        warm-up). Whatever it is, the fit ends by profiling N_k once on the
        final network (``normalizations_``). The default trains with N = 1
        throughout. The data fix only N f; the penalty sum (N_k - 1)^2 /
        delta_k^2 alone splits it, and pulls N_k back towards 1 by only
        about 1e-3 per epoch against the data's pull. Profiled during
        training, the N_k take up the misfit of the half-trained network
        and keep it: on carbon (10 members, benchmarks/results/
        carbon_normalization.md) they went to 0.84-1.24 from the end of the
        warm-up on (0.95-1.08 from 80 % of the epochs on), and ``predict``,
        which leaves N out, missed the data by up to 18 % (chi2/N 51 with
        N = 1). With N = 1 in training the N_k profiled afterwards are
        0.94-1.00, held-out chi2/N is the same (1.62 against 1.61) and
        chi2/N with N = 1 is 1.05 on the training points. For datasets that
        truly disagree in scale, profiling late (0.8) lets N absorb it.
    mass_number : int >= 1, default 12
        A of the target nucleus: the output scale S_A contains A/12, so the
        sigmoid works per carbon-equivalent nucleus whatever the target.
        Unused with ``nucleus_inputs``, where each row brings its own A.
    output_scale : {"mott", "transverse"}, default "mott"
        The scale S that multiplies the sigmoid, which bounds the prediction
        from above. "mott" is the papers' S_A
        (:func:`qestl.kinematics.mott_like_scale`), which vanishes at 180
        degrees; "transverse" is S_A / cos(theta/2)
        (:func:`qestl.kinematics.transverse_scale`), the same at forward
        angles and finite backward, where the magnetic response dominates:
        needed to fit or predict points at 180 degrees.
    nucleus_inputs : bool, default False
        One network for many nuclei (Al Hammal et al., PRC 107, 065501):
        X carries each row's target Z and A (DataFrame columns "Z" and "A",
        as in a ``pd.concat`` of :func:`qestl.datasets.load_qes` frames, or
        array columns 4 and 5); the networks read log A and |N - Z| / A,
        and each row's A and Z set its output scale: S_A times
        :func:`qestl.physics.formfactors.isospin_factor`, the share of the
        protons' and neutrons' elastic cross sections. ``predict`` then needs Z and A
        too. Off by default: one nucleus needs neither.
    resampling : {"replica", "bootstrap"}, default "replica"
        "replica": y_i + r sigma_i per member; "bootstrap": points drawn with
        replacement per member (point weights are the draw counts).
    resample_normalizations : bool, default True
        Each member also draws its own normalization of every dataset: its
        data are multiplied by exp(r_mk delta_k), r_mk ~ N(0, 1)
        standardised over the members, the Monte Carlo replica of the
        normalization constraint (as NNPDF replicas carry correlated
        normalization errors). The spread of the members then holds the
        normalization systematic, which point-error replicas alone leave
        out: on carbon (50 members, quoted errors) the median relative uncertainty went
        from 1.9 % to 4.4 %, held-out chi2/N from 1.51 to 1.55, and on whole
        held-out spectra, which miss mostly in scale, 74 % of the points lie
        within the data error and the band added in quadrature
        (benchmarks/results/carbon_model*.md). Log-normal rather than
        1 + r delta so that the factor stays positive for any delta.
        Ignored without ``norm_uncertainty``, for one member and for
        ``uncertainty="dropout"``.
    uncertainty : {"ensemble", "dropout"}, default "ensemble"
        "dropout" is Model B: one network with dropout, kept on at prediction
        with one mask per predicted curve; ``n_estimators`` passes.
    dropout : float in [0, 1), default 0.1
        Dropout rate when ``uncertainty="dropout"`` (0 for the ensemble).
    validation_fraction : float in [0, 1), default 0.1
        Fraction of the training points each member holds out (its own draw)
        to pick its best epoch; 0 keeps the last epoch. A fit needs at least
        1 / validation_fraction points (10 by default; 2 with 0), so that each
        member holds out one on average.
    grad_clip : float or None, default 2.0
        Clip each member's gradient norm at ``grad_clip`` times its running
        average (exponential, decay 0.98). On carbon (10 members, 1500
        epochs) it brought the median member chi2/N from 14.6 to 2.9 and
        the ensemble's test chi2/N from 5.6 to 2.6 (measured). ``None``
        turns it off.
    member_cut : float or None, default 4.0
        Post-fit selection of members, as NNPDF's ``postfit`` vetoes
        replicas: a member whose chi2/N on all training points (with the
        data's errors and its own N_k) lies more than ``member_cut`` standard
        deviations above the mean of the members kept is dropped from
        ``predict`` and ``normalizations_``, repeated until none is. One
        member that ran away from its replica would otherwise carry the
        mean: fine-tuned to 27Al from 62 points, one member of 50 at chi2/N
        5e7 took the test chi2/N to 3e4, 79 without it
        (docs/validation/transfer-member-selection.md).
        Among the members left, the same cut applies to each member's
        excursion (``member_excursion_``, :mod:`qestl.postfit`), which finds
        members that fit their training points and run away between them:
        fine-tuned to 16O from 12 points, one member took the test chi2/N
        to 934, 3.2 without it. A member can lie at most sqrt(n - 1)
        deviations above the mean of n, so ensembles under 18 members keep
        all at 4. ``None`` keeps all.
    device : str, default "auto"
        "auto" uses CUDA when available.
    random_state : int or None
        Seeds replicas, validation draws, initialisation and shuffling; two
        CPU fits with the same seed are identical.
    verbose : int, default 0
        1 shows the epochs done and the time left on stderr, one line
        rewritten in place (:class:`qestl.callbacks.EpochProgress`); 2 also
        prints skorch's per-epoch table.
    callbacks : list of skorch callbacks, optional
        E.g. ``EarlyStopping``, ``LRScheduler``, ``ProgressBar``, ``Checkpoint``.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net (module, optimizer, callbacks).
    history_ : skorch.History
        Per-epoch ``train_loss`` (sum of member chi2/N) and ``valid_chi2``
        (mean member validation chi2/N).
    features_ : KinematicFeatures
        Fitted input standardisation.
    datasets_ : ndarray of str
        Dataset labels, in the order of the normalizations.
    normalizations_ : ndarray of shape (n_members, n_datasets)
        Fitted N_mk.
    best_epoch_ : ndarray of shape (n_members,)
        Epoch kept for each member.
    member_chi2_ : ndarray of shape (n_members,)
        Each trained member's chi2/N on all training points (``member_cut``).
    member_excursion_ : ndarray of shape (n_members,)
        Each trained member's largest distance from the other members kept,
        in their standard deviations of log(cross section), along the
        training spectra (:func:`qestl.postfit.select_by_excursion`;
        ``member_cut``).
    members_kept_ : ndarray of bool, shape (n_members,)
        The members that ``predict`` averages.
    oob_prediction_ : ndarray of shape (n_samples,)
        Out-of-bag prediction of each training point [nb/(sr GeV)]: the mean
        over the kept members that held the point out for validation
        (``validation_fraction``), NaN where none did (about 0.9^50 = 0.5 %
        of the points for 50 members). Each member chose its best epoch on
        those points, so it is slightly optimistic, but a fair yardstick to
        compare settings on the training data alone (as
        ``RandomForestRegressor.oob_prediction_``). Absent without validation
        points, for ``uncertainty="dropout"`` and for loaded models.
    domain_ : dict or None
        ``{"E": [min, max], "theta": [min, max]}`` [GeV, deg] of the training
        data; :meth:`predict` warns (:class:`qestl.domain.ExtrapolationWarning`)
        beyond it. None for models saved before it was recorded.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.full(40, 1.0), np.full(40, 30.0), np.linspace(0.05, 0.5, 40)])
    >>> y = 100 * np.exp(-((X[:, 2] - 0.25) / 0.1) ** 2)
    >>> reg = CrossSectionRegressor(n_estimators=3, hidden_layers=(8, 8), max_epochs=5,
    ...                             random_state=0).fit(X, y, sigma=np.full(40, 5.0))
    >>> mean, std = reg.predict(X, return_std=True)
    >>> mean.shape, std.shape
    ((40,), (40,))
    """

    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "hidden_layers": [SequenceOf(Interval(Integral, 1, None, closed="left"))],
        "activation": [StrOptions(set(_ACTIVATIONS))],
        "batch_norm": ["boolean"],
        "features": [StrOptions(set(FEATURE_SETS))],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"cosine", "constant"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1}), None],
        "norm_uncertainty": [
            Interval(Real, 0, None, closed="neither"),
            MappingOf(Interval(Real, 0, None, closed="neither")),
            None,
        ],
        "norm_warmup": [Interval(Integral, 0, None, closed="left")],
        "norm_start": [Interval(Real, 0, 1, closed="both")],
        "mass_number": [Interval(Integral, 1, None, closed="left")],
        "nucleus_inputs": ["boolean"],
        "output_scale": [StrOptions(set(OUTPUT_SCALES))],
        "resampling": [StrOptions({"replica", "bootstrap"})],
        "resample_normalizations": ["boolean"],
        "uncertainty": [StrOptions({"ensemble", "dropout"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "grad_clip": [Interval(Real, 0, None, closed="neither"), None],
        "member_cut": [Interval(Real, 0, None, closed="neither"), None],
        "device": [str, torch.device],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
        "verbose": ["verbose"],
        "callbacks": [list, tuple, None],
    }

    def __init__(
        self,
        n_estimators=50,
        hidden_layers=(128,) * 4,
        activation="gelu",
        batch_norm=False,
        features="scaling",
        max_epochs=1500,
        lr=5e-3,
        lr_schedule="cosine",
        weight_decay=0.0,
        batch_size=128,
        norm_uncertainty=0.05,
        norm_warmup=100,
        norm_start=1.0,
        mass_number=12,
        nucleus_inputs=False,
        output_scale="mott",
        resampling="replica",
        resample_normalizations=True,
        uncertainty="ensemble",
        dropout=0.1,
        validation_fraction=0.1,
        grad_clip=2.0,
        member_cut=4.0,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.n_estimators = n_estimators
        self.hidden_layers = hidden_layers
        self.activation = activation
        self.batch_norm = batch_norm
        self.features = features
        self.max_epochs = max_epochs
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.norm_uncertainty = norm_uncertainty
        self.norm_warmup = norm_warmup
        self.norm_start = norm_start
        self.mass_number = mass_number
        self.nucleus_inputs = nucleus_inputs
        self.output_scale = output_scale
        self.resampling = resampling
        self.resample_normalizations = resample_normalizations
        self.uncertainty = uncertainty
        self.dropout = dropout
        self.validation_fraction = validation_fraction
        self.grad_clip = grad_clip
        self.member_cut = member_cut
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # E, theta, omega (and Z, A) > 0
        return tags

    # -- building blocks -------------------------------------------------
    def _check_params(self):
        """Refuse bad settings before any work (``_parameter_constraints``)."""
        validate_params(self)

    def _min_fit_points(self):
        """Fewest training points a fit accepts, and why.

        Each member holds out its own random draw of about
        ``validation_fraction`` of the points and trains on the rest: the
        count must give it at least one of each on average.
        """
        fraction = float(self.validation_fraction)
        if fraction == 0:
            return 2, "a fit needs at least two points"
        # 1e-9: 1 / 0.1 must give 10, not 11
        needed = max(2, math.ceil(1 / fraction - 1e-9), math.ceil(1 / (1 - fraction) - 1e-9))
        return needed, (
            f"each member holds out its own draw of validation_fraction = {fraction:g} of the "
            f"points to choose its best epoch and trains on the rest; {needed} points give it "
            "one of each on average. validation_fraction=0 needs 2"
        )

    @property
    def _resamples_normalizations(self):
        """Whether each member draws its own dataset normalizations (needs members to spread)."""
        return (
            self.resample_normalizations
            and self.norm_uncertainty is not None
            and self.uncertainty == "ensemble"
            and self._n_trained > 1
        )

    @property
    def _ensemble_size(self):
        """Members of the ensemble (or dropout passes)."""
        return self.n_estimators

    @property
    def _n_trained(self):
        """Networks trained side by side."""
        return 1 if self.uncertainty == "dropout" else self._ensemble_size

    @property
    def _reads_nucleus(self):
        """Whether the networks read the target's Z and A."""
        return bool(self.nucleus_inputs)

    def _check_rows(self, X):
        """X -> validated rows (E, theta, omega), or (E, theta, omega, Z, A) when nucleus-aware."""
        if not self._reads_nucleus:
            return check_kinematics(X)
        if self._fixed_nucleus:
            return self._rows_of_fixed_nucleus(X, self.target_nucleus_)
        try:
            nuclei = check_nuclei(X)
        except ValueError as error:
            raise ValueError(
                "this model reads each row's target nucleus (nucleus_inputs=True): X needs the "
                f"columns E, theta, omega, Z, A. {error}"
            ) from None
        return np.column_stack([check_kinematics(X, nucleus=True), nuclei])

    @staticmethod
    def _rows_of_fixed_nucleus(X, fixed):
        """Rows of a model fine-tuned to one nucleus: (E, theta, omega) plus its (Z, A)."""
        kin = check_kinematics(X)
        if hasattr(X, "columns") and {"Z", "A"} <= set(X.columns):
            other = check_nuclei(X) != np.asarray(fixed, dtype=float)
            if other.any():
                raise ValueError(
                    f"X: {int(other.any(axis=1).sum())} rows of another nucleus than the "
                    f"model's (Z, A) = {tuple(fixed)}"
                )
        return np.column_stack([kin, np.broadcast_to(np.asarray(fixed, float), (len(kin), 2))])

    def _inputs(self, rows):
        """Validated rows (n, 3) or (n, 5) -> (features, log S_A) as float32 tensors."""
        features = self.features_.transform(rows)
        mass = rows[:, 4] if rows.shape[1] == 5 else self.mass_number
        scale = OUTPUT_SCALES[self.output_scale](rows[:, 0], rows[:, 1], mass)
        if rows.shape[1] == 5:  # the nucleons' charges, which the features leave out
            energy, theta, omega, charge = rows[:, :4].T
            q2 = kinematics.q2_electron(energy, theta, omega)
            scale = scale * isospin_factor(charge, mass, q2, theta)
        with np.errstate(divide="ignore"):  # S_A = 0 at 180 degrees: a prediction of 0
            log_scale = np.log(scale)
        return (
            torch.as_tensor(features, dtype=torch.float32),
            torch.as_tensor(log_scale, dtype=torch.float32),
        )

    def _fit_domain(self, kin):
        """The (E, theta) range the fitted model can be trusted in (:mod:`qestl.domain`)."""
        return training_domain(kin)

    def _fit_features(self, rows):
        """Input standardisation, fitted on the training rows."""
        return make_features(self.features, self._reads_nucleus).fit(rows)

    def _prepare_module(self, module):
        """Hook run on the freshly built module before training (initial weights)."""

    def _deltas(self, labels):
        if self.norm_uncertainty is None:
            return np.ones(len(labels))
        if isinstance(self.norm_uncertainty, dict):
            default = DEFAULT_NORM_UNCERTAINTY
            return np.array([float(self.norm_uncertainty.get(k, default)) for k in labels])
        return np.full(len(labels), float(self.norm_uncertainty))

    def _build_module(self, n_features, n_datasets):
        dropout = self.dropout if self.uncertainty == "dropout" else 0.0
        return CrossSectionModule(
            self._n_trained,
            n_features,
            n_datasets,
            tuple(self.hidden_layers),
            self.activation,
            dropout,
            self.batch_norm,
        )

    def _learning_rate(self, n_rows):
        """The peak learning rate of a fit to ``n_rows`` points (``lr``)."""
        return float(self.lr)

    def _clipping(self):
        if self.grad_clip is None:
            return []
        return [("member_gradient_clipping", _MemberGradientClipping(float(self.grad_clip)))]

    def _schedule(self):
        if self.lr_schedule == "constant":
            return []
        cosine = LRScheduler(CosineAnnealingLR, T_max=max(int(self.max_epochs), 1))
        return [("lr_schedule", cosine)]

    def _training_callbacks(self):
        """The callbacks every fit adds (gradient clipping, learning-rate schedule)."""
        return self._clipping() + self._schedule()

    def _make_net(self, module, callbacks, n_rows):
        # the rate this fit runs at, kept as a fitted attribute
        self.lr_ = self._learning_rate(n_rows)
        batch = n_rows if self.batch_size in (-1, None) else int(self.batch_size)
        device = resolve_device(self.device)
        return _EnsembleNet(
            module=module,
            criterion=nn.Identity,  # get_loss computes the chi2
            optimizer=torch.optim.AdamW,
            lr=self.lr_,
            optimizer__weight_decay=self.weight_decay,
            optimizer__fused=fused_adam_supported(device),
            max_epochs=self.max_epochs,
            batch_size=batch,
            iterator_train=batch_loader,
            iterator_train__shuffle=batch < n_rows,
            train_split=None,
            callbacks=list(callbacks)
            + self._training_callbacks()
            + ([("epoch_progress", EpochProgress(type(self).__name__))] if self.verbose else [])
            + list(self.callbacks or []),
            **({} if self.verbose >= 2 else {"callbacks__print_log": None}),
            device=device,
            verbose=int(self.verbose >= 2),
            norm_warmup=self.norm_warmup,
            norm_start=round(float(self.norm_start) * self.max_epochs),
            use_norm=self.norm_uncertainty is not None,
        )

    # -- fitting ---------------------------------------------------------
    def fit(self, X, y, sigma=None, dataset=None):
        """Fit the ensemble.

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3)
            Beam energy E [GeV], angle theta [deg], energy transfer omega [GeV].
        y : array_like of shape (n,)
            Measured cross sections [nb/(sr GeV)].
        sigma : array_like of shape (n,), optional
            Point-to-point errors [nb/(sr GeV)]. Without them the loss is a
            plain squared error (sigma = 1 for all points; say so once).
            For datasets that scatter beyond their quoted errors, errors
            scaled by :func:`qestl.metrics.scale_factors` of a first fit
            (docs/regressor.md, "Datasets that scatter beyond their errors").
        dataset : array_like of shape (n,), optional
            Normalization-set label of each point; one N_k per label. Without
            it all points share one normalization.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Before any training: for a parameter outside its declared range
            (``_parameter_constraints``), bad rows (see
            :func:`qestl.validation.check_kinematics`), or too few points for
            the validation split.
        """
        self._check_params()
        check_fit_size(X, y, *self._min_fit_points())
        kin = self._check_rows(X)
        if self.output_scale == "mott" and (kin[:, 1] == 180.0).any():
            raise ValueError(
                f"X: {int((kin[:, 1] == 180.0).sum())} rows at theta = 180 degrees, where the "
                "Mott-like scale vanishes: fit them with output_scale='transverse' or drop them"
            )
        # The kinematics were checked with their nucleus columns; y, sigma and
        # dataset are checked against them here.
        _, y, sigma, dataset = check_fit_inputs(
            X if hasattr(X, "columns") else kin[:, :3], y, sigma, dataset
        )
        if hasattr(self, "oob_prediction_"):  # a refit without held-out points has none
            del self.oob_prediction_
        if sigma is None:
            warnings.warn(
                "no sigma given: fitting a plain squared error (sigma = 1)",
                UserWarning,
                stacklevel=2,
            )
            sigma = np.ones_like(y)
        labels, index = np.unique(
            np.zeros(len(y)) if dataset is None else dataset.astype(str), return_inverse=True
        )
        self.datasets_ = labels.astype(str)
        self.domain_ = self._fit_domain(kin)
        self.features_ = self._fit_features(kin)
        features, log_scale = self._inputs(kin)
        n, members = len(y), self._n_trained
        rng = np.random.default_rng(self.random_state)

        replicas, weights = self._draw_replicas(y, sigma, index, rng)
        valid = held_out = None
        if self.validation_fraction > 0:
            held_out = rng.random((n, members)) < self.validation_fraction
            weights = np.where(held_out, 0.0, weights)
            valid = torch.as_tensor(held_out.T, dtype=torch.float32)
        starved = int((weights.sum(axis=0) == 0).sum())
        if starved:
            raise ValueError(
                f"{starved} of {members} members drew all of their {n} points for validation "
                f"(validation_fraction={self.validation_fraction:g}) and would train on none: "
                "fit more points, or lower validation_fraction or change random_state"
            )

        target = torch.as_tensor(replicas, dtype=torch.float32)
        weight = torch.as_tensor(weights, dtype=torch.float32)
        X_fit = {
            "features": features,
            "log_scale": log_scale,
            "sigma": torch.tensor(sigma, dtype=torch.float32),
            "dataset": torch.as_tensor(index, dtype=torch.long),
            "weight": weight,
        }
        full = {
            "features": features,
            "log_scale": log_scale,
            "target": target.T,
            "sigma": X_fit["sigma"],
            "dataset": X_fit["dataset"],
        }
        best = _BestMemberEpoch(full, valid)
        seed = int(rng.integers(2**31))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._build_module(features.shape[1], len(labels))
            self._prepare_module(module)
            module.norm_uncertainty.copy_(torch.as_tensor(self._deltas(self.datasets_)))
            module.n_total.copy_(weight.sum(dim=0))
            self.net_ = self._make_net(module, [("best_member_epoch", best)], n)
            with retain_freed_memory():
                self.net_.fit(X_fit, target)
            if self.norm_uncertainty is not None:
                self._profile_final_normalizations(X_fit, target)
        self.best_epoch_ = (
            best.best_epoch_.numpy()
            if valid is not None
            else np.full(members, len(self.net_.history))
        )
        every = self._select_members(kin, y, sigma, index)
        if held_out is not None and every is not None:
            self.oob_prediction_ = out_of_bag_mean(every, held_out.T, self.members_kept_)
        record_input_columns(self, X, self._n_input_columns)
        return self

    @property
    def _n_input_columns(self):
        """Columns of X the model reads: 5 when each row brings its nucleus, else 3."""
        reads_rows_nucleus = self._reads_nucleus and not self._fixed_nucleus
        return 5 if reads_rows_nucleus else 3

    def _select_members(self, kin, y, sigma, index):
        """The post-fit selection (``member_cut``) on validated training data.

        Sets ``member_chi2_``, ``member_excursion_`` and ``members_kept_``;
        returns every trained member's prediction of the training points,
        (n_trained, n), or None for one network.
        """
        if self.uncertainty != "ensemble":  # one network: nothing to select
            self.member_chi2_ = self.member_excursion_ = np.full(1, np.nan)
            self.members_kept_ = np.ones(1, dtype=bool)
            return None
        every = self._predict_every_member(kin)
        self.member_chi2_ = self._member_chi2(every, y, sigma, index)
        # The second veto among the members that pass the first.
        probes = probe_kinematics(kin)
        if probes.shape[1] == 5 and not self._fixed_nucleus:  # each row brings its nucleus
            probes = probe_nuclei(probes, max_rows=max(1, 20_000 // len(PROBE_NUCLEI)))
        self.members_kept_, self.member_excursion_ = select_by_excursion(
            self._predict_every_member(probes),
            select_members(self.member_chi2_, self.member_cut),
            self.member_cut,
        )
        return every

    def reselect(self, X, y, sigma=None, dataset=None):
        """Rerun the post-fit member selection (``member_cut``) on the training data.

        For a loaded model, or after the selection itself changed; the
        weights stay as they are.

        Parameters
        ----------
        X, y, sigma, dataset
            The training data, as given to :meth:`fit` (dataset labels among
            ``datasets_``).

        Returns
        -------
        self
        """
        check_is_fitted(self, "net_")
        kin = self._check_rows(X)
        _, y, sigma, dataset = check_fit_inputs(
            X if hasattr(X, "columns") else kin[:, :3], y, sigma, dataset
        )
        labels = np.full(len(y), self.datasets_[0]) if dataset is None else dataset.astype(str)
        unknown = sorted(set(labels) - set(self.datasets_))
        if unknown:
            raise ValueError(f"dataset: labels the model was not fitted to: {unknown[:5]}")
        index = np.searchsorted(self.datasets_, labels)
        self._select_members(kin, y, np.ones_like(y) if sigma is None else sigma, index)
        return self

    def _member_chi2(self, members, y, sigma, index):
        """chi2/N of every trained member on the given points, with its own N_mk."""
        norm = self.net_.module_.norm.detach().cpu().numpy()[:, index]
        return np.mean(((norm * members - y) / sigma) ** 2, axis=1)

    def _draw_replicas(self, y, sigma, index, rng):
        """Each member's training data: its replica targets and point weights.

        Parameters
        ----------
        y, sigma : ndarray of shape (n,)
            Cross sections and point-to-point errors [nb/(sr GeV)].
        index : ndarray of int, shape (n,)
            Position of each point's dataset in ``datasets_``.
        rng : numpy.random.Generator

        Returns
        -------
        replicas, weights : ndarray of shape (n, n_members)
        """
        n, members = len(y), self._n_trained
        replicas = np.repeat(y[:, None], members, axis=1)
        weights = np.ones((n, members))
        if self.resampling == "replica" and self.uncertainty == "ensemble":
            replicas = replicas + rng.standard_normal((n, members)) * sigma[:, None]
        elif self.resampling == "bootstrap":
            weights = np.stack(
                [np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(members)], axis=1
            ).astype(float)
        if self._resamples_normalizations:
            replicas = replicas * self._draw_normalizations(members, rng)[index]
        return replicas, weights

    def _draw_normalizations(self, members, rng):
        """Factors exp(r_mk delta_k) of each dataset k for each member m, shape (K, M).

        r is standardised over the members (mean 0, std 1) and the factors
        are divided by their member mean: a plain draw leaves the mean of
        50 factors off 1 by about delta / sqrt(50), which shifts the ensemble
        mean by as much (measured on carbon: 1.1 % for Sealock 1989, whose
        data are better than that; held-out chi2/N 1.71, against 1.55 with
        the standardised draw).
        """
        deltas = self._deltas(self.datasets_)[:, None]
        r = rng.standard_normal((len(deltas), members))
        r = (r - r.mean(axis=1, keepdims=True)) / r.std(axis=1, keepdims=True)
        factors = np.exp(r * deltas)
        return factors / factors.mean(axis=1, keepdims=True)

    def _profile_final_normalizations(self, X_fit, target):
        """N_mk at the chi2 minimum of each member's final network, on its own replica.

        Per dataset only, without the overall-scale step of training (the
        network can no longer absorb it), within the same bounds as in
        training (:func:`qestl.nn.profiled_normalization`). After training with N = 1 this gives
        the normalizations the fit implies; after training with profiled
        N_mk it profiles them again for the kept (best) weights.
        """
        module = self.net_.module_
        device = module.norm.device
        was_training = module.training
        module.eval()
        with torch.no_grad():
            prediction = module(X_fit["features"].to(device), X_fit["log_scale"].to(device))
            a, b = normalization_sums(
                prediction,
                target.T.to(device),
                X_fit["sigma"].to(device),
                X_fit["dataset"].to(device),
                module.norm.shape[1],
                X_fit["weight"].T.to(device),
            )
            module.norm.copy_(
                profiled_normalization(a, b, module.norm_uncertainty, overall_scale=False)
            )
        module.train(was_training)

    @property
    def history_(self):
        """Per-epoch training history (skorch ``History``)."""
        check_is_fitted(self, "net_")
        return self.net_.history

    @property
    def normalizations_(self):
        """Fitted normalizations N_mk of the members kept, shape (n_kept, n_datasets)."""
        check_is_fitted(self, "net_")
        return self._kept(self.net_.module_.norm.detach().cpu().numpy()[:, : len(self.datasets_)])

    def _kept(self, per_member):
        """The rows of the members kept (``members_kept_``); dropout passes are all kept."""
        return per_member[self.members_kept_] if self.uncertainty == "ensemble" else per_member

    # -- prediction ------------------------------------------------------
    def predict_members(self, X):
        """Cross section of every member (or dropout pass).

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3)
            E [GeV], theta [deg], omega [GeV].

        Returns
        -------
        ndarray of shape (n_kept, n)
            [nb/(sr GeV)]: the members kept (``members_kept_``; all
            ``n_estimators`` unless ``member_cut`` dropped some), or the
            ``n_estimators`` dropout passes.

        Warns
        -----
        qestl.domain.ExtrapolationWarning
            When points lie beyond the beam energies or angles of the
            training data (``domain_``): the band does not cover that error.
        """
        check_is_fitted(self, "net_")
        rows = self._check_rows(X)
        warn_outside_domain(rows, self.domain_, stacklevel=4)
        return self._kept(self._predict_every_member(rows))

    def _predict_every_member(self, rows):
        """(n_trained or dropout passes, n) cross sections of validated rows, none dropped."""
        return np.concatenate([chunk for chunk in self._member_chunks(rows)], axis=1)

    def _member_chunks(self, rows):
        """Every member's cross sections, ``PREDICT_CHUNK`` rows at a time, as float64 arrays.

        Memory stays that of one chunk whatever the number of rows. Model B's
        passes keep one dropout mask each over all chunks, drawn from
        ``random_state`` so that a prediction can be repeated.
        """
        module = self.net_.module_
        device = next(module.parameters()).device
        was_training = module.training
        module.eval()
        dropouts = [m for m in module.modules() if isinstance(m, CurveDropout)]
        if self.uncertainty == "dropout":
            generator = torch.Generator(device=device)
            generator.manual_seed(0 if self.random_state is None else int(self.random_state))
            for layer in dropouts:
                layer.start_curves(generator)
        try:
            for start in range(0, len(rows), PREDICT_CHUNK):
                features, log_scale = self._inputs(rows[start : start + PREDICT_CHUNK])
                features, log_scale = features.to(device), log_scale.to(device)
                with torch.no_grad():
                    if self.uncertainty == "dropout":
                        features = features.expand(self.n_estimators, -1, -1)
                    yield module(features, log_scale).cpu().numpy().astype(float)
        finally:
            for layer in dropouts:
                layer.stop_curves()
            module.train(was_training)

    def predict(self, X, return_std=False):
        """Ensemble mean (and standard deviation) of the cross section.

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3)
            E [GeV], theta [deg], omega [GeV].
        return_std : bool, default False
            Also return the spread of the members (ddof = 0, as the paper):
            the data's point-to-point errors and, with
            ``resample_normalizations``, their normalization uncertainties
            carried through the fit.

        Returns
        -------
        mean : ndarray of shape (n,)
            [nb/(sr GeV)].
        std : ndarray of shape (n,)
            Only with ``return_std``.
        """
        check_is_fitted(self, "net_")
        rows = self._check_rows(X)
        warn_outside_domain(rows, self.domain_, stacklevel=3)
        means, stds = [], []
        for chunk in self._member_chunks(rows):
            kept = self._kept(chunk)
            means.append(kept.mean(axis=0))
            stds.append(kept.std(axis=0))
        mean = np.concatenate(means)
        return (mean, np.concatenate(stds)) if return_std else mean

    # -- persistence -----------------------------------------------------
    def save(self, path, dtype=None):
        """Write the fitted model to a directory (``config.json`` + ``weights.pt``, no pickle).

        Parameters
        ----------
        path : str or path-like
        dtype : torch.dtype, optional
            Storage type of the weights; ``torch.float16`` halves the file
            (predictions then differ at the 1e-3 level).

        Returns
        -------
        pathlib.Path
        """
        return save_model_dir(path, self._config(), self._state(), dtype=dtype)

    def _state(self):
        """The fitted module's tensors (what :meth:`save` writes beside the config)."""
        check_is_fitted(self, "net_")
        return self.net_.module_.state_dict()

    def _saved_params(self):
        """JSON-able CrossSectionRegressor parameters that rebuild this model."""
        params = {k: v for k, v in self.get_params().items() if k != "callbacks"}
        params["hidden_layers"] = list(params["hidden_layers"])
        return params

    def _config(self):
        """What :meth:`save` writes to ``config.json`` (beside the module's tensors)."""
        check_is_fitted(self, "net_")
        return {
            "estimator": "CrossSectionRegressor",
            "params": self._saved_params(),
            "datasets": self.datasets_.tolist(),
            "feature_mean": self.features_.scaler_.mean_.tolist(),
            "feature_scale": self.features_.scaler_.scale_.tolist(),
            "best_epoch": np.asarray(self.best_epoch_).tolist(),
            # A member without a chi2/N or an excursion is written as null.
            "member_chi2": json_floats(self.member_chi2_),
            "member_excursion": json_floats(self.member_excursion_),
            "members_kept": np.asarray(self.members_kept_).tolist(),
            "domain": self.domain_,
            # A model fine-tuned to one nucleus from a nucleus-aware source.
            **({"target_nucleus": list(self.target_nucleus_)} if self._fixed_nucleus else {}),
        }

    @property
    def _fixed_nucleus(self):
        return getattr(self, "target_nucleus_", None) is not None

    @classmethod
    def load(cls, path, device="auto"):
        """Load a model written by :meth:`save`, or a shipped one (``"carbon"``).

        Parameters
        ----------
        path : str or path-like
        device : str, default "auto"

        Returns
        -------
        CrossSectionRegressor
        """
        config, state = load_model_dir(path)
        return cls._from_saved(config, state, device)

    @classmethod
    def _from_saved(cls, config, state, device="auto"):
        """Rebuild a fitted model from a saved config and its tensors."""
        params = dict(config["params"])
        params["hidden_layers"] = tuple(params["hidden_layers"])
        params["device"] = device
        params["features"] = saved_feature_set(params)
        model = cls(**params)
        model._check_params()
        model.datasets_ = np.asarray(config["datasets"], dtype=str)
        model.features_ = features_from_config(config)
        module = model._build_module(len(config["feature_mean"]), len(model.datasets_))
        model.net_ = model._make_net(module, [], 1).initialize()
        model.net_.module_.load_state_dict(state)
        model.best_epoch_ = np.asarray(config["best_epoch"])
        # Models saved before the member selection keep every member.
        trained = len(model.best_epoch_)
        for key in ("member_chi2", "member_excursion"):
            values = np.asarray(config.get(key, [None] * trained), dtype=float)
            if values.shape != (trained,):
                raise ValueError(f"config.json: {key} must be {trained} numbers or nulls")
            setattr(model, f"{key}_", values)
        model.members_kept_ = np.asarray(config.get("members_kept", [True] * trained), dtype=bool)
        if model.members_kept_.shape != (trained,) or not model.members_kept_.any():
            raise ValueError(
                f"config.json: members_kept must be {trained} booleans with at least one true"
            )
        # Models saved before the domain was recorded have none: no warning.
        model.domain_ = check_domain(config.get("domain"), "config.json: domain")
        nucleus = config.get("target_nucleus")
        if nucleus is not None:
            model.target_nucleus_ = tuple(
                int(v) for v in check_nuclei([[1.0, 30.0, 0.1, *nucleus]])[0]
            )
        model.n_features_in_ = model._n_input_columns
        return model
