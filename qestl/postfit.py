"""Post-fit selection of ensemble members, after NNPDF's replica vetoes.

A member of a replica ensemble can fail in two ways that the mean of the
others does not survive:

- it runs away from its own replica, and its chi2/N on the training points
  sits far above the others' (27Al fine-tuned from 62 points: one member of
  50 at 5e7, docs/validation/transfer-member-selection.md);
- it fits its training points and runs away between them, where no chi2
  sees it (16O fine-tuned from 12 points: one member took the test chi2/N
  to 934; 4He from 227 points: members running away in the gaps between
  a spectrum's training points took it to 176).

NNPDF's ``postfit`` drops replicas whose chi2 or whose arc length lies more
than 4 standard deviations from the others'. The same iterated cut serves
here on the training chi2/N (:func:`select_members`) and, in place of the
arc length, on each member's largest excursion from the other members over
the training spectra's curves (:func:`select_by_excursion`). The arc
length integrates a curve's wiggles; a runaway confined to a stretch of
one spectrum barely moves it, while its excursion is tens of the others'
standard deviations.
"""

import numpy as np

from qestl.features import KinematicFeatures

__all__ = [
    "PROBE_NUCLEI",
    "probe_nuclei",
    "member_excursions",
    "out_of_bag_mean",
    "probe_kinematics",
    "select_by_excursion",
    "select_members",
]

#: Floor of the members' spread in log(cross section): members that agree to
#: better than this (a tenth of a per cent, finer than any measurement) do not
#: make a deviation of a per cent a runaway; without it, sigmoid outputs that
#: saturate identically in float32 give a zero spread.
SPREAD_FLOOR = 1e-3


def select_members(statistic, cut):
    """The members that pass an iterated cut on a per-member statistic (NNPDF's veto).

    A member passes when its statistic is at most ``cut`` standard deviations
    (ddof = 0) above the mean over the members passing; the mean and the
    deviation are recomputed without the members that fail until none more
    do. Members with a non-finite statistic never pass.

    Parameters
    ----------
    statistic : array_like of shape (n_members,)
        E.g. each member's chi2/N on the training points, or its excursion.
    cut : float or None
        In standard deviations of the statistic; None keeps every member.

    Returns
    -------
    ndarray of bool, shape (n_members,)
        Never all False: without a finite statistic there is nothing to choose by, and all pass.
    """
    statistic = np.asarray(statistic, dtype=float)
    finite = np.isfinite(statistic)
    if cut is None or not finite.any():
        return np.ones(len(statistic), dtype=bool)
    kept = finite
    while True:
        passing = kept & (statistic <= statistic[kept].mean() + cut * statistic[kept].std())
        if passing.sum() == kept.sum():
            return kept
        kept = passing


def probe_kinematics(kinematics, n_omega=64, n_grid=512):
    """Points along each training spectrum, over the scaling range of the training data.

    For every distinct (E, theta) of ``kinematics``, up to ``n_omega`` energy
    transfers evenly spread (in omega) over the part of 0 < omega < E whose
    quasielastic scaling variable psi = (omega - omega_QE) / |q| lies within
    the range of the training points' psi. That covers the gaps between a
    spectrum's training points and its stretches without any, as far as the
    training data reach in psi elsewhere, but not the corners no training
    point comes near.

    Parameters
    ----------
    kinematics : ndarray of shape (n, 3) or (n, 3 + k)
        Validated training (E [GeV], theta [deg], omega [GeV]), optionally
        followed by columns that stay fixed along a spectrum (the target's
        Z and A): the spectra are then those of each (E, theta, Z, A).
    n_omega : int, default 64
        Probe points per spectrum, at most.
    n_grid : int, default 512
        Energy transfers tried per spectrum, from which those within the
        psi range are taken.

    Returns
    -------
    ndarray of shape (n_probes, 3 + k)
        (E [GeV], theta [deg], omega [GeV], and the fixed columns); no rows when the training
        points span too narrow a range of psi for any grid point to fall in.
    """
    kinematics = np.asarray(kinematics, dtype=float)
    # The network's own feature code, so that psi here is psi there.
    scaling = KinematicFeatures(scaling=True, standardize=False).fit(kinematics[:1, :3])
    psi_column = list(scaling.get_feature_names_out()).index("psi_QE")

    def psi(points):
        return scaling.transform(points[:, :3])[:, psi_column]

    psi_training = psi(kinematics)
    low, high = psi_training.min(), psi_training.max()
    fractions = np.arange(1, n_grid + 1) / (n_grid + 1)  # strictly inside (0, E)
    probes = []
    fixed_columns = [0, 1, *range(3, kinematics.shape[1])]
    for spectrum in np.unique(kinematics[:, fixed_columns], axis=0):
        energy, theta, *fixed = spectrum
        grid = np.column_stack(
            [np.full(n_grid, energy), np.full(n_grid, theta), energy * fractions]
            + [np.full(n_grid, value) for value in fixed]
        )
        values = psi(grid)
        inside = grid[(values >= low) & (values <= high)]
        take = np.unique(np.linspace(0, len(inside) - 1, min(n_omega, len(inside))).astype(int))
        probes.append(inside[take])
    return np.concatenate(probes)


def member_excursions(members, reference):
    """Each member's largest deviation from the other members, in their standard deviations.

    At every point, in log(cross section): the distance of member m from the
    mean of the ``reference`` members other than m, divided by their
    standard deviation (ddof = 1, floored at :data:`SPREAD_FLOOR`); the
    largest over the points. Leaving m out is what lets one runaway stand out:
    counted in, it would widen the spread it is measured in (one member of n
    can then lie at most (n - 1) / sqrt(n) deviations from the mean).

    Parameters
    ----------
    members : ndarray of shape (n_members, n_points)
        Non-negative predictions of every member [any unit].
    reference : ndarray of bool, shape (n_members,)
        The members whose spread is the yardstick (e.g. those passing the chi2
        cut); members outside it are measured against all of it.

    Returns
    -------
    ndarray of shape (n_members,)
        Dimensionless. Inf for a member with a non-finite prediction (it is
        left out of the reference); NaN for all when fewer than three
        reference members or no points leave nothing to measure by.
    """
    members = np.asarray(members, dtype=float)
    finite = np.isfinite(members).all(axis=1)
    reference = np.asarray(reference, dtype=bool) & finite
    if reference.sum() < 3 or members.shape[1] == 0:
        return np.full(len(members), np.nan)
    logs = np.log(np.maximum(np.where(finite[:, None], members, 1.0), np.finfo(float).tiny))
    # Sums over the reference members, minus member m where it is one of them.
    own = reference[:, None]
    count = reference.sum() - own
    total = logs[reference].sum(axis=0) - own * logs
    squares = (logs[reference] ** 2).sum(axis=0) - own * logs**2
    mean = total / count
    variance = np.maximum(squares - count * mean**2, 0.0) / (count - 1)
    spread = np.maximum(np.sqrt(variance), SPREAD_FLOOR)
    return np.where(finite, np.max(np.abs(logs - mean) / spread, axis=1), np.inf)


def select_by_excursion(members, kept, cut):
    """The iterated cut on excursions, each pass measured against the members still kept.

    Unlike a chi2/N, a member's excursion depends on the members it is
    measured against, and a runaway widens the spread the others are
    measured in: so after every pass that drops members, the excursions are
    measured again against those left, until a pass drops none.

    Parameters
    ----------
    members : ndarray of shape (n_members, n_points)
        Non-negative predictions of every member [any unit], e.g. at
        :func:`probe_kinematics`.
    kept : ndarray of bool, shape (n_members,)
        The members that passed the cuts before this one (e.g. on chi2/N).
    cut : float or None
        In standard deviations of the excursions; None keeps ``kept``.

    Returns
    -------
    kept : ndarray of bool, shape (n_members,)
        A subset of the ``kept`` given, never empty.
    excursion : ndarray of shape (n_members,)
        The excursions of the last pass (:func:`member_excursions`).
    """
    kept = np.array(kept, dtype=bool)
    while True:
        excursion = member_excursions(members, kept)
        passing = kept.copy()
        passing[kept] = select_members(excursion[kept], cut)
        if passing.sum() == kept.sum():
            return kept, excursion
        kept = passing


def out_of_bag_mean(members, held_out, kept=None):
    """Each point's mean over the members that did not train on it.

    The ensemble's own cross-validation: every member holds out its own
    random ~10 % of the training points, so each point has a prediction
    from the members that never fitted it (bagging's out-of-bag estimate).

    Parameters
    ----------
    members : ndarray of shape (n_members, n)
        Every member's prediction of the training points.
    held_out : ndarray of bool, shape (n_members, n)
        True where the member held the point out.
    kept : ndarray of bool, shape (n_members,), optional
        Members to use (default all).

    Returns
    -------
    ndarray of shape (n,)
        Out-of-bag mean; NaN where no used member held the point out.

    Examples
    --------
    >>> members = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> held_out = np.array([[True, False], [True, False], [False, True]])
    >>> out_of_bag_mean(members, held_out).tolist()
    [2.0, 6.0]
    >>> out_of_bag_mean(members, held_out, kept=np.array([True, True, False])).tolist()
    [2.0, nan]
    """
    members = np.asarray(members, dtype=float)
    held_out = np.asarray(held_out, dtype=bool)
    if members.shape != held_out.shape:
        raise ValueError(f"members {members.shape} and held_out {held_out.shape} differ in shape")
    if kept is not None:
        kept = np.asarray(kept, dtype=bool)
        members, held_out = members[kept], held_out[kept]
    counts = held_out.sum(axis=0)
    total = np.where(held_out, members, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, total / counts, np.nan)


def _valley_charge(mass):
    """Z of the beta-stable nucleus of mass number A (the semi-empirical valley)."""
    return max(1, round(mass / (1.98 + 0.0155 * mass ** (2 / 3))))


#: Nuclei between and around the archive's, at which a multi-nucleus fit's
#: members must agree too: the valley of stability and Z = N, from 3 to 240.
PROBE_NUCLEI = tuple(
    sorted(
        {(_valley_charge(a), a) for a in (3, 6, 9, 14, 20, 28, 40, 56, 80, 120, 160, 200, 240)}
        | {(a // 2, a) for a in (4, 6, 10, 14, 20, 28, 40, 56, 80)}
    )
)


def probe_nuclei(probes, nuclei=PROBE_NUCLEI, max_rows=100_000, seed=0):
    """The probe kinematics of a multi-nucleus fit, asked of other nuclei as well.

    A member can fit every training nucleus and still run away at a nucleus
    between them (one member of the first multi-nucleus fit predicted 65
    times the others' median for an isoscalar nucleus of A = 40, where no
    training nucleus has A > 27 and N = Z). The excursion veto looks there
    too: each nucleus gets a random subset of the training spectra's probe
    points.

    Parameters
    ----------
    probes : ndarray of shape (n, 5)
        (E, theta, omega, Z, A) probe rows (:func:`probe_kinematics`).
    nuclei : sequence of (Z, A), default ``PROBE_NUCLEI``
    max_rows : int, default 100000
        Probe rows per nucleus, at most.
    seed : int, default 0

    Returns
    -------
    ndarray of shape (n + n_added, 5)
        ``probes`` followed by the added rows.
    """
    rng = np.random.default_rng(seed)
    take = rng.permutation(len(probes))[: min(max_rows, len(probes))]
    rows = [probes]
    for charge, mass in nuclei:
        moved = probes[take].copy()
        moved[:, 3], moved[:, 4] = charge, mass
        rows.append(moved)
    return np.concatenate(rows)
