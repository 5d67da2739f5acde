"""Training speed of a 50-member ensemble: qestl's batched model vs one net at a time.

Same members, widths, depth (10 hidden Dense+ReLU blocks, BatchNorm after each
dense layer only with ``--batch-norm``, as in qestl's default), epochs,
batch size and optimizer (Adam-family, one step per batch) for
(a) qestl.CrossSectionRegressor (all members in one batched module),
(b) 50 sequential skorch NeuralNetRegressor nets,
(c) torchensemble's BaggingRegressor (n_jobs=1),
plus the compute limit: FLOPs per epoch over the batched-matmul FLOP/s measured
here, and (d) qestl with all its default settings (per-member validation,
gradient clipping, the normalizations as set by default, cosine schedule) against that
limit. Median of 3 runs. Writes benchmarks/results/ensemble_speed.{md,json}
(``--device cuda``: ensemble_speed_cuda.*; ``--tag T``: ensemble_speed_T.*)
after every width, so a run cut short keeps what it measured.

torchensemble declares a torchvision dependency it does not import; install
it with ``pip install --no-deps torchensemble`` (torchvision would pull a
CUDA torch build).

    QESTL_DATA=../shared/data/qes python benchmarks/ensemble_speed.py
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from skorch import NeuralNetRegressor
from torch import nn

from qestl import CrossSectionRegressor
from qestl.benchmark import write_result
from qestl.features import KinematicFeatures

ROOT = Path(__file__).resolve().parents[1]
COLS = ["E", "theta", "omega"]


def load_rows():
    """Carbon kinematics and cross sections (real data, or a same-size synthetic set)."""
    if os.environ.get("QESTL_DATA"):
        from qestl.datasets import cut_low_excitation, load_qes

        data = cut_low_excitation(load_qes("12C"))
        return data[COLS], data["xsec"].to_numpy(), data["error"].to_numpy(), "12C archive"
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 2416
    X = pd.DataFrame({"E": rng.uniform(0.2, 5, n), "theta": rng.uniform(12, 145, n)})
    X["omega"] = rng.uniform(0.0, 0.9, n) * X["E"]
    y = rng.uniform(1, 100, n)
    return X, y, 0.1 * y, "synthetic (no QESTL_DATA)"


def single_mlp(width, depth, n_in, batch_norm):
    layers, size = [], n_in
    for _ in range(depth):
        layers += [
            nn.Linear(size, width),
            *([nn.BatchNorm1d(width)] if batch_norm else []),
            nn.ReLU(),
        ]
        size = width
    layers.append(nn.Linear(size, 1))
    return nn.Sequential(*layers)


class _Squeeze(nn.Module):
    def __init__(self, width, depth, n_in, batch_norm):
        super().__init__()
        self.net = single_mlp(width, depth, n_in, batch_norm)

    def forward(self, x):
        return self.net(x)


def time_qestl(X, y, sigma, width, args, defaults=False):
    """Seconds per epoch of the batched ensemble.

    Bare: the same work as the other contenders (no validation, no warm-up,
    no clipping, paper's five inputs). ``defaults``: every other setting at
    CrossSectionRegressor's default; the one-epoch warm-up lets all timed
    epochs but the first run the chi2 with profiled normalizations.
    """
    common = dict(
        n_estimators=args.members,
        hidden_layers=(width,) * args.depth,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        batch_norm=args.batch_norm,
        device=args.device,
        random_state=0,
    )
    if defaults:
        reg = CrossSectionRegressor(**common, norm_warmup=1)
    else:
        reg = CrossSectionRegressor(
            **common,
            activation="relu",  # as the skorch and torchensemble contenders
            features="paper",
            validation_fraction=0.0,
            norm_warmup=0,
            grad_clip=None,
            lr_schedule="constant",
        )
    start = time.perf_counter()
    reg.fit(X, y, sigma=sigma)
    per_epoch = elapsed(start, args) / args.epochs
    # skorch's own epoch timer, without the once-per-fit setup (features,
    # replicas, module and optimizer) that the fit time spreads over the few
    # timed epochs; on CUDA it may stop before queued kernels finish.
    return per_epoch, statistics.median(reg.history_[:, "dur"])


def time_skorch(features, target, width, args):
    start = time.perf_counter()
    for member in range(args.members):
        torch.manual_seed(member)
        net = NeuralNetRegressor(
            _Squeeze,
            module__width=width,
            module__depth=args.depth,
            module__n_in=features.shape[1],
            module__batch_norm=args.batch_norm,
            max_epochs=args.epochs,
            batch_size=args.batch_size,
            optimizer=torch.optim.AdamW,
            lr=1e-3,
            train_split=None,
            verbose=0,
            iterator_train__shuffle=True,
            device=args.device,
        )
        net.fit(features, target)
    return elapsed(start, args) / args.epochs


def time_torchensemble(features, target, width, args):
    from torchensemble import BaggingRegressor

    dataset = torch.utils.data.TensorDataset(torch.from_numpy(features), torch.from_numpy(target))
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True)
    ensemble = BaggingRegressor(
        estimator=_Squeeze,
        n_estimators=args.members,
        cuda=args.device == "cuda",
        n_jobs=1,
        estimator_args={
            "width": width,
            "depth": args.depth,
            "n_in": features.shape[1],
            "batch_norm": args.batch_norm,
        },
    )
    ensemble.set_optimizer("AdamW", lr=1e-3)
    start = time.perf_counter()
    ensemble.fit(loader, epochs=args.epochs, log_interval=10**9, save_model=False)
    return elapsed(start, args) / args.epochs


def synchronize(args):
    """Wait for the device's queued work (CUDA kernels run asynchronously)."""
    if args.device == "cuda":
        torch.cuda.synchronize()


def elapsed(start, args):
    """Seconds since ``start``, after the device has finished its queued work."""
    synchronize(args)
    return time.perf_counter() - start


def bmm_flops_per_second(members, rows, width, args, repeats=30):
    """Measured FLOP/s of the batched matmul that dominates a training step."""
    a = torch.randn(members, rows, width, device=args.device)
    b = torch.randn(members, width, width, device=args.device)
    for _ in range(3):
        torch.matmul(a, b)
    synchronize(args)  # the warm-up products must not spill into the timing
    start = time.perf_counter()
    for _ in range(repeats):
        torch.matmul(a, b)
    return 2 * members * rows * width * width * repeats / elapsed(start, args)


def flops_per_epoch(n_rows, n_in, width, depth, members):
    """Dense-layer FLOPs of one epoch: forward 2 n (sum in*out), backward twice that."""
    per_row = n_in * width + (depth - 1) * width * width + width
    return 3 * 2 * n_rows * per_row * members


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], choices=["skorch", "torchensemble"])
    parser.add_argument("--batch-norm", action="store_true", help="BatchNorm in every contender")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--tag", default=None, help="results file suffix (default: the device)")
    args = parser.parse_args()
    args.tag = args.tag or args.device

    X, y, sigma, source = load_rows()
    features = KinematicFeatures().fit_transform(X).astype(np.float32)
    target = (y / np.abs(y).max()).astype(np.float32)[:, None]
    name = "ensemble_speed" if args.tag == "cpu" else f"ensemble_speed_{args.tag}"
    result = {
        "tag": args.tag,
        "device": args.device,
        "data": f"{source}, {len(y)} rows",
        "settings": {
            "members": args.members,
            "depth": args.depth,
            "epochs_timed": args.epochs,
            "batch_size": args.batch_size,
            "batch_norm": args.batch_norm,
            "repeats": args.repeats,
            "optimizer": "AdamW",
        },
        "rows": [],
    }
    for width in args.widths:
        row = time_width(X, y, sigma, features, target, width, args)
        print(json.dumps(row, indent=1))
        result["rows"].append(row)
        # after every width: a run cut short keeps its rows
        text = write_result(ROOT / "benchmarks" / "results" / f"{name}.json", result, markdown)
    print(text)


def time_width(X, y, sigma, features, target, width, args):
    """Medians of every contender at one width, with the compute limit.

    The matmul rate is measured in every repeat, next to the qestl fits, and
    each repeat's epoch time is divided by its own limit: on a shared machine
    the rate drifts by 15 % between runs, and a single measurement would put
    that drift into every ratio.
    """
    flops = flops_per_epoch(len(y), features.shape[1], width, args.depth, args.members)
    rates, ratios = [], {"qestl": [], "qestl_defaults": [], "qestl_defaults_epoch": []}
    times = {
        "qestl": [],
        "qestl_defaults": [],
        "qestl_defaults_epoch": [],
        "skorch": [],
        "torchensemble": [],
    }
    # Untimed warm-up: the first fits in a process pay for the allocator's
    # growing heap and lazy initialisation (up to 50 % slower, measured).
    time_qestl(X, y, sigma, width, args)
    time_qestl(X, y, sigma, width, args, defaults=True)
    for _ in range(args.repeats):
        times["qestl"].append(time_qestl(X, y, sigma, width, args)[0])
        per_epoch, epoch = time_qestl(X, y, sigma, width, args, defaults=True)
        times["qestl_defaults"].append(per_epoch)
        times["qestl_defaults_epoch"].append(epoch)
        rates.append(bmm_flops_per_second(args.members, args.batch_size, width, args))
        for name in ratios:
            ratios[name].append(times[name][-1] * rates[-1] / flops)
        if "skorch" not in args.skip:
            times["skorch"].append(time_skorch(features, target, width, args))
        if "torchensemble" not in args.skip:
            times["torchensemble"].append(time_torchensemble(features, target, width, args))
    medians = {k: statistics.median(v) for k, v in times.items() if v}
    row = {
        "width": width,
        "epoch_s": medians,
        "runs_epoch_s": times,
        "flops_per_epoch": flops,
        "bmm_flops_per_s": statistics.median(rates),
        "runs_bmm_flops_per_s": rates,
        "compute_limit_epoch_s": flops / statistics.median(rates),
        **{f"{name}_over_limit": statistics.median(r) for name, r in ratios.items()},
    }
    for other in ("skorch", "torchensemble"):
        if other in medians:
            row[f"speedup_vs_{other}"] = medians[other] / medians["qestl"]
    return row


def markdown(result):
    """The results page (ensemble_speed[_<tag>].md)."""
    s = result["settings"]
    lines = [
        f"# Ensemble training speed ({result['tag']})",
        "",
        f"Data {result['data']}. "
        f"{s['members']} members, {s['depth']} hidden blocks "
        f"({'with' if s['batch_norm'] else 'without'} BatchNorm), batch {s['batch_size']}, "
        f"AdamW; seconds per epoch, median of {s['repeats']} runs of {s['epochs_timed']} "
        "epochs. 'qestl batched' does the same work as the others; 'qestl defaults' adds "
        "everything CrossSectionRegressor does by default (per-member validation pass, "
        "gradient clipping, GELU, scaling features, the normalizations as set by default: "
        "profiled every epoch before 2026-12-01, once after training since); these columns are "
        "fit time over epochs, once-per-fit setup included. 'defaults epoch' is the median "
        "of skorch's own epoch timer (history 'dur') in the same fits: the epoch time that "
        "the bar 'within 2x of the compute limit' refers to.",
        *(["", result["note"]] if "note" in result else []),
        "",
        "| width | qestl batched | qestl defaults | 50 x skorch | torchensemble | "
        "speed-up vs skorch | speed-up vs torchensemble | compute limit | "
        "qestl / limit | defaults / limit | defaults epoch | defaults epoch / limit |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        e = r["epoch_s"]
        lines.append(
            f"| {r['width']} | {e['qestl']:.3f} s | {e['qestl_defaults']:.3f} s | "
            f"{e.get('skorch', float('nan')):.3f} s | "
            f"{e.get('torchensemble', float('nan')):.3f} s | "
            f"{r.get('speedup_vs_skorch', float('nan')):.1f}x | "
            f"{r.get('speedup_vs_torchensemble', float('nan')):.1f}x | "
            f"{r['compute_limit_epoch_s']:.4f} s | {r['qestl_over_limit']:.2f}x | "
            f"{r['qestl_defaults_over_limit']:.2f}x | "
            f"{e.get('qestl_defaults_epoch', float('nan')):.3f} s | "
            f"{r.get('qestl_defaults_epoch_over_limit', float('nan')):.2f}x |"
        )
    lines += [
        "",
        "Compute limit = dense-layer FLOPs per epoch (forward + 2x backward) / the "
        "FLOP/s of a (members, batch, width) x (members, width, width) matmul measured "
        "in the same run (median of one measurement per repeat); the ratios are medians "
        "of each repeat's epoch time over that repeat's limit.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
