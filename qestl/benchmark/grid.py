"""The transfer study as a grid of independent fits, run locally or on a Dask cluster.

One cell is one (target, train fraction, split seed, method) fit; a method
is a baseline ("scaled", "superscaling"), training from scratch
("scratch"), or fine-tuning with L trailing weight layers trained ("L1" ...
"L11"; "full" and "shallow" name L = all and L = 2). The cells do not
depend on each other, so joblib runs them in parallel: in processes on
this machine, or with its "dask" backend on a ``dask.distributed``
cluster (``scheduler=``), which is how the layer-wise study's hundreds of
fits outgrow one machine.
"""

import os
import time
from importlib import resources
from pathlib import Path

import numpy as np

from qestl.datasets import parse_target, split_data
from qestl.estimators import (
    CrossSectionRegressor,
    PretrainedModel,
    ScaledRegressor,
    SuperscalingRegressor,
    TransferRegressor,
)
from qestl.metrics import band_calibration, reduced_chi2
from qestl.threads import limit_threads

__all__ = [
    "BASELINES",
    "COLUMNS",
    "SCORED_TREATMENTS",
    "cell_key",
    "chi2_by_treatment",
    "evaluate",
    "fit_cell",
    "fit_method",
    "resolve_methods",
    "run_cells",
]

COLUMNS = ["E", "theta", "omega"]

#: Methods that are not fine-tuning.
BASELINES = ("scaled", "superscaling", "scratch")

#: The normalization treatments every cell is scored with, in the order the
#: tables show them: the paper's first.
SCORED_TREATMENTS = ("quadrature", "none", "profile")

#: Environment variable naming the Dask scheduler, when ``scheduler`` is not given.
SCHEDULER_ENV = "QESTL_DASK_SCHEDULER"


def resolve_methods(methods, n_weight_layers):
    """Method names with "full", "shallow" and "all-layers" written as "L<k>".

    Parameters
    ----------
    methods : sequence of str
        "scaled", "superscaling", "scratch", "full" (every layer trained),
        "shallow" (L = 2), "L<k>" (the last k weight layers trained) or
        "layers" (every L from 1 to ``n_weight_layers``).
    n_weight_layers : int
        Weight layers of the source network.

    Returns
    -------
    list of str
        Unique names in the order given.

    Examples
    --------
    >>> resolve_methods(["scaled", "full", "shallow", "L2"], 11)
    ['scaled', 'L11', 'L2']
    """
    names = []
    for method in methods:
        if method == "full":
            expanded = [f"L{n_weight_layers}"]
        elif method == "shallow":
            expanded = ["L2"]
        elif method == "layers":
            expanded = [f"L{k}" for k in range(1, n_weight_layers + 1)]
        elif method in BASELINES:
            expanded = [method]
        elif method.startswith("L") and method[1:].isdigit():
            if not 1 <= int(method[1:]) <= n_weight_layers:
                raise ValueError(
                    f"method {method!r}: L must lie in [1, {n_weight_layers}] for a source of "
                    f"{n_weight_layers} weight layers"
                )
            expanded = [f"L{int(method[1:])}"]
        else:
            raise ValueError(
                f"unknown method {method!r}: use one of {BASELINES}, 'full', 'shallow', "
                "'layers' or 'L<k>'"
            )
        names += [name for name in expanded if name not in names]
    return names


def trained_layers(method):
    """L of a fine-tuning method name ("L4" -> 4), 0 for the baselines."""
    return int(method[1:]) if method.startswith("L") else 0


def cell_key(row):
    """The identity of a cell: (target, train fraction, seed, method)."""
    return (row["target"], float(row["train_fraction"]), int(row["seed"]), row["method"])


def fit_method(
    method,
    train,
    target,
    source,
    random_state=None,
    n_estimators=None,
    max_epochs=None,
    verbose=0,
    **params,
):
    """Fit one method on ``train`` (a :func:`~qestl.datasets.load_qes` frame).

    Parameters
    ----------
    method : str
        "scaled", "superscaling", "scratch", "full", "shallow" or "L<k>".
    train : pandas.DataFrame
    target : str
        The target nucleus, e.g. ``'16O'`` (a trailing ``*`` is ignored).
    source : PretrainedModel
        The carbon ensemble.
    random_state : int, optional
    n_estimators : int, optional
        Members fine-tuned (and of the scratch ensemble); default all the source's.
    max_epochs : int, optional
        Epochs of fine-tuning and of scratch training; default each estimator's own.
    verbose : int, default 0
        Of the networks' fits: 1 shows their epochs and the time left.
    **params
        Further :class:`~qestl.TransferRegressor` parameters (e.g. ``source_prior``).

    Returns
    -------
    estimator
    """
    [method] = resolve_methods([method], source.n_weight_layers)
    nucleus = parse_target(target.rstrip("*"))
    mass_number = nucleus.A
    deltas = dict(zip(train["dataset"], train["norm_uncertainty"], strict=False))
    epochs = {} if max_epochs is None else {"max_epochs": max_epochs}
    if method == "scaled":
        if source.nucleus_inputs:
            raise ValueError("the 'scaled' baseline needs a single-nucleus (carbon) source")
        model = ScaledRegressor(source, factor=mass_number / source.mass_number)
    elif method == "superscaling":
        model = SuperscalingRegressor(target.rstrip("*"))
    elif method == "scratch":
        architecture = {
            k: v
            for k, v in source.params.items()
            if k in ("hidden_layers", "activation", "batch_norm", "n_estimators")
        }
        architecture["hidden_layers"] = tuple(architecture["hidden_layers"])
        if n_estimators is not None:
            architecture["n_estimators"] = n_estimators
        model = CrossSectionRegressor(
            **architecture,
            mass_number=mass_number,
            norm_uncertainty=deltas,
            random_state=random_state,
            verbose=verbose,
            **epochs,
        )
    else:
        model = TransferRegressor.from_pretrained(
            source,
            target_Z=nucleus.Z,
            target_A=mass_number,
            freeze=source.n_weight_layers - trained_layers(method),
            n_estimators=n_estimators,
            norm_uncertainty=deltas,
            random_state=random_state,
            verbose=verbose,
            **epochs,
            **params,
        )
    return model.fit(train[COLUMNS], train["xsec"], sigma=train["error"], dataset=train["dataset"])


def chi2_by_treatment(points, prediction, treatments=SCORED_TREATMENTS, prefix="chi2"):
    """chi2/N of ``prediction`` at ``points`` in each treatment, keyed ``<prefix>_<treatment>``.

    Parameters
    ----------
    points : pandas.DataFrame
        :func:`~qestl.datasets.load_qes` columns ``xsec``, ``error``, ``dataset``
        and ``norm_uncertainty``.
    prediction : array_like of shape (n,)
        [nb/(sr GeV)].
    treatments : sequence of str, default ``SCORED_TREATMENTS``
        See :func:`qestl.metrics.chi2`.
    prefix : str, default "chi2"

    Returns
    -------
    dict of str -> float
    """
    return {
        f"{prefix}_{treatment}": reduced_chi2(
            points["xsec"],
            prediction,
            points["error"],
            dataset=points["dataset"],
            norm_uncertainty=points["norm_uncertainty"].to_numpy(),
            treatment=treatment,
        )
        for treatment in treatments
    }


def evaluate(model, test, train=None):
    """Score a fitted model on the held-out points in every normalization treatment.

    ``chi2_<treatment>`` is the test chi2/N with the dataset normalizations
    treated as :func:`qestl.metrics.chi2` says: "quadrature" (the paper's
    currency), "none" (point errors alone) and "profile" (one N_k per
    dataset fitted to the test points, with its penalty). The band is
    tested too: chi2/N and the fraction within 1 sigma with the ensemble
    spread added in quadrature to the point errors. With ``train`` and a
    model that has ``oob_prediction_``, ``oob_chi2_quadrature`` scores the
    out-of-bag prediction of the training points (NaN points left out): the
    figure a user can choose L by without the test points.

    Parameters
    ----------
    model : fitted estimator with ``predict(X, return_std=True)``
    test : pandas.DataFrame
        Held-out points (``load_qes`` columns).
    train : pandas.DataFrame, optional
        The training points, in the order they were fitted.

    Returns
    -------
    dict
    """
    mean, std = model.predict(test[COLUMNS], return_std=True)
    with_band, within = band_calibration(test["xsec"], mean, test["error"], std)
    row = {
        **chi2_by_treatment(test, mean),
        "median_relative_uncertainty": float(np.median(std / np.abs(mean))),
        "chi2_with_band": with_band,
        "fraction_within_1_sigma_with_band": within,
    }
    oob = getattr(model, "oob_prediction_", None)
    if train is not None and oob is not None:
        covered = np.isfinite(oob)
        row["oob_points"] = int(covered.sum())
        row["oob_chi2_quadrature"] = (
            reduced_chi2(
                train["xsec"][covered],
                oob[covered],
                train["error"][covered],
                dataset=train["dataset"][covered],
                norm_uncertainty=train["norm_uncertainty"].to_numpy()[covered],
                treatment="quadrature",
            )
            if covered.any()
            else float("nan")
        )
    return row


def fit_cell(cell, data, source, threads=1, **fit_params):
    """Fit and score one cell of the grid.

    Parameters
    ----------
    cell : dict
        ``target``, ``train_fraction``, ``seed`` and ``method``.
    data : pandas.DataFrame
        All points of the target (:func:`~qestl.benchmark.paper_points`);
        the cell draws its split from them by ``seed``, so a worker needs no
        data files.
    source : PretrainedModel, str or path-like
    threads : int, default 1
        torch threads for this fit. Several one-thread fits side by side
        beat one fit on many threads for networks this small, and a fixed
        count keeps results identical on every backend.
    **fit_params
        Passed to :func:`fit_method`.

    Returns
    -------
    dict
        The cell, its sizes, wall and CPU seconds and :func:`evaluate`'s scores.
    """
    source = PretrainedModel.resolve(source)
    train, test = split_data(data, cell["train_fraction"], by="point", random_state=cell["seed"])
    with limit_threads(threads):
        start, start_cpu = time.perf_counter(), time.process_time()
        model = fit_method(
            cell["method"], train, cell["target"], source, random_state=cell["seed"], **fit_params
        )
        wall = time.perf_counter() - start
        cpu = time.process_time() - start_cpu
        scores = evaluate(model, test, train)
    return {
        **cell,
        "trained_layers": trained_layers(cell["method"]),
        "n_train": len(train),
        "n_test": len(test),
        "wall_s": wall,
        "cpu_s": cpu,
        **scores,
    }


def run_cells(cells, data, source, n_jobs=1, scheduler=None, threads=1, **fit_params):
    """Fit ``cells`` in parallel; yield each result as soon as it is done.

    Parameters
    ----------
    cells : list of dict
        Cells as :func:`fit_cell` takes them.
    data : dict
        Target name -> its points.
    source : PretrainedModel
    n_jobs : int, default 1
        Worker processes on this machine (joblib's "loky" backend); 1 runs
        in this process. Ignored with a scheduler: the cluster's workers
        decide.
    scheduler : str or dask.distributed.Client, optional
        Address of a Dask scheduler (``tcp://host:8786``) or a client; the
        default is ``$QESTL_DASK_SCHEDULER`` when set. Needs the ``dask``
        extra (``pip install qestl[dask]``).
    threads : int, default 1
        torch threads per fit.
    **fit_params
        Passed to :func:`fit_method`.

    Yields
    ------
    dict
        One result row per cell, in the order they finish.
    """
    from joblib import Parallel, delayed, parallel_config

    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    # Shipped models travel by name (each worker reads its own copy), others by value.
    shipped = source.name if _is_shipped(source.name) else source
    tasks = (
        delayed(fit_cell)(cell, data[cell["target"]], shipped, threads, **fit_params)
        for cell in cells
    )
    if scheduler is None:
        if n_jobs == 1:
            for cell in cells:
                yield fit_cell(cell, data[cell["target"]], source, threads, **fit_params)
            return
        with parallel_config(backend="loky", n_jobs=n_jobs):
            yield from Parallel(return_as="generator_unordered")(tasks)
        return
    client = _dask_client(scheduler)
    try:
        with parallel_config(backend="dask", n_jobs=-1, client=client):
            yield from Parallel(return_as="generator_unordered")(tasks)
    finally:
        if client is not scheduler:
            client.close()


def _is_shipped(name):
    """Whether ``name`` is a model shipped in ``qestl/pretrained`` (not a local path)."""
    shipped = Path(str(resources.files("qestl") / "pretrained"))
    # a local folder of that name is what PretrainedModel.resolve read: send it by value
    return not Path(name).exists() and (shipped / name / "config.json").is_file()


def _dask_client(scheduler):
    """A ``dask.distributed.Client`` for ``scheduler`` (an address or a client)."""
    try:
        from dask.distributed import Client
    except ImportError as error:
        raise ImportError(
            "running on a Dask cluster needs dask.distributed: pip install 'qestl[dask]'"
        ) from error
    if isinstance(scheduler, Client):
        return scheduler
    if not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be an address or a Client, got {type(scheduler)}")
    try:
        # Waits dask's "distributed.comm.timeouts.connect" (30 s by default).
        return Client(scheduler)
    except OSError as error:
        raise OSError(f"no Dask scheduler answers at {scheduler!r}: {error}") from error
