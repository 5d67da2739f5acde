"""The private base of qestl's torch estimators: what every one of them shares.

Device resolution, the skorch-net plumbing (callbacks, progress, printing),
``history_`` and ``module_``, parameter checks against
``_parameter_constraints``, and saving and loading without pickle. Every
estimator that saves models registers here under its class name, so a saved
model is rebuilt by the estimator its config names without the loader
importing it.
"""

from numbers import Integral

import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from qestl.batching import batch_loader
from qestl.params import Interval, validate_params
from qestl.persistence import load_model_dir, save_model_dir
from qestl.training import EpochProgress, resolve_device

__all__ = ["TORCH_CONSTRAINTS", "QestlEstimator", "TorchEstimator", "estimator_named"]

_REGISTRY = {}

#: Constraints of the parameters every torch estimator has.
TORCH_CONSTRAINTS = {
    "device": [str, torch.device],
    "random_state": [Interval(Integral, 0, None, closed="left"), None],
    "verbose": ["verbose"],
    "callbacks": [list, tuple, None],
}


def estimator_named(name):
    """The estimator class called ``name`` in a saved model's config.

    Parameters
    ----------
    name : str

    Returns
    -------
    type

    Raises
    ------
    ValueError
        For a name that no qestl estimator saves under.
    """
    if name not in _REGISTRY:
        raise ValueError(
            f"unknown estimator {name!r} in a saved model; qestl saves {sorted(_REGISTRY)}"
        )
    return _REGISTRY[name]


class QestlEstimator(BaseEstimator):
    """Base of every qestl estimator: declared parameter constraints, registration."""

    _parameter_constraints: dict = {}
    #: The estimator whose format this one saves in, when another (its fits
    #: then load as that one).
    _saved_as = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_from_saved" in vars(cls):  # an estimator that saved models name
            _REGISTRY[cls.__name__] = cls

    def _check_params(self):
        """Refuse bad settings before any work (``_parameter_constraints``)."""
        validate_params(self)


class TorchEstimator(QestlEstimator):
    """Base of the estimators that train a torch module through a skorch net.

    A subclass sets ``net_`` in ``fit`` and provides ``_config()`` (the
    JSON-able fitted state) and ``_from_saved(config, state, device)``.
    """

    @property
    def history_(self):
        """Per-epoch training history (skorch ``History``)."""
        check_is_fitted(self, "net_")
        return self.net_.history

    @property
    def module_(self):
        """The trained torch module."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    def _net_plumbing(self, callbacks):
        """Skorch arguments every net shares: callbacks, printing, device, batches.

        ``verbose=1`` adds :class:`qestl.training.EpochProgress`; 2 also
        prints skorch's per-epoch table. The user's ``callbacks`` run last.
        """
        verbose = int(self.verbose)
        progress = [("epoch_progress", EpochProgress(type(self).__name__))] if verbose else []
        return {
            "callbacks": [*callbacks, *progress, *(self.callbacks or [])],
            **({} if verbose >= 2 else {"callbacks__print_log": None}),
            "device": resolve_device(self.device),
            "verbose": int(verbose >= 2),
            "iterator_train": batch_loader,
            "train_split": None,
        }

    def _state(self):
        """The fitted module's tensors (what :meth:`save` writes beside the config)."""
        check_is_fitted(self, "net_")
        return self.net_.module_.state_dict()

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

    @classmethod
    def load(cls, path, device="auto"):
        """Load a model written by :meth:`save`, or a shipped one by name.

        Parameters
        ----------
        path : str or path-like
            A saved-model directory or the name of a model shipped in
            ``qestl/pretrained`` (``"nuclei"``, ``"carbon"``, ``"numu-carbon"``, ...).
        device : str, default "auto"

        Returns
        -------
        estimator
            Of this class (or one saved in its format).

        Raises
        ------
        ValueError
            When the directory holds another kind of model.
        """
        config, state = load_model_dir(path)
        saved = estimator_named(config.get("estimator", cls._saved_as or cls.__name__))
        if not (issubclass(saved, cls) or saved.__name__ == cls._saved_as):
            raise ValueError(f"{path!r} holds a {saved.__name__!r}, not a {cls.__name__}")
        model = saved._from_saved(config, state, device)
        model._load_extras(path)
        return model

    def _load_extras(self, path):
        """Read what a subclass saves beside its config and weights (nothing here)."""
