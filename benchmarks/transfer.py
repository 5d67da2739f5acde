"""Transfer of the carbon ensemble to other nuclei: the main benchmark (Graczyk et al.).

For each target and train fraction (random per point, several seeds) it
compares on the held-out points:

- scaled carbon: the shipped carbon ensemble times A/12, nothing fitted;
- full fine-tuning (freeze 0) and shallow fine-tuning (only the last two
  weight layers trained) of the carbon ensemble;
- the same network trained from scratch on the same training points.

Writes benchmarks/results/transfer.{md,json} and one figure per target.

    QESTL_DATA=../shared/data/qes python benchmarks/transfer.py [--quick]
"""

import argparse
import sys
from pathlib import Path

from qestl.benchmark import run_transfer_benchmark

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=["16O", "27Al", "56Fe", "4He"])
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.1, 0.7])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--seeds-large",
        type=int,
        default=1,
        help="seeds for training sets above 1000 points (CPU time)",
    )
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    run_transfer_benchmark(
        targets=args.targets,
        fractions=args.fractions,
        seeds=args.seeds,
        seeds_large=args.seeds_large,
        output=args.output,
    )


if __name__ == "__main__":
    sys.exit(main())
