"""Train the shipped "numu-carbon" GAN (Bonilla et al. baseline) on qestl's own events.

numu CC inclusive on 12C from :func:`qestl.physics.neutrino.generate_events`
(E_nu uniform in 0.3-10 GeV, as NuWro in the paper); a separate validation
sample picks the epoch ((MAP-3D + MAP-3D w/o tails) / 2), an independent test
sample gives MAP-3D (all tails, w/o tails) and EMD over all energies, and
MAP-2D / EMD at E_nu = 0.5, 1, 3, 5, 9 GeV (the paper's Table 1). The model,
config and MODEL_CARD.md land in qestl/pretrained/numu-carbon/ (load it with
``ConditionalGAN.load("numu-carbon")``), the numbers also in
benchmarks/results/gan_carbon.{md,json} with figures.

    python benchmarks/gan_carbon.py [train|evaluate] [--events 4000000] [--epochs 60]

The shipped model came from
``gan_carbon.py scan --events 500000 --validation 200000 --scan-epochs 2 --threads 1
--generator-ema 0.999`` (seeds 2025, 0, 1, 3; 2025 scored best), then
``gan_carbon.py --events 500000 --validation 200000 --fit-seed 2025 --epochs 60
--time-budget 2640 --threads 1 --generator-ema 0.999`` (46 minutes, 21 epochs),
then, continued from that model at half the learning rates,
``gan_carbon.py train --events 500000 --validation 200000 --fit-seed 2025 --epochs 60
--time-budget 3300 --threads 1 --generator-ema 0.999 --lr 2.5e-5 --discriminator-lr 2.5e-4
--resume qestl/pretrained/numu-carbon`` (57 minutes, 25 more epochs), then on fresh
events ``gan_carbon.py train --events 500000 --validation 200000 --seed 3000 --fit-seed 2025
--epochs 100 --time-budget 4800 --threads 1 --generator-ema 0.999 --lr 2.5e-5
--discriminator-lr 2.5e-4 --resume qestl/pretrained/numu-carbon`` (81 minutes, 36 more
epochs), the same on ``--seed 4000`` with ``--threads 2 --time-budget 2100`` (35 minutes,
26 epochs), then on 2M fresh events ``gan_carbon.py train --events 2000000 --validation
200000 --seed 5000 --fit-seed 2025 --epochs 100 --time-budget 4200 --threads 2
--generator-ema 0.999 --lr 2.5e-5 --discriminator-lr 2.5e-4 --resume <stage 4>``
(75 minutes, 14 epochs), then on 2M fresh events at half the rates with a cosine decay
``gan_carbon.py train --events 2000000 --validation 200000 --seed 6000 --fit-seed 2025
--epochs 100 --time-budget 7800 --threads 1 --generator-ema 0.999 --lr 1.25e-5
--discriminator-lr 1.25e-4 --decay-from 0.5 --decay-to 0.1 --resume <stage 5>``
(133 minutes, 14 epochs), and ``evaluate`` (default ``--seed 2025``: the same test events
for every stage).
The paper trains on 4M events; with five
discriminator steps an epoch of 4M events takes of order 10 minutes on a
2-core CPU. ``train`` only fits and saves (with ``--time-budget`` for a
short GPU lease); ``evaluate`` scores a saved model and writes the card.
"""

import argparse
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import torch

from qestl import ConditionalGAN
from qestl.benchmark import PROVENANCE, provenance, write_result
from qestl.metrics import emd, map_2d, map_3d
from qestl.plotting_events import plot_proxy_histograms, plot_pull_map, plot_w_q2
from qestl.training import CosineTimeDecay, TimeBudget

ROOT = Path(__file__).resolve().parents[1]
COLS = ["E_nu", "E_mu", "theta"]
TABLE_ENERGIES = (0.5, 1.0, 3.0, 5.0, 9.0)


def events(n, seed, energy=(0.3, 10.0)):
    from qestl.physics.neutrino import generate_events

    return generate_events(n, target="12C", probe="numu", energy=energy, random_state=seed)[COLS]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "phase", nargs="?", choices=["all", "scan", "train", "evaluate"], default="all"
    )
    parser.add_argument("--events", type=int, default=4_000_000, help="training events")
    parser.add_argument("--validation", type=int, default=1_000_000, help="selection events")
    parser.add_argument("--test", type=int, default=1_000_000, help="test events")
    parser.add_argument(
        "--per-energy", type=int, default=1_000_000, help="events per energy of the MAP-2D table"
    )
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--time-budget", type=float, help="stop training after this many s")
    parser.add_argument("--wait-for", help="start training once this file exists")
    parser.add_argument("--batch", type=int, default=ConditionalGAN().batch_size)
    parser.add_argument("--lr", type=float, default=ConditionalGAN().lr)
    parser.add_argument("--discriminator-lr", type=float, default=ConditionalGAN().discriminator_lr)
    parser.add_argument("--amsgrad-from", type=float, default=ConditionalGAN().amsgrad_from)
    parser.add_argument("--generator-ema", type=float, default=ConditionalGAN().generator_ema)
    parser.add_argument(
        "--discriminator-width", type=int, default=ConditionalGAN().discriminator_width
    )
    parser.add_argument(
        "--discriminator-blocks", type=int, default=ConditionalGAN().discriminator_blocks
    )
    parser.add_argument(
        "--decay-from",
        type=float,
        help="with --time-budget: from this fraction of the budget on, both learning rates "
        "fall on a cosine to --decay-to of their value at the budget's end",
    )
    parser.add_argument("--decay-to", type=float, default=0.1)
    parser.add_argument(
        "--low-energy",
        type=float,
        default=0.0,
        help="fraction of the training events drawn with E_nu below --low-energy-max",
    )
    parser.add_argument("--low-energy-max", type=float, default=1.5, help="[GeV]")
    parser.add_argument(
        "--resume",
        help="saved GAN to continue training from (all stages trainable; exactly, with the "
        "optimizers' moments, when it was saved with its training state)",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2025, help="seed of the events")
    parser.add_argument("--fit-seed", type=int, help="the fit's random_state (default: --seed)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[2025, 0, 1, 3])
    parser.add_argument("--scan-epochs", type=int, default=3)
    parser.add_argument("--output", default=str(ROOT / "qestl" / "pretrained" / "numu-carbon"))
    parser.add_argument("--results", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args()
    check_settings(parser, args)
    torch.set_num_threads(args.threads)
    if args.fit_seed is None:
        args.fit_seed = args.seed
    if args.phase == "scan":
        scan_seeds(args)
    if args.phase in ("all", "train"):
        train_model(args)
    if args.phase in ("all", "evaluate"):
        evaluate(args)


def check_settings(parser, args):
    """Stop on bad training settings before any events are generated."""
    if not 0 <= args.low_energy < 1:
        parser.error(f"--low-energy must be in [0, 1), got {args.low_energy}")
    if not 0.3 < args.low_energy_max <= 10.0:
        parser.error(f"--low-energy-max must be in (0.3, 10] GeV, got {args.low_energy_max}")
    if args.decay_from is not None:
        if not args.time_budget:
            parser.error("--decay-from needs --time-budget: the decay follows the budget's time")
        try:
            CosineTimeDecay(args.time_budget, args.decay_from, args.decay_to).initialize()
        except ValueError as error:
            parser.error(f"--decay-from / --decay-to: {error}")


def per_epoch(history, key):
    """One float per epoch of a skorch history; NaN where ``key`` was not recorded."""
    return [float(epoch.get(key, "nan")) for epoch in history]


def training_events(args):
    """(training events, separate selection events): one draw for every seed and phase.

    With ``--low-energy F`` a fraction F of the training events has E_nu
    uniform below ``--low-energy-max`` instead of over the whole range: the
    conditional distribution is the same, the low energies get more of the
    steps. The selection events stay uniform, as the paper's metric is.
    """
    selection = events(args.validation, args.seed + 4)
    n_low = round(args.low_energy * args.events)
    if n_low == 0:
        return events(args.events, args.seed), selection
    low = events(n_low, args.seed + 7, energy=(0.3, args.low_energy_max))
    train = pd.concat([events(args.events - n_low, args.seed), low], ignore_index=True)
    return train.sample(frac=1.0, random_state=args.seed, ignore_index=True), selection


def make_gan(args, random_state, max_epochs, callbacks=(), source=None):
    """A GAN with the command line's settings; from ``source`` when given.

    A source saved with its training state continues exactly (``warm_start``:
    optimizer moments and weight average kept); one saved without starts new
    optimizers from its weights.
    """
    if source is None:
        gan = ConditionalGAN(
            discriminator_width=args.discriminator_width,
            discriminator_blocks=args.discriminator_blocks,
        )
    else:
        gan = ConditionalGAN.load(source)
        if gan.training_state_ is None:
            gan = ConditionalGAN.from_pretrained(source, freeze=0)
        else:
            gan.set_params(warm_start=True)
    return gan.set_params(
        max_epochs=max_epochs,
        batch_size=args.batch,
        lr=args.lr,
        discriminator_lr=args.discriminator_lr,
        amsgrad_from=args.amsgrad_from,
        generator_ema=args.generator_ema,
        random_state=random_state,
        callbacks=list(callbacks),
        verbose=1,
    )


def fit(model, train, valid):
    selection = (valid["E_nu"], valid[["E_mu", "theta"]])
    return model.fit(train["E_nu"], train[["E_mu", "theta"]], validation=selection)


def scan_seeds(args):
    """Short fits from several initialisation seeds on the same events, scored alike.

    GAN training depends strongly on the initialisation (docs/gan.md); the
    seed with the lowest selection score is the one to train long
    (``train --fit-seed``). Writes benchmarks/results/gan_carbon_seeds.{json,md}.
    """
    train, valid = training_events(args)
    rows = []
    for seed in args.seeds:
        start = time.perf_counter()
        history = fit(make_gan(args, seed, args.scan_epochs), train, valid).history_
        rows.append(
            {
                "fit_seed": seed,
                "valid_score": per_epoch(history, "valid_score"),
                "valid_map": per_epoch(history, "valid_map"),
                "valid_map_raw": per_epoch(history, "valid_map_raw"),
                "wall_s": time.perf_counter() - start,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    best = min(rows, key=lambda r: min(r["valid_score"]))
    result = {
        "events": {"train": args.events, "validation": args.validation, "seed": args.seed},
        "epochs": args.scan_epochs,
        "generator_ema": args.generator_ema,
        "rows": rows,
        "best_fit_seed": best["fit_seed"],
    }
    print(write_result(Path(args.results) / "gan_carbon_seeds.json", result, seeds_markdown))


def seeds_markdown(result):
    """The seed scan as a Markdown page."""
    events = result["events"]
    lines = [
        "# Carbon GAN: initialisation seeds compared",
        "",
        f"{events['train']:,} training and {events['validation']:,} selection events (seed "
        f"{events['seed']}), {result['epochs']} epochs per fit, "
        f"generator_ema={result['generator_ema']}; selection MAP-3D per epoch (the "
        "averaged generator; in brackets the same run's generator without the average).",
        "",
        "| fit seed | selection MAP-3D per epoch | best score | wall |",
        "|---|---|---|---|",
    ]
    for r in result["rows"]:
        pairs = zip(r["valid_map"], r["valid_map_raw"], strict=True)
        maps = ", ".join(f"{m:.2f} ({raw:.2f})" for m, raw in pairs)
        best_score, wall = min(r["valid_score"]), r["wall_s"] / 60
        lines.append(f"| {r['fit_seed']} | {maps} | {best_score:.2f} | {wall:.1f} min |")
    lines += ["", f"Lowest selection score: fit seed {result['best_fit_seed']}."]
    return "\n".join(lines) + "\n"


def resumed_record(path):
    """The training record of the model a run resumes from (None for a fresh start)."""
    if path is None:
        return None
    record = Path(path) / "training.json"
    return json.loads(record.read_text()) if record.exists() else {"path": str(path)}


def train_model(args):
    """Fit the GAN; save it and its training record (training.json) in ``args.output``."""
    start = time.perf_counter()
    train, valid = training_events(args)
    generation = time.perf_counter() - start
    if args.wait_for:
        while not Path(args.wait_for).exists():
            time.sleep(1.0)
    callbacks = []
    if args.time_budget:
        callbacks.append(("time_budget", TimeBudget(args.time_budget, args.amsgrad_from)))
        if args.decay_from is not None:
            decay = CosineTimeDecay(args.time_budget, args.decay_from, args.decay_to)
            callbacks.append(("lr_decay", decay))
    model = make_gan(args, args.fit_seed, args.epochs, callbacks, source=args.resume)
    # read before fit: the output may be the directory the training resumes from
    previous = resumed_record(args.resume)
    start = time.perf_counter()
    fit(model, train, valid)
    wall = time.perf_counter() - start
    device = model.net_.device
    history = model.history_
    record = {
        **provenance(),  # each stage's own command, so a resumed model names every stage
        "device": torch.cuda.get_device_name() if device == "cuda" else str(device),
        "settings": {
            **{k: v for k, v in model.get_params().items() if k not in ("source", "callbacks")},
            "betas": list(model.betas),
            "events_seed": args.seed,
            "time_budget_s": args.time_budget,
            "amsgrad_switch_epoch": int(model.net_.amsgrad_epoch),
            # False: a resumed stage started new optimizers from the saved weights
            "optimizers_continued": bool(model.warm_start),
            "low_energy": None
            if not args.low_energy
            else {"fraction": args.low_energy, "max_GeV": args.low_energy_max},
            "lr_decay": None
            if args.decay_from is None
            else {"from": args.decay_from, "to": args.decay_to},
        },
        "data": {
            "generator": "qestl.physics.neutrino.generate_events(target='12C', probe='numu')",
            "train": args.events,
            "validation": args.validation,
        },
        "generation_time_s": generation,
        "wall_time_s": wall,
        "epochs_trained": len(history),
        "best_epoch": int(model.best_epoch_),
        "valid_score_best": float(min(history[:, "valid_score"])),
        "valid_map_per_epoch": per_epoch(history, "valid_map"),
        "valid_score_per_epoch": per_epoch(history, "valid_score"),
        "valid_map_raw_per_epoch": per_epoch(history, "valid_map_raw"),
        "epoch_s": per_epoch(history, "dur"),
        "resumed_from": previous,
    }
    out = Path(args.output)
    model.save(out, training_state=True)
    (out / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: v for k, v in record.items() if "per_epoch" not in k}, indent=1))


def evaluate(args):
    """Score the saved GAN on independent events; write its model card and the results."""
    out = Path(args.output)
    model = ConditionalGAN.load(out, device="cpu")
    result = json.loads((out / "training.json").read_text())
    test_seed = args.seed + 1
    test = events(args.test, test_seed)
    generated = model.sample(test["E_nu"], random_state=args.seed + 2)
    start = time.perf_counter()
    emd_all = emd(generated, test)
    emd_time = time.perf_counter() - start
    per_energy = {}
    for k, energy in enumerate(TABLE_ENERGIES):
        reference = events(args.per_energy, args.seed + 10 + k, energy=energy)
        sample = model.sample(energy, n_per_energy=args.per_energy, random_state=k)
        per_energy[str(energy)] = {
            "map_2d": map_2d(sample, reference),
            "map_2d_no_tails": map_2d(sample, reference, tails=False),
            "emd": emd(sample, reference),
        }
        if energy == 1.0:
            figures(sample, reference, Path(args.results))
    result["data"].update(test=args.test, test_seed=test_seed, per_energy=args.per_energy)
    result["all"] = {
        "map_3d": map_3d(generated, test),
        "map_3d_no_tails": map_3d(generated, test, tails=False),
        "emd": emd_all,
        "emd_time_s": emd_time,
        "map_3d_reference_vs_reference": map_3d(events(args.test, args.seed + 3), test),
    }
    result["per_energy"] = per_energy
    # the training's provenance, which this evaluation's replaces at the top of the files
    result["training_run"] = {k: result.pop(k, None) for k in PROVENANCE}
    path = Path(args.results) / "gan_carbon.json"
    print(write_result(path, result, card))
    shutil.copyfile(path, out / "model_card.json")
    shutil.copyfile(path.with_suffix(".md"), out / "MODEL_CARD.md")


def resumed_lines(previous, settings):
    """Card lines on the training a run continued from (``settings``: this stage's)."""
    if previous is None:
        return []
    if "wall_time_s" not in previous:
        return [f"Training continued from {previous['path']}.", ""]
    history = previous
    stages = []
    while history is not None:
        stages.append(history)
        history = history.get("resumed_from")
    earlier = ", then ".join(
        f"{s['epochs_trained']} epochs in {s['wall_time_s'] / 60:.1f} min "
        f"(lr {s['settings']['lr']:g} / {s['settings']['discriminator_lr']:g}, "
        f"events seed {s['settings']['events_seed']}, "
        f"selection MAP-3D {min(s['valid_map_per_epoch']):.2f})"
        for s in reversed(stages)
    )
    how = (
        "with their optimizers' moments and the weight average as the last stage left them"
        if settings.get("optimizers_continued")
        else "the optimizers and the weight average started afresh"
    )
    return [
        f"Training continued from the model trained earlier: {earlier}; {how}. This stage: lr "
        f"{settings['lr']:g} / {settings['discriminator_lr']:g}, "
        f"events seed {settings['events_seed']}.",
        "",
    ]


def card(result):
    a, trained = result["all"], result["training_run"]
    lines = [
        "# Shipped numu-carbon GAN (qestl/pretrained/numu-carbon)",
        "",
        f"Training: {result['wall_time_s'] / 60:.1f} min on {result['device']}, "
        f"{result['epochs_trained']} epochs, best epoch {result['best_epoch']}; "
        + (f"`{trained['command']}` at commit {trained['commit']}, " if trained["command"] else "")
        + f"{trained['date']} ({trained['machine']}).",
        "",
        f"Events: {result['data']['generator']}, E_nu uniform in 0.3-10 GeV; "
        f"{result['data']['train']} train, {result['data']['validation']} validation "
        f"(epoch selection; events seed {result['settings']['events_seed']}), "
        f"{result['data']['test']} test (seed {result['data']['test_seed']}).",
        "",
        *resumed_lines(result.get("resumed_from"), result["settings"]),
        f"Fit seed {result['settings']['random_state']} (`gan_carbon.py scan` compares seeds "
        "on the selection events: benchmarks/results/gan_carbon_seeds.md); moving average of "
        f"the generator's weights: generator_ema={result['settings'].get('generator_ema', 0.0)}.",
        "",
        "Metrics (qestl.metrics; EMD binned 14^3 in proxy units; paper's NuWro baseline "
        "in brackets, Bonilla et al. Table 1):",
        "",
        "| sample | MAP | MAP w/o tails | EMD |",
        "|---|---|---|---|",
        f"| all E_nu (MAP-3D) | {a['map_3d']:.2f} [0.88] | {a['map_3d_no_tails']:.2f} | "
        f"{a['emd']:.3f} [0.12] |",
    ]
    paper = {"0.5": 1.09, "1.0": 1.05, "3.0": 1.00, "5.0": 1.00, "9.0": 0.97}
    for energy, row in result["per_energy"].items():
        lines.append(
            f"| E_nu = {energy} GeV (MAP-2D) | {row['map_2d']:.2f} [{paper[energy]:.2f}] | "
            f"{row['map_2d_no_tails']:.2f} | {row['emd']:.3f} |"
        )
    lines += [
        "",
        f"Two independent generator samples give MAP-3D "
        f"{a['map_3d_reference_vs_reference']:.2f} (the floor; sqrt(2/pi) = 0.80 for large "
        "counts). The paper's EMD is not defined the same way: compare trends only. "
        f"EMD over all {result['data']['test']} test events took {a['emd_time_s']:.2f} s.",
    ]
    return "\n".join(lines) + "\n"


def figures(sample, reference, folder):
    folder.mkdir(parents=True, exist_ok=True)
    labels = ("GAN", "qestl generator")
    plot_w_q2(sample, reference, labels).savefig(folder / "gan_carbon_w_q2.png", dpi=110)
    plot_proxy_histograms(sample, reference, labels).savefig(
        folder / "gan_carbon_proxies.png", dpi=110
    )
    plot_pull_map(sample, reference).savefig(folder / "gan_carbon_pulls.png", dpi=110)


if __name__ == "__main__":
    main()
