"""Transfer of the carbon ensemble to other nuclei: the main benchmark (Graczyk et al.).

For each target and train fraction (random per point, several seeds) it
compares on the held-out points:

- scaled carbon: the shipped carbon ensemble times A/12, nothing fitted;
- full fine-tuning (freeze 0) and shallow fine-tuning (only the last two
  weight layers trained) of the carbon ensemble;
- the same network trained from scratch on the same training points.

Writes benchmarks/results/transfer.{md,json} and one figure per target. The
options are those of ``qestl benchmark`` (this script is that command with
the results folder of the repository).

    QESTL_DATA=../shared/data/qes python benchmarks/transfer.py [--targets 16O 56Fe]
"""

import sys
from pathlib import Path

from qestl.cli import main

RESULTS = Path(__file__).resolve().parent / "results"

if __name__ == "__main__":
    sys.exit(main(["benchmark", "--output", str(RESULTS), *sys.argv[1:]]))
