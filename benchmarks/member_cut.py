"""Post-fit member selection (``member_cut``) on fine-tuning from 10 % of the points.

Fine-tuned to 27Al from 62 points, one member of 50 can run away from its
replica (chi2/N 5e7 on the training points) and carry the ensemble mean to a
test chi2/N of 3e4. ``member_cut=4`` drops members whose training chi2/N lies
more than 4 standard deviations above the mean of the members kept (NNPDF's
postfit veto), then, among those left, members whose excursion from the
others along the training spectra does (:mod:`qestl.postfit`): those fit
their training points and run away between them. The cuts act after the
fit, so each split is fitted once and scored with every member, with the
members passing the chi2 cut and with those passing both. Targets and
splits as in the transfer benchmark (10 % of the points, random per point):
16O, 27Al and 4He three splits, 56Fe two; full fine-tuning from the default
source, defaults otherwise. Rows accumulate in
benchmarks/results/member_cut.{json,md}:

    QESTL_DATA=../shared/data/qes python benchmarks/member_cut.py 27Al 16O 56Fe 4He

About 20 minutes on 2 cores (56Fe and 4He most of it).
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _common import COLS

from qestl import TransferRegressor
from qestl.benchmark import record_row
from qestl.datasets import cut_low_excitation, load_qes, parse_target, split_data
from qestl.metrics import band_calibration, reduced_chi2
from qestl.postfit import select_members

RESULTS = Path(__file__).resolve().parent / "results"
FRACTION = 0.1
SPLITS = {"16O": (0, 1, 2), "27Al": (0, 1, 2), "56Fe": (0, 1), "4He": (0, 1, 2)}
KEY = ("target", "seed")


def target_data(name):
    """Cut data of a target; theta = 180 deg dropped (S_A vanishes there)."""
    data = cut_low_excitation(load_qes(name))
    return data[data["theta"] < 179.0]


def scores(members, test):
    """Test chi2/N of the ensemble mean (N = 1) and the band's calibration."""
    mean, std = members.mean(axis=0), members.std(axis=0)
    with_band, within = band_calibration(test["xsec"], mean, test["error"], std)
    return {
        "chi2_per_point": reduced_chi2(test["xsec"], mean, test["error"]),
        "chi2_per_point_with_band": with_band,
        "fraction_within_1_sigma_with_band": within,
        "median_relative_uncertainty": float(np.median(std / np.abs(mean))),
    }


def run(target, seed, source):
    """Fine-tune on one split; score every member and the members kept."""
    data = target_data(target)
    train, test = split_data(data, FRACTION, by="point", random_state=seed)
    deltas = dict(zip(data["dataset"], data["norm_uncertainty"], strict=False))
    nucleus = parse_target(target)
    with warnings.catch_warnings():  # a shipped carbon source warns that "nuclei" is better
        warnings.simplefilter("ignore", UserWarning)
        model = TransferRegressor.from_pretrained(
            source,
            target_Z=nucleus.Z,
            target_A=nucleus.A,
            norm_uncertainty=deltas,
            random_state=seed,
        )
    start = time.perf_counter()
    model.fit(train[COLS], train["xsec"], sigma=train["error"], dataset=train["dataset"])
    wall = time.perf_counter() - start
    every = model.predict_members(test[COLS], include_dropped=True)
    kept, chi2, excursion = model.members_kept_, model.member_chi2_, model.member_excursion_
    by_chi2 = select_members(chi2, model.member_cut)
    by_excursion = by_chi2 & ~kept
    return {
        "target": target,
        "seed": seed,
        "n_train": len(train),
        "n_test": len(test),
        "members": len(kept),
        "dropped_by_chi2": int((~by_chi2).sum()),
        "dropped_member_chi2": sorted(float(c) for c in chi2[~by_chi2]),
        "dropped_by_excursion": int(by_excursion.sum()),
        "dropped_member_excursion": sorted(float(c) for c in excursion[by_excursion]),
        "member_chi2_median": float(np.median(chi2)),
        "member_excursion_median": float(np.nanmedian(excursion)),
        "every_member": scores(every, test),
        "chi2_cut": scores(every[by_chi2], test),
        "members_kept": scores(every[kept], test),
        "wall_s": wall,
    }


def _cells(figures):
    return (
        f"{figures['chi2_per_point']:.3g} | {figures['chi2_per_point_with_band']:.2f}, "
        f"{100 * figures['fraction_within_1_sigma_with_band']:.0f} % | "
        f"{100 * figures['median_relative_uncertainty']:.1f} %"
    )


def markdown(rows):
    """All rows as a Markdown page."""
    # rows before the --source option were all fine-tuned from carbon-2026-11-30
    sources = ", ".join(sorted({r.get("source", "carbon-2026-11-30") for r in rows}))
    lines = [
        "# Post-fit member selection after fine-tuning from 10 % of the points",
        "",
        f"TransferRegressor defaults (source {sources}, full fine-tuning, 50 "
        "members, 1000 epochs), one fit per split, scored with every member, with the "
        "members that pass member_cut=4 on their training chi2/N (at most 4 standard "
        "deviations above the mean of the members kept, iterated) and with those that "
        "also pass it on their excursion (largest distance from the other members along "
        "the training spectra, in their standard deviations of log sigma; qestl.postfit), "
        "which is what predict averages. Test chi2/N of the ensemble mean with N = 1; "
        "'band': chi2/N and fraction within 1 sigma with the ensemble spread added in "
        "quadrature to the point errors; 'rel. unc.': median spread / mean.",
        "",
        "| target | split | n train | dropped by chi2 (their training chi2/N) | dropped by "
        "excursion (their excursion; median of all) | every member: chi2/N | band | "
        "rel. unc. | chi2 cut: chi2/N | band | rel. unc. | both cuts: chi2/N | band | "
        "rel. unc. | wall | date | machine |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: [r[k] for k in KEY]):
        by_chi2 = ", ".join(f"{c:.3g}" for c in r["dropped_member_chi2"]) or "none"
        by_excursion = ", ".join(f"{c:.3g}" for c in r["dropped_member_excursion"]) or "none"
        lines.append(
            f"| {r['target']} | {r['seed']} | {r['n_train']} | {r['dropped_by_chi2']} "
            f"({by_chi2}) | {r['dropped_by_excursion']} ({by_excursion}; "
            f"{r['member_excursion_median']:.3g}) | {_cells(r['every_member'])} | "
            f"{_cells(r['chi2_cut'])} | {_cells(r['members_kept'])} | {r['wall_s']:.0f} s | "
            f"{r['date'][:10]} | {r['machine']} |"
        )
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="+", choices=sorted(SPLITS))
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument(
        "--source",
        default="carbon-2026-11-30",
        help="transfer source (default: the one member_cut.md was measured with)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for target in args.targets:
        for seed in SPLITS[target]:
            row = {**run(target, seed, args.source), "source": args.source}
            record_row(RESULTS / "member_cut.json", row, KEY, markdown)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
