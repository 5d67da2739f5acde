"""The multi-nucleus source: Al Hammal's leave-one-nucleus-out test and transfer from it.

For each target T: a source fitted to every other archive nucleus (cached
in benchmarks/models/nuclei-without-T, so a stopped run resumes), its
zero-shot chi2/N on all of T's paper points beside scaled carbon,
superscaling, the empirical fits F1F2IN21 / F1F209 and the paper's 10 %
fine-tuning; then that source fine-tuned to T ("from nuclei,
leave-target-out") on the same random splits as the carbon rows of
benchmarks/results/transfer.json, beside them and the paper's Table I.
Writes benchmarks/results/nuclei_zero_shot.{md,json} and
nuclei_transfer.{md,json}, rewritten after every fit.

``--ship`` instead fits the model on every archive nucleus and writes it,
with its card, to qestl/pretrained/nuclei.

    QESTL_DATA=../shared/data/qes python benchmarks/nuclei.py [--members 20] [--ship]
"""

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

from qestl import CrossSectionRegressor
from qestl.benchmark import (
    ARCHIVE_NUCLEI,
    PAPER_TABLE,
    PROVENANCE,
    archive_points,
    current_command,
    evaluate,
    fit_method,
    paper_points,
    provenance,
    run_cells,
    write_result,
)
from qestl.benchmark.nuclei import (
    NUCLEI_RECIPE,
    fit_nuclei_model,
    nucleus_dataset_labels,
    per_nucleus_scores,
    zero_shot_scores,
)
from qestl.estimators import PretrainedModel

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MODELS = ROOT / "benchmarks" / "models"
ANCHORS = ROOT.parent / "shared" / "data" / "anchors" / "empirical_fits.csv"
CARBON = "carbon-2026-11-30"


def leave_out_source(target, members, epochs):
    """The source fitted without ``target`` (cached on disk; fitted once)."""
    folder = MODELS / f"nuclei-without-{target}"
    if (folder / "config.json").is_file():
        cached = PretrainedModel.resolve(folder)
        made = (cached.params["n_estimators"], cached.params["max_epochs"])
        if made != (members, epochs):
            sys.exit(
                f"{folder} holds (members, epochs) = {made}, not {(members, epochs)}: remove it"
            )
        return cached
    start = time.perf_counter()
    model = fit_nuclei_model(leave_out=[target], n_estimators=members, max_epochs=epochs)
    print(f"source without {target}: {time.perf_counter() - start:.0f} s", flush=True)
    model.save(folder)
    return PretrainedModel.resolve(folder)


def empirical_fits():
    """Target -> (F1F2IN21, F1F209) chi2/N in the quadrature currency (anchors CSV)."""
    if not ANCHORS.is_file():
        return {}
    with ANCHORS.open() as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return {r["target"]: (float(r["F1F2IN21"]), float(r["F1F209"])) for r in csv.DictReader(lines)}


def zero_shot_row(target, source):
    """Zero-shot chi2/N of the leave-target-out source and of the baselines on ``target``."""
    points = paper_points(target)
    model = source.regressor()
    row = zero_shot_scores(model, target)
    for method in ("superscaling", "scaled"):
        baseline_source = PretrainedModel.resolve(CARBON) if method == "scaled" else source
        baseline = fit_method(method, points, target, baseline_source)
        scores = evaluate(baseline, points)
        row[f"{method}_quadrature"] = scores["chi2_quadrature"]
        row[f"{method}_none"] = scores["chi2_none"]
    fits = empirical_fits().get(target)
    row["F1F2IN21_quadrature"], row["F1F209_quadrature"] = fits if fits else (None, None)
    paper = PAPER_TABLE.get(target, {}).get(0.1)
    row["paper_fine_tuned_10pc_quadrature"] = paper[0] if paper else None
    return row


def fmt(value):
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.3g}"


def zero_shot_markdown(result):
    lines = [
        "# Zero-shot prediction of a nucleus the source never saw (leave-one-nucleus-out)",
        "",
        f"Source: {result['settings']}",
        "",
        "chi2/N on all of the target's paper points (E <= 8 GeV, excitation cut), the paper's",
        "quadrature currency (point errors and the dataset normalization uncertainty in",
        "quadrature), point errors alone in brackets. Scaled carbon: the carbon model of",
        f"{CARBON} times A/12. F1F2IN21 / F1F209: the empirical fits of Christy et al. / Bosted",
        "and Mamyan (tuned to much of this archive). The last column is not zero-shot: the paper",
        "fine-tuned on 10 % of the target's points.",
        "",
        "| target | points | qestl nuclei, zero-shot | scaled carbon | ratio | superscaling | "
        "F1F2IN21 | F1F209 | paper, 10 % fine-tuned |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        ratio = r["scaled_quadrature"] / r["zero_shot_quadrature"]
        lines.append(
            f"| {r['target']} | {r['points']} | {fmt(r['zero_shot_quadrature'])} "
            f"({fmt(r['zero_shot_none'])}) | {fmt(r['scaled_quadrature'])} "
            f"({fmt(r['scaled_none'])}) | {ratio:.3g}x better | "
            f"{fmt(r['superscaling_quadrature'])} | {fmt(r['F1F2IN21_quadrature'])} | "
            f"{fmt(r['F1F209_quadrature'])} | {fmt(r['paper_fine_tuned_10pc_quadrature'])} |"
        )
    return "\n".join(lines) + "\n"


def carbon_rows():
    """The carbon source's full fine-tuning cells of transfer.json, by (target, fraction, seed)."""
    path = RESULTS / "transfer.json"
    if not path.is_file():
        return {}
    runs = json.loads(path.read_text())["runs"]
    return {
        (r["target"], r["train_fraction"], r["seed"]): r
        for r in runs
        if r["method"] == "L11" and r["source"] == CARBON
    }


def transfer_markdown(result):
    carbon = carbon_rows()
    lines = [
        "# Transfer from the multi-nucleus source, the target left out of it",
        "",
        f"Source: {result['settings']}",
        "",
        "Median test chi2/N over the random splits (quadrature currency; point errors alone in",
        "brackets), every layer fine-tuned. The carbon rows are the same splits fine-tuned from",
        f"the carbon model {CARBON} (benchmarks/results/transfer.json); the paper's Table I",
        "gives its best L, chosen on the test points. Out-of-bag: the chi2/N of the training",
        "points predicted by the members that held them out; as large as the test figure, it",
        "says the fit underfits rather than overfits. F1F2IN21, the empirical fit event",
        "generators use, is the reference a user has without fitting (whole data sets, not",
        "the test points: benchmarks/results/nuclei_zero_shot.md).",
        "",
        "| target | train | splits | from nuclei (leave-target-out) | from carbon, same splits | "
        "paper Table I | nuclei / paper | out-of-bag, training points | F1F2IN21 | "
        "fit wall s (median) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    fits = empirical_fits()
    groups = {}
    for r in result["rows"]:
        groups.setdefault((r["target"], r["train_fraction"]), []).append(r)
    for (target, fraction), rows in sorted(groups.items(), key=lambda k: (k[0][1], k[0][0])):
        ours = np.median([r["chi2_quadrature"] for r in rows])
        ours_none = np.median([r["chi2_none"] for r in rows])
        paired = [carbon.get((target, fraction, r["seed"])) for r in rows]
        paired = [p["chi2_quadrature"] for p in paired if p is not None]
        base = np.median(paired) if paired else None
        paper = PAPER_TABLE.get(target, {}).get(fraction)
        lines.append(
            f"| {target} | {fraction:.0%} | {len(rows)} | {fmt(ours)} ({fmt(ours_none)}) | "
            f"{fmt(base)} ({len(paired)}) | {fmt(paper[0] if paper else None)} | "
            f"{fmt(ours / paper[0] if paper else None)} | "
            f"{fmt(np.median([r.get('oob_chi2_quadrature', np.nan) for r in rows]))} | "
            f"{fmt(fits.get(target, (None,))[0])} | {np.median([r['wall_s'] for r in rows]):.0f} |"
        )
    return "\n".join(lines) + "\n"


def load_or_start(path, settings, restart):
    if path.is_file() and not restart:
        result = json.loads(path.read_text())
        if result["settings"] != settings:
            sys.exit(f"{path} was made with {result['settings']}; rerun with --restart")
        return result
    return {"settings": settings, "rows": []}


SHIPPED = ROOT / "qestl" / "pretrained" / "nuclei"


def ship(command):
    """Fit on every archive nucleus and write qestl/pretrained/nuclei with its card."""
    start = time.perf_counter()
    model = fit_nuclei_model()
    wall = time.perf_counter() - start
    model.save(SHIPPED)
    write_card(model, model.training_points_, provenance(command), wall)


def reselect_folder(folder, targets):
    """Rerun a saved multi-nucleus model's post-fit member selection on its training data."""
    model = CrossSectionRegressor.load(folder)
    points = archive_points(targets)
    labels, _ = nucleus_dataset_labels(points)
    model.reselect(points, points["xsec"], sigma=points["error"], dataset=labels)
    model.save(folder)
    print(f"{folder.name}: {int(model.members_kept_.sum())} members kept", flush=True)


def reselect():
    """Rerun the member selection of the shipped model and of the cached sources, then the card."""
    old = json.loads((SHIPPED / "model_card.json").read_text())
    reselect_folder(SHIPPED, old["training_targets"])
    for folder in sorted(MODELS.glob("nuclei-without-*")):
        left_out = folder.name.removeprefix("nuclei-without-")
        reselect_folder(folder, [t for t in ARCHIVE_NUCLEI if t != left_out])
    rewrite_card()


def rewrite_card():
    """The card of the shipped model again (after a new leave-one-nucleus-out run)."""
    old = json.loads((SHIPPED / "model_card.json").read_text())
    model = CrossSectionRegressor.load(SHIPPED)
    points = archive_points(old["training_targets"])
    fit = {k: old.get(k) for k in PROVENANCE}  # the card names the fit, not this rewrite
    write_card(model, points, fit, old["fit_wall_s"], oob=old["per_nucleus"])


def write_card(model, points, fit, wall, oob=None):
    """model_card.json and MODEL_CARD.md of the shipped model.

    ``fit``: the :func:`~qestl.benchmark.provenance` of the fit.
    ``oob``: the per-nucleus rows of an earlier card, whose out-of-bag figures
    a loaded model (which keeps no out-of-bag prediction) cannot recompute;
    the training figures are always those of the members kept now.
    """
    folder = SHIPPED
    scores = per_nucleus_scores(model, points)
    if oob is not None:
        earlier = {row["target"]: row for row in oob}
        for row in scores:
            for key in ("held_out_quadrature", "held_out_none"):
                row[key] = earlier[row["target"]][key]
    zero_shot = RESULTS / "nuclei_zero_shot.json"
    card = {
        **fit,
        "fit_wall_s": wall,
        "recipe": {k: list(v) if isinstance(v, tuple) else v for k, v in NUCLEI_RECIPE.items()},
        "training_targets": list(points["target"].unique()),
        "cuts": "excitation energy >= 26.5 MeV, without Hotta 1994; every beam energy and angle",
        "per_nucleus": scores,
        "members_kept": int(model.members_kept_.sum()),
        "leave_one_nucleus_out": json.loads(zero_shot.read_text())["rows"]
        if zero_shot.is_file()
        else None,
    }
    (folder / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    (folder / "MODEL_CARD.md").write_text(card_markdown(card))
    print(card_markdown(card))


def card_markdown(card):
    lines = [
        "# Model card: nuclei (one network for many nuclei)",
        "",
        '`CrossSectionRegressor.load("nuclei")`: an ensemble that reads each point\'s target',
        "Z and A beside E, theta and omega (`nucleus_inputs=True`) and predicts the inclusive",
        "(e,e') cross section d2sigma/dOmega dE' [nb/(sr GeV)] of any nucleus; the default",
        "source of `TransferRegressor.from_pretrained(target_Z=..., target_A=...)`.",
        "",
        f"Made by: `{card['command']}` at commit {card.get('commit') or 'not recorded'} on "
        f"{card['date']} ({card['machine']}), fit {card['fit_wall_s'] / 60:.0f} min.",
        "",
        f"Data: QES archive, {', '.join(card['training_targets'])}; cuts: {card['cuts']}.",
        f"Recipe: {card['recipe']}; {card['members_kept']} members kept.",
        "",
        "Per nucleus, chi2/N in the quadrature currency (point errors alone in brackets).",
        "Train: the members kept. Held out: the out-of-bag prediction, each point predicted by",
        "the members that held it out of their training (10 % each), as the fit selected them",
        "(a loaded model keeps no out-of-bag prediction).",
        "",
        "| nucleus | points | train | held out |",
        "|---|---|---|---|",
    ]
    for r in card["per_nucleus"]:
        lines.append(
            f"| {r['target']} | {r['points']} | {fmt(r['train_quadrature'])} "
            f"({fmt(r['train_none'])}) | {fmt(r['held_out_quadrature'])} "
            f"({fmt(r['held_out_none'])}) |"
        )
    if card["leave_one_nucleus_out"]:
        lines += [
            "",
            "Leave one nucleus out (benchmarks/results/nuclei_zero_shot.md): the same recipe",
            "fitted without the nucleus, then all of its paper points predicted.",
            "",
            "| nucleus | zero-shot | scaled carbon | F1F2IN21 |",
            "|---|---|---|---|",
        ]
        for r in card["leave_one_nucleus_out"]:
            lines.append(
                f"| {r['target']} | {fmt(r['zero_shot_quadrature'])} | "
                f"{fmt(r['scaled_quadrature'])} | {fmt(r['F1F2IN21_quadrature'])} |"
            )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", nargs="+", default=["4He", "16O", "27Al", "56Fe"])
    parser.add_argument(
        "--transfer-targets",
        nargs="*",
        default=None,
        help="default: the targets, and 27Al* when 27Al is among them",
    )
    parser.add_argument("--members", type=int, default=20, help="members of each source")
    parser.add_argument("--epochs", type=int, default=NUCLEI_RECIPE["max_epochs"])
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.7])
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[5, 2],
        help="splits per fraction (seeds 0..k-1, those of transfer.json)",
    )
    parser.add_argument("--restart", action="store_true")
    parser.add_argument(
        "--fine-tune",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="TransferRegressor parameters of the fine-tuning fits (numbers), e.g. lr=1e-3",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="folder of the result files")
    parser.add_argument("--no-zero-shot", action="store_true", help="only the transfer rows")
    parser.add_argument(
        "--n-jobs", type=int, default=1, help="fine-tuning fits side by side, one thread each"
    )
    parser.add_argument("--ship", action="store_true")
    parser.add_argument("--card", action="store_true", help="only rewrite the shipped model's card")
    parser.add_argument(
        "--reselect",
        action="store_true",
        help="rerun the shipped model's member selection on its training data, then its card",
    )
    args = parser.parse_args()
    command = current_command()
    if args.ship:
        ship(command)
        return
    if args.card:
        rewrite_card()
        return
    if args.reselect:
        reselect()
        return
    fine_tune = {
        k: int(v) if v.isdigit() else float(v)
        for k, v in (item.split("=", 1) for item in args.fine_tune)
    }
    settings = {"members": args.members, "epochs": args.epochs, "recipe": "NUCLEI_RECIPE"}
    args.output.mkdir(parents=True, exist_ok=True)

    path = args.output / "nuclei_zero_shot.json"
    result = load_or_start(path, settings, args.restart)
    done = {r["target"] for r in result["rows"]}
    sources = {t: leave_out_source(t, args.members, args.epochs) for t in args.targets}
    for target in args.targets:
        if target not in done and not args.no_zero_shot:
            result["rows"].append(zero_shot_row(target, sources[target]))
            write_result(path, result, zero_shot_markdown, command)
            print(zero_shot_markdown(result), flush=True)

    transfer_targets = args.transfer_targets
    if transfer_targets is None:
        transfer_targets = list(args.targets) + (["27Al*"] if "27Al" in args.targets else [])
    path = args.output / "nuclei_transfer.json"
    result = load_or_start(path, {**settings, "fine_tune": fine_tune}, args.restart)
    done = {(r["target"], r["train_fraction"], r["seed"]) for r in result["rows"]}
    for fraction, splits in zip(args.fractions, args.seeds, strict=True):
        for target in transfer_targets:
            source = sources.get(target.rstrip("*")) or leave_out_source(
                target.rstrip("*"), args.members, args.epochs
            )
            method = f"L{source.n_weight_layers}"  # every layer fine-tuned
            cells = [
                {"target": target, "train_fraction": fraction, "seed": seed, "method": method}
                for seed in range(splits)
                if (target, fraction, seed) not in done
            ]
            data = {target: paper_points(target)}
            for row in run_cells(cells, data, source, n_jobs=args.n_jobs, **fine_tune):
                row["source"] = f"nuclei-without-{target.rstrip('*')}"
                result["rows"].append(row)
                write_result(path, result, transfer_markdown, command)
                print(target, fraction, row["seed"], f"{row['chi2_quadrature']:.3g}", flush=True)
    write_result(path, result, transfer_markdown, command)  # the tables of the code that runs now
    print(transfer_markdown(result))


if __name__ == "__main__":
    main()
