"""Saving fitted models without pickle: tensors plus a JSON config.

A model directory holds ``config.json`` (hyper-parameters and the small
fitted state, plain JSON) and ``weights.pt`` (a flat ``{name: Tensor}``
mapping read back with ``torch.load(weights_only=True)``, which refuses any
object that is not a tensor or a plain container), so loading a model file
from elsewhere never runs code.
"""

import json
import math
from importlib import resources
from pathlib import Path

import torch

__all__ = [
    "FORMAT_VERSION",
    "ModelSnapshot",
    "load_model_dir",
    "json_floats",
    "resolve_model_dir",
    "save_model_config",
    "save_model_dir",
]

FORMAT_VERSION = 1
_CONFIG, _WEIGHTS = "config.json", "weights.pt"


def save_model_dir(path, config, state, dtype=None):
    """Write ``config`` (JSON-serialisable dict) and ``state`` (name -> Tensor) to ``path``.

    Parameters
    ----------
    path : str or path-like
        Directory, created if needed.
    config : dict
    state : dict of str -> torch.Tensor
    dtype : torch.dtype, optional
        Store floating-point tensors in this type (``torch.float16`` halves
        the file; loading casts back to the module's type).

    Returns
    -------
    pathlib.Path
        The directory.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    cpu_state = {name: tensor.detach().cpu().contiguous() for name, tensor in state.items()}
    if dtype is not None:
        cpu_state = {
            name: tensor.to(dtype) if tensor.is_floating_point() else tensor
            for name, tensor in cpu_state.items()
        }
    torch.save(cpu_state, path / _WEIGHTS)
    save_model_config(path, config)
    return path


def save_model_config(path, config):
    """Write ``config`` as the ``config.json`` of the model directory ``path``.

    :func:`save_model_dir` writes it beside the weights; on its own it updates
    the fitted state a config holds without touching the weights.

    Parameters
    ----------
    path : str or path-like
        An existing directory.
    config : dict
        JSON-serialisable; the format version is added.
    """
    config = {"format_version": FORMAT_VERSION, **config}
    (Path(path) / _CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def json_floats(values):
    """Floats for a JSON config, with None (null) for NaN and inf, which JSON lacks.

    Parameters
    ----------
    values : array_like of shape (n,)

    Returns
    -------
    list of float or None
    """
    return [float(v) if math.isfinite(v) else None for v in values]


def resolve_model_dir(name_or_path):
    """A saved-model directory: an existing path, or a model shipped in ``qestl/pretrained``.

    Parameters
    ----------
    name_or_path : str or path-like
        A directory, or the name of a shipped model (e.g. ``"carbon"``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        Naming the shipped models when neither exists.
    """
    path = Path(name_or_path)
    if (path / _CONFIG).is_file():
        return path
    shipped = resources.files("qestl") / "pretrained"
    candidate = Path(str(shipped / str(name_or_path)))
    if (candidate / _CONFIG).is_file():
        return candidate
    available = (
        sorted(p.name for p in Path(str(shipped)).iterdir() if (p / _CONFIG).is_file())
        if Path(str(shipped)).is_dir()
        else []
    )
    raise FileNotFoundError(
        f"{name_or_path!r} is neither a saved-model directory (with {_CONFIG}) nor a shipped "
        f"model; shipped models: {available}"
    )


def load_model_dir(name_or_path, map_location="cpu"):
    """Read a directory written by :func:`save_model_dir`.

    Parameters
    ----------
    name_or_path : str or path-like
        See :func:`resolve_model_dir`.
    map_location : str or torch.device

    Returns
    -------
    config : dict
    state : dict of str -> torch.Tensor
    """
    path = resolve_model_dir(name_or_path)
    config = json.loads((path / _CONFIG).read_text())
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported model format {config.get('format_version')!r}")
    state = torch.load(path / _WEIGHTS, map_location=map_location, weights_only=True)
    if not isinstance(state, dict) or not all(isinstance(t, torch.Tensor) for t in state.values()):
        raise ValueError(f"{path / _WEIGHTS}: expected a mapping of names to tensors")
    return config, state


class ModelSnapshot:
    """A read-only snapshot of a fitted model: its saved config and tensors.

    The ``source`` parameter of estimators that start from a pretrained model
    (transfer learning, baselines). ``copy.deepcopy`` (and so
    :func:`sklearn.base.clone`) returns the same object, so clones of such an
    estimator keep the pretrained weights without copying them; pickling
    (for ``n_jobs > 1``) copies them.

    Subclasses name the estimator class they snapshot (:meth:`estimator_class`)
    and the model shipped in the package (``shipped``); a fitted estimator
    provides ``_config()`` and ``_state()``.

    Parameters
    ----------
    config : dict
        The saved ``config.json`` of the estimator.
    state : dict of str -> torch.Tensor
        Its module tensors (on the CPU).
    name : str
        A label for ``repr``.
    """

    #: Name of the model shipped in ``qestl/pretrained``.
    shipped = ""

    def __init__(self, config, state, name):
        self.config = config
        self.state = state
        self.name = name

    @classmethod
    def estimator_class(cls):
        """The estimator class whose fitted models this snapshots."""
        raise NotImplementedError

    @classmethod
    def resolve(cls, source):
        """A snapshot from a shipped name, a saved-model directory or a fitted estimator.

        Parameters
        ----------
        source : str, path-like, fitted estimator or snapshot
            ``cls.shipped`` names the model shipped in the package.

        Returns
        -------
        ModelSnapshot
        """
        estimator = cls.estimator_class()
        if isinstance(source, cls):
            return source
        if isinstance(source, estimator):
            state = {k: v.detach().cpu().clone() for k, v in source._state().items()}
            return cls(source._config(), state, type(source).__name__)
        if source is None:
            raise ValueError(
                f"no source model: pass {cls.shipped!r}, a saved-model directory or a fitted "
                f"{estimator.__name__}"
            )
        config, state = load_model_dir(source)
        if config.get("estimator", estimator.__name__) != estimator.__name__:
            raise ValueError(
                f"{source!r} holds a {config['estimator']!r}, not a {estimator.__name__}"
            )
        return cls(config, state, str(source))

    @property
    def params(self):
        """The source estimator's parameters."""
        return self.config["params"]

    def __deepcopy__(self, memo):
        return self
