"""Which shipped carbon model to start transfer learning from.

Compares the two shipped carbon models as sources: "carbon" (the carbon fit,
four blocks of width 128, trained with N = 1) and "carbon-2026-11-30" (ten
blocks of width 64, normalizations profiled during training; the default
transfer source). For each target nucleus: the source scaled by A/12 on all
points (chi2/N with the point errors, and the median |log(data / model)|,
which the few points far outside the carbon data do not dominate), and full
fine-tuning (TransferRegressor defaults, one split) on 56Fe from 10 % of its
points and 27Al from 70 %, the latter also with a 100-epoch log-space
warm-up. About 5 minutes on 2 cores. Writes
benchmarks/results/transfer_sources.{json,md}.

    QESTL_DATA=../shared/data/qes python benchmarks/transfer_sources.py
"""

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from _rows import machine_label, write_result

from qestl import CrossSectionRegressor, TransferRegressor
from qestl.datasets import cut_low_excitation, load_qes, split_data
from qestl.metrics import reduced_chi2

RESULTS = Path(__file__).resolve().parent / "results"
COLS = ["E", "theta", "omega"]
SOURCES = ["carbon-2026-11-30", "carbon"]
TARGETS = {"16O": 16, "27Al": 27, "56Fe": 56, "4He": 4}
#: (target, training fraction, log-space warm-up epochs) of the fine-tuning runs
FINE_TUNING = [("56Fe", 0.1, 0), ("27Al", 0.7, 0), ("27Al", 0.7, 100)]


def target_data(name):
    """Cut data of a target; theta = 180 deg dropped (S_A vanishes there)."""
    data = cut_low_excitation(load_qes(name))
    return data[data["theta"] < 179.0]


def scaled(source):
    """The source times A/12 against every target's data."""
    model = CrossSectionRegressor.load(source, device="cpu")
    rows = {}
    for name, mass in TARGETS.items():
        data = target_data(name)
        prediction = model.predict(data[COLS]) * mass / 12
        rows[name] = {
            "n": len(data),
            "chi2_per_point": reduced_chi2(data["xsec"], prediction, data["error"]),
            "median_abs_log_ratio": float(np.median(np.abs(np.log(data["xsec"] / prediction)))),
        }
    return rows


def fine_tuned(source, name, fraction, warmup):
    """Test chi2/N (N = 1) of full fine-tuning from ``source`` on one split."""
    data = target_data(name)
    train, test = split_data(data, fraction, random_state=0)
    deltas = dict(zip(data["dataset"], data["norm_uncertainty"], strict=False))
    model = TransferRegressor.from_pretrained(
        source,
        target_A=TARGETS[name],
        norm_uncertainty=deltas,
        norm_warmup=warmup,
        random_state=0,
    )
    model.fit(train[COLS], train["xsec"], sigma=train["error"], dataset=train["dataset"])
    chi2 = reduced_chi2(test["xsec"], model.predict(test[COLS]), test["error"])
    return {
        "target": name,
        "fraction": fraction,
        "warmup": warmup,
        "n_train": len(train),
        "test_chi2_per_point": chi2,
    }


def markdown(result):
    """The results as a Markdown page."""
    lines = [
        "# Transfer sources: the two shipped carbon models compared",
        "",
        f"Date {result['date']}; machine {result['machine']}.",
        "",
        "Scaled by A/12, all points of each target (theta < 179 deg, low-excitation cut): "
        "chi2/N with the point errors / median |log(data / model)|.",
        "",
        "| source | " + " | ".join(TARGETS) + " |",
        "|---|" + "---|" * len(TARGETS),
    ]
    for source in SOURCES:
        cells = [
            f"{r['chi2_per_point']:.3g} / {r['median_abs_log_ratio']:.3f}"
            for r in result["scaled"][source].values()
        ]
        lines.append(f"| {source} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Full fine-tuning (TransferRegressor defaults but the warm-up, one random split, "
        "seed 0): test chi2/N with N = 1.",
        "",
        "| target | train fraction | training points | log-space warm-up | "
        + " | ".join(SOURCES)
        + " |",
        "|---|---|---|---|" + "---|" * len(SOURCES),
    ]
    for i, (name, fraction, warmup) in enumerate(FINE_TUNING):
        runs = [result["fine_tuned"][source][i] for source in SOURCES]
        cells = " | ".join(f"{r['test_chi2_per_point']:.3g}" for r in runs)
        lines.append(f"| {name} | {fraction:g} | {runs[0]['n_train']} | {warmup} | {cells} |")
    lines.append("")
    return "\n".join(lines)


def main():
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_label(),
        "scaled": {source: scaled(source) for source in SOURCES},
        "fine_tuned": {
            source: [fine_tuned(source, *run) for run in FINE_TUNING] for source in SOURCES
        },
    }
    print(write_result(RESULTS / "transfer_sources.json", result, markdown))


if __name__ == "__main__":
    main()
