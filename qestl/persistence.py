"""Saving fitted models without pickle: tensors plus a JSON config.

A model directory holds ``config.json`` (hyper-parameters and the small
fitted state, plain JSON) and ``weights.pt`` (a flat ``{name: Tensor}``
mapping read back with ``torch.load(weights_only=True)``, which refuses any
object that is not a tensor or a plain container), so loading a model file
from elsewhere never runs code. The config records the sha256 of the weights
file, and loading refuses weights that no longer match it: a damaged or
altered file is never used.

A model may also keep its training state (``training_state.pt``, read the
same way and checked against its own sha256 in the config): what an
estimator needs to continue its training exactly, such as optimizer moments.
"""

import hashlib
import json
import math
import os
import pickle
import tempfile
import warnings
from importlib import resources
from pathlib import Path

import torch

__all__ = [
    "FORMAT_VERSION",
    "ModelSnapshot",
    "load_model_dir",
    "json_floats",
    "load_training_state",
    "resolve_model_dir",
    "save_model_config",
    "save_model_dir",
    "sha256_of",
]

FORMAT_VERSION = 1
_CONFIG, _WEIGHTS, _TRAINING = "config.json", "weights.pt", "training_state.pt"
#: Keys of ``config.json`` holding the sha256 of ``weights.pt`` and ``training_state.pt``.
_HASH, _TRAINING_HASH = "weights_sha256", "training_state_sha256"


def sha256_of(path):
    """Hex sha256 digest of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _replace_atomically(path, write):
    """Write ``path`` through ``write(binary_handle)`` and a rename, never half-written."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's file is private (0600)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def save_model_dir(path, config, state, dtype=None, training_state=None):
    """Write ``config`` (JSON-serialisable dict) and ``state`` (name -> Tensor) to ``path``.

    The config gets the sha256 of the weights file as written, which
    :func:`load_model_dir` checks; likewise for the training state.

    Parameters
    ----------
    path : str or path-like
        Directory, created if needed.
    config : dict
    state : dict of str -> torch.Tensor
    dtype : torch.dtype, optional
        Store floating-point tensors in this type (``torch.float16`` halves
        the file; loading casts back to the module's type).
    training_state : dict, optional
        Nested dicts and lists of tensors, numbers and strings (what
        ``torch.load(weights_only=True)`` reads back), written at full
        precision to ``training_state.pt``. Without it a training state
        saved there before is removed, so it never outlives its weights.

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
    _replace_atomically(path / _WEIGHTS, lambda stream: torch.save(cpu_state, stream))
    hashes = {_HASH: sha256_of(path / _WEIGHTS), _TRAINING_HASH: None}
    if training_state is not None:
        on_cpu = _to_cpu(training_state)
        _replace_atomically(path / _TRAINING, lambda stream: torch.save(on_cpu, stream))
        hashes[_TRAINING_HASH] = sha256_of(path / _TRAINING)
    elif (path / _TRAINING).exists():
        (path / _TRAINING).unlink()
    save_model_config(path, {**config, **hashes})
    return path


def _to_cpu(value):
    """A nested structure with every tensor detached and moved to the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_cpu(v) for v in value)
    return value


def save_model_config(path, config):
    """Write ``config`` as the ``config.json`` of the model directory ``path``.

    :func:`save_model_dir` writes it beside the weights; on its own it updates
    the fitted state a config holds without touching the weights, so a config
    without the weights' sha256 keeps the one already recorded there.

    Parameters
    ----------
    path : str or path-like
        An existing directory.
    config : dict
        JSON-serialisable; the format version is added.
    """
    path = Path(path)
    config = {"format_version": FORMAT_VERSION, **config}
    missing = [key for key in (_HASH, _TRAINING_HASH) if key not in config]
    if missing and (path / _CONFIG).is_file():
        try:
            recorded = json.loads((path / _CONFIG).read_text())
            recorded = {key: recorded.get(key) for key in missing}
        except (ValueError, AttributeError):  # a damaged config records nothing to keep
            recorded = {}
        config.update({k: v for k, v in recorded.items() if v is not None})
    config = {k: v for k, v in config.items() if not (k == _TRAINING_HASH and v is None)}
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    _replace_atomically(path / _CONFIG, lambda stream: stream.write(text.encode()))


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
    """Read a directory written by :func:`save_model_dir`, checking the weights' sha256.

    Parameters
    ----------
    name_or_path : str or path-like
        See :func:`resolve_model_dir`.
    map_location : str or torch.device

    Returns
    -------
    config : dict
        As saved, without the weights' sha256.
    state : dict of str -> torch.Tensor

    Raises
    ------
    ValueError
        Naming the file and what is wrong with it: a config that is not valid
        JSON (truncated) or of an unknown format; weights that torch cannot
        read, or whose sha256 is not the one the config records.
    pickle.UnpicklingError
        Naming the weights file, when it holds objects other than tensors.

    Warns
    -----
    UserWarning
        For a model saved without the sha256 of its weights (by an older
        qestl): it loads, unchecked.
    """
    path = resolve_model_dir(name_or_path)
    config_file, weights_file = path / _CONFIG, path / _WEIGHTS
    config = _read_config(config_file)
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{config_file}: unsupported model format {config.get('format_version')!r} "
            f"(this qestl reads format {FORMAT_VERSION})"
        )
    expected = config.pop(_HASH, None)
    config.pop(_TRAINING_HASH, None)
    # torch.load(weights_only=True) never runs code, so reading first is safe; it
    # names a file holding objects other than tensors more precisely than a hash can
    state = _read_weights(weights_file, map_location)
    if expected is None:
        warnings.warn(
            f"{path}: saved without the sha256 of its weights (by an older qestl), so "
            f"{_WEIGHTS} cannot be checked for damage; save the model again to record it",
            UserWarning,
            stacklevel=2,
        )
    else:
        _check_sha256(weights_file, expected)
    return config, state


def _check_sha256(file, expected):
    """Refuse ``file`` unless its sha256 is the one ``config.json`` recorded."""
    if (actual := sha256_of(file)) != expected:
        raise ValueError(
            f"{file}: not the file saved with this model (sha256 {actual[:16]}..., "
            f"{_CONFIG} records {str(expected)[:16]}...): it is damaged or was altered; "
            "restore it or save the model again"
        )


def load_training_state(name_or_path, map_location="cpu"):
    """The training state saved beside a model (:func:`save_model_dir`), checked.

    Parameters
    ----------
    name_or_path : str or path-like
        See :func:`resolve_model_dir`.
    map_location : str or torch.device

    Returns
    -------
    dict or None
        None when the model was saved without one.

    Raises
    ------
    ValueError
        When the file is missing though the config records one, is not a
        readable tensor file, or its sha256 is not the recorded one.
    pickle.UnpicklingError
        When it holds objects other than tensors and plain containers.
    """
    path = resolve_model_dir(name_or_path)
    expected = _read_config(path / _CONFIG).get(_TRAINING_HASH)
    training_file = path / _TRAINING
    if expected is None:
        return None
    if not training_file.is_file():
        raise ValueError(
            f"{training_file}: missing, though {_CONFIG} records a training state; "
            "restore it or save the model again"
        )
    _check_sha256(training_file, expected)
    return _torch_load(training_file, map_location)


def _read_config(config_file):
    """The JSON object in ``config_file``, or a ValueError naming the file."""
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{config_file}: not valid JSON ({error.msg} at line {error.lineno} column "
            f"{error.colno}): the file is truncated or damaged"
        ) from None
    except UnicodeDecodeError:
        raise ValueError(f"{config_file}: not a text file: it is damaged") from None
    if not isinstance(config, dict):
        raise ValueError(f"{config_file}: expected a JSON object, found {type(config).__name__}")
    return config


def _read_weights(weights_file, map_location):
    """The ``{name: Tensor}`` mapping in ``weights_file``; every failure names the file."""
    if not weights_file.is_file():
        raise FileNotFoundError(
            f"{weights_file}: missing (a saved model holds it beside {_CONFIG})"
        )
    state = _torch_load(weights_file, map_location)
    if not isinstance(state, dict) or not all(isinstance(t, torch.Tensor) for t in state.values()):
        raise ValueError(f"{weights_file}: expected a mapping of names to tensors")
    return state


def _torch_load(file, map_location):
    """``torch.load(weights_only=True)`` of ``file``; every failure names the file."""
    try:
        return torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise pickle.UnpicklingError(
            f"{file}: torch.load(weights_only=True) refused it: it holds something "
            f"other than tensors, or is damaged ({_reason(error)})"
        ) from None
    except Exception as error:  # a damaged zip fails inside torch in many ways
        raise ValueError(
            f"{file}: not a readable tensor file ({_reason(error)}): it is truncated or damaged"
        ) from None


def _reason(error):
    """The telling line of an exception's message (torch's run to paragraphs), or its type."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    # torch's weights-only refusal names the offending object on a later line
    telling = [line for line in lines if "Unpickler error" in line] or lines
    return telling[0][:300] if telling else type(error).__name__


class ModelSnapshot:
    """A read-only snapshot of a fitted model: its saved config and tensors.

    The ``source`` parameter of estimators that start from a pretrained model
    (transfer learning, baselines). ``copy.deepcopy`` (and so
    :func:`sklearn.base.clone`) returns the same object, so clones of such an
    estimator keep the pretrained weights without copying them; pickling
    (for ``n_jobs > 1``) copies them.

    Subclasses name the estimator class they snapshot (:meth:`estimator_class`),
    the estimator name its saved configs record (``saved_format``) and the
    model shipped in the package (``shipped``); a fitted estimator provides
    ``_config()`` and ``_state()``.

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
    #: The estimator name its saved configs record.
    saved_format = ""

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
        if isinstance(source, cls):
            return source
        if isinstance(source, cls.estimator_class()):
            state = {k: v.detach().cpu().clone() for k, v in source._state().items()}
            return cls(source._config(), state, type(source).__name__)
        if source is None:
            raise ValueError(
                f"no source model: pass {cls.shipped!r}, a saved-model directory or a fitted "
                f"{cls.saved_format}"
            )
        config, state = load_model_dir(source)
        if config.get("estimator", cls.saved_format) != cls.saved_format:
            raise ValueError(
                f"{source!r} holds a {config['estimator']!r}, not a {cls.saved_format}"
            )
        return cls(config, state, str(source))

    @property
    def params(self):
        """The source estimator's parameters."""
        return self.config["params"]

    def __deepcopy__(self, memo):
        return self
