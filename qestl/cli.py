"""The ``qestl`` console command.

A mistake in what the user typed or pointed at (a name, a number, a folder, a
damaged file) ends in one line ``qestl: error: ...`` on stderr and exit status
2, the way argparse reports a bad option, never in a traceback. Options are
checked when parsed and folders before any work, so a mistake never costs the
time of a fit.
"""

import argparse
import math
import sys
import tempfile
from pathlib import Path

from qestl import __version__
from qestl.datasets import parse_target
from qestl.datasets._cache import get_data_home
from qestl.estimators import CARBON_SOURCE
from qestl.threads import limit_threads

__all__ = ["build_parser", "main"]

_BARE = (
    "Without a command, qestl runs 'qestl transfer' (fine-tune the shipped carbon model "
    "to 16O with 10 % of its points and compare it with the A/12-scaled, superscaling "
    "and from-scratch models); options given without a command go to it. "
    "'qestl COMMAND --help' describes each command."
)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows every option's default, unless its help already says it in words."""

    def _get_help_string(self, action):
        if "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports a mistake in one line and exits with status 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        """Print ``qestl: error: message`` (and where help is) and exit with status 2."""
        self.exit(2, f"qestl: error: {_one_line(message)} (see '{self.prog} --help')\n")


def _one_line(message):
    return " ".join(str(message).split())


# -- option types: a bad value is refused when the command line is parsed ---------------


def _target(text):
    """A nucleus name, canonical (``'oxygen'`` -> ``'16O'``)."""
    try:
        return parse_target(text).name
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _study_target(text):
    """A nucleus of the transfer study; a trailing ``*`` (``27Al*``) is kept."""
    return _target(text.removesuffix("*")) + ("*" if text.endswith("*") else "")


def _number(text, kind):
    try:
        value = kind(text)
    except ValueError:
        name = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _positive_int(text):
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _non_negative_int(text):
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {value}")
    return value


def _n_jobs(text):
    value = _number(text, int)
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"must be a positive integer or -1, got {value}")
    return value


def _fraction(text):
    value = _number(text, float)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {value:g}")
    return value


def _finite(text):
    return _number(text, float)


def _positive(text):
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value:g}")
    return value


def _folder(text):
    """An existing folder (a mistyped data folder must not fall back to another one)."""
    path = Path(text).expanduser()
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {text}")
    return path


def _writable_folder(path, option):
    """Create ``path`` if needed and check a file can be written there, before any work."""
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{option} {path}: is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise ValueError(
            f"{option} {path}: cannot write there ({error.strerror or error})"
        ) from None
    return folder


# -- commands ------------------------------------------------------------------------


def _summarise(data, name):
    """Text summary of one nucleus' measured cross sections."""
    from qestl.datasets import cut_low_excitation

    kept = cut_low_excitation(data)
    lines = [
        f"{name}: {len(data)} points, {data['dataset'].nunique()} datasets, "
        f"{data['spectrum'].nunique()} spectra",
        f"  E     {data['E'].min():.3f} - {data['E'].max():.3f} GeV",
        f"  theta {data['theta'].min():.1f} - {data['theta'].max():.1f} deg",
        f"  omega {data['omega'].min():.4f} - {data['omega'].max():.3f} GeV",
        f"  low-excitation cut (E_x < 26.5 MeV) removes {len(data) - len(kept)} points, "
        f"keeps {len(kept)}",
        "",
        f"  {'dataset':<26}{'points':>7}{'spectra':>9}{'norm. unc.':>12}",
    ]
    groups = data.groupby("dataset", sort=True)
    for dataset, part in groups:
        lines.append(
            f"  {dataset:<26}{len(part):>7}{part['spectrum'].nunique():>9}"
            f"{100 * part['norm_uncertainty'].iloc[0]:>11.1f}%"
        )
    return "\n".join(lines)


def _run_data(args):
    from qestl.datasets import load_qes
    from qestl.plotting import plot_spectra

    output = _writable_folder(args.output, "--output")
    data = load_qes(args.target, data_home=args.data_home)
    name = data.attrs["target"]
    print(_summarise(data, name))
    figure = output / f"spectra_{name}.png"
    plot_spectra(data, max_panels=args.panels).savefig(figure, dpi=120)
    print(f"\nfigure: {figure}")
    return 0


def _run_fetch(args):
    from qestl.datasets import fetch_qes
    from qestl.datasets._cache import registry

    folder = _writable_folder(args.data_home or get_data_home(), "--data-home")
    paths = fetch_qes(
        args.targets,
        data_home=folder,
        base_url=args.url,
        force=args.force,
        retries=args.retries,
        timeout=args.timeout,
        progress=sys.stderr.isatty(),
    )
    for name, path in paths.items():
        check = (
            "sha256 as in qestl's registry"
            if path.name in registry()
            else "not in qestl's registry: sha256 recorded beside it"
        )
        print(f"{name}: {path} ({check})")
    return 0


def _run_benchmark(args):
    # imported here: the benchmark pulls in matplotlib, which `qestl --help` does not need
    from qestl.benchmark import DEFAULT_METHODS, run_transfer_benchmark

    if len(args.seeds) not in (1, len(args.fractions)):
        raise ValueError(
            f"--seeds: give one count, or one per fraction ({len(args.fractions)}), "
            f"got {len(args.seeds)}"
        )
    _writable_folder(args.output, "--output")
    run_transfer_benchmark(
        targets=args.targets,
        fractions=args.fractions,
        seeds=args.seeds if len(args.seeds) > 1 else args.seeds[0],
        methods=args.methods or DEFAULT_METHODS,
        source=args.source,
        output=args.output,
        name=args.name,
        data_home=args.data_home,
        data_source=args.data,
        n_estimators=args.members,
        max_epochs=args.max_epochs,
        source_prior=args.source_prior,
        n_jobs=args.n_jobs,
        scheduler=args.scheduler,
        resume=not args.restart,
        # the epochs of each fit on a terminal; one line, rewritten in place
        verbose=int(sys.stderr.isatty()),
    )
    results = Path(args.output) / f"{args.name}.md"
    print("\n" + results.read_text())
    print(f"results: {results}")
    return 0


def _run_transfer(args):
    args.targets, args.fractions, args.seeds = [args.target], [args.train_fraction], [1]
    args.methods = None  # the transfer table's methods
    args.members, args.max_epochs, args.n_jobs = None, None, 1
    args.scheduler, args.restart = None, False
    args.name = f"transfer_{args.target}"
    return _run_benchmark(args)


_HOME_HELP = "folder of archive files (default: $QESTL_DATA, then the user cache)"
_DATA_HELP = (
    "measured data ('real'), qestl's physics-model pseudo-data ('pseudo'), or measured "
    "when found and pseudo-data otherwise ('auto')"
)
_PRIOR_HELP = (
    "strength of the prior on the source weights in fine-tuning (TransferRegressor "
    "source_prior; 0 = free, 100 measured for a dozen points)"
)


def _add_transfer_options(command):
    """Add the options of what a transfer runs on and writes to one sub-command.

    ``benchmark`` and ``transfer`` share them: the data (``--data-home``,
    ``--data``), the carbon model and its prior (``--source``,
    ``--source-prior``) and the results folder (``--output``).

    Parameters
    ----------
    command : argparse.ArgumentParser
        The sub-command's parser, changed in place.
    """
    command.add_argument("--data-home", type=_folder, default=None, help=_HOME_HELP)
    command.add_argument(
        "--data", choices=("auto", "real", "pseudo"), default="auto", help=_DATA_HELP
    )
    command.add_argument(
        "--output", default="qestl-output", help="folder for the results, created if needed"
    )
    command.add_argument(
        "--source",
        default=CARBON_SOURCE,
        help="carbon model: a shipped name or a saved-model folder",
    )
    # the range is TransferRegressor's to check (the benchmark does, before any fit)
    command.add_argument("--source-prior", type=_finite, default=0.0, help=_PRIOR_HELP)


def build_parser():
    """The argument parser of the ``qestl`` command.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = _Parser(
        prog="qestl",
        description="Lepton-nucleus scattering with scikit-learn estimators.",
        epilog=_BARE,
    )
    parser.add_argument("--version", action="version", version=f"qestl {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", help="what to run (default: transfer)"
    )

    data = commands.add_parser(
        "data",
        help="summarise and plot measured cross sections",
        description="Summarise one nucleus' measured cross sections and plot its spectra.",
    )
    data.add_argument("--target", type=_target, default="12C", help="nucleus, e.g. 12C, 16O, Fe")
    data.add_argument("--data-home", type=_folder, default=None, help=_HOME_HELP)
    data.add_argument("--output", default="qestl-output", help="folder for the figure")
    data.add_argument("--panels", type=_positive_int, default=12, help="number of spectra to plot")
    data.set_defaults(run=_run_data)

    fetch = commands.add_parser(
        "fetch",
        help="download QES archive files, checked before use",
        description=(
            "Download archive files into the cache. A file is kept only when complete, "
            "with the sha256 qestl's registry lists for it (files outside the registry: "
            "their sha256 is recorded then), parseable and of the right nucleus."
        ),
    )
    fetch.add_argument(
        "targets", nargs="+", type=_target, metavar="TARGET", help="nuclei, e.g. 12C 16O Fe"
    )
    fetch.add_argument(
        "--data-home",
        default=None,
        help=f"folder to download into (default: the user cache, {get_data_home()})",
    )
    fetch.add_argument(
        "--url",
        default=None,
        help="folder URL of the archive files, https:// or file:// "
        "(default: $QESTL_QES_URL, else the archive's own site)",
    )
    fetch.add_argument(
        "--force", action="store_true", help="download again the files already intact there"
    )
    fetch.add_argument(
        "--retries",
        type=_non_negative_int,
        default=2,
        help="extra attempts after a truncated or corrupt transfer",
    )
    fetch.add_argument(
        "--timeout", type=_positive, default=30.0, help="seconds to wait for the server"
    )
    fetch.set_defaults(run=_run_fetch)

    bench = commands.add_parser(
        "benchmark",
        help="transfer benchmark: carbon -> other nuclei (scaled, fine-tuned, scratch)",
        description="Fit the transfer grid (target x fraction x split x method) and write "
        "<name>.md and <name>.json.",
    )
    bench.add_argument(
        "--targets",
        nargs="+",
        type=_study_target,
        default=["16O", "27Al", "56Fe", "4He"],
        help="nuclei; 27Al* is 27Al without Rock 1992's 7.257 GeV points",
    )
    bench.add_argument(
        "--fractions",
        nargs="+",
        type=_fraction,
        default=[0.1, 0.7],
        help="training fractions of the points",
    )
    bench.add_argument(
        "--seeds",
        nargs="+",
        type=_positive_int,
        default=[3],
        help="random splits: one count, or one per fraction",
    )
    bench.add_argument(
        "--methods",
        nargs="+",
        default=None,
        help="scaled, superscaling, scratch, full, shallow, L<k> (k trailing layers trained) "
        "or layers (every L: the layer-wise study) (default: the transfer table's scaled "
        "superscaling full shallow scratch)",
    )
    bench.add_argument(
        "--members",
        type=_positive_int,
        default=None,
        help="members fine-tuned (default: all the source's)",
    )
    bench.add_argument(
        "--max-epochs",
        type=_positive_int,
        default=None,
        help="epochs of every fit (default: the estimators' own, 1000 for fine-tuning)",
    )
    bench.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=1,
        help="fits in parallel on this machine, one torch thread each (-1: every core)",
    )
    bench.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler address (tcp://host:8786) to run the fits on a cluster "
        "(default: $QESTL_DASK_SCHEDULER; needs pip install 'qestl[dask]')",
    )
    bench.add_argument("--name", default="transfer", help="stem of the result files")
    _add_transfer_options(bench)
    bench.add_argument(
        "--restart",
        action="store_true",
        help="refit every cell (default: keep the cells already in <name>.json)",
    )
    bench.set_defaults(run=_run_benchmark)

    transfer = commands.add_parser(
        "transfer",
        help="fine-tune the carbon model to one nucleus and compare (the bare command)",
        description="Fine-tune the carbon model to one nucleus and compare it with the "
        "A/12-scaled, superscaling and from-scratch models. 'qestl' alone runs this.",
    )
    transfer.add_argument(
        "--target", type=_target, default="16O", help="nucleus to transfer to, e.g. 16O, Fe"
    )
    transfer.add_argument(
        "--train-fraction",
        type=_fraction,
        default=0.1,
        help="fraction of the nucleus' points used for training (the rest tests)",
    )
    _add_transfer_options(transfer)
    transfer.set_defaults(run=_run_transfer)
    return parser


def main(argv=None):
    """Run the ``qestl`` command; without a sub-command it runs ``qestl transfer``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0, 2 after a mistake (reported in one line on stderr),
        130 when interrupted.
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["transfer", *argv]
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a mistake argparse reported
        return stop.code or 0
    try:
        # one torch (and BLAS) thread per core other jobs leave idle: a thread
        # more than that stalls every operation (docs/performance.md)
        with limit_threads("auto"):
            return args.run(args)
    except KeyboardInterrupt:
        print("qestl: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, ImportError) as error:
        # what the user gave (a name, a file, a folder, a setting) was refused
        print(f"qestl: error: {_one_line(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
