"""Pretrained models as read-only sources of transfer learning and of the baselines.

A source is held as an estimator parameter (``TransferRegressor(source=...)``,
``ScaledRegressor(source=...)``, ``ConditionalGAN(source=...)``): a snapshot of
a saved model's config and tensors, which ``clone`` and ``GridSearchCV`` keep
without copying (:class:`qestl.persistence.ModelSnapshot`).
"""

from qestl.estimators._base import estimator_named
from qestl.estimators._ensemble import EnsembleRegressor
from qestl.estimators._features import saved_feature_set
from qestl.persistence import ModelSnapshot

__all__ = [
    "CARBON_SOURCE",
    "GAN_ARCHITECTURE",
    "PretrainedGAN",
    "PretrainedModel",
    "TRANSFER_SOURCE",
    "WORSE_TRANSFER_SOURCES",
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
    :class:`~qestl.ScaledRegressor` hold as their ``source``
    parameter; see :class:`qestl.persistence.ModelSnapshot` for why clones
    keep the weights. :meth:`resolve` accepts the name of a shipped model
    (``"nuclei"``, the default transfer source, ``"carbon-2026-11-30"`` or
    ``"carbon"``),
    a saved-model directory or a fitted :class:`~qestl.CrossSectionRegressor` or
    :class:`~qestl.TransferRegressor`.

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
    saved_format = "CrossSectionRegressor"

    @classmethod
    def estimator_class(cls):
        """The ensemble regressors (a fitted TransferRegressor is a source too)."""
        return EnsembleRegressor

    @property
    def members(self):
        """Number of ensemble members."""
        return int(self.state["mlp.layers.0.weight"].shape[0])

    @property
    def features(self):
        """Input feature set ("scaling", "paper" or "peaks")."""
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
        """The source as a fitted :class:`~qestl.CrossSectionRegressor`."""
        saved = estimator_named(self.config.get("estimator", "CrossSectionRegressor"))
        return saved._from_saved(self.config, self.state, device)

    def __repr__(self):
        nucleus = "Z and A of each row" if self.nucleus_inputs else self.mass_number
        return (
            f"PretrainedModel({self.name!r}, members={self.members}, "
            f"hidden_layers={tuple(self.params['hidden_layers'])}, A={nucleus})"
        )


#: Parameters that fix the shapes of the weights (a pretrained source dictates them).
GAN_WIDTHS = (
    "latent_dim",
    "generator_width",
    "generator_blocks",
    "discriminator_width",
    "discriminator_blocks",
)
GAN_ARCHITECTURE = (*GAN_WIDTHS, "kinematic_features")


class PretrainedGAN(ModelSnapshot):
    """A read-only snapshot of a fitted :class:`ConditionalGAN`: config and tensors.

    The ``source`` parameter of a fine-tuned GAN; see
    :class:`qestl.persistence.ModelSnapshot` for why clones keep the weights.
    :meth:`resolve` accepts a saved-model directory, a fitted ConditionalGAN,
    or the name of a model shipped in ``qestl/pretrained`` (``"numu-carbon"``).

    Parameters
    ----------
    config : dict
        The saved ``config.json`` of a ConditionalGAN.
    state : dict of str -> torch.Tensor
        Generator and discriminator tensors (CPU).
    name : str
        A label for ``repr``.
    """

    shipped = "numu-carbon"
    saved_format = "ConditionalGAN"

    @classmethod
    def estimator_class(cls):
        """:class:`~qestl.ConditionalGAN`."""
        return estimator_named("ConditionalGAN")

    @property
    def architecture(self):
        """The source's architecture parameters (dict).

        A parameter that configs saved before it existed lack takes the
        constructor's default, as in :meth:`ConditionalGAN.load`.
        """
        defaults = estimator_named("ConditionalGAN")().get_params()
        return {name: self.params.get(name, defaults[name]) for name in GAN_ARCHITECTURE}

    def __repr__(self):
        arch = ", ".join(f"{k}={v}" for k, v in self.architecture.items())
        return f"PretrainedGAN({self.name!r}, {arch})"
