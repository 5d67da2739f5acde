"""Training recipes for the carbon GAN, compared with short CPU runs.

Each run trains one recipe on numu-12C events from qestl's generator (E_nu
uniform in 0.3-10 GeV), scores the kept epoch on 2 x 10^5 independent test
events and appends a row to benchmarks/results/gan_recipes.json; the
Markdown table beside it is rewritten from all rows.

    python benchmarks/gan_recipes.py defaults --events 200000 --epochs 8 --threads 1

MAP-3D grows with the square root of the sample size for a fixed mismatch,
so compare rows only at equal test sizes (all 2 x 10^5 here). The row also
scores the generator with its noise and dropout switched off (evaluation
mode), which ``ConditionalGAN.sample`` no longer does.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _rows import record

from qestl import kinematics
from qestl.gan import ConditionalGAN
from qestl.metrics import emd, map_3d
from qestl.physics.neutrino import generate_events

RESULTS = Path(__file__).resolve().parent / "results"
COLS = ["E_nu", "E_mu", "theta"]
N_TEST = 200_000

#: name -> ConditionalGAN parameters that differ from the defaults.
RECIPES = {
    "defaults": {},
    "generator-ema-0.99": {"generator_ema": 0.99},
    "generator-ema-0.999": {"generator_ema": 0.999},
    "kinematic-features": {"kinematic_features": True, "generator_ema": 0.999},
    "one-step": {"discriminator_steps": 1},
    "adamw-only": {"amsgrad_from": 1.0, "discriminator_steps": 1},
    "paper-regularisers": {
        "dropout": 0.1,
        "noise_std": 0.05,
        "discriminator_lr": 2e-4,
        "discriminator_steps": 1,
    },
}


def events(n, seed):
    """numu CC events on carbon, E_nu uniform in 0.3-10 GeV."""
    return generate_events(n, target="12C", probe="numu", energy=(0.3, 10.0), random_state=seed)[
        COLS
    ]


def sample_without_noise(gan, E_nu, seed):
    """The generator in evaluation mode: its noise and dropout switched off."""
    module = gan.module_.eval()
    rng = np.random.default_rng(seed)
    z = torch.from_numpy(rng.standard_normal((E_nu.size, gan.latent_dim), dtype=np.float32))
    enu = torch.from_numpy(kinematics.enu_to_proxy(E_nu).astype(np.float32)[:, None])
    with torch.no_grad():
        out = module(enu, z).clamp(-1.0, 1.0).numpy().astype(float)
    return pd.DataFrame(
        {
            "E_nu": E_nu,
            "E_mu": kinematics.proxy_to_emu(out[:, 1], E_nu),
            "theta": kinematics.proxy_to_theta(out[:, 0]),
        }
    )


def run(name, n_events, epochs, seed=0):
    """Train one recipe (``seed``: the fit's random_state) and return its row of figures."""
    train, test = events(n_events, 1), events(N_TEST, 2)
    gan = ConditionalGAN(max_epochs=epochs, random_state=seed, **RECIPES[name])
    start = time.perf_counter()
    gan.fit(train["E_nu"], train[["E_mu", "theta"]])
    row = {
        "recipe": name,
        "params": RECIPES[name],
        "events": n_events,
        "epochs": epochs,
        "seed": seed,
    }
    row["wall_s"] = time.perf_counter() - start
    row["best_epoch"] = int(gan.best_epoch_)
    row["valid_map_per_epoch"] = [float(v) for v in gan.history_[:, "valid_map"]]
    if gan.generator_ema:  # the same run's generator without the average
        row["valid_map_raw_per_epoch"] = [float(v) for v in gan.history_[:, "valid_map_raw"]]
    E_nu = test["E_nu"].to_numpy()
    for label, generated in (
        ("sample", gan.sample(E_nu, random_state=5)),
        ("noise_off", sample_without_noise(gan, E_nu, 5)),
    ):
        row[f"map_3d_{label}"] = map_3d(generated, test)
        row[f"map_3d_no_tails_{label}"] = map_3d(generated, test, tails=False)
        row[f"emd_{label}"] = emd(generated, test)
    row["map_3d_reference"] = map_3d(events(N_TEST, 3), test)
    return row


def markdown(rows):
    """The Markdown table of all rows (gan_recipes.md)."""
    lines = [
        "# Carbon GAN: training recipes compared",
        "",
        f"numu-12C events of qestl's generator; MAP-3D (14^3 bins, all tails / w/o tails) "
        f"and EMD of the kept epoch against {N_TEST:,} independent test events (two "
        "generator samples of one distribution give about 0.77 here: 'reference'). "
        "'sample' is ConditionalGAN.sample (generator noise and dropout on, as in "
        "training); 'noise off' is the generator in evaluation mode. Validation MAP per "
        "epoch on the 10 % held-out training events (fewer events, so smaller values).",
        "",
        "| recipe | params | events | epochs | seed | kept epoch | MAP-3D sample | w/o tails | "
        "EMD sample | MAP-3D noise off | EMD noise off | reference | validation MAP "
        "per epoch | wall | date | machine |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items()) or "defaults"
        per_epoch = " ".join(f"{v:.2f}" for v in r["valid_map_per_epoch"])
        if "valid_map_raw_per_epoch" in r:
            raw = " ".join(f"{v:.2f}" for v in r["valid_map_raw_per_epoch"])
            per_epoch += f" (without the average: {raw})"
        lines.append(
            f"| {r['recipe']} | {params} | {r['events']:,} | {r['epochs']} | {r['seed']} | "
            f"{r['best_epoch']} | {r['map_3d_sample']:.2f} | {r['map_3d_no_tails_sample']:.2f} | "
            f"{r['emd_sample']:.3f} | {r['map_3d_noise_off']:.2f} | {r['emd_noise_off']:.3f} | "
            f"{r['map_3d_reference']:.2f} | {per_epoch} | {r['wall_s'] / 60:.1f} min | "
            f"{r['date'][:10]} | {r['machine']} |"
        )
    lines += [
        "",
        "The rows with discriminator_steps=1 were measured, with the same training and "
        "scores, by a scratch runner of the session that then wrote this script, before "
        "discriminator_steps existed (one discriminator step per generator step, "
        "recorded as discriminator_steps=1); 'one-step' is that session's defaults "
        "(dropout 0, noise 0, discriminator lr 5e-4). With generator_ema the validation MAP "
        "is the averaged generator's, and the same run's generator without the average is "
        "given in brackets.",
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("recipes", nargs="+", choices=sorted(RECIPES))
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--seed", type=int, default=0, help="the fit's random_state")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name in args.recipes:
        row = run(name, args.events, args.epochs, args.seed)
        key = ("recipe", "events", "epochs", "seed")
        record(RESULTS / "gan_recipes.json", row, key, markdown)
        print(json.dumps(row))


if __name__ == "__main__":
    main()
