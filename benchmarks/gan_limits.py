"""What limits the ConditionalGAN baseline: the shipped model measured, small ablations.

Every figure is on events independent of any training or selection sample,
with the same-generator floor beside it (two samples of
:func:`qestl.physics.neutrino.generate_events`, numu on 12C, of the same size).

- ``shipped``: the shipped ``numu-carbon`` GAN. MAP-2D per E_nu on a fine grid
  and MAP-3D, each at 10^5 and 10^6 events. A mismatch that does not shrink
  with N shows in the excess chi2 per bin, mean(pull^2) over the floor's: it
  grows in proportion to N, while noise leaves it at 0. The excess is split
  by the W of the bin centre (quasielastic, Delta, above). Quantiles of E_mu,
  theta and W, GAN against generator; the GAN at E_nu against the generator
  at shifted E_nu; how fast the generator's distribution moves with E_nu'.
  Figure ``gan_limits_low_energy.png``: pulls and marginals at 0.5 and 1 GeV.
- ``ablate``: fits at a fixed budget (``--events`` training events,
  ``--epochs`` epochs, the best epoch on separate selection events), one
  setting of :data:`VARIANTS` changed at a time, from scratch or continuing
  the shipped GAN; MAP-3D on independent test events, MAP-2D at 0.5, 1, 3 GeV.
  ``continue_exact`` and ``continue_fresh`` add a second stage of ``--epochs``
  to ``continue``: with the first stage's optimizers, or with new ones.

    python benchmarks/gan_limits.py shipped [--test 1000000] [--per-energy 1000000]
    python benchmarks/gan_limits.py ablate --runs base:0 loguniform:0 ... [--threads 1]

Rows accumulate in benchmarks/results/gan_limits.{json,md}; a row already
there is skipped (``--force`` redoes it), so a stopped ablation resumes.
"""

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from qestl import ConditionalGAN, kinematics  # noqa: E402
from qestl.benchmark import record_row, rewrite_page  # noqa: E402
from qestl.constants import M_MUON  # noqa: E402
from qestl.metrics import (  # noqa: E402
    emd,
    event_proxies,
    histogram_pulls,
    map_2d,
    map_3d,
    proxy_histogram,
)
from qestl.physics.neutrino import generate_events  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
NAME, FIGURE = "gan_limits.json", "gan_limits_low_energy.png"
COLS = ["E_nu", "E_mu", "theta"]
COLUMNS = ["E_mu", "theta"]  # what a GAN generates
KEY = ("study", "run", "epochs")  # a run at another budget is another row
GRID = (0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 9.0)  # GeV
ABLATION_ENERGIES = (0.5, 1.0, 3.0)  # GeV
PAPER_2D = {0.5: 1.09, 1.0: 1.05, 3.0: 1.00, 5.0: 1.00, 9.0: 0.97}  # Bonilla et al. Table 1
#: W ranges [GeV] of the bin centres that split the excess chi2: QE, Delta, above.
W_REGIONS = {"QE": (0.0, 1.1), "Delta": (1.1, 1.4), "higher": (1.4, np.inf)}
#: The shipped model's last-stage learning rates, for the runs that continue it.
CONTINUE = {"lr": 2.5e-5, "discriminator_lr": 2.5e-4, "generator_ema": 0.99}
D_SMALL = {"discriminator_width": 128, "discriminator_blocks": 3}
#: One setting changed at a time: ConditionalGAN parameters, the training E_nu spectrum,
#: and the saved GAN a run continues from (None: from scratch).
VARIANTS = {
    "base": ({}, "uniform", None),
    "loguniform": ({}, "loguniform", None),
    "mixed": ({}, "mixed", None),
    "d_small": (D_SMALL, "uniform", None),
    "d_small_log_input": (D_SMALL, "uniform", None),  # through LogInput
    "d_wide": ({"discriminator_width": 256}, "uniform", None),
    "kinematic": ({"kinematic_features": True}, "uniform", None),
    "g_wide": ({"generator_width": 256}, "uniform", None),
    "shipped": ({}, None, "numu-carbon"),  # not trained: the reference of the next two
    "continue": (CONTINUE, "uniform", "numu-carbon"),
    "continue_loguniform": (CONTINUE, "loguniform", "numu-carbon"),
    "continue_mixed": (CONTINUE, "mixed", "numu-carbon"),
    "continue_exact": (CONTINUE, "uniform", "numu-carbon"),
    "continue_fresh": (CONTINUE, "uniform", "numu-carbon"),
}
#: Variants trained in two stages of ``--epochs`` each: the second continues the
#: first's optimizers and weight average (True, ``warm_start``) or starts new ones
#: from its weights (False, ``from_pretrained(freeze=0)``). Both stages keep their
#: last epoch: a selection would hand back the shipped GAN whenever training has
#: not yet beaten it, and hide what the second stage's start does.
TWO_STAGES = {"continue_exact": True, "continue_fresh": False}
SHIFTS = (0.96, 0.98, 0.99, 1.0, 1.01, 1.02, 1.04)  # E_nu factors of the conditioning probe
SMEARS = (0.02, 0.05)  # half-widths, as fractions of E_nu
#: Event seeds, apart from every training, selection and test seed of gan_carbon.py.
SEEDS = {"shipped": 7000, "ablate": 8000}


def events(n, seed, energy=(0.3, 10.0)):
    """numu-12C events of qestl's generator: E_nu [GeV], E_mu [GeV], theta [deg]."""
    return generate_events(n, target="12C", probe="numu", energy=energy, random_state=seed)[COLS]


def loguniform_events(n, seed):
    """Events with E_nu log-uniform in 0.3-10 GeV (34 % below 1 GeV, against 7 % uniform)."""
    rng = np.random.default_rng(seed)
    energy = np.exp(rng.uniform(np.log(0.3), np.log(10.0), n))
    # the generator continues this stream: a fresh one of the same seed would redraw the
    # uniforms behind the energies and tie each muon to its E_nu
    sample = generate_events(target="12C", probe="numu", energy=energy, random_state=rng)
    return sample[COLS]


class LogInput:
    """A GAN whose input E_nu' is linear in ln E_nu: 0.3-1 GeV spans 34 % of it, not 7 %.

    Through the data (qestl's public API): E_nu -> E_log = 0.3 + 9.7 ln(E_nu / 0.3) /
    ln(10 / 0.3) GeV, and E_mu rescaled so that its proxy E_mu' is unchanged; ``sample``
    undoes both.
    """

    def __init__(self, model):
        self.model = model

    @staticmethod
    def scale(E_nu):
        """(E_log [GeV], factor from E_mu - m_mu to its image) at each E_nu [GeV]."""
        low, high, gap = kinematics.E_NU_MIN, kinematics.E_NU_MAX, kinematics.E_MU_GAP + M_MUON
        E_log = low + (high - low) * np.log(E_nu / low) / np.log(high / low)
        return E_log, (E_log - gap) / (E_nu - gap)

    @classmethod
    def encode(cls, events):
        """(E_log, muons with E_mu rescaled): what the GAN trains on."""
        E_log, factor = cls.scale(events["E_nu"].to_numpy())
        return E_log, events[["E_mu", "theta"]].assign(
            E_mu=M_MUON + (events["E_mu"] - M_MUON) * factor
        )

    def sample(self, E_nu, n_per_energy=None, random_state=None):
        """As :meth:`ConditionalGAN.sample`, at the physical E_nu [GeV]."""
        E_nu = np.atleast_1d(np.asarray(E_nu, dtype=float))
        out = self.model.sample(self.scale(E_nu)[0], n_per_energy, random_state)
        E_nu = np.repeat(E_nu, n_per_energy or 1)
        E_mu = M_MUON + (out["E_mu"].to_numpy() - M_MUON) / self.scale(E_nu)[1]
        return out.assign(E_nu=E_nu, E_mu=np.minimum(E_mu, E_nu - kinematics.E_MU_GAP))


def pull_stats(sample, reference, dims):
    """MAP, mean pull^2 and the (pulls, used bins) of two samples in the proxies ``dims``.

    ``dims`` = [0, 1, 2] is MAP-3D's binning (14 per axis), [1, 2] MAP-2D's (50).
    The bins are those where both samples have events (the paper's "all tails").
    """
    bins = 14 if len(dims) == 3 else 50
    a, b = (event_proxies(s)[:, dims] for s in (sample, reference))
    counts_a, counts_b = proxy_histogram(a, bins), proxy_histogram(b, bins)
    pulls = histogram_pulls(counts_a, counts_b, len(a), len(b))
    used = (counts_a > 0) & (counts_b > 0)
    return {
        "map": float(np.mean(np.abs(pulls[used]))),
        "chi2": float(np.mean(pulls[used] ** 2)),
        "bins": int(used.sum()),
    }, (pulls, used)


def w_of_bins(energy, bins=50):
    """W [GeV] at the MAP-2D bin centres at one E_nu; shape (bins, bins), (E_mu', theta')."""
    centres = np.linspace(-1, 1, bins + 1)[:-1] + 1.0 / bins
    emu, theta = kinematics.proxy_to_emu(centres, energy), kinematics.proxy_to_theta(centres)
    return kinematics.w_neutrino(energy, emu[:, None], theta[None, :], floor=0.0)


def quantiles(sample):
    """10/50/90 % quantiles of E_mu [GeV], theta [deg] and W [GeV] of a sample."""
    w = kinematics.w_neutrino(sample["E_nu"], sample["E_mu"], sample["theta"], floor=0.0)
    columns = {"E_mu": sample["E_mu"], "theta": sample["theta"], "W": w}
    return {name: np.quantile(x, (0.1, 0.5, 0.9)).tolist() for name, x in columns.items()}


def compare(sample, reference, twin, dims, energy=None):
    """GAN against generator and generator against generator at the full size and at 1/10."""
    out = {}
    for n in (len(reference), len(reference) // 10):
        stats, (pulls, used) = pull_stats(sample[:n], reference[:n], dims)
        floor, (floor_pulls, floor_used) = pull_stats(twin[:n], reference[:n], dims)
        row = {"gan": stats, "floor": floor, "excess_chi2": stats["chi2"] - floor["chi2"]}
        if energy is not None and n == len(reference):
            w = w_of_bins(energy)

            # excess chi2 per bin; bins empty in both samples (NaN pulls) add nothing
            gain = np.where(used, pulls, 0) ** 2 - np.where(floor_used, floor_pulls, 0) ** 2
            row["excess_share"] = {
                name: float(gain[(w >= low) & (w < high)].sum() / gain.sum())
                for name, (low, high) in W_REGIONS.items()
            }
        out[str(n)] = row
    return out


def shipped(args):
    """The shipped numu-carbon GAN against the generator, MAP-3D and MAP-2D on the fine grid."""
    model = ConditionalGAN.load("numu-carbon", device="cpu")
    seed = SEEDS["shipped"]
    start = time.perf_counter()
    test, twin = events(args.test, seed), events(args.test, seed + 1)
    generated = model.sample(test["E_nu"], random_state=seed + 2)
    row = {
        "study": "shipped",
        "run": "numu-carbon",
        "epochs": None,
        "events": {"test": args.test, "per_energy": args.per_energy, "seed": seed},
        "map_3d": compare(generated, test, twin, [0, 1, 2]),
        "emd_3d": emd(generated, test),
        "per_energy": {},
    }
    samples = {}
    for k, energy in enumerate(GRID):
        reference = events(args.per_energy, seed + 10 + k, energy=energy)
        twin = events(args.per_energy, seed + 30 + k, energy=energy)
        sample = model.sample(energy, n_per_energy=args.per_energy, random_state=seed + 50 + k)
        row["per_energy"][str(energy)] = {
            **compare(sample, reference, twin, [1, 2], energy),
            "quantiles": {"gan": quantiles(sample), "generator": quantiles(reference)},
        }
        if energy in (0.5, 1.0):
            samples[energy] = (sample, reference)
        print(energy, json.dumps(row["per_energy"][str(energy)][str(args.per_energy)]), flush=True)
    row["conditioning"] = conditioning(model, seed, args.per_energy // 2)
    row["sensitivity"] = sensitivity(seed, args.per_energy // 5)
    row["wall_s"] = time.perf_counter() - start
    record_row(args.results / NAME, row, KEY, markdown)
    figure(samples, args.results / FIGURE)


def physical_map(counts_a, counts_b):
    """MAP of two histograms over the bins where both have events."""
    used = (counts_a > 0) & (counts_b > 0)
    return float(np.mean(np.abs(histogram_pulls(counts_a, counts_b)[used])))


def conditioning(model, seed, n):
    """Is the GAN at E_nu the generator at a shifted or smeared E_nu? MAP per candidate.

    Binned 50 x 50 in physical (E_mu, theta) over [m_mu, E_nu] x [0, 180 deg],
    so that samples at different E_nu share the bins.
    """
    out = {}
    for k, energy in enumerate((0.5, 1.0)):
        edges = [np.linspace(M_MUON, energy, 51), np.linspace(0.0, 180.0, 51)]

        def counts(sample, edges=edges):
            return np.histogram2d(sample["E_mu"], sample["theta"], bins=edges)[0]

        gan = counts(model.sample(energy, n_per_energy=n, random_state=seed + 70 + k))
        reference = counts(events(n, seed + 80 + k, energy))
        row = {"floor": physical_map(counts(events(n, seed + 90 + k, energy)), reference)}
        for j, factor in enumerate(SHIFTS):
            shifted = counts(events(n, seed + 100 + 10 * k + j, factor * energy))
            row[f"at {factor:g} E_nu"] = physical_map(gan, shifted)
        for j, width in enumerate(SMEARS):
            band = (energy * (1 - width), energy * (1 + width))
            smeared = counts(events(n, seed + 130 + 10 * k + j, band))
            row[f"uniform within {100 * width:g} %"] = physical_map(gan, smeared)
        out[str(energy)] = row
    return out


def sensitivity(seed, n):
    """MAP-2D of the generator at E_nu against itself at E_nu + 0.0485 GeV (E_nu' + 0.01).

    How fast the muon distribution (in the proxies, so beyond the trivial
    rescaling of the kinematic range) changes per unit of the generator's
    input E_nu', which is linear in E_nu.
    """
    step = 0.01 * (kinematics.E_NU_MAX - kinematics.E_NU_MIN) / 2
    out = {}
    for k, energy in enumerate(GRID[:-1]):
        reference = events(n, seed + 150 + k, energy)
        twin = events(n, seed + 170 + k, energy)
        moved = events(n, seed + 190 + k, energy + step)
        out[str(energy)] = {"moved": map_2d(moved, reference), "floor": map_2d(twin, reference)}
    return out


def ablation_data(args):
    """Training (uniform and log-uniform), selection and test events, the same for every run."""
    seed = SEEDS["ablate"]
    data = {
        "uniform": events(args.events, seed),
        "loguniform": loguniform_events(args.events, seed),
    }
    # half of each: 21 % of the events below 1 GeV
    half = args.events // 2
    data["mixed"] = pd.concat([data["uniform"][:half], data["loguniform"][half:]])
    data |= {
        "selection": events(args.selection, seed + 1),
        "test": events(args.test, seed + 2),
        "twin": events(args.test, seed + 3),
    }
    for k, energy in enumerate(ABLATION_ENERGIES):
        data[energy] = (
            events(args.per_energy, seed + 10 + k, energy=energy),
            events(args.per_energy, seed + 20 + k, energy=energy),
        )
    return data


def ablate(args, variant, fit_seed, data):
    """One fit at the fixed budget (none for ``shipped``), scored on the independent test events."""
    params, spectrum, source = VARIANTS[variant]
    start = time.perf_counter()
    if spectrum is None:
        model = ConditionalGAN.load(source, device="cpu")
        history = []
    else:
        settings = dict(max_epochs=args.epochs, random_state=fit_seed, device="cpu", **params)
        # None: the last epoch, no selection (TWO_STAGES)
        selection = None if variant in TWO_STAGES else data["selection"]
        if selection is None:
            settings["validation_fraction"] = 0.0
        if source is None:
            model = ConditionalGAN(**settings)
        else:  # all weights trainable, fresh optimizers, as gan_carbon.py train --resume
            model = ConditionalGAN.from_pretrained(source, freeze=0, **settings)
        train = data[spectrum]
        validation = None if selection is None else (selection["E_nu"], selection[COLUMNS])
        if variant.endswith("log_input"):  # the selection's MAP-3D then bins in log E_nu
            model.fit(*LogInput.encode(train), validation=LogInput.encode(selection))
            history, model = model.history_, LogInput(model)
        else:
            model.fit(train["E_nu"], train[COLUMNS], validation=validation)
            history = model.history_
        if variant in TWO_STAGES:
            if TWO_STAGES[variant]:
                model.set_params(warm_start=True)
            else:
                model = ConditionalGAN.from_pretrained(model, freeze=0, **settings)
            model.fit(train["E_nu"], train[COLUMNS])
            history = [*history, *model.history_]
    wall = time.perf_counter() - start
    generated = model.sample(data["test"]["E_nu"], random_state=fit_seed + 1)
    row = {
        "study": "ablate",
        "run": f"{variant}:{fit_seed}",
        "variant": variant,
        "fit_seed": fit_seed,
        "params": params,
        "spectrum": spectrum,
        "source": source,
        "events": {
            "train": args.events,
            "selection": args.selection,
            "test": args.test,
            "per_energy": args.per_energy,
            "seed": SEEDS["ablate"],
        },
        "epochs": len(history),
        "wall_s": wall,
        "epoch_s": [float(e["dur"]) for e in history],
        "best_epoch": int(getattr(model, "model", model).best_epoch_) if history else None,
        "selection_map": [float(e["valid_map"]) for e in history if "valid_map" in e],
        "d_loss": [float(e["train_d_loss"]) for e in history],
        "map_3d": map_3d(generated, data["test"]),
        "map_3d_floor": map_3d(data["twin"], data["test"]),
        "emd_3d": emd(generated, data["test"]),
        "map_2d": {},
    }
    for energy in ABLATION_ENERGIES:
        reference, twin = data[energy]
        sample = model.sample(energy, n_per_energy=len(reference), random_state=fit_seed + 2)
        row["map_2d"][str(energy)] = {
            "gan": map_2d(sample, reference),
            "floor": map_2d(twin, reference),
        }
    return row


# -- the page ----------------------------------------------------------------
def shipped_lines(row):
    n_big, n_small = str(row["events"]["per_energy"]), str(row["events"]["per_energy"] // 10)
    m3 = row["map_3d"]
    big3, small3 = str(row["events"]["test"]), str(row["events"]["test"] // 10)
    lines = [
        "## The shipped numu-carbon GAN",
        "",
        "MAP (mean |pull|) and chi2 per bin (mean pull^2) of the GAN against the generator; "
        "in brackets the floor, a second generator sample of the same size against the same "
        "reference. A mismatch that noise does not explain shows as excess chi2 per bin "
        "(GAN's minus floor's), which grows in proportion to N; ratio = excess at the larger "
        f"size over excess at the smaller (10 for a fixed mismatch). Density error: the "
        "event-weighted rms relative error of the GAN's density per bin that this excess "
        f"implies (independent of N). MAP-3D on {big3} and {small3} events. "
        f"{row['wall_s'] / 60:.1f} min in all.",
        "",
        f"| sample | MAP at {n_small} | MAP at {n_big} | excess chi2/bin, {n_small} -> {n_big} "
        "| ratio | density error | paper |",
        "|---|---|---|---|---|---|---|",
    ]

    def cells(stats, small, big):
        s, b = stats[small], stats[big]
        ratio = b["excess_chi2"] / s["excess_chi2"] if s["excess_chi2"] > 0 else float("nan")
        # pull^2 ~ 1 + delta^2 b / 2 in a bin of b events off by a fraction delta, so the
        # event-weighted rms of delta is sqrt(2 * summed excess / N): the same at any N
        delta = np.sqrt(max(2 * b["excess_chi2"] * b["gan"]["bins"] / int(big), 0.0))
        return (
            f"{s['gan']['map']:.2f} ({s['floor']['map']:.2f}) | "
            f"{b['gan']['map']:.2f} ({b['floor']['map']:.2f}) | "
            f"{s['excess_chi2']:.2f} -> {b['excess_chi2']:.2f} | {ratio:.1f} | "
            f"{100 * delta:.0f} %"
        )

    lines.append(f"| all E_nu, MAP-3D | {cells(m3, small3, big3)} | 0.88 |")
    for energy, stats in row["per_energy"].items():
        paper = PAPER_2D.get(float(energy))
        lines.append(
            f"| E_nu = {energy} GeV, MAP-2D | {cells(stats, n_small, n_big)} | "
            f"{'' if paper is None else f'{paper:.2f}'} |"
        )
    lines += [
        "",
        f"EMD over all E_nu ({big3} events): {row['emd_3d']:.4f}.",
        "",
        f"Where the excess chi2 at {n_big} events sits (share per W of the bin centre: QE "
        "below 1.1 GeV, Delta 1.1-1.4 GeV, higher above), and quantiles (10 / 50 / 90 %) "
        "of the GAN, generator in brackets:",
        "",
        "| E_nu [GeV] | excess QE / Delta / higher | E_mu [GeV] | theta [deg] | W [GeV] |",
        "|---|---|---|---|---|",
    ]
    for energy, stats in row["per_energy"].items():
        share = stats[n_big]["excess_share"]
        gan, gen = stats["quantiles"]["gan"], stats["quantiles"]["generator"]
        cols = [
            " / ".join(f"{a:{f}} ({b:{f}})" for a, b in zip(gan[x], gen[x], strict=True))
            for x, f in (("E_mu", ".3f"), ("theta", ".1f"), ("W", ".3f"))
        ]
        shares = " / ".join(f"{100 * share[k]:.0f} %" for k in W_REGIONS)
        lines.append(f"| {energy} | {shares} | " + " | ".join(cols) + " |")
    lines += [
        "",
        "Is the GAN at E_nu the generator at a slightly different or smeared E_nu? MAP of the "
        "GAN against generator samples at shifted E_nu, or with E_nu uniform in a band, "
        "binned 50 x 50 in physical (E_mu, theta) (floor: two generator samples at E_nu):",
        "",
    ]
    probe = row["conditioning"]
    names = [k for k in next(iter(probe.values())) if k != "floor"]
    lines += ["| E_nu [GeV] | floor | " + " | ".join(names) + " |"]
    lines += ["|---" * (len(names) + 2) + "|"]
    for energy, cells in probe.items():
        values = " | ".join(f"{cells[k]:.2f}" for k in names)
        lines.append(f"| {energy} | {cells['floor']:.2f} | {values} |")
    lines += [
        "",
        "How fast the generator's muon distribution changes with the GAN's input E_nu' "
        "(linear in E_nu): MAP-2D of generator samples at E_nu and at E_nu + 0.0485 GeV "
        "(E_nu' + 0.01), floor in brackets:",
        "",
        "| E_nu [GeV] | " + " | ".join(row["sensitivity"]) + " |",
        "|---" * (len(row["sensitivity"]) + 1) + "|",
        "| MAP-2D | "
        + " | ".join(f"{c['moved']:.2f} ({c['floor']:.2f})" for c in row["sensitivity"].values())
        + " |",
    ]
    return lines + ["", f"Figure: `{FIGURE}`.", ""]


def describe(row):
    """What a run changed, in words."""
    if row["spectrum"] is None:
        return f"{row['source']}, not trained"
    change = [f"continues {row['source']}"] * (row["source"] is not None)
    change += [f"{k}={v}" for k, v in row["params"].items()]
    change += ["input E_nu' linear in ln E_nu"] * row["variant"].endswith("log_input")
    if row["variant"] in TWO_STAGES:
        kept = "the same optimizers" if TWO_STAGES[row["variant"]] else "new optimizers"
        change += [f"then {row['epochs'] // 2} more epochs with {kept}"]
    return ", ".join([*change, f"{row['spectrum']} E_nu"])


def ablation_lines(rows):
    first = rows[0]
    ev = first["events"]
    lines = [
        "## Small runs at a fixed budget, one setting changed at a time",
        "",
        "The training events and epochs of the table (E_nu uniform in 0.3-10 GeV, or "
        f"log-uniform; events seed {ev['seed']}), the best epoch on "
        f"{ev['selection']:,} separate selection events; MAP-3D and EMD on {ev['test']:,} "
        f"independent test events, MAP-2D on {ev['per_energy']:,} events per energy; floor "
        "(two generator samples) in brackets. One thread; other jobs shared the machine, so "
        "the wall times compare only roughly.",
        "",
        "| variant | change | events x epochs | fit seed | MAP-3D | EMD | MAP-2D 0.5 GeV | "
        "MAP-2D 1 GeV | MAP-2D 3 GeV | selection MAP per epoch | wall |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = list(VARIANTS)

    def budget(r):
        return r["events"]["train"], r["epochs"]

    for r in sorted(rows, key=lambda r: (order.index(r["variant"]), budget(r), r["fit_seed"])):
        m2 = " | ".join(
            f"{r['map_2d'][str(e)]['gan']:.2f} ({r['map_2d'][str(e)]['floor']:.2f})"
            for e in ABLATION_ENERGIES
        )
        selection = ", ".join(f"{m:.2f}" for m in r["selection_map"])
        lines.append(
            f"| {r['variant']} | {describe(r)} | {r['events']['train']:,} x {r['epochs']} | "
            f"{r['fit_seed']} | "
            f"{r['map_3d']:.2f} ({r['map_3d_floor']:.2f}) | {r['emd_3d']:.3f} | {m2} | "
            f"{selection} | {r['wall_s'] / 60:.1f} min |"
        )
    lines += ["", "Mean over the fit seeds run (MAP-3D: min-max in brackets):", ""]
    lines += [
        "| variant | events x epochs | seeds | MAP-3D | MAP-2D 0.5 GeV | MAP-2D 1 GeV | "
        "MAP-2D 3 GeV |"
    ]
    lines += ["|---|---|---|---|---|---|---|"]
    groups = sorted(
        {(r["variant"], budget(r)) for r in rows}, key=lambda g: (order.index(g[0]), g[1])
    )
    for variant, (events, epochs) in groups:
        part = [r for r in rows if (r["variant"], budget(r)) == (variant, (events, epochs))]
        maps = [r["map_3d"] for r in part]
        cells = [f"{np.mean(maps):.2f} ({min(maps):.2f}-{max(maps):.2f})"]
        cells += [
            f"{np.mean([r['map_2d'][str(e)]['gan'] for r in part]):.2f}" for e in ABLATION_ENERGIES
        ]
        lines.append(
            f"| {variant} | {events:,} x {epochs} | {len(part)} | " + " | ".join(cells) + " |"
        )
    return lines + [""]


def markdown(rows):
    lines = [
        "# ConditionalGAN baseline: what limits it",
        "",
        "numu on 12C, qestl's generator. Script: `benchmarks/gan_limits.py` (its docstring "
        "says what each study does). Conclusions: docs/validation/gan-baseline-limits.md.",
        "",
    ]
    for row in rows:
        if row["study"] == "shipped":
            lines += shipped_lines(row)
    ablations = [r for r in rows if r["study"] == "ablate"]
    if ablations:
        lines += ablation_lines(ablations)
    return "\n".join(lines)


# -- the figure --------------------------------------------------------------
def figure(samples, path):
    """Pull maps in (E_mu, theta) and the E_mu, theta and W marginals at each energy."""
    rows, edges = len(samples), np.linspace(-1.0, 1.0, 51)
    fig, axes = plt.subplots(rows, 4, figsize=(19, 4.4 * rows), layout="constrained")
    fig.get_layout_engine().set(wspace=0.08)  # room between a colour bar and the next panel
    for ax_row, (energy, (sample, reference)) in zip(axes, samples.items(), strict=True):
        stats, (pulls, used) = pull_stats(sample, reference, [1, 2])
        pulls = np.where(used, pulls, np.nan)
        # proxy E_mu' = -1 is the highest E_mu: reverse that axis so E_mu grows to the right
        grid = (kinematics.proxy_to_emu(edges, energy)[::-1], kinematics.proxy_to_theta(edges))
        top, ax = np.quantile(reference["theta"], 0.999), ax_row[0]
        image = ax.pcolormesh(*grid, pulls[::-1].T, vmin=-10, vmax=10, cmap="RdBu_r")
        fig.colorbar(image, ax=ax, label="pull per bin (> 0: GAN above)")
        title = f"E$_ν$ = {energy} GeV: pulls, MAP-2D {stats['map']:.2f}"
        ax.set(xlabel="E$_μ$ [GeV]", ylabel="θ$_μ$ [deg]", ylim=(0, top), title=title)
        w_gan, w_ref = (
            kinematics.w_neutrino(s["E_nu"], s["E_mu"], s["theta"], floor=0.0)
            for s in (sample, reference)
        )
        panels = (
            ("E$_μ$ [GeV]", "GeV", sample["E_mu"], reference["E_mu"], (M_MUON, energy)),
            ("θ$_μ$ [deg]", "deg", sample["theta"], reference["theta"], (0, top)),
            ("W, nucleon at rest [GeV]", "GeV", w_gan, w_ref, (0.7, min(energy + 0.9, 2.5))),
        )
        for ax, (label, unit, gan, ref, span) in zip(ax_row[1:], panels, strict=True):
            bins = np.linspace(*span, 121)
            ax.hist(ref, bins, density=True, histtype="step", lw=1.6, label="qestl generator")
            ax.hist(gan, bins, density=True, histtype="step", lw=1.2, label="shipped GAN")
            ax.set(xlabel=label, ylabel=f"density [1/{unit}]", title=f"E$_ν$ = {energy} GeV")
            ax.legend()
    fig.suptitle(
        f"CC ν$_μ$ on 12C: the shipped numu-carbon GAN against qestl's generator, "
        f"{len(sample):,} events of each per energy"
    )
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "study", choices=["shipped", "ablate", "render"], help="render: the page from the rows"
    )
    parser.add_argument("--test", type=int, default=1_000_000, help="test events")
    parser.add_argument("--per-energy", type=int, default=1_000_000, help="events per energy")
    parser.add_argument("--events", type=int, default=200_000, help="training events (ablate)")
    parser.add_argument("--selection", type=int, default=50_000, help="selection events (ablate)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs (ablate)")
    parser.add_argument("--runs", nargs="+", default=["base:0"], help="VARIANT:FIT_SEED ...")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="redo runs already recorded")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the results")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    path = args.results / NAME
    rows = json.loads(path.read_text())["rows"] if path.exists() and not args.force else []
    done = {tuple(r.get(k) for k in KEY) for r in rows}
    if args.study == "render":
        rewrite_page(path, markdown)
    elif args.study == "shipped":
        if ("shipped", "numu-carbon", None) not in done:
            shipped(args)
    elif args.study == "ablate":
        for name in args.runs:
            if name.split(":")[0] not in VARIANTS:
                parser.error(f"unknown variant in {name!r}; known: {list(VARIANTS)}")
        stages = {name: 2 if name.split(":")[0] in TWO_STAGES else 1 for name in args.runs}
        epochs = {
            name: 0 if name.startswith("shipped") else stages[name] * args.epochs
            for name in args.runs
        }
        runs = [r for r in args.runs if ("ablate", r, epochs[r]) not in done]
        data = ablation_data(args) if runs else None
        for name in runs:
            variant, seed = name.split(":")
            row = ablate(args, variant, int(seed), data)
            record_row(path, row, KEY, markdown)
            summary = {k: row[k] for k in ("run", "wall_s", "map_3d", "map_2d")}
            print(json.dumps(summary), flush=True)
    print(path.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
