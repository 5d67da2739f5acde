"""TransferRegressor: a pretrained cross-section ensemble fine-tuned to another nucleus."""

import os
import warnings
from numbers import Integral, Real

from qestl.domain import check_domain, merge_domains, training_domain
from qestl.estimators._ensemble import FIT_CONSTRAINTS, EnsembleRegressor
from qestl.estimators._features import features_from_config
from qestl.estimators._uncertainty import EnsembleMembers
from qestl.estimators.sources import TRANSFER_SOURCE, WORSE_TRANSFER_SOURCES, PretrainedModel
from qestl.nn import resolve_freeze
from qestl.params import Interval, StrOptions
from qestl.training import SourcePrior

__all__ = ["AUTO_LR", "AUTO_LR_POINTS", "TransferRegressor"]

#: Learning rates of ``lr="auto"``: below and from ``AUTO_LR_POINTS`` training points.
AUTO_LR = (5e-4, 2e-3)
AUTO_LR_POINTS = 300


class TransferRegressor(EnsembleRegressor):
    """A pretrained cross-section ensemble fine-tuned to another nucleus.

    Graczyk et al. (PRL 135, 052502 (2025); 2026 layer-wise study): member m
    of the new ensemble starts from member m of the source, and trains on
    its own replica of the target data with the chi2 + normalization loss
    of :class:`~qestl.CrossSectionRegressor`. The first ``freeze`` weight
    layers keep their source weights. The architecture, the input
    standardisation and the output scale are the source's.

    Build it with :meth:`from_pretrained`. The source is held as a read-only
    :class:`~qestl.estimators.PretrainedModel` parameter, so ``clone`` and
    ``GridSearchCV`` keep the pretrained weights. Why each default is what it
    is, with the measurements: docs/validation/defaults.md.

    Parameters
    ----------
    source : PretrainedModel, str, path-like or fitted ensemble regressor
        See :meth:`PretrainedModel.resolve`; :meth:`from_pretrained` defaults
        to ``TRANSFER_SOURCE`` ("nuclei", the multi-nucleus model).
    target_Z, target_A : int, optional
        Charge and mass number of the target. A sets the output scale (A/12
        in S_A) and defaults to the source's for a single-nucleus source. A
        nucleus-aware source reads both, so both are then required, and X
        needs only E, theta, omega.
    freeze : int or {"full", "shallow"}, default 0
        Leading weight layers held fixed (:func:`qestl.nn.resolve_freeze`).
    n_estimators : int >= 1, optional
        Members to fine-tune (the first ones of the source); default all.
    max_epochs : int >= 1, default 1000
    lr : float > 0 or "auto", default "auto"
        AdamW learning rate, peak of the cosine schedule. "auto" takes 5e-4
        (the papers') below ``AUTO_LR_POINTS`` = 300 training points and 2e-3
        from there on, where 5e-4 underfits. ``lr_`` holds the rate used.
    lr_schedule, weight_decay, batch_size, norm_uncertainty, resampling, validation_fraction,
    grad_clip, member_cut, device, random_state, verbose, callbacks
        As in :class:`~qestl.CrossSectionRegressor`.
    norm_warmup : int >= 0, default 0
        The source already has the scale of the data: no warm-up.
    norm_start : float in [0, 1], default 0.0
        As in :class:`~qestl.CrossSectionRegressor`; fine-tuning profiles N_k
        from its first epoch, as the transfer benchmarks were measured.
    resample_normalizations : bool, default False
        As in :class:`~qestl.CrossSectionRegressor`; off, as measured in the
        transfer benchmarks (point-to-point replicas only).
    source_prior : float >= 0, default 100.0
        Strength alpha of a Gaussian prior on the trained weights centred on
        the source's (L2-SP, :class:`qestl.training.SourcePrior`): member m
        minimises chi2_m + alpha sum (p - p_source)^2. It holds a member fitted
        to a dozen points near the source where the target has no data; a
        few hundred points outweigh it. 0 fine-tunes freely, as the papers.

    Attributes
    ----------
    source_ : PretrainedModel
        The source of the last fit (resolved once per fit).
    n_frozen_ : int
        Weight layers held fixed in the last fit.
    target_nucleus_ : tuple (Z, A) or None
        The nucleus a nucleus-aware source was fine-tuned to.
    architecture_, features_, datasets_, normalizations_, best_epoch_, member_chi2_,
    member_excursion_, members_kept_, oob_prediction_, domain_, lr_, net_, history_
        As in :class:`~qestl.CrossSectionRegressor`; ``domain_`` joins the
        source's range to the target data's.

    Examples
    --------
    >>> from qestl.datasets import cut_low_excitation, load_qes  # doctest: +SKIP
    >>> oxygen = cut_low_excitation(load_qes("16O"))  # doctest: +SKIP
    >>> model = TransferRegressor.from_pretrained(target_Z=8, target_A=16)  # doctest: +SKIP
    >>> model.fit(oxygen[["E", "theta", "omega"]], oxygen["xsec"],
    ...           sigma=oxygen["error"], dataset=oxygen["dataset"])  # doctest: +SKIP
    """

    # The bounds that depend on the source (members, layers) are checked in _checked_source.
    _parameter_constraints = {
        **FIT_CONSTRAINTS,
        "source": [PretrainedModel, EnsembleRegressor, str, os.PathLike, None],
        "target_Z": [Interval(Integral, 1, None, closed="left"), None],
        "target_A": [Interval(Integral, 1, None, closed="left"), None],
        "freeze": [Interval(Integral, 0, None, closed="left"), StrOptions({"full", "shallow"})],
        "n_estimators": [Interval(Integral, 1, None, closed="left"), None],
        "lr": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "source_prior": [Interval(Real, 0, None, closed="left")],
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
        norm_start=0.0,
        resample_normalizations=False,
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
        self.norm_start = norm_start
        self.resample_normalizations = resample_normalizations
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
        source : str, path-like, fitted ensemble regressor or PretrainedModel
            Default ``TRANSFER_SOURCE``, the best transfer source shipped
            ("nuclei"); the shipped carbon models warn
            (``WORSE_TRANSFER_SOURCES`` says why).
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

    def _checked_source(self):
        """Check the parameters against the source; return the resolved source."""
        self._check_params()
        source = PretrainedModel.resolve(self.source)
        if source.params.get("uncertainty", "ensemble") != "ensemble":
            raise ValueError("TransferRegressor needs an ensemble source (uncertainty='ensemble')")
        members = source.members if self.n_estimators is None else self.n_estimators
        if not members <= source.members:
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
        return source

    def fit(self, X, y, sigma=None, dataset=None, freeze=None):
        """Fine-tune on the target data.

        Parameters
        ----------
        X, y, sigma, dataset
            As in :meth:`CrossSectionRegressor.fit`; X holds E, theta, omega.
        freeze : int or {"full", "shallow"}, optional
            Overrides the ``freeze`` parameter for this fit.

        Returns
        -------
        self
        """
        source = self._checked_source()
        n_frozen = resolve_freeze(self.freeze if freeze is None else freeze, source.n_weight_layers)
        params = source.params
        self.source_, self.n_frozen_ = source, n_frozen
        self.architecture_ = {
            "hidden_layers": tuple(params["hidden_layers"]),
            "activation": params["activation"],
            "batch_norm": params.get("batch_norm", True),
            "features": source.features,
            "nucleus_inputs": source.nucleus_inputs,
            "output_scale": params.get("output_scale", "mott"),
            "mass_number": source.mass_number if self.target_A is None else self.target_A,
        }
        self.uncertainty_ = EnsembleMembers(
            source.members if self.n_estimators is None else self.n_estimators
        )
        # A nucleus-aware source is fine-tuned to the one nucleus (target_Z, target_A).
        self.target_nucleus_ = (
            (int(self.target_Z), int(self.target_A)) if source.nucleus_inputs else None
        )
        return self._fit(X, y, sigma, dataset)

    def _fit_domain(self, rows):
        # The fine-tuned members still carry what the source learned over its range.
        source = check_domain(self.source_.config.get("domain"), "the source's domain")
        return merge_domains(training_domain(rows), source)

    def _fit_features(self, rows):
        return features_from_config(self.source_.config)

    def _extra_callbacks(self):
        if self.source_prior == 0:
            return []
        return [("source_prior", SourcePrior(float(self.source_prior)))]

    def _prepare_module(self, module):
        members = self.uncertainty_.n_trained
        weights = {
            name.removeprefix("mlp."): tensor[:members]
            for name, tensor in self.source_.state.items()
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
        """The source's parameters with this fit's: a CrossSectionRegressor that predicts alike."""
        params = {k: v for k, v in self.source_.params.items() if k != "callbacks"}
        own = {k: v for k, v in self.get_params().items() if k not in ("source", "callbacks")}
        params.update(
            {k: v for k, v in own.items() if k in params and k != "n_estimators"},
            n_estimators=self.uncertainty_.n_trained,
            mass_number=self.architecture_["mass_number"],
            lr=self.lr_,  # the rate used, a number
        )
        return params
