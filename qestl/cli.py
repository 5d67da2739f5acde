"""The ``qestl`` console command."""

import argparse
import sys
from pathlib import Path

from qestl.transfer import TRANSFER_SOURCE

__all__ = ["main"]


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

    try:
        data = load_qes(args.target, data_home=args.data_home)
    except FileNotFoundError as error:
        print(f"qestl: {error}", file=sys.stderr)
        return 2
    name = data.attrs["target"]
    print(_summarise(data, name))
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    figure = output / f"spectra_{name}.png"
    plot_spectra(data, max_panels=args.panels).savefig(figure, dpi=120)
    print(f"\nfigure: {figure}")
    return 0


def _run_benchmark(args):
    # imported here: the benchmark pulls in matplotlib, which `qestl --help` does not need
    from qestl.benchmark import DEFAULT_METHODS, run_transfer_benchmark

    try:
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
        )
    except (FileNotFoundError, ValueError, OSError, ImportError) as error:
        print(f"qestl: {error}", file=sys.stderr)
        return 2
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


def build_parser():
    """The argument parser of the ``qestl`` command."""
    parser = argparse.ArgumentParser(
        prog="qestl", description="Lepton-nucleus scattering with scikit-learn estimators."
    )
    commands = parser.add_subparsers(dest="command")
    data = commands.add_parser("data", help="summarise and plot measured cross sections")
    data.add_argument("--target", default="12C", help="nucleus, e.g. 12C, 16O, Fe (default 12C)")
    data.add_argument(
        "--data-home", default=None, help="folder of archive files (else QESTL_DATA, cache)"
    )
    data.add_argument("--output", default="qestl-output", help="folder for figures")
    data.add_argument("--panels", type=int, default=12, help="number of spectra to plot")
    data.set_defaults(run=_run_data)

    home_help = "folder of archive files (else QESTL_DATA, cache)"
    data_choices = ("auto", "real", "pseudo")
    data_help = (
        "measured data ('real'), qestl's physics-model pseudo-data ('pseudo'), or measured "
        "when found and pseudo-data otherwise ('auto', default)"
    )
    prior_help = (
        "strength of the prior on the source weights in fine-tuning (TransferRegressor "
        "source_prior; 0 = free, 100 measured for a dozen points)"
    )
    bench = commands.add_parser(
        "benchmark",
        help="transfer benchmark: carbon -> other nuclei (scaled, fine-tuned, scratch)",
    )
    bench.add_argument(
        "--targets",
        nargs="+",
        default=["16O", "27Al", "56Fe", "4He"],
        help="nuclei; 27Al* is 27Al without Rock 1992's 7.257 GeV points (default %(default)s)",
    )
    bench.add_argument(
        "--fractions",
        nargs="+",
        type=float,
        default=[0.1, 0.7],
        help="training fractions of the points (default %(default)s)",
    )
    bench.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[3],
        help="random splits: one count, or one per fraction (default %(default)s)",
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
        "--source",
        default=TRANSFER_SOURCE,
        help="carbon model: a shipped name or a saved-model folder (default %(default)s)",
    )
    bench.add_argument(
        "--members", type=int, default=None, help="members fine-tuned (default: all the source's)"
    )
    bench.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="epochs of every fit (default: the estimators' own, 1000 for fine-tuning)",
    )
    bench.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="fits in parallel on this machine, one torch thread each (default 1)",
    )
    bench.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler address (tcp://host:8786) to run the fits on a cluster "
        "(default $QESTL_DASK_SCHEDULER; needs pip install 'qestl[dask]')",
    )
    bench.add_argument("--name", default="transfer", help="stem of the result files")
    bench.add_argument("--data-home", default=None, help=home_help)
    bench.add_argument("--data", choices=data_choices, default="auto", help=data_help)
    bench.add_argument("--output", default="qestl-output", help="folder for results")
    bench.add_argument(
        "--restart",
        action="store_true",
        help="refit every cell (default: keep the cells already in <name>.json)",
    )
    bench.add_argument("--source-prior", type=float, default=0.0, help=prior_help)
    bench.set_defaults(run=_run_benchmark)

    transfer = commands.add_parser(
        "transfer", help="fine-tune the carbon model to one nucleus and compare"
    )
    transfer.add_argument("--target", default="16O")
    transfer.add_argument("--train-fraction", type=float, default=0.1)
    transfer.add_argument("--data-home", default=None, help=home_help)
    transfer.add_argument("--data", choices=data_choices, default="auto", help=data_help)
    transfer.add_argument("--output", default="qestl-output", help="folder for results")
    transfer.add_argument("--source-prior", type=float, default=0.0, help=prior_help)
    transfer.add_argument(
        "--source", default=TRANSFER_SOURCE, help="carbon model (default %(default)s)"
    )
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
        Exit status.
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["transfer", *argv]
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
