"""Vectorised, unweighted CC ν_μ / ν̄_μ events on 12C and 40Ar (PHYSICS.md §6).

Each trial draws a bound nucleon (:mod:`.nuclear`), proposes the hadronic mass W and
Q² from a channel-specific importance density, builds the muon in the rest frame of
P = k + p̃ and boosts it to the lab. The weight is the free-nucleon cross section of
:mod:`.free_nucleon` at the neutrino energy seen by the nucleon, E_rest = k·p̃/m_t,
divided by the proposal density (NuWro-style impulse approximation; Juszczak, Nowak &
Sobczyk 2006). Quasielastic trials are Pauli blocked.

Unweighting: per-nucleus cross sections σ_c(E) and maximal weights are tabulated once
per (target, probe, model) on a log grid of neutrino energies; an event picks its
channel with probability σ_c/Σσ and trials are accepted against 1.3 × the tabulated
maximum, repeating over the rejected events only.
"""

import numbers
import warnings
from functools import cache

import numpy as np
import pandas as pd

from qestl.physics.neutrino.free_nucleon import CHANNELS
from qestl.physics.neutrino.models import resolve_model
from qestl.physics.neutrino.nuclear import check_target
from qestl.physics.neutrino.trials import MAX_BATCH, muon, propose, trial_weights
from qestl.physics.probes import probe_sign

__all__ = [
    "CHANNELS",
    "ENERGY_LIMITS",
    "generate_events",
    "cross_section",
    "weighted_events",
]

#: Neutrino energies the generator accepts [GeV] (the model is tuned for 0.3–10 GeV).
ENERGY_LIMITS = (0.2, 20.0)

# Table grid: nodes E_k = 10^(k / 25) GeV, 25 per decade (39 nodes over 0.3-10 GeV).
_NODES_PER_DECADE = 25
_TABLE_TRIALS = 30_000
# Envelope = safety x tabulated maximum weight of the two neighbouring nodes (§6).
_ENVELOPE_SAFETY = 1.3
_OVERFLOW_WARNING = 1e-4
# Rounds without any accepted trial before the generator gives up (a safeguard).
_MAX_STALLED = 50


def _check_channel(channel):
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS} or None, got {channel!r}")
    return CHANNELS.index(channel)


def _check_energies(E, what="energy"):
    E = np.asarray(E, dtype=float)
    low, high = ENERGY_LIMITS
    bad = ~(np.isfinite(E) & (E >= low) & (E <= high))
    if np.any(bad):
        rows = np.flatnonzero(bad.ravel())
        raise ValueError(
            f"{what} must be finite and within {low}-{high} GeV; {rows.size} value(s) are not "
            f"(first at index {rows[0]}: {E.ravel()[rows[0]]!r})"
        )
    return E


@cache
def _node_table(target, probe, model, node, n_trials=_TABLE_TRIALS):
    """σ_c [cm²] and maximal weight per channel at the grid node E = 10^(node/25) GeV.

    Seeded by the node, so a table does not depend on the caller's random state.
    """
    params = check_target(target)
    E = np.full(n_trials, 10.0 ** (node / _NODES_PER_DECADE))
    sigma, w_max = np.zeros(len(CHANNELS)), np.zeros(len(CHANNELS))
    for c, channel in enumerate(CHANNELS):
        rng = np.random.default_rng([node + 1000, c])
        weight = trial_weights(channel, E, params, probe, model, rng)
        sigma[c], w_max[c] = weight.mean(), weight.max()
    return sigma, w_max


def _lookup(E, target, probe, model):
    """Interpolated σ_c(E) and acceptance envelopes per event, shapes (n, 3)."""
    position = np.log10(E) * _NODES_PER_DECADE
    first = int(np.floor(position.min()))
    last = max(int(np.floor(position.max())) + 1, first + 1)
    nodes = np.arange(first, last + 1)
    tables = [_node_table(target, probe, model, int(k)) for k in nodes]
    sigma = np.array([t[0] for t in tables])
    w_max = np.array([t[1] for t in tables])
    j = np.clip(np.floor(position).astype(int) - first, 0, nodes.size - 2)
    e_nodes = 10.0 ** (nodes / _NODES_PER_DECADE)
    t = ((E - e_nodes[j]) / (e_nodes[j + 1] - e_nodes[j]))[:, None]
    sigma_e = (1.0 - t) * sigma[j] + t * sigma[j + 1]
    envelope = _ENVELOPE_SAFETY * np.maximum(w_max[j], w_max[j + 1])
    return sigma_e, envelope


def _event_energies(n, energy, rng):
    """Per-event neutrino energies from the ``energy`` argument of generate_events."""
    if n is not None and (not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}")
    if isinstance(energy, tuple):
        if len(energy) != 2:
            raise ValueError(f"an energy range must be a (low, high) pair, got {energy!r}")
        low, high = _check_energies(np.asarray(energy, dtype=float), "energy range")
        if not low < high:
            raise ValueError(f"energy range needs low < high, got {energy!r}")
        if n is None:
            raise ValueError("n is required with an energy range")
        return rng.uniform(low, high, n)
    try:
        E = np.array(energy, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"energy must be a number, an array or a (low, high) tuple, got {energy!r}"
        ) from None
    if E.ndim == 0:
        if n is None:
            raise ValueError("n is required with a single energy")
        E = np.full(n, float(E))
    elif E.ndim != 1 or E.size == 0:
        raise ValueError(f"per-event energies must be a non-empty 1-d array, got shape {E.shape}")
    elif n is not None and n != E.size:
        raise ValueError(f"n = {n} does not match the {E.size} per-event energies")
    return _check_energies(E)


def generate_events(
    n=None, target="12C", probe="numu", model="default", energy=(0.3, 10.0), random_state=None
):
    """Unweighted CC inclusive ν_μ / ν̄_μ events: one muon per requested neutrino energy.

    The neutrino energies are set by ``energy`` (they are not weighted by the cross
    section); each event picks QE, RES or DIS with probability σ_c(E_ν)/Σσ and its
    muon from the model's differential cross section (PHYSICS.md §5, §6). The first
    call for a (target, probe, model) builds cross-section tables (≈ 3 s for 0.3-10 GeV
    on one core), cached in memory for later calls.

    Parameters
    ----------
    n : int, optional
        Number of events. Required with a range or a single energy; with per-event
        energies it may be omitted, or must equal their number.
    target : {"12C", "40Ar"}, default "12C"
        Nucleus (aliases such as ``"carbon"`` work).
    probe : {"numu", "numubar"}, default "numu"
    model : str or NeutrinoModel, default "default"
        A name of :data:`MODELS` (``"default"``, ``"changed"``) or a model instance.
    energy : tuple, float or array_like, default (0.3, 10.0)
        A ``tuple`` (low, high) draws E_ν uniformly in [low, high); a number gives all
        events that energy; a list or array gives one event per entry (in order). All
        within :data:`ENERGY_LIMITS` [GeV].
    random_state : int, numpy.random.Generator or None
        Seed for reproducible events (the tables do not depend on it). When
        you draw per-event energies yourself, draw them from another stream
        (or pass one Generator to both): the same integer seed for the
        energies and the events ties each muon to its energy.

    Returns
    -------
    pandas.DataFrame
        One row per event: ``E_nu`` [GeV], ``E_mu`` (total muon energy) [GeV], ``theta``
        (muon angle to the beam) [degrees], ``channel`` (categorical QE/RES/DIS), and
        the nucleon-level truth ``Q2`` [GeV²], ``W`` (hadronic invariant mass) [GeV] and
        ``nucleon`` (categorical p/n, the struck species). ``attrs`` holds the trials,
        acceptance efficiency per channel and the overflow count (weights above the
        envelope).

    Raises
    ------
    ValueError
        For an unknown target, probe or model, a bad ``n`` or ``energy``, or an energy
        below every channel's threshold.

    Warns
    -----
    RuntimeWarning
        When more than 1e-4 of the trials exceed the acceptance envelope (the events
        are then slightly biased towards lower weights).

    Examples
    --------
    >>> events = generate_events(200, energy=1.0, random_state=0)
    >>> list(events.columns)
    ['E_nu', 'E_mu', 'theta', 'channel', 'Q2', 'W', 'nucleon']
    >>> bool((events["E_mu"] < events["E_nu"] - 0.004).all())
    True
    """
    params = check_target(target)
    probe_sign(probe)
    model = resolve_model(model)
    rng = np.random.default_rng(random_state)
    E = _event_energies(n, energy, rng)
    sigma, envelope = _lookup(E, params.name, probe, model)
    total = sigma.sum(axis=1)
    if np.any(total <= 0):
        first = np.flatnonzero(total <= 0)[0]
        raise ValueError(f"no cross section at E_nu = {E[first]:g} GeV (below threshold)")
    cumulative = np.cumsum(sigma, axis=1) / total[:, None]
    # u in (0, 1], so a channel with σ_c = 0 is never picked.
    codes = ((1.0 - rng.random(E.size))[:, None] > cumulative[:, :-1]).sum(axis=1)

    out = {key: np.empty(E.size) for key in ("E_mu", "cos_theta", "Q2", "W")}
    is_proton = np.empty(E.size, dtype=bool)
    stats = {"trials": {}, "accepted": {}, "overflows": 0}
    for c, channel in enumerate(CHANNELS):
        todo = np.flatnonzero(codes == c)
        trials = accepted = stalled = 0
        while todo.size:
            # Few events left: several trials each (first accepted one wins), so the
            # loop ends in a few rounds instead of one per 1/efficiency.
            efficiency = np.mean(sigma[todo, c] / envelope[todo, c])
            copies = int(np.clip(np.ceil(0.5 / efficiency), 1, max(MAX_BATCH // todo.size, 1)))
            rows = np.repeat(todo[:MAX_BATCH], copies)
            tried = propose(channel, E[rows], params, probe, model, rng)
            env = envelope[rows, c]
            # Accept on the weight before the Pauli test, then test only the candidates:
            # the same as accepting on the Pauli-blocked weight, with far fewer boosts.
            ok = np.flatnonzero(rng.random(rows.size) * env < tried.weight)
            tried = tried.take(ok)
            E_mu, cos_theta, allowed = muon(channel, tried, rng)
            ok, tried = ok[allowed], tried.take(allowed)
            stats["overflows"] += int(np.count_nonzero(tried.weight > env[ok]))
            trials, accepted = trials + rows.size, accepted + ok.size
            done, first = np.unique(rows[ok], return_index=True)
            for key, value in zip(
                out, (E_mu[allowed], cos_theta[allowed], tried.Q2, tried.W), strict=True
            ):
                out[key][done] = value[first]
            is_proton[done] = tried.is_proton[first]
            stalled = 0 if done.size else stalled + 1
            if stalled > _MAX_STALLED:
                raise RuntimeError(
                    f"no {channel} trial accepted in {stalled} rounds for {todo.size} events "
                    f"(E_nu from {E[todo].min():g} GeV); the tables may be too coarse there"
                )
            todo = np.setdiff1d(todo, done, assume_unique=True)
        stats["trials"][channel] = trials
        stats["accepted"][channel] = accepted

    n_trials = sum(stats["trials"].values())
    if stats["overflows"] > _OVERFLOW_WARNING * n_trials:
        warnings.warn(
            f"{stats['overflows']} of {n_trials} trials exceeded the acceptance envelope; "
            "the events slightly under-represent the highest weights",
            RuntimeWarning,
            stacklevel=2,
        )
    events = pd.DataFrame(
        {
            "E_nu": E,
            "E_mu": out["E_mu"],
            "theta": np.degrees(np.arccos(out["cos_theta"])),
            "channel": pd.Categorical.from_codes(codes, categories=list(CHANNELS)),
            "Q2": out["Q2"],
            "W": out["W"],
            "nucleon": pd.Categorical.from_codes(is_proton.astype(np.int8), categories=["n", "p"]),
        }
    )
    stats["efficiency"] = {
        ch: stats["accepted"][ch] / t if t else float("nan") for ch, t in stats["trials"].items()
    }
    events.attrs.update(target=params.name, probe=probe, model=model, **stats)
    return events


def weighted_events(
    n, channel, target="12C", probe="numu", model="default", energy=1.0, *,
    pauli_blocking=True, random_state=None,
):  # fmt: skip
    """Weighted trials of one channel: the raw Monte Carlo behind the generator.

    Parameters
    ----------
    n : int
        Number of trials.
    channel : {"QE", "RES", "DIS"}
    target, probe, model
        As in :func:`generate_events`.
    energy : float, default 1.0
        Neutrino energy [GeV].
    pauli_blocking : bool, default True
        Set to False to see the quasielastic weights without the Pauli test (§5.2).
    random_state : int, numpy.random.Generator or None

    Returns
    -------
    pandas.DataFrame
        Columns ``E_mu`` [GeV], ``theta`` [degrees], ``Q2`` [GeV²], ``W`` [GeV],
        ``nucleon`` and ``weight`` [cm² per nucleus]: the mean weight is the channel's
        per-nucleus cross section, a weighted histogram is dσ per bin.

    Examples
    --------
    >>> trials = weighted_events(2000, "QE", random_state=0)
    >>> bool(trials["weight"].mean() > 0)
    True
    """
    params = check_target(target)
    probe_sign(probe)
    _check_channel(channel)
    E = _check_energies(np.full(int(n), energy, dtype=float))
    rng = np.random.default_rng(random_state)
    model = resolve_model(model)
    parts = []
    for start in range(0, E.size, MAX_BATCH):
        trials = propose(channel, E[start : start + MAX_BATCH], params, probe, model, rng)
        E_mu, cos_theta, allowed = muon(channel, trials, rng, pauli_blocking)
        parts.append(
            pd.DataFrame(
                {
                    "E_mu": E_mu,
                    "theta": np.degrees(np.arccos(cos_theta)),
                    "Q2": trials.Q2,
                    "W": trials.W,
                    "nucleon": np.where(trials.is_proton, "p", "n"),
                    "weight": np.where(allowed, trials.weight, 0.0),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def cross_section(
    E_nu, target="12C", probe="numu", model="default", channel=None, *,
    n_trials=100_000, random_state=0,
):  # fmt: skip
    """Per-nucleus CC inclusive cross section, Monte-Carlo integrated (PHYSICS.md §5, §6).

    The mean weight of ``n_trials`` trials per energy and channel, with the generator's
    nuclear model (Fermi motion, binding, Pauli blocking of QE); the statistical error
    is ≈ 0.5 % at the default ``n_trials``.

    Parameters
    ----------
    E_nu : float or array_like
        Neutrino energies [GeV] within :data:`ENERGY_LIMITS`.
    target, probe, model
        As in :func:`generate_events`.
    channel : {"QE", "RES", "DIS"} or None, default None
        One channel, or None for all of them.
    n_trials : int, default 100000
        Trials per energy and channel.
    random_state : int, numpy.random.Generator or None, default 0
        Fixed by default, so repeated calls give the same numbers.

    Returns
    -------
    ndarray or float or pandas.DataFrame
        With a channel: σ [cm²] in the shape of ``E_nu`` (a float for a scalar). With
        ``channel=None``: a DataFrame indexed by ``E_nu`` with columns QE, RES, DIS and
        total [cm²].

    Examples
    --------
    >>> sigma = cross_section(1.0, channel="QE", n_trials=20000)
    >>> 5.5e-38 < sigma < 6.4e-38  # 12C, PHYSICS.md §7.2: 5.93e-38 cm²
    True
    """
    params = check_target(target)
    probe_sign(probe)
    model = resolve_model(model)
    channels = CHANNELS if channel is None else (CHANNELS[_check_channel(channel)],)
    if not isinstance(n_trials, numbers.Integral) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}")
    E = _check_energies(E_nu, "E_nu")
    flat = E.ravel()
    rng = np.random.default_rng(random_state)
    result = {}
    for name in channels:
        weight = trial_weights(name, np.repeat(flat, n_trials), params, probe, model, rng)
        result[name] = weight.reshape(flat.size, n_trials).mean(axis=1)
    if channel is not None:
        sigma = result[channel].reshape(E.shape)
        return float(sigma) if sigma.ndim == 0 else sigma
    table = pd.DataFrame(result, index=pd.Index(flat, name="E_nu"))
    table["total"] = table[list(CHANNELS)].sum(axis=1)
    return table
