"""The private base of the ensemble regressors: fit, select, predict, save.

:class:`~qestl.estimators.CrossSectionRegressor` and
:class:`~qestl.estimators.TransferRegressor` are siblings over
:class:`EnsembleRegressor`: the one takes its architecture from its own
parameters, the other from the source it fine-tunes. What differs is asked
through a few hooks (``_architecture``, ``_uncertainty``, ``_prepare_module``
and the training settings); everything else lives here once.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import LRScheduler
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR

from qestl import kinematics
from qestl.allocator import retain_freed_memory
from qestl.chi2 import member_chi2
from qestl.domain import check_domain, warn_outside_domain
from qestl.estimators._base import TORCH_CONSTRAINTS, TorchEstimator
from qestl.estimators._features import features_from_config
from qestl.nn import normalization_sums, profiled_normalization
from qestl.nn.cross_section import CrossSectionModule
from qestl.params import Interval, MappingOf, Options, StrOptions
from qestl.persistence import json_floats
from qestl.physics.formfactors import isospin_factor
from qestl.postfit import (
    PROBE_NUCLEI,
    out_of_bag_mean,
    probe_kinematics,
    probe_nuclei,
    select_by_excursion,
    select_members,
)
from qestl.replicas import dataset_deltas, draw_replicas
from qestl.training import (
    BestMemberEpoch,
    EnsembleNet,
    MemberGradientClipping,
    fused_adam_supported,
)
from qestl.validation import (
    check_fit_inputs,
    check_fit_size,
    check_kinematics,
    check_nuclei,
    record_input_columns,
)

__all__ = ["FIT_CONSTRAINTS", "EnsembleRegressor", "OUTPUT_SCALES", "PREDICT_CHUNK"]

#: Output scales S(E, theta, A) [nb/(sr GeV)] of ``output_scale``.
OUTPUT_SCALES = {"mott": kinematics.mott_like_scale, "transverse": kinematics.transverse_scale}

#: Constraints of the fit settings both ensemble regressors have.
FIT_CONSTRAINTS = {
    **TORCH_CONSTRAINTS,
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
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
    "resampling": [StrOptions({"replica", "bootstrap"})],
    "resample_normalizations": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "grad_clip": [Interval(Real, 0, None, closed="neither"), None],
    "member_cut": [Interval(Real, 0, None, closed="neither"), None],
}

#: Rows per forward pass in prediction: with 50 members of width 128 the
#: activations of one chunk take about 13 MB, whatever the number of rows,
#: and stay in the CPU's caches (4096-row chunks took twice as long;
#: benchmarks/results/predict_speed.md).
PREDICT_CHUNK = 512


class EnsembleRegressor(RegressorMixin, TorchEstimator):
    """Shared machinery of the ensemble regressors (not for direct use).

    A subclass's ``fit`` sets ``architecture_`` (hidden_layers, activation,
    batch_norm, features, nucleus_inputs, output_scale, mass_number) and
    ``uncertainty_`` (:class:`~qestl.estimators._uncertainty.EnsembleMembers`
    or :class:`~qestl.estimators._uncertainty.DropoutPasses`), then calls
    ``_fit``. It provides ``_fit_domain(rows)``, ``_fit_features(rows)`` and
    ``_saved_params()``, and may override ``_prepare_module(module)``,
    ``_learning_rate(n_rows)`` and ``_extra_callbacks()``.
    """

    _saved_as = "CrossSectionRegressor"
    #: Rows per forward pass of the prediction methods (not a fit setting:
    #: any value gives the same numbers up to float32 rounding).
    predict_chunk = PREDICT_CHUNK

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # E, theta, omega (and Z, A) > 0
        return tags

    # -- hooks with defaults -----------------------------------------------
    def _prepare_module(self, module):
        """Run on the freshly built module before training (initial weights)."""

    def _extra_callbacks(self):
        """Callbacks a subclass adds to every fit."""
        return []

    def _learning_rate(self, n_rows):
        """The peak learning rate of a fit to ``n_rows`` points."""
        return float(self.lr)

    # -- checks ------------------------------------------------------------
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
    def _fixed_nucleus(self):
        """Whether the model was fine-tuned to one nucleus of a nucleus-aware source."""
        return getattr(self, "target_nucleus_", None) is not None

    def _check_rows(self, X):
        """X -> validated rows (E, theta, omega), or (E, theta, omega, Z, A) when nucleus-aware."""
        if not self.architecture_["nucleus_inputs"]:
            return check_kinematics(X)
        if self._fixed_nucleus:
            return _rows_of_fixed_nucleus(X, self.target_nucleus_)
        try:
            nuclei = check_nuclei(X)
        except ValueError as error:
            raise ValueError(
                "this model reads each row's target nucleus (nucleus_inputs=True): X needs the "
                f"columns E, theta, omega, Z, A. {error}"
            ) from None
        return np.column_stack([check_kinematics(X, nucleus=True), nuclei])

    def _inputs(self, rows):
        """Validated rows (n, 3) or (n, 5) -> (features, log S) as float32 tensors."""
        architecture = self.architecture_
        features = self.features_.transform(rows)
        mass = rows[:, 4] if rows.shape[1] == 5 else architecture["mass_number"]
        scale = OUTPUT_SCALES[architecture["output_scale"]](rows[:, 0], rows[:, 1], mass)
        if rows.shape[1] == 5:  # the nucleons' charges, which the features leave out
            energy, theta, omega, charge = rows[:, :4].T
            q2 = kinematics.q2_electron(energy, theta, omega)
            scale = scale * isospin_factor(charge, mass, q2, theta)
        with np.errstate(divide="ignore"):  # S = 0 at 180 degrees: a prediction of 0
            log_scale = np.log(scale)
        return (
            torch.as_tensor(features, dtype=torch.float32),
            torch.as_tensor(log_scale, dtype=torch.float32),
        )

    def _build_module(self, n_features, n_datasets):
        architecture, uncertainty = self.architecture_, self.uncertainty_
        return CrossSectionModule(
            uncertainty.n_trained,
            n_features,
            n_datasets,
            tuple(architecture["hidden_layers"]),
            architecture["activation"],
            uncertainty.dropout,
            architecture["batch_norm"],
        )

    def _make_net(self, module, callbacks, n_rows):
        # the rate this fit runs at, kept as a fitted attribute
        self.lr_ = self._learning_rate(n_rows)
        batch = n_rows if self.batch_size in (-1, None) else int(self.batch_size)
        plumbing = self._net_plumbing([*callbacks, *self._training_callbacks()])
        return EnsembleNet(
            module=module,
            criterion=nn.Identity,  # get_loss computes the chi2
            optimizer=torch.optim.AdamW,
            lr=self.lr_,
            optimizer__weight_decay=self.weight_decay,
            optimizer__fused=fused_adam_supported(plumbing["device"]),
            max_epochs=self.max_epochs,
            batch_size=batch,
            iterator_train__shuffle=batch < n_rows,
            norm_warmup=self.norm_warmup,
            norm_start=round(float(self.norm_start) * self.max_epochs),
            use_norm=self.norm_uncertainty is not None,
            **plumbing,
        )

    def _training_callbacks(self):
        """Gradient clipping, the learning-rate schedule and the subclass's own."""
        clipping = (
            []
            if self.grad_clip is None
            else [("member_gradient_clipping", MemberGradientClipping(float(self.grad_clip)))]
        )
        schedule = (
            []
            if self.lr_schedule == "constant"
            else [("lr_schedule", LRScheduler(CosineAnnealingLR, T_max=max(self.max_epochs, 1)))]
        )
        return clipping + schedule + self._extra_callbacks()

    # -- fitting -----------------------------------------------------------
    def _fit(self, X, y, sigma, dataset):
        """The fit of both regressors, after the subclass set its fitted settings.

        ``architecture_`` and ``uncertainty_`` must be set.
        """
        check_fit_size(X, y, *self._min_fit_points())
        kin = self._check_rows(X)
        if self.architecture_["output_scale"] == "mott" and (kin[:, 1] == 180.0).any():
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
                stacklevel=3,
            )
            sigma = np.ones_like(y)
        labels, index = np.unique(
            np.zeros(len(y)) if dataset is None else dataset.astype(str), return_inverse=True
        )
        self.datasets_ = labels.astype(str)
        self.domain_ = self._fit_domain(kin)
        self.features_ = self._fit_features(kin)
        features, log_scale = self._inputs(kin)
        uncertainty = self.uncertainty_
        n, members = len(y), uncertainty.n_trained
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
        full = {**X_fit, "target": target.T}
        del full["weight"]
        best = BestMemberEpoch(full, valid)
        seed = int(rng.integers(2**31))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._build_module(features.shape[1], len(labels))
            self._prepare_module(module)
            deltas = dataset_deltas(self.norm_uncertainty, self.datasets_)
            module.norm_uncertainty.copy_(torch.as_tensor(deltas))
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

    def _draw_replicas(self, y, sigma, index, rng):
        """Each member's replica targets and point weights, (n, n_trained) each.

        The normalizations are drawn too where they can spread: with
        ``norm_uncertainty``, ``resample_normalizations`` and more than one
        member.
        """
        uncertainty = self.uncertainty_
        draws_norms = (
            self.resample_normalizations
            and self.norm_uncertainty is not None
            and uncertainty.selects_members
            and uncertainty.n_trained > 1
        )
        deltas = dataset_deltas(self.norm_uncertainty, self.datasets_)
        return draw_replicas(
            y,
            sigma,
            uncertainty.n_trained,
            rng,
            resampling=uncertainty.resampling(self.resampling),
            index=index,
            deltas=deltas if draws_norms else None,
        )

    @property
    def _n_input_columns(self):
        """Columns of X the model reads: 5 when each row brings its nucleus, else 3."""
        return 5 if self.architecture_["nucleus_inputs"] and not self._fixed_nucleus else 3

    def _select_members(self, kin, y, sigma, index):
        """Post-fit selection (``member_cut``) on validated training data.

        Sets ``member_chi2_``, ``member_excursion_`` and ``members_kept_``;
        returns every trained member's prediction of the training points,
        (n_trained, n), or None for one network.
        """
        if not self.uncertainty_.selects_members:  # one network: nothing to select
            self.member_chi2_ = self.member_excursion_ = np.full(1, np.nan)
            self.members_kept_ = np.ones(1, dtype=bool)
            return None
        every = self._predict_every_member(kin)
        norm = self.net_.module_.norm.detach().cpu().numpy()[:, index]
        self.member_chi2_ = member_chi2(every, y, sigma, norm)
        # Among the members that pass the chi2 cut, the excursion cut.
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

    def _profile_final_normalizations(self, X_fit, target):
        """N_mk at the chi2 minimum of each member's final network, on its own replica.

        Per dataset only, without the overall-scale step of training (the
        network can no longer absorb it), within the same bounds as in
        training (:func:`qestl.nn.profiled_normalization`).
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
    def normalizations_(self):
        """Fitted normalizations N_mk of the members kept, shape (n_kept, n_datasets)."""
        check_is_fitted(self, "net_")
        norm = self.net_.module_.norm.detach().cpu().numpy()[:, : len(self.datasets_)]
        return self.uncertainty_.kept(norm, self.members_kept_)

    # -- prediction --------------------------------------------------------
    def predict_members(self, X, include_dropped=False):
        """Cross section of every member (or dropout pass).

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3)
            E [GeV], theta [deg], omega [GeV] (and Z, A for a nucleus-aware model).
        include_dropped : bool, default False
            Also the members the post-fit selection dropped (``member_cut``),
            in the order they were trained; for studies of the selection.

        Returns
        -------
        ndarray of shape (n_kept, n)
            [nb/(sr GeV)]: the members kept (``members_kept_``; all
            ``n_estimators`` unless ``member_cut`` dropped some), every
            trained one with ``include_dropped``, or the dropout passes.

        Warns
        -----
        qestl.domain.ExtrapolationWarning
            When points lie beyond the beam energies or angles of the
            training data (``domain_``): the band does not cover that error.
        """
        every = self._predict_every_member(self._prediction_rows(X))
        return every if include_dropped else self.uncertainty_.kept(every, self.members_kept_)

    def _prediction_rows(self, X):
        """Validated rows of a fitted model; warns where they leave the training domain."""
        check_is_fitted(self, "net_")
        rows = self._check_rows(X)
        # stacklevel 4: the warning names the user's call of predict(_members)
        warn_outside_domain(rows, self.domain_, stacklevel=4)
        return rows

    def _predict_every_member(self, rows):
        """(n_trained or dropout passes, n) cross sections of validated rows, none dropped."""
        return np.concatenate(list(self._member_chunks(rows)), axis=1)

    def _member_chunks(self, rows):
        """Every member's cross sections, ``predict_chunk`` rows at a time, as float64 arrays.

        Memory stays that of one chunk whatever the number of rows.
        """
        module = self.net_.module_
        device = next(module.parameters()).device
        was_training = module.training
        module.eval()
        seed = 0 if self.random_state is None else int(self.random_state)
        try:
            with self.uncertainty_.masks(module, seed):
                for start in range(0, len(rows), self.predict_chunk):
                    features, log_scale = self._inputs(rows[start : start + self.predict_chunk])
                    features, log_scale = features.to(device), log_scale.to(device)
                    with torch.no_grad():
                        prediction = module(self.uncertainty_.expand(features), log_scale)
                    yield prediction.cpu().numpy().astype(float)
        finally:
            module.train(was_training)

    def predict(self, X, return_std=False):
        """Ensemble mean (and standard deviation) of the cross section.

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3)
            E [GeV], theta [deg], omega [GeV] (and Z, A for a nucleus-aware model).
        return_std : bool, default False
            Also return the spread of the members (ddof = 0, as the paper).

        Returns
        -------
        mean : ndarray of shape (n,)
            [nb/(sr GeV)].
        std : ndarray of shape (n,)
            Only with ``return_std``.
        """
        means, stds = [], []
        for chunk in self._member_chunks(self._prediction_rows(X)):
            kept = self.uncertainty_.kept(chunk, self.members_kept_)
            means.append(kept.mean(axis=0))
            stds.append(kept.std(axis=0))
        mean = np.concatenate(means)
        return (mean, np.concatenate(stds)) if return_std else mean

    # -- persistence -------------------------------------------------------
    def _config(self):
        """What :meth:`save` writes to ``config.json`` (beside the module's tensors)."""
        check_is_fitted(self, "net_")
        return {
            "estimator": self._saved_as,
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

    def _restore(self, config, state):
        """Set the fitted state of a saved model on this (unfitted) estimator."""
        self.datasets_ = np.asarray(config["datasets"], dtype=str)
        self.features_ = features_from_config(config)
        module = self._build_module(len(config["feature_mean"]), len(self.datasets_))
        self.net_ = self._make_net(module, [], 1).initialize()
        self.net_.module_.load_state_dict(state)
        self.best_epoch_ = np.asarray(config["best_epoch"])
        # Models saved before the member selection keep every member.
        trained = len(self.best_epoch_)
        for key in ("member_chi2", "member_excursion"):
            values = np.asarray(config.get(key, [None] * trained), dtype=float)
            if values.shape != (trained,):
                raise ValueError(f"config.json: {key} must be {trained} numbers or nulls")
            setattr(self, f"{key}_", values)
        self.members_kept_ = np.asarray(config.get("members_kept", [True] * trained), dtype=bool)
        if self.members_kept_.shape != (trained,) or not self.members_kept_.any():
            raise ValueError(
                f"config.json: members_kept must be {trained} booleans with at least one true"
            )
        # Models saved before the domain was recorded have none: no warning.
        self.domain_ = check_domain(config.get("domain"), "config.json: domain")
        nucleus = config.get("target_nucleus")
        if nucleus is not None:
            self.target_nucleus_ = tuple(
                int(v) for v in check_nuclei([[1.0, 30.0, 0.1, *nucleus]])[0]
            )
        self.n_features_in_ = self._n_input_columns
        return self


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
