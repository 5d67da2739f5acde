"""Quasielastic peak survey of the built-in electron model against the QES archive.

PHYSICS.md §7.1: for every archive nucleus with model parameters, every measured
spectrum (one experiment, beam energy and angle) gives at most one QE peak:

1. measured peak = the data point of maximal cross section in the spectrum; it must
   have a measured point on each side (otherwise the peak is not covered);
2. kept when, at that point, q > 0.3 GeV, Q² < 1 GeV² and the model's QE part is
   > 80 % of its QE + Δ sum (so Δ- or DIS-dominated maxima drop out); each option
   applies this cut with its own QE part;
3. model peak = the maximum of the model's QE part on a 0.5 MeV grid over
   0 < ω < E at the spectrum's (E, θ); model peak height = the model total (QE + Δ,
   no inelastic tail) there; ratio = model height / measured height and
   offset = ω_model − ω_measured.

Three options: SuSA + transverse enhancement (default), SuSA without it, RFG
(without it). Per nucleus: median ratio, fraction within ±20 % (and ±30 %), median
offset and fraction within 20 MeV. The "all" row pools A ≥ 4 (as PHYSICS.md); 2H is
listed on its own to show that scaling fails there. The figure shows three surveyed
spectra per nucleus (spread in q), ordered by E and then θ. Writes
benchmarks/results/physics_electron.{md,json,png}.

    QESTL_DATA=../shared/data/qes python benchmarks/physics_electron.py
"""

import argparse
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qestl.benchmark import ARCHIVE_NUCLEI, write_result  # noqa: E402
from qestl.datasets import load_qes, parse_target  # noqa: E402
from qestl.kinematics import q2_electron, w_invariant  # noqa: E402
from qestl.physics.electron import components, cross_section  # noqa: E402
from qestl.physics.nuclei import available_nuclei  # noqa: E402
from qestl.plotting import cross_section_unit, figure_legend  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
OPTIONS = {
    "default": {"qe_model": "susa", "transverse_enhancement": True},
    "no TE": {"qe_model": "susa", "transverse_enhancement": False},
    "rfg": {"qe_model": "rfg", "transverse_enhancement": False},
}
LABELS = {"default": "SuSA + TE (default)", "no TE": "SuSA, no TE", "rfg": "RFG"}
#: Legend entries of the figure, in plain words.
CURVES = {
    "default": "superscaling (SuSA) + transverse enhancement, QE + Δ (default)",
    "no TE": "SuSA without the enhancement, QE + Δ",
    "rfg": "relativistic Fermi gas, QE + Δ",
}
PLOT_SCALE = 1e-3  # nb -> μb: the papers' unit, and no 1e6 offsets on the axes
Q_MIN, Q2_MAX, QE_FRACTION_MIN, GRID_STEP = 0.3, 1.0, 0.8, 5e-4
# PHYSICS.md §7.1 (numpy prototype, same archive): median model/data per nucleus.
PUBLISHED = {
    "default": {"all": 1.09, "within20": 0.80, "4He": 0.96, "12C": 1.08, "16O": 1.24,
                "27Al": 1.30, "56Fe": 1.18, "197Au": 1.26, "208Pb": 1.17},
    "no TE": {"all": 0.78, "within20": 0.46, "4He": 0.71, "12C": 0.84, "16O": 0.92,
              "27Al": 1.00, "56Fe": 0.81, "197Au": 0.87, "208Pb": 0.84},
    "rfg": {"all": 0.96, "within20": 0.78, "4He": 0.86, "12C": 1.02, "16O": 1.19,
            "27Al": 1.20, "56Fe": 0.98, "197Au": 1.00, "208Pb": 1.04},
}  # fmt: skip
# W windows [GeV] for the off-peak check (nucleon at rest) and whether the tail is on.
REGIONS = {
    "QE peak region (W < 1.02)": (0.0, 1.02, False),
    "dip (1.08 < W < 1.16)": (1.08, 1.16, False),
    "Δ peak (1.18 < W < 1.28)": (1.18, 1.28, False),
    "W > 1.5, inelastic=True": (1.5, 10.0, True),
}
PUBLISHED_N = {"4He": 48, "12C": 34, "16O": 2, "27Al": 7, "56Fe": 40, "197Au": 3, "208Pb": 24}


def data_home():
    default = ROOT.parent / "shared" / "data" / "qes"
    return Path(os.environ.get("QESTL_DATA", default))


def archive_nuclei():
    """The archive's nuclei (:data:`qestl.benchmark.ARCHIVE_NUCLEI`) that have model
    parameters, lightest first."""
    return [name for name in available_nuclei() if name in ARCHIVE_NUCLEI]


def spectrum_peak(spectrum, target, option):
    """Measured and model peak of one spectrum (sorted by ω), or None when cut away."""
    i = int(np.argmax(spectrum["xsec"].to_numpy()))
    if i == 0 or i == len(spectrum) - 1:
        return None
    row = spectrum.iloc[i]
    E, theta, omega = row["E"], row["theta"], row["omega"]
    Q2 = 4 * E * (E - omega) * np.sin(np.radians(theta) / 2) ** 2
    q = np.sqrt(Q2 + omega**2)
    parts = components(target, E, theta, omega, **OPTIONS[option])
    fraction = parts["qe"] / max(parts["qe"] + parts["delta"], 1e-300)
    if not (q > Q_MIN and Q2 < Q2_MAX and fraction > QE_FRACTION_MIN):
        return None
    grid = np.arange(GRID_STEP, E, GRID_STEP)
    qe = components(target, E, theta, grid, delta=False, **OPTIONS[option])["qe"]
    omega_model = grid[np.argmax(qe)]
    height = float(cross_section(target, E, theta, omega_model, **OPTIONS[option]))
    return {
        "spectrum": row["spectrum"],
        "E": float(E),
        "theta": float(theta),
        "q": float(q),
        "Q2": float(Q2),
        "omega_data": float(omega),
        "xsec_data": float(row["xsec"]),
        "error_data": float(row["error"]),
        "omega_model": float(omega_model),
        "ratio": height / float(row["xsec"]),
        "offset": float(omega_model - omega),
    }


def summarise(peaks):
    if not peaks:
        return {"n": 0}
    ratio = np.array([p["ratio"] for p in peaks])
    offset = np.array([p["offset"] for p in peaks])
    return {
        "n": len(peaks),
        "median_ratio": float(np.median(ratio)),
        "within20": float(np.mean(np.abs(ratio - 1) <= 0.2)),
        "within30": float(np.mean(np.abs(ratio - 1) <= 0.3)),
        "median_offset_mev": float(1e3 * np.median(offset)),
        "offset_within20mev": float(np.mean(np.abs(offset) <= 0.020)),
    }


def survey(folder):
    peaks = {option: {} for option in OPTIONS}
    data = {}
    for target in archive_nuclei():
        frame = load_qes(target, data_home=folder).sort_values(["spectrum", "omega"])
        data[target] = frame
        for option in OPTIONS:
            found = (spectrum_peak(s, target, option) for _, s in frame.groupby("spectrum"))
            peaks[option][target] = [p for p in found if p is not None]
    return data, peaks


def region_survey(data):
    """Median model/data by W region (nucleon at rest) over all points with A ≥ 4.

    Points with Q² < 1 GeV², q > 0.3 GeV, positive cross section and relative error
    < 30 %; the default model (inelastic tail on only in the W > 1.5 GeV row).
    """
    rows = {}
    for name, (low, high, inelastic) in REGIONS.items():
        ratios = []
        for target, frame in data.items():
            if parse_target(target).A < 4:
                continue
            W = w_invariant(frame["E"], frame["theta"], frame["omega"])
            Q2 = q2_electron(frame["E"], frame["theta"], frame["omega"])
            q = np.sqrt(Q2 + frame["omega"].to_numpy() ** 2)
            keep = (
                (W > low) & (W < high) & (Q2 < Q2_MAX) & (q > Q_MIN) & (frame["xsec"] > 0)
            ).to_numpy() & (frame["error"] < 0.3 * frame["xsec"]).to_numpy()
            points = frame[keep]
            model = cross_section(
                target, points["E"], points["theta"], points["omega"], inelastic=inelastic
            )
            ratios.append(model / points["xsec"].to_numpy())
        ratio = np.concatenate(ratios)
        rows[name] = {
            "n": int(ratio.size),
            "median_ratio": float(np.median(ratio)),
            "quartiles": [float(v) for v in np.percentile(ratio, [25, 75])],
        }
    return rows


def summary_table(peaks):
    table = {}
    for option, by_target in peaks.items():
        rows = {target: summarise(found) for target, found in by_target.items()}
        pooled = [p for t, found in by_target.items() if parse_target(t).A >= 4 for p in found]
        rows["all (A>=4)"] = summarise(pooled)
        table[option] = rows
    return table


def plot(data, peaks, path, per_target=3):
    """Surveyed spectra against the three options of the model, one row per nucleus.

    Parameters
    ----------
    data : dict of str to pandas.DataFrame
        Each nucleus's archive points (:func:`qestl.datasets.load_qes`).
    peaks : dict
        :func:`survey`'s peaks, option -> nucleus -> list of peak dicts.
    path : pathlib.Path
        Where the PNG goes.
    per_target : int, default 3
        Spectra per nucleus: spread evenly in q over the default option's
        surveyed peaks, then shown by E and θ.
    """
    unit = cross_section_unit(PLOT_SCALE)
    targets = [t for t in data if peaks["default"][t]]
    fig, axes = plt.subplots(
        len(targets),
        per_target,
        figsize=(4.2 * per_target, 2.9 * len(targets) + 1.0),
        squeeze=False,
        layout="constrained",
    )
    for row, target in zip(axes, targets, strict=True):
        by_q = sorted(peaks["default"][target], key=lambda p: p["q"])
        picks = np.unique(np.linspace(0, len(by_q) - 1, per_target).round().astype(int))
        shown = sorted((by_q[i] for i in picks), key=lambda p: (p["E"], p["theta"]))
        for ax in row[len(shown) :]:
            ax.set_visible(False)
        for ax, peak in zip(row, shown, strict=False):
            spectrum = data[target][data[target]["spectrum"] == peak["spectrum"]]
            E, theta = peak["E"], peak["theta"]
            grid = np.linspace(GRID_STEP, min(E, spectrum["omega"].max() * 1.05), 400)
            ax.errorbar(
                spectrum["omega"],
                spectrum["xsec"] * PLOT_SCALE,
                spectrum["error"] * PLOT_SCALE,
                fmt=".k",
                ms=3,
                lw=0.8,
                label="data (QES archive)",
            )
            for option, color in zip(OPTIONS, ("C0", "C1", "C2"), strict=True):
                parts = components(target, E, theta, grid, **OPTIONS[option])
                total = (parts["qe"] + parts["delta"]) * PLOT_SCALE
                ax.plot(grid, total, color=color, lw=1.3, label=CURVES[option])
                if option == "default":
                    for part, style, name in (
                        ("qe", "--", "quasielastic"),
                        ("delta", ":", "Δ(1232)"),
                    ):
                        ax.plot(
                            grid,
                            parts[part] * PLOT_SCALE,
                            style,
                            color=color,
                            lw=0.9,
                            label=f"default: {name} part",
                        )
            ax.set_title(
                f"{target}, E = {E:g} GeV, θ = {theta:g}°, q = {peak['q']:.2f} GeV\n"
                f"{spectrum['citation'].iloc[0]}; default / data at the peak: "
                f"{peak['ratio']:.2f}",
                fontsize=8,
            )
            ax.set_xlabel("ω [GeV]", fontsize=8)
            ax.set_ylabel(f"d²σ/dΩdω [{unit}]", fontsize=8)
            ax.ticklabel_format(axis="y", style="plain", useOffset=False)
            ax.tick_params(labelsize=7)
    # the data and the default first, the other two options, the default's parts
    figure_legend(
        fig,
        axes.flat,
        ncols=3,
        key=lambda label: (label != "data (QES archive)", "part" in label),
    )
    fig.suptitle(
        f"Electron scattering (e,e′) on {targets[0]} to {targets[-1]}: qestl's physics "
        f"model against the QES archive [{unit}]",
        fontsize=11,
    )
    fig.savefig(path, dpi=80)
    plt.close(fig)


def markdown(result):
    table = result["summary"]
    targets = list(table["default"])
    lines = [
        "# Built-in electron model (model E) vs the QES archive: QE peak survey",
        "",
        f"Archive {result['data']}; numpy {result['numpy']}; wall {result['wall_s']:.1f} s.",
        "",
        "Procedure (benchmarks/physics_electron.py docstring): measured peak = data point of "
        "maximal cross section in a spectrum, with a point on each side; kept when q > 0.3 GeV, "
        "Q² < 1 GeV² and the option's model QE part is > 80 % of QE + Δ there; model peak = "
        "maximum of the QE part over ω (0.5 MeV grid), height = model QE + Δ there. "
        "Ratio = model/data height; offset = ω_model − ω_data. PHYSICS.md §7.1 is the "
        "reference of qestl's physics notes: the same survey with a numpy prototype of the "
        "model, on the same archive.",
        "",
        "## Median model/data peak height (this run | PHYSICS.md §7.1)",
        "",
        "| option | all A≥4: median, ±20 % (±30 %) | " + " | ".join(targets[:-1]) + " |",
        "|---|---|" + "---|" * (len(targets) - 1),
    ]
    for option in OPTIONS:
        rows, published = table[option], PUBLISHED[option]
        pooled = rows["all (A>=4)"]
        cells = [
            f"{pooled['median_ratio']:.2f}, {pooled['within20']:.0%} ({pooled['within30']:.0%}) "
            f"\\| {published['all']:.2f}, {published['within20']:.0%}"
        ]
        for target in targets[:-1]:
            mine = rows[target]
            text = f"{mine['median_ratio']:.2f}" if mine["n"] else "–"
            ref = published.get(target)
            cells.append(text + (f" \\| {ref:.2f}" if ref is not None else ""))
        lines.append(f"| {LABELS[option]} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Counts, position and spread per nucleus",
        "",
        "| option | nucleus | n (§7.1 n) | median ratio | ±20 % | ±30 % | median offset [MeV] | "
        "\\|offset\\| ≤ 20 MeV |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for option in OPTIONS:
        for target, s in table[option].items():
            if not s["n"]:
                lines.append(f"| {LABELS[option]} | {target} | 0 | | | | | |")
                continue
            ref_n = PUBLISHED_N.get(target, 158 if target.startswith("all") else "")
            ref_n = f" ({ref_n})" if option == "default" and ref_n != "" else ""
            lines.append(
                f"| {LABELS[option]} | {target} | {s['n']}{ref_n} | {s['median_ratio']:.2f} | "
                f"{s['within20']:.0%} | {s['within30']:.0%} | {s['median_offset_mev']:+.0f} | "
                f"{s['offset_within20mev']:.0%} |"
            )
    lines += [
        "",
        "## Off the QE peak: median model/data by W region (default model)",
        "",
        "All points of A ≥ 4 with Q² < 1 GeV², q > 0.3 GeV, xsec > 0 and error < 30 %; "
        "W from ω and Q² on a nucleon at rest.",
        "",
        "| region | n points | median model/data | quartiles |",
        "|---|---|---|---|",
    ]
    for name, row in result["regions"].items():
        low, high = row["quartiles"]
        lines.append(f"| {name} | {row['n']} | {row['median_ratio']:.2f} | {low:.2f}–{high:.2f} |")
    lines += ["", "## Notes", "", *result["notes"], "", "![spectra](physics_electron.png)", ""]
    return "\n".join(lines)


def main():
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    folder = data_home()
    start = time.perf_counter()
    data, peaks = survey(folder)
    table = summary_table(peaks)
    regions = region_survey(data)
    wall = time.perf_counter() - start
    RESULTS.mkdir(parents=True, exist_ok=True)
    plot(data, peaks, RESULTS / "physics_electron.png")
    n = 100_000
    rng = np.random.default_rng(0)
    E = rng.uniform(0.3, 4.0, n)
    args = (E, rng.uniform(10, 140, n), rng.uniform(0, 1, n) * E)
    tic = time.perf_counter()
    cross_section("12C", *args)
    timing = time.perf_counter() - tic
    result = {
        "numpy": np.__version__,
        "data": str(folder),
        "wall_s": wall,
        "settings": {
            "options": OPTIONS,
            "q_min_gev": Q_MIN,
            "q2_max_gev2": Q2_MAX,
            "qe_fraction_min": QE_FRACTION_MIN,
            "model_grid_step_gev": GRID_STEP,
            "form_factors": "kelly",
            "delta": True,
            "inelastic": False,
        },
        "timing_1e5_points_s": timing,
        "summary": table,
        "regions": regions,
        "published_physics_md_7_1": {"median_ratio": PUBLISHED, "n_default": PUBLISHED_N},
        "peaks": peaks,
        "notes": [],
    }
    result["notes"] = notes(result)
    print(write_result(RESULTS / "physics_electron.json", result, markdown, indent=1))


def notes(result):
    """Observations computed from this run's numbers."""
    default = result["summary"]["default"]
    pooled = default["all (A>=4)"]
    regions = list(result["regions"].values())
    heavy = [
        row["median_ratio"]
        for target, row in default.items()
        if row["n"] and not target.startswith("all") and parse_target(target).A >= 16
    ]
    lead = [p for p in result["peaks"]["default"].get("208Pb", []) if p["E"] < 1.0]
    lines = [
        f"- Default model: {pooled['n']} peaks (A ≥ 4), median model/data "
        f"{pooled['median_ratio']:.2f}, {pooled['within20']:.0%} within ±20 %, median peak "
        f"offset {pooled['median_offset_mev']:+.0f} MeV, {pooled['offset_within20mev']:.0%} "
        "within 20 MeV; §7.1 reports 1.09, 80 %, −13 MeV and 70 % on 158 peaks. The "
        "counts differ from §7.1 (its prototype's peak definition is not documented "
        "there); here a maximum at a spectrum's first or last point is dropped and the cut "
        "uses the data point's own kinematics.",
        "- Without transverse enhancement SuSA sits ≈ 20 % low; the RFG parabola without it "
        "is closest on median but has the wrong shape (sharp edges at |ψ′| = 1, no tail).",
        "- The dip between QE and Δ is badly underpredicted (median "
        f"{regions[1]['median_ratio']:.2f}): no meson-exchange currents or other two-body "
        "contributions beyond the TE. The Δ peak region is "
        f"{regions[2]['median_ratio']:.2f} (non-resonant background missing).",
        f"- W > 1.5 GeV with the toy inelastic tail: median {regions[3]['median_ratio']:.2f} "
        "at Q² < 1 GeV² (few points); at larger Q² the tail is far too low (§7.1: 0.3–0.45 at "
        "Q² ≈ 2.5 GeV²).",
        f"- Medium and heavy nuclei (16O–208Pb) come out {min(heavy):.2f}–{max(heavy):.2f} "
        "with TE (per-nucleus medians): the TE parameters are a carbon fit.",
    ]
    if lead:
        offset = 1e3 * np.median([p["offset"] for p in lead])
        lines.append(
            f"- 208Pb below 1 GeV ({len(lead)} peaks): model peak {offset:+.0f} MeV from data "
            "(no Coulomb distortion of the electron waves)."
        )
    lines += [
        "- 2H (A < 4) is listed only to show scaling is not meant for it; not in 'all'.",
        f"- Full model (QE + Δ) at 1e5 random 12C points: {result['timing_1e5_points_s']:.2f} s "
        "(shared 2-core machine, other jobs running).",
    ]
    return lines


if __name__ == "__main__":
    main()
