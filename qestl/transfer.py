"""Transfer learning of a cross-section ensemble to another nucleus (Graczyk et al.)."""

import numbers
import os
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from skorch.callbacks import Callback

from qestl.domain import check_domain, merge_domains, training_domain
from qestl.nn import per_member
from qestl.params import Interval, StrOptions
from qestl.persistence import ModelSnapshot
from qestl.regressor import (
    CrossSectionModule,
    CrossSectionRegressor,
    features_from_config,
    saved_feature_set,
)

__all__ = [
    "CARBON_SOURCE",
    "TRANSFER_SOURCE",
    "WORSE_TRANSFER_SOURCES",
    "PretrainedModel",
    "TransferRegressor",
    "check_source_prior",
    "resolve_freeze",
]


#: Default source of TransferRegressor: the multi-nucleus model, which has seen
#: how cross sections change from 2H to 238U and fine-tunes to a new nucleus
#: better than the carbon models (docs/validation/nuclei-source.md).
TRANSFER_SOURCE = "nuclei"

#: The carbon model of the scaled-carbon baseline (ScaledRegressor) and of the
#: transfer study of Graczyk et al. (``qestl benchmark``), whose targets the
#: multi-nucleus model has seen: the carbon model shipped until 2026-12-01.
CARBON_SOURCE = "carbon-2026-11-30"

#: Learning rates of ``lr="auto"``: below and from ``AUTO_LR_POINTS`` training points.
AUTO_LR = (5e-4, 2e-3)
AUTO_LR_POINTS = 300

#: Shipped models that are worse starting points for fine-tuning than
#: ``TRANSFER_SOURCE``, with what was measured; choosing one warns.
WORSE_TRANSFER_SOURCES = {
    "carbon": (
        "beyond the carbon data its outputs run into the top of the sigmoid (up to 1e7 "
        "times the 27Al data above 5 GeV); 56Fe from 10 % of its points: test chi2/N 882 "
        "against 24.2 from carbon-2026-11-30 (docs/validation/transfer-sources.md)"
    ),
    "carbon-2026-11-30": (
        "it extrapolates beyond the carbon data (up to 2500 times the 27Al data above "
        "5 GeV); fine-tuned from 10 % of the points it trails 'nuclei' on 4He, 27Al and "
        "56Fe (benchmarks/results/nuclei_transfer.md)"
    ),
}


class PretrainedModel(ModelSnapshot):
    """A read-only snapshot of a fitted ensemble: its saved config and tensors.

    This is what :class:`TransferRegressor` and
    :class:`~qestl.baselines.ScaledRegressor` hold as their ``source``
    parameter; see :class:`qestl.persistence.ModelSnapshot` for why clones
    keep the weights. :meth:`resolve` accepts the name of a shipped model
    (``"nuclei"``, the default transfer source, ``"carbon-2026-11-30"`` or
    ``"carbon"``),
    a saved-model directory or a fitted :class:`CrossSectionRegressor`.

    Parameters
    ----------
    config : dict
        The saved ``config.json`` of a :class:`CrossSectionRegressor`.
    state : dict of str -> torch.Tensor
        Its module tensors (on the CPU).
    name : str
        A label for ``repr``.
    """

    shipped = TRANSFER_SOURCE

    @classmethod
    def estimator_class(cls):
        """:class:`CrossSectionRegressor` (its subclasses save in its format)."""
        return CrossSectionRegressor

    @property
    def members(self):
        """Number of ensemble members."""
        return int(self.state["mlp.layers.0.weight"].shape[0])

    @property
    def features(self):
        """Input feature set (:func:`qestl.regressor.saved_feature_set`)."""
        return saved_feature_set(self.params)

    @property
    def mass_number(self):
        """A of the nucleus the source was trained on (12 for a nucleus-aware source)."""
        return int(self.params.get("mass_number", 12))

    @property
    def nucleus_inputs(self):
        """Whether the source reads each row's Z and A (a multi-nucleus model)."""
        return bool(self.params.get("nucleus_inputs", False))

    @property
    def n_weight_layers(self):
        """Dense layers of each member (11 for the paper's network)."""
        return len(self.params["hidden_layers"]) + 1

    def regressor(self, device="auto"):
        """The source as a fitted :class:`CrossSectionRegressor`."""
        return CrossSectionRegressor._from_saved(self.config, self.state, device)

    def __repr__(self):
        nucleus = "Z and A of each row" if self.nucleus_inputs else self.mass_number
        return (
            f"PretrainedModel({self.name!r}, members={self.members}, "
            f"hidden_layers={tuple(self.params['hidden_layers'])}, A={nucleus})"
        )


def resolve_freeze(freeze, n_weight_layers):
    """Number of leading weight layers to hold fixed.

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


def check_source_prior(strength):
    """Raise ValueError unless ``strength`` (TransferRegressor's source_prior) is a float >= 0."""
    if not (isinstance(strength, numbers.Real) and strength >= 0):
        raise ValueError(f"source_prior must be a float >= 0, got {strength!r}")


class _SourcePrior(Callback):
    """Gaussian prior on the trained weights, centred on the source's (L2-SP).

    Adds 2 strength (p - p_source) / n_m to the gradient of member m's
    loss, n_m its number of training points. The loss is chi2_m / n_m, so
    this makes it (chi2_m + strength * sum (p - p_source)^2) / n_m, and a
    larger target data set outweighs the prior (L2-SP: Li, Grandvalet and
    Davoine, ICML 2018). Added to the gradient rather than to the loss so
    that the recorded loss stays the data's chi2; after the per-member
    clipping, which is for spikes of the chi2 gradient.
    """

    def __init__(self, strength):
        self.strength = strength

    def on_train_begin(self, net, **kwargs):
        module = net.module_
        self.pairs_ = [(p, p.detach().clone()) for p in module.mlp.parameters() if p.requires_grad]
        self.scale_ = 2 * self.strength / module.n_total  # (members,): n_m of each

    def on_grad_computed(self, net, named_parameters, **kwargs):
        with torch.no_grad():
            for param, start in self.pairs_:
                param.grad.add_(per_member(self.scale_, param) * (param - start))


class TransferRegressor(CrossSectionRegressor):
    """A pretrained cross-section ensemble fine-tuned to another nucleus.

    Graczyk et al. (PRL 135, 052502 (2025); 2026 layer-wise study): member m
    of the new ensemble starts from member m of the source (by default the
    shipped carbon model), its output is scaled by A_target / A_source
    (through the A/12 of the Mott-like scale S_A), and it is trained on its
    own replica of the target data with the chi2 + normalization loss of
    :class:`CrossSectionRegressor` (AdamW, lr 5e-4, up to 1000 epochs). The
    first ``freeze`` weight layers keep their source weights and BatchNorm
    running statistics. The input standardisation is the source's.

    Build it with :meth:`from_pretrained`. The source is held as a read-only
    :class:`PretrainedModel` parameter, so ``clone`` and ``GridSearchCV``
    keep the pretrained weights.

    Parameters
    ----------
    source : PretrainedModel
        See :meth:`PretrainedModel.resolve`.
    target_Z, target_A : int, optional
        Charge and mass number of the target. A sets the output scale (A/12
        in S_A), so it defaults to the source's for a single-nucleus source.
        A nucleus-aware source (``"nuclei"``) reads both, so both are then
        required, and X needs only E, theta, omega.
    freeze : int or {"full", "shallow"}, default 0
        Leading weight layers held fixed (:func:`resolve_freeze`).
    n_estimators : int >= 1, optional
        Members to fine-tune (the first ones of the source); default all.
    max_epochs : int >= 1, default 1000
    lr : float > 0 or "auto", default "auto"
        AdamW learning rate, peak of the cosine schedule. "auto" takes the
        papers' 5e-4 below ``AUTO_LR_POINTS`` (300) training points and 2e-3
        from there on: from the "nuclei" source, 2e-3 was worse at 10 % of
        the points (12 to 224 of them) and better at 70 % (27Al*, 334
        points: test chi2/N 0.95 against 1.30; 56Fe, 1521: 2.13 against
        2.59), where 5e-4 underfits (docs/validation/nuclei-source.md).
        ``lr_`` holds the rate of the last fit.
    lr_schedule, weight_decay, batch_size, norm_uncertainty, resampling, validation_fraction,
    grad_clip, member_cut, device, random_state, verbose, callbacks
        As in :class:`CrossSectionRegressor`.
    norm_warmup : int, default 0
        The source already has the scale of the data: no warm-up.
    source_prior : float >= 0, default 100.0
        Strength alpha of a Gaussian prior on the trained weights, centred on
        the source's (L2-SP): member m minimises chi2_m + alpha * sum (p -
        p_source)^2 over its trained weights p. With a dozen target points a
        member can fit them exactly and wander far from the source where the
        target has no data; the prior holds it near the source there, and a
        data set of a few hundred points outweighs it. 100 is the best of 0,
        100 and 1000 measured from the "nuclei" source at 10 % of the points
        (docs/validation/nuclei-source.md); 0 fine-tunes freely, as the
        papers did.

    Examples
    --------
    >>> from qestl.datasets import cut_low_excitation, load_qes  # doctest: +SKIP
    >>> oxygen = cut_low_excitation(load_qes("16O"))  # doctest: +SKIP
    >>> model = TransferRegressor.from_pretrained(target_A=16, freeze="shallow")
    ... # doctest: +SKIP
    >>> model.fit(oxygen[["E", "theta", "omega"]], oxygen["xsec"],
    ...           sigma=oxygen["error"], dataset=oxygen["dataset"])  # doctest: +SKIP
    """

    uncertainty = "ensemble"
    dropout = 0.0
    # Fine-tuning profiles N_k from its first epoch, as before 2026-12-01;
    # whether CrossSectionRegressor's drift of N_k (see norm_start there)
    # happens in a few hundred fine-tuning epochs is not measured yet.
    norm_start = 0.0
    # Point-to-point replicas only, as in the measured transfer benchmarks
    # (benchmarks/results/transfer*.md); drawing the target's normalizations
    # too (CrossSectionRegressor's default) is not measured for fine-tuning yet.
    resample_normalizations = False

    # The settings shared with CrossSectionRegressor keep its constraints; the
    # bounds that depend on the source (members, layers) are checked in _check_params.
    _parameter_constraints = {
        **CrossSectionRegressor._parameter_constraints,
        "source": [PretrainedModel, CrossSectionRegressor, str, os.PathLike, None],
        "target_Z": [Interval(Integral, 1, None, closed="left"), None],
        "target_A": [Interval(Integral, 1, None, closed="left"), None],
        "freeze": [Interval(Integral, 0, None, closed="left"), StrOptions({"full", "shallow"})],
        "n_estimators": [Interval(Integral, 1, None, closed="left"), None],
        "source_prior": [Interval(Real, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        source=None,
        target_Z=None,
        target_A=None,
        freeze=0,
        n_estimators=None,
        max_epochs=1000,
        lr="auto",
        lr_schedule="cosine",
        weight_decay=0.0,
        batch_size=256,
        norm_uncertainty=0.05,
        norm_warmup=0,
        source_prior=100.0,
        resampling="replica",
        validation_fraction=0.1,
        grad_clip=2.0,
        member_cut=4.0,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.source = source
        self.target_Z = target_Z
        self.target_A = target_A
        self.freeze = freeze
        self.n_estimators = n_estimators
        self.max_epochs = max_epochs
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.norm_uncertainty = norm_uncertainty
        self.norm_warmup = norm_warmup
        self.source_prior = source_prior
        self.resampling = resampling
        self.validation_fraction = validation_fraction
        self.grad_clip = grad_clip
        self.member_cut = member_cut
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    @classmethod
    def from_pretrained(
        cls, source=TRANSFER_SOURCE, target_Z=None, target_A=None, freeze=0, **params
    ):
        """A TransferRegressor starting from ``source``.

        Parameters
        ----------
        source : str, path-like, CrossSectionRegressor or PretrainedModel
            Default ``TRANSFER_SOURCE``, the best transfer source shipped
            (``"nuclei"``); the shipped carbon models warn
            (``WORSE_TRANSFER_SOURCES``).
        target_Z, target_A : int, optional
            The target nucleus; both required for a nucleus-aware source.
        freeze : int or {"full", "shallow"}, default 0
        **params
            Other constructor parameters.

        Returns
        -------
        TransferRegressor
        """
        if isinstance(source, str) and source in WORSE_TRANSFER_SOURCES:
            warnings.warn(
                f"{source!r} is a worse transfer source than the default {TRANSFER_SOURCE!r}: "
                f"{WORSE_TRANSFER_SOURCES[source]}",
                UserWarning,
                stacklevel=2,
            )
        return cls(
            PretrainedModel.resolve(source),
            target_Z=target_Z,
            target_A=target_A,
            freeze=freeze,
            **params,
        )

    # The architecture is the source's.
    @property
    def _source(self):
        return PretrainedModel.resolve(self.source)

    @property
    def hidden_layers(self):
        """Hidden widths (the source's)."""
        return tuple(self._source.params["hidden_layers"])

    @property
    def activation(self):
        """Activation (the source's)."""
        return self._source.params["activation"]

    @property
    def features(self):
        """Input feature set (the source's)."""
        return self._source.features

    @property
    def nucleus_inputs(self):
        """Whether the networks read Z and A (the source's; they are ``target_Z``, ``target_A``)."""
        return self._source.nucleus_inputs

    @property
    def output_scale(self):
        """Output scale S (the source's)."""
        return self._source.params.get("output_scale", "mott")

    @property
    def mass_number(self):
        """A of the target: ``target_A``, else the source's."""
        return self._source.mass_number if self.target_A is None else self.target_A

    @property
    def _ensemble_size(self):
        return self._source.members if self.n_estimators is None else self.n_estimators

    def _check_params(self):
        super()._check_params()
        source = self._source
        if source.params.get("uncertainty", "ensemble") != "ensemble":
            raise ValueError("TransferRegressor needs an ensemble source (uncertainty='ensemble')")
        if not self._n_trained <= source.members:
            raise ValueError(
                f"n_estimators must lie in [1, {source.members}] (the source's members), "
                f"got {self.n_estimators!r}"
            )
        resolve_freeze(self.freeze, source.n_weight_layers)
        if None not in (self.target_Z, self.target_A) and self.target_A < self.target_Z:
            raise ValueError(
                f"target_A must be >= target_Z, got Z = {self.target_Z}, A = {self.target_A}"
            )
        if source.nucleus_inputs and None in (self.target_Z, self.target_A):
            raise ValueError(
                f"the source {source.name!r} reads the target's Z and A: give target_Z and "
                f"target_A, e.g. from_pretrained({source.name!r}, target_Z=20, target_A=40)"
            )

    def fit(self, X, y, sigma=None, dataset=None, freeze=None):
        """Fine-tune on the target data.

        Parameters
        ----------
        X, y, sigma, dataset
            As in :meth:`CrossSectionRegressor.fit`.
        freeze : int or {"full", "shallow"}, optional
            Overrides the ``freeze`` parameter for this fit.

        Returns
        -------
        self
        """
        self._check_params()
        requested = self.freeze if freeze is None else freeze
        self.n_frozen_ = resolve_freeze(requested, self._source.n_weight_layers)
        # A nucleus-aware source is fine-tuned to the one nucleus (target_Z, target_A).
        self.target_nucleus_ = (
            (int(self.target_Z), int(self.target_A)) if self._source.nucleus_inputs else None
        )
        return super().fit(X, y, sigma=sigma, dataset=dataset)

    def _fit_domain(self, kin):
        # The fine-tuned members still carry what the source learned over its range.
        source = check_domain(self._source.config.get("domain"), "the source's domain")
        return merge_domains(training_domain(kin), source)

    def _fit_features(self, kin):
        return features_from_config(self._source.config)

    def _training_callbacks(self):
        prior = [("source_prior", _SourcePrior(float(self.source_prior)))]
        return super()._training_callbacks() + (prior if self.source_prior > 0 else [])

    def _build_module(self, n_features, n_datasets):
        return CrossSectionModule(
            self._n_trained,
            n_features,
            n_datasets,
            self.hidden_layers,
            self.activation,
            0.0,
            self._source.params.get("batch_norm", True),
        )

    def _prepare_module(self, module):
        members = self._n_trained
        weights = {
            name.removeprefix("mlp."): tensor[:members]
            for name, tensor in self._source.state.items()
            if name.startswith("mlp.")
        }
        module.mlp.load_state_dict(weights)
        module.mlp.freeze(self.n_frozen_)

    def _learning_rate(self, n_rows):
        """``lr``, with "auto" resolved for ``n_rows`` training points."""
        if self.lr != "auto":
            return float(self.lr)
        return AUTO_LR[0] if n_rows < AUTO_LR_POINTS else AUTO_LR[1]

    def _saved_params(self):
        params = {k: v for k, v in self._source.params.items() if k != "callbacks"}
        own = {k: v for k, v in self.get_params().items() if k not in ("source", "callbacks")}
        params.update(
            {k: v for k, v in own.items() if k in params and k != "n_estimators"},
            n_estimators=self._n_trained,
            mass_number=self.mass_number,
            lr=self.lr_,  # the rate used, a number
        )
        return params
