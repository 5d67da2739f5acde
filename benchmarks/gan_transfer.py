"""Domain adaptation of the carbon GAN (Bonilla et al., Tables 2-4 and Fig. 6).

Scenarios, each against qestl's own generator (:func:`qestl.physics.neutrino.generate_events`):

- A: numu on 40Ar (the carbon GAN's first block frozen, the rest fine-tuned);
- B: anti-numu on 12C;
- C: numu on 12C with the "changed" interaction model (M_A and resonance
  parameters as in the paper's NuWro 25.03 set-up, PHYSICS.md).

For each scenario and training size (10k, 100k events), "zero-shot" scores
the shipped ``numu-carbon`` GAN as it is, "TL" fine-tunes it with
``ConditionalGAN.from_pretrained("numu-carbon")`` (its defaults, or the
settings given on the command line), and "scratch" trains a ConditionalGAN
with default settings from random weights for as many optimizer steps.
Trained GANs keep the epoch with the best (MAP-3D + MAP-3D w/o tails) / 2 on
a separate selection sample of the new domain (the paper selects on its 1M
validation events). Scores: MAP-3D (all tails, w/o tails, and the floor of
two generator samples) and EMD over all energies on independent test events,
MAP-2D and EMD at E_nu = 0.5, 1, 3, 5, 9 GeV, and W histograms (the paper's
Fig. 6), all in benchmarks/results/gan_transfer.{json,md,png}; with
``--study``, in gan_transfer_tuning.{json,md} (the comparison of settings
behind from_pretrained's defaults).

    python benchmarks/gan_transfer.py A B C --events 10000 --methods zero-shot TL scratch
    python benchmarks/gan_transfer.py A B C --study --replicates 0 --variant low-lr --lr 1e-5

Replicates (``--replicates 0 1 2``) differ in the training events and the
fit seed. Each (scenario, size, method, variant, replicate) is one row; a
rerun replaces its row, so runs can go in parallel processes.
"""

import argparse
import json
import time
from functools import partial
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from qestl import (
    ConditionalGAN,  # noqa: E402
    kinematics,  # noqa: E402
)
from qestl.benchmark import record_row  # noqa: E402
from qestl.metrics import emd, map_2d, map_3d  # noqa: E402
from qestl.persistence import resolve_model_dir  # noqa: E402
from qestl.physics.neutrino import generate_events  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
COLS = ["E_nu", "E_mu", "theta"]
SCENARIOS = {
    "A": {"target": "40Ar", "probe": "numu", "model": "default", "label": "numu 40Ar"},
    "B": {"target": "12C", "probe": "numubar", "model": "default", "label": "anti-numu 12C"},
    "C": {"target": "12C", "probe": "numu", "model": "changed", "label": "numu 12C, changed model"},
}
TABLE_ENERGIES = (0.5, 1.0, 3.0, 5.0, 9.0)
W_EDGES = np.linspace(0.6, 3.0, 61)  # GeV
#: The paper's All rows (EMD | first MAP number), scratch -> TL, 10k and 100k events.
PAPER = {
    ("A", 10_000): "0.36 / 2.01 -> 0.17 / 1.07",
    ("B", 10_000): "0.51 / 2.15 -> 0.21 / 1.26",
    ("C", 10_000): "0.47 / 2.58 -> 0.20 / 1.23",
    ("A", 100_000): "0.14 / 0.98 -> 0.14 / 0.94",
    ("B", 100_000): "0.13 / 0.93 -> 0.14 / 0.94",
}


def events(scenario, n, seed, energy=(0.3, 10.0)):
    """Events of one scenario: E_nu [GeV], E_mu [GeV], theta [deg]."""
    s = SCENARIOS[scenario]
    return generate_events(
        n, target=s["target"], probe=s["probe"], model=s["model"], energy=energy, random_state=seed
    )[COLS]


def w_histogram(sample):
    """Density of W on a nucleon at rest in W_EDGES (NaN W left out)."""
    w = kinematics.w_neutrino(sample["E_nu"], sample["E_mu"], sample["theta"])
    counts, _ = np.histogram(w[np.isfinite(w)], W_EDGES, density=True)
    return counts.tolist()


def source_summary(source):
    """Which source a TL row fine-tuned: its name and, from its model card, date and MAP-3D."""
    card = resolve_model_dir(source) / "model_card.json"
    if not card.is_file():
        return {"name": str(source)}
    card = json.loads(card.read_text())
    return {"name": str(source), "date": card["date"], "map_3d": card["all"]["map_3d"]}


def tl_settings(args):
    """The fine-tuning settings given on the command line (the rest: from_pretrained's defaults)."""
    given = {
        "lr": args.lr,
        "discriminator_lr": args.discriminator_lr,
        "freeze": args.freeze,
        "generator_ema": args.generator_ema,
        "amsgrad_from": args.amsgrad_from,
        "max_epochs": args.epochs,
        "discriminator_steps": args.discriminator_steps,
        "batch_size": args.batch,
    }
    return {k: v for k, v in given.items() if v is not None}


def untrained_gan(method, replicate, args):
    """The GAN a "TL" or "scratch" run fits, seeded by ``replicate``."""
    settings = tl_settings(args)
    tl = ConditionalGAN.from_pretrained(args.source, **settings, random_state=replicate)
    if method == "TL":
        return tl
    # as many optimizer steps and the same weight average as the TL run
    return ConditionalGAN(
        max_epochs=tl.max_epochs,
        generator_ema=tl.generator_ema,
        discriminator_steps=tl.discriminator_steps,
        batch_size=tl.batch_size,
        random_state=replicate,
    )


def run(scenario, n_events, method, replicate, args):
    """Train one GAN of the new domain and score it; return its row.

    ``replicate`` seeds the training events and the fit, so replicates
    differ in both (the spread a user sees between two data sets).
    """
    seed = {"A": 11, "B": 12, "C": 13}[scenario]
    trained = method != "zero-shot"
    if trained:
        gan = untrained_gan(method, replicate, args)
        train = events(scenario, n_events, seed + 1000 * replicate)
        selection = events(scenario, args.selection, seed + 100)
        start = time.perf_counter()
        gan.fit(
            train["E_nu"],
            train[["E_mu", "theta"]],
            validation=(selection["E_nu"], selection[["E_mu", "theta"]]),
        )
    else:
        start = time.perf_counter()
        gan = ConditionalGAN.load(args.source)
    wall = time.perf_counter() - start
    test = events(scenario, args.test, seed + 200)
    generated = gan.sample(test["E_nu"], random_state=seed + 300)
    row = {
        "scenario": scenario,
        "events": n_events,
        "method": method,
        "variant": args.variant,
        "replicate": replicate,
        "settings": {
            "lr": gan.lr,
            "discriminator_lr": gan.discriminator_lr,
            "freeze": gan.freeze,
            "generator_ema": gan.generator_ema,
            "amsgrad_from": gan.amsgrad_from,
            "max_epochs": gan.max_epochs,
            "discriminator_steps": gan.discriminator_steps,
            "batch_size": gan.batch_size,
        },
        "steps": gan.max_epochs * -(-n_events // gan.batch_size) if trained else 0,
        "best_epoch": int(gan.best_epoch_) if trained else 0,
        "wall_s": wall,
        "test_events": args.test,
        "selection_events": args.selection,
        "per_energy_events": args.per_energy,
        "map_3d": map_3d(generated, test),
        "map_3d_no_tails": map_3d(generated, test, tails=False),
        "map_3d_floor": map_3d(events(scenario, args.test, seed + 250), test),
        "emd": emd(generated, test),
        "w_generated": w_histogram(generated),
        "w_reference": w_histogram(test),
        "per_energy": {},
    }
    if method != "scratch":
        row["source"] = source_summary(args.source)
    for k, energy in enumerate(TABLE_ENERGIES):
        reference = events(scenario, args.per_energy, seed + 400 + k, energy=energy)
        sample = gan.sample(energy, n_per_energy=args.per_energy, random_state=k)
        row["per_energy"][str(energy)] = {
            "map_2d": map_2d(sample, reference),
            "map_2d_no_tails": map_2d(sample, reference, tails=False),
            "emd": emd(sample, reference),
        }
    return row


def sources_line(rows):
    """A line naming the source GAN(s) the TL rows started from."""
    sources = {
        f"{s['name']} trained {s['date'][:10]}, MAP-3D {s['map_3d']:.2f}"
        for s in (r.get("source", {}) for r in rows)
        if "date" in s
    }
    return [f"TL source: {'; '.join(sorted(sources))}.", ""] if sources else []


def groups(rows):
    """Rows grouped by (scenario, events, variant, method), replicates together, sorted."""
    order = {"zero-shot": 0, "scratch": 1, "TL": 2}
    grouped = {}
    for r in rows:
        key = (r["scenario"], r["events"], r["variant"], r["method"])
        grouped.setdefault(key, []).append(r)
    return dict(sorted(grouped.items(), key=lambda kv: (*kv[0][:3], order[kv[0][3]])))


def spread(values, fmt):
    """Median and, over several replicates, [min-max]."""
    median = fmt.format(float(np.median(values)))
    if len(values) == 1:
        return median
    return f"{median} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


#: settings that rows recorded before they were row settings ran with:
#: ConditionalGAN's defaults of the time
EARLIER_ROW_SETTINGS = {
    "amsgrad_from": ConditionalGAN().amsgrad_from,
    "discriminator_steps": 5,
    "batch_size": 1024,
}


def settings_text(r):
    s = {**EARLIER_ROW_SETTINGS, **r["settings"]}
    return (
        f"lr {s['lr']:g} / {s['discriminator_lr']:g}, freeze {s['freeze']}, "
        f"ema {s['generator_ema']:g}, AMSGrad from {s['amsgrad_from']:g}, "
        f"{r['steps']} steps of {s['batch_size']} events, "
        f"{s['discriminator_steps']} D per G step"
    )


def markdown(rows, title):
    """The Markdown tables of all rows: medians over replicates, paper beside."""
    lines = [
        f"# {title}",
        "",
        "zero-shot: the source GAN as shipped, not trained on the new domain; scratch: "
        "ConditionalGAN defaults from random weights, with as many optimizer steps and "
        "the same weight average as TL; TL: "
        "ConditionalGAN.from_pretrained(source) with the settings of its row (in "
        "gan_transfer.md, variant `defaults` is from_pretrained's own). The kept epoch "
        "(0: the source's weights) is the best (MAP-3D + MAP-3D "
        "w/o tails) / 2 on 100,000 separate selection events of the new domain. MAP-3D "
        "(14^3 bins) and EMD (qestl.metrics, binned in proxy units) on independent test "
        "events of qestl's generator; the floor is two generator samples of the new domain "
        "against each other. Replicates differ in the training events and the fit seed: "
        "median [min-max]. The paper's EMD is defined differently: compare ratios.",
        "",
        *sources_line(rows),
        "| scenario | events | variant | method | replicates | MAP-3D (floor) | MAP-3D w/o "
        "tails | EMD | kept epoch / epochs | train wall | settings | paper MAP scratch -> TL |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (scenario, n, variant, method), rs in groups(rows).items():
        paper = PAPER.get((scenario, n), "-") if method == "TL" else ""
        floor = float(np.median([r["map_3d_floor"] for r in rs]))
        kept = ", ".join(str(r["best_epoch"]) for r in rs)
        kept = f"{kept} / {rs[0]['settings']['max_epochs']}" if method != "zero-shot" else ""
        lines.append(
            f"| {scenario} ({SCENARIOS[scenario]['label']}) | {n:,} | {variant} | {method} | "
            f"{len(rs)} | {spread([r['map_3d'] for r in rs], '{:.2f}')} ({floor:.2f}) | "
            f"{spread([r['map_3d_no_tails'] for r in rs], '{:.2f}')} | "
            f"{spread([r['emd'] for r in rs], '{:.3f}')} | "
            f"{kept} | "
            f"{spread([r['wall_s'] / 60 for r in rs], '{:.1f}')} min | "
            f"{settings_text(rs[0]) if method != 'zero-shot' else ''} | {paper} |"
        )
    # the label's measured matmul rate differs from run to run on one machine
    machines = sorted({r["machine"].split(", bmm")[0] for r in rows})
    lines += ["", f"Machines: {'; '.join(machines)}.", ""]
    lines += [
        "Per energy: MAP-2D on 50 x 50 bins in (E_mu', theta'), medians over replicates, "
        f"{rows[0]['per_energy_events']:,} generated and reference events at each energy:",
        "",
        "| scenario | events | variant | method | "
        + " | ".join(f"E_nu = {e} GeV" for e in TABLE_ENERGIES)
        + " |",
        "|---|---|---|---|" + "---|" * len(TABLE_ENERGIES),
    ]
    for (scenario, n, variant, method), rs in groups(rows).items():
        cells = [
            spread([r["per_energy"][str(e)]["map_2d"] for r in rs], "{:.2f}")
            for e in TABLE_ENERGIES
        ]
        lines.append(f"| {scenario} | {n:,} | {variant} | {method} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def figure(rows, path):
    """W distributions of reference, zero-shot, scratch and TL at the smallest training size.

    The paper's Fig. 6; histograms from the rows (``w_generated``, ``w_reference``)
    of replicate 0 with from_pretrained's defaults.
    """
    n_events = min(r["events"] for r in rows)
    scenarios = sorted({r["scenario"] for r in rows if r["events"] == n_events})
    fig, axes = plt.subplots(1, len(scenarios), figsize=(4.2 * len(scenarios), 3.4), squeeze=False)
    centres = 0.5 * (W_EDGES[1:] + W_EDGES[:-1])
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        chosen = [
            r
            for r in rows
            if r["scenario"] == scenario
            and r["events"] == n_events
            and r["replicate"] == 0
            and r["variant"] in ("defaults", "source")
        ]
        ax.fill_between(
            centres, chosen[0]["w_reference"], step="mid", alpha=0.3, label="qestl generator"
        )
        for r in sorted(chosen, key=lambda r: r["method"]):
            ax.step(centres, r["w_generated"], where="mid", label=f"GAN {r['method']}")
        ax.set_title(f"{scenario}: {SCENARIOS[scenario]['label']}, {n_events:,} events", fontsize=9)
        ax.set_xlabel("W [GeV] (nucleon at rest)")
        ax.set_ylabel("normalised events")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="+", choices=sorted(SCENARIOS))
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--methods", nargs="+", default=["scratch", "TL"])
    parser.add_argument("--replicates", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variant", default="defaults", help="name of the TL settings")
    parser.add_argument("--lr", type=float, help="generator learning rate (TL)")
    parser.add_argument("--discriminator-lr", type=float)
    parser.add_argument("--freeze", type=int)
    parser.add_argument("--generator-ema", type=float)
    parser.add_argument("--amsgrad-from", type=float)
    parser.add_argument("--epochs", type=int, help="max_epochs (both methods)")
    parser.add_argument(
        "--discriminator-steps",
        type=int,
        help="discriminator steps per generator step (both methods)",
    )
    parser.add_argument("--batch", type=int, help="batch size (both methods)")
    parser.add_argument("--selection", type=int, default=100_000, help="selection events")
    parser.add_argument("--test", type=int, default=1_000_000, help="test events")
    parser.add_argument("--per-energy", type=int, default=100_000)
    parser.add_argument("--source", default="numu-carbon")
    parser.add_argument(
        "--study",
        action="store_true",
        help="write to gan_transfer_tuning.{json,md} (the search for from_pretrained's defaults)",
    )
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    name, title = (
        "gan_transfer",
        "Carbon GAN transferred to new domains (Bonilla et al., Tables 2-4)",
    )
    if args.study:
        name, title = "gan_transfer_tuning", "Carbon GAN transfer: fine-tuning settings compared"
    path = Path(args.results) / f"{name}.json"
    key = ("scenario", "events", "method", "variant", "replicate")
    for scenario in args.scenarios:
        for n_events in args.events:
            for replicate in args.replicates:
                for method in args.methods:
                    row = run(scenario, n_events, method, replicate, args)
                    record_row(path, row, key, partial(markdown, title=title))
                    print({k: v for k, v in row.items() if not k.startswith("w_")}, flush=True)
    if not args.study:
        figure(json.loads(path.read_text())["rows"], path.with_suffix(".png"))


if __name__ == "__main__":
    main()
