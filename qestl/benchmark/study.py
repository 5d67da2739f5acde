"""Run the transfer study and write its results: resumable, local or on a Dask cluster."""

import json
import shlex
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from qestl import TransferRegressor
from qestl.benchmark.grid import cell_key, resolve_methods, run_cells
from qestl.benchmark.paper import PAPER_TABLE, paper_points
from qestl.benchmark.report import (
    layer_markdown,
    layer_table,
    summary_markdown,
    transfer_markdown,
    transfer_table,
)
from qestl.benchmark.results import made_by, provenance
from qestl.datasets.synthetic import make_inclusive_electron
from qestl.estimators import CARBON_SOURCE, PretrainedModel
from qestl.params import validate_params
from qestl.plotting import plot_layers

__all__ = ["DEFAULT_METHODS", "run_transfer_benchmark"]

#: Methods of the transfer table.
DEFAULT_METHODS = ("scaled", "superscaling", "full", "shallow", "scratch")


def run_transfer_benchmark(
    targets=("16O", "27Al", "56Fe", "4He"),
    fractions=(0.1, 0.7),
    seeds=3,
    methods=DEFAULT_METHODS,
    source=CARBON_SOURCE,
    output="benchmarks/results",
    name="transfer",
    data_home=None,
    data_source="auto",
    n_estimators=None,
    max_epochs=None,
    source_prior=0.0,
    n_jobs=1,
    scheduler=None,
    resume=True,
    progress=True,
    verbose=0,
    command=None,
):
    """Fit the grid (target x fraction x split x method) and write ``<name>.md`` / ``.json``.

    Every cell is scored in the three normalization treatments of
    :func:`qestl.metrics.chi2`, the paper's "quadrature" first, beside
    Graczyk et al. (2026) Table I. The results are rewritten after every
    finished cell; with ``resume`` a cell already in ``<name>.json`` (same
    source, members, data kind and prior) is never refitted, so a stopped
    study continues where it stopped and several invocations (say every L
    at 10 %, then a few L at 70 %) add up to one table.

    Parameters
    ----------
    targets : sequence of str
        Nuclei (``"27Al*"`` for 27Al without Rock 1992's 7.257 GeV points).
    fractions : sequence of float
        Training fractions of the points, drawn at random per point.
    seeds : int or sequence of int
        Random splits per fraction: one count for all, or one per fraction.
    methods : sequence of str
        See :func:`~qestl.benchmark.grid.resolve_methods`; ``"layers"``
        runs every L from 1 to the source's depth (the layer-wise study).
    source : str, path-like, CrossSectionRegressor or PretrainedModel
    output : path-like
        Folder of the results.
    name : str
        Stem of the result files.
    data_home : path-like, optional
    data_source : {"auto", "real", "pseudo"}, default "auto"
        "auto": measured data when found, else pseudo-data from
        :func:`qestl.datasets.make_inclusive_electron`, announced on stderr
        and in the results; "real": measured data or FileNotFoundError.
    n_estimators : int, optional
        Members fine-tuned (default all of the source's).
    max_epochs : int, optional
        Epochs of every fit (default each estimator's own: 1000 for
        fine-tuning); a handful gives a quick check of a new setup.
    source_prior : float, default 0.0
        :class:`~qestl.TransferRegressor` ``source_prior`` of the fine-tuning fits.
    n_jobs : int, default 1
        Fits in parallel on this machine (one torch thread each).
    scheduler : str or dask.distributed.Client, optional
        Run the fits on this Dask cluster instead (default
        ``$QESTL_DASK_SCHEDULER``).
    resume : bool, default True
        Keep the cells already in ``<name>.json``.
    progress : bool, default True
        A progress bar and one line per finished fit on stderr.
    verbose : int, default 0
        1 also shows each network fit's epochs and time left (one process only).
    command : str, optional
        The command line recorded at the top of the results (default the
        one that started this process).

    Returns
    -------
    pandas.DataFrame
        One row per cell: the resumed ones, then the new ones in the order
        planned, whichever fit finished first.
    """
    validate_params(TransferRegressor(source_prior=source_prior))
    targets = list(dict.fromkeys(targets))
    fractions = list(dict.fromkeys(float(f) for f in fractions))
    counts = _seed_counts(seeds, fractions)
    source = PretrainedModel.resolve(source)
    methods = resolve_methods(methods, source.n_weight_layers)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or not (n_jobs >= 1 or n_jobs == -1):
        raise ValueError(f"n_jobs must be a positive int or -1 (every core), got {n_jobs!r}")
    if n_estimators is not None and not 1 <= n_estimators <= source.members:
        raise ValueError(f"n_estimators must lie in [1, {source.members}], got {n_estimators}")
    members = source.members if n_estimators is None else n_estimators
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)

    pseudo = []
    data = {target: _load(target, data_home, data_source, pseudo) for target in targets}
    kind = {target: "pseudo" if target in pseudo else "measured" for target in targets}
    settings = {
        "source": source.name,
        "members": members,
        "max_epochs": max_epochs,
        "source_prior": source_prior,
    }

    stored = _read(output / f"{name}.json") if resume else {}
    rows = [_restore_infinities(r) for r in stored.get("runs", [])]
    _check_same_settings(rows, settings, kind, output / f"{name}.json")
    commands = stored.get("commands", []) if rows else []
    done = {cell_key(r) for r in rows}
    cells = [c for c in _plan(targets, counts, methods, kind) if cell_key(c) not in done]
    if cells or not commands:  # a run that fits nothing only rewrites the tables
        commands.append(command or "qestl " + shlex.join(sys.argv[1:]))

    bar = tqdm(total=len(cells), disable=not progress, unit="fit", desc="transfer")
    write = dict(output=output, name=name, source=source, settings=settings, pseudo=pseudo)
    for row in run_cells(
        cells,
        data,
        source,
        n_jobs=n_jobs,
        scheduler=scheduler,
        n_estimators=n_estimators,
        max_epochs=max_epochs,
        source_prior=source_prior,
        verbose=verbose if n_jobs == 1 and scheduler is None else 0,
    ):
        row.update(settings, data=kind[row["target"]])
        rows.append(row)
        if progress:
            bar.write(
                f"{row['target']} {row['train_fraction']:.0%} split {row['seed']} "
                f"{row['method']:<12} chi2/N quadrature {row['chi2_quadrature']:9.3g}  "
                f"none {row['chi2_none']:9.3g}  {row['wall_s']:6.1f} s"
            )
        bar.update()
        _write(rows, commands, **write)
    bar.close()
    if not cells:  # nothing new: still write the tables (a new format, a new command)
        _write(rows, commands, **write)
    planned = {cell_key(c): i for i, c in enumerate(cells)}
    resumed = len(rows) - len(cells)
    new = sorted(rows[resumed:], key=lambda row: planned[cell_key(row)])
    return pd.DataFrame(rows[:resumed] + new)


def _in_order(runs):
    """Rows in a fixed order, whichever fit finished first (the same on every backend)."""
    order = ["train_fraction", "target", "seed", "trained_layers", "method"]
    return runs.sort_values(order, kind="stable").reset_index(drop=True)


def _plan(targets, counts, methods, kind):
    """Every cell of the grid, all targets at one split before the next (partial results help)."""
    cells = [
        {"target": target, "train_fraction": fraction, "seed": seed, "method": method}
        for fraction, splits in counts.items()
        for seed in range(splits)
        for target in targets
        for method in methods
        # the superscaling model is not scored on pseudo-data made by itself
        if not (method == "superscaling" and kind[target] == "pseudo")
    ]
    if not cells:
        raise ValueError(
            "nothing to fit: superscaling is not scored on pseudo-data made by itself; "
            "add other methods or measured data"
        )
    return cells


def _check_same_settings(rows, settings, kind, path):
    """Refuse to add cells to a study made with other settings (they would not compare)."""
    for row in rows:
        differ = {k: (row.get(k), v) for k, v in settings.items() if row.get(k) != v}
        if row["target"] in kind and row.get("data") != kind[row["target"]]:
            differ["data"] = (row.get("data"), kind[row["target"]])
        if differ:
            text = ", ".join(f"{k} {old!r} there, {new!r} here" for k, (old, new) in differ.items())
            raise ValueError(
                f"{path} holds fits made with other settings ({text}): pass another name "
                "(--name) for a separate study, or restart (--restart) to replace it"
            )


def _restore_infinities(row):
    """A stored row with its chi2 values that JSON kept as null back to inf.

    A chi2 is never NaN (every point has an error > 0): null can only be an
    overflow, which must stay the worst value when the tables are rebuilt.
    """
    return {k: float("inf") if v is None and k.startswith("chi2_") else v for k, v in row.items()}


def _seed_counts(seeds, fractions):
    counts = [seeds] * len(fractions) if np.isscalar(seeds) else list(seeds)
    if len(counts) != len(fractions):
        raise ValueError(f"seeds: {len(counts)} counts for {len(fractions)} fractions")
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
            raise ValueError(f"seeds must be positive integers, got {seeds!r}")
    for fraction in fractions:
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"train fractions must lie in (0, 1), got {fraction!r}")
    return dict(zip(fractions, (int(c) for c in counts), strict=True))


def _load(target, data_home, data_source, pseudo):
    """The paper's points of ``target``, or announced pseudo-data when allowed."""
    if data_source not in ("auto", "real", "pseudo"):
        raise ValueError(f"data must be 'auto', 'real' or 'pseudo', got {data_source!r}")
    if data_source != "pseudo":
        try:
            return paper_points(target, data_home=data_home)
        except FileNotFoundError:
            if data_source == "real":
                raise
    made = make_inclusive_electron(target.rstrip("*"), random_state=0)
    pseudo.append(target)
    print(
        f"qestl: no measured data for {target} (QES archive not found): using PSEUDO-DATA "
        "from qestl's superscaling model (qestl.physics.electron), not measurements",
        file=sys.stderr,
    )
    return paper_points(target, data=made)


def _read(path):
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not a readable results file ({error}); move it away") from error


def _write(rows, commands, output, name, source, settings, pseudo):
    # in a fixed order, whichever fit finished first: the tables are the same on every backend
    runs = _in_order(pd.DataFrame(rows))
    table = transfer_table(runs, source.n_weight_layers)
    layers = layer_table(runs)
    stamp = {**provenance(commands[-1]), "commands": commands}
    figure = None
    # the figure shows the targets with a layer study, not those with full and shallow alone
    studied = (
        layers.groupby("target")["trained_layers"].transform("nunique") > 2 if len(layers) else []
    )
    if len(layers) and any(studied):
        figure = f"{name}_layers.png"
        fig = plot_layers(layers[studied], PAPER_TABLE, source=source.name)
        fig.savefig(output / figure, dpi=110)
        plt.close(fig)
    result = {
        **stamp,
        "source": repr(source),
        "settings": settings,
        "pseudo_data": pseudo,
        "paper_table": {t: {str(k): v for k, v in e.items()} for t, e in PAPER_TABLE.items()},
        "transfer_table": table.to_dict(orient="records"),
        "layer_table": layers.to_dict(orient="records"),
        "runs": rows,
    }
    path = output / f"{name}.json"
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(_finite(result), indent=1, allow_nan=False) + "\n")
    partial.replace(path)  # a stopped run never leaves half a file

    lines = [
        "# Transfer of the carbon ensemble to other nuclei, beside Graczyk et al. (2026) Table I",
        "",
        made_by(stamp)
        + (" Each command resumed the cells before it." if len(commands) > 1 else ""),
        "",
        f"Source {result['source']}, "
        f"{settings['members']} members fine-tuned"
        + (f"; source_prior={settings['source_prior']:g}" if settings["source_prior"] else "")
        + ".",
    ]
    if pseudo:
        lines += ["", f"**PSEUDO-DATA** (no measured data found) for {', '.join(pseudo)}."]
    lines += [
        "",
        "Test chi2/N on the held-out points of random per-point splits, ensemble mean, "
        "median over splits with [min, max]. **quadrature**: each dataset's normalization "
        "uncertainty times the measured value added in quadrature to the point error, the "
        "paper's currency; none: point errors alone; profile: one normalization per dataset "
        "fitted to the test points, with its penalty. 'best L (test)' is the L with the lowest "
        "median test chi2/N, chosen on the test points as the paper's Table I chooses it; "
        "'best L (training)' is the L each split's out-of-bag chi2/N on its training points "
        "picks, what a user can do. Wall and CPU seconds per fit, one torch thread each.",
        "",
        "## Where qestl stands (median test chi2/N, quadrature)",
        "",
        *summary_markdown(table),
        "",
        "## Transfer table",
        "",
        *transfer_markdown(table),
    ]
    lines += [
        "",
        "Where qestl trails the paper, the measured reasons: "
        "docs/validation/transfer-paper-currency.md.",
    ]
    if len(layers):
        lines += ["", "## Layer-wise study", "", *layer_markdown(layers)]
    if figure:
        lines += ["", f"![chi2/N against L]({figure})"]
    (output / f"{name}.md").write_text("\n".join(lines) + "\n")


def _finite(value):
    """``value`` with numpy scalars as Python numbers and NaN / inf as None (valid JSON)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value
