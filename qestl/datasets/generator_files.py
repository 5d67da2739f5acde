"""Readers of neutrino-generator output: one DataFrame of CC muon events.

Every reader returns the event-table format of qestl's own CC generator, so
that a GENIE or NUISANCE sample can stand in for it (GAN training, plots,
metrics):

========  ==========================================================
E_nu      neutrino energy in the lab [GeV]
E_mu      total (not kinetic) muon energy in the lab [GeV]
theta     angle between the muon and the neutrino momentum [deg]
channel   categorical, categories :data:`CHANNELS`
weight    event weight (1 for unweighted generators)
nu_pdg    ROOT readers only: neutrino PDG code, 14 (nu_mu) or -14 (anti-nu_mu)
========  ==========================================================

The format describes charged-current (CC) muon events only. The ROOT readers
therefore keep the events with a CC flag and a final-state muon or antimuon;
the others (NC, electromagnetic, nu_e/nu_tau CC) are removed, never silently:
their numbers go to ``frame.attrs["n_removed"]`` (keys ``"not_cc"`` and
``"cc_not_muon"``, with ``frame.attrs["n_read"]`` the events read) and a
``UserWarning`` says so. The index is the entry number in the file, so every
row can be traced back to its generator record.

Channels beyond the three of qestl's generator (QE, RES, DIS) are kept under
their own categories: MEC (2p2h), COH (coherent pion production) and OTHER
(diffractive, single kaon, inverse muon decay, ...).

ROOT files need the optional dependency uproot (``pip install "qestl[uproot]"``),
imported only when a ROOT file is read. Parquet needs pyarrow or fastparquet.
"""

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from qestl.constants import M_MUON
from qestl.validation import raise_rows

__all__ = ["CHANNELS", "EVENT_COLUMNS", "read_events", "read_genie_gst", "read_nuisance_flat"]

#: Interaction channels, in the order of the categorical ``channel`` column.
CHANNELS = ("QE", "RES", "DIS", "MEC", "COH", "OTHER")

#: Columns every event table holds, with their units.
EVENT_COLUMNS = {
    "E_nu": "neutrino energy [GeV]",
    "E_mu": "total muon energy [GeV]",
    "theta": "muon angle to the neutrino direction [deg]",
    "channel": f"interaction channel, one of {CHANNELS}",
    "weight": "event weight (1 for unweighted generators)",
}

_MUON_PDG = 13

# GENIE gst branches (GENIE gntpc, ConvertToGST): El is the total lepton
# energy; both momenta are in the lab frame, so theta needs no beam axis.
_GST_BRANCHES = (
    "Ev", "pxv", "pyv", "pzv", "El", "pxl", "pyl", "pzl",
    "neu", "fspl", "cc", "qel", "res", "dis", "mec", "coh", "wght",
)  # fmt: skip

# NUISANCE flat-tree branches (nuisflat, GenericFlux_Vectors). fScaleFactor is
# read when present.
_FLAT_BRANCHES = ("Mode", "cc", "PDGnu", "PDGLep", "Enu_true", "ELep", "CosLep", "Weight")

# NEUT reaction codes |Mode| (NUISANCE InteractionModes.h; negative codes are
# antineutrinos). 17, 22, 23 (1 gamma, 1 eta, 1 kaon) are Delta decays in NEUT,
# hence RES; 21 is NEUT's multi-pion region W < 2 GeV, the DIS of GENIE's gst.
# Codes not listed (15 diffractive, 18-20 single kaon, NC codes >= 30) are OTHER.
_NEUT_CHANNEL = {
    1: "QE",
    2: "MEC",
    11: "RES", 12: "RES", 13: "RES", 17: "RES", 22: "RES", 23: "RES",
    21: "DIS", 26: "DIS",
    16: "COH",
}  # fmt: skip

# Float32 generator output (NUISANCE) rounds the muon rest energy.
_MASS_TOLERANCE = 1e-6


def _import_uproot():
    try:
        import uproot
    except ImportError as error:
        raise ImportError(
            'reading ROOT files needs the optional dependency uproot: pip install "qestl[uproot]"'
        ) from error
    return uproot


def _source_name(path):
    try:
        return os.fspath(path)
    except TypeError:
        return getattr(path, "name", None) or type(path).__name__


def _read_branches(path, tree, branches, optional=(), entry_stop=None):
    """Read whole branches as numpy arrays (the optional ones when present)."""
    uproot = _import_uproot()
    source = _source_name(path)
    with uproot.open(path) as handle:
        if tree not in handle:
            raise ValueError(f"{source}: no tree {tree!r}; it holds {handle.keys(cycle=False)}")
        names = set(handle[tree].keys())
        missing = [name for name in branches if name not in names]
        if missing:
            raise ValueError(f"{source}: tree {tree!r} lacks the branches {missing}")
        wanted = [*branches, *(name for name in optional if name in names)]
        return handle[tree].arrays(wanted, entry_stop=entry_stop, library="np")


def _event_columns(E_nu, E_mu, theta, channel, weight, nu_pdg):
    """The columns of an event table, in its dtypes.

    Parameters
    ----------
    E_nu, E_mu : ndarray of shape (n,)
        Neutrino energy and total muon energy [GeV].
    theta : ndarray of shape (n,)
        Muon angle to the neutrino direction [deg].
    channel : array_like of str, shape (n,)
        Channel names, each one of :data:`CHANNELS`.
    weight : ndarray of shape (n,)
        Event weights.
    nu_pdg : ndarray of shape (n,)
        Neutrino PDG codes.

    Returns
    -------
    dict
        Column name -> array: float energies, theta and weight, a categorical
        channel, int64 nu_pdg.
    """
    return {
        "E_nu": E_nu.astype(float),
        "E_mu": E_mu.astype(float),
        "theta": theta,
        "channel": pd.Categorical(channel, categories=CHANNELS),
        "weight": weight.astype(float),
        "nu_pdg": nu_pdg.astype(np.int64),
    }


def _cc_muon_events(columns, cc, lepton_pdg, source):
    """Event table of the CC muon entries; the others are counted, and warned about.

    Parameters
    ----------
    columns : dict
        Column name -> array of shape (n,), as from :func:`_event_columns`.
    cc : ndarray of shape (n,)
        The generator's charged-current flag (non-zero for CC).
    lepton_pdg : ndarray of shape (n,)
        PDG code of the final-state primary lepton.
    source : str
        The file's name, for messages.

    Returns
    -------
    pandas.DataFrame
        The CC muon (or antimuon) events, indexed by entry number, with
        ``attrs`` ``source``, ``n_read`` and ``n_removed``.
    """
    is_cc = cc.astype(bool)
    is_muon = np.abs(lepton_pdg) == _MUON_PDG
    frame = pd.DataFrame(columns)
    frame.index.name = "entry"
    n_read = frame.shape[0]
    n_removed = {
        "not_cc": int(np.count_nonzero(~is_cc)),
        "cc_not_muon": int(np.count_nonzero(is_cc & ~is_muon)),
    }
    frame = frame.loc[is_cc & is_muon]
    if frame.shape[0] < n_read:
        warnings.warn(
            f"{source}: kept {frame.shape[0]} of {n_read} events; removed "
            f"{n_removed['not_cc']} not charged-current and {n_removed['cc_not_muon']} CC "
            "without a final-state muon (counts in DataFrame.attrs['n_removed'])",
            UserWarning,
            stacklevel=3,
        )
    _check_rows(frame, source)
    frame.attrs.update(source=source, n_read=n_read, n_removed=n_removed)
    return frame


def read_genie_gst(path, tree="gst", entry_stop=None):
    """Read CC muon events from a GENIE summary tree (gst).

    The gst tree is what GENIE's ``gntpc -f gst`` writes (C. Andreopoulos et
    al., Nucl. Instrum. Meth. A 614, 87 (2010)). Branches used: ``Ev``,
    ``pxv, pyv, pzv`` (neutrino), ``El``, ``pxl, pyl, pzl`` (primary lepton,
    ``El`` its total energy), ``neu``, ``fspl`` (PDG codes), the process flags
    ``cc, qel, res, dis, mec, coh`` and the weight ``wght``. The muon angle is
    computed from the two lab momenta, so a neutrino beam along any axis works.

    Parameters
    ----------
    path : str, path-like or file-like
        A ROOT file.
    tree : str, default "gst"
        Name of the tree.
    entry_stop : int, optional
        Read only the entries before this one (all by default).

    Returns
    -------
    pandas.DataFrame
        Columns E_nu [GeV], E_mu [GeV], theta [deg], channel, weight, nu_pdg
        (see the module documentation), indexed by entry number; only CC
        events with a muon or antimuon. Channels: ``qel`` -> QE, ``res`` ->
        RES, ``dis`` -> DIS, ``mec`` -> MEC, ``coh`` -> COH, anything else
        (diffractive, single kaon, inverse muon decay) -> OTHER.
        ``attrs``: ``source``, ``n_read``, ``n_removed``.

    Raises
    ------
    ImportError
        Without uproot.
    ValueError
        For a missing tree or branch, or kept events with NaN, E_mu > E_nu or
        E_mu below the muon mass.

    Warns
    -----
    UserWarning
        When events are removed (NC, electromagnetic, CC without a muon).

    See Also
    --------
    read_events : dispatch on the file type.
    """
    data = _read_branches(path, tree, _GST_BRANCHES, entry_stop=entry_stop)
    p_nu = np.stack([data["pxv"], data["pyv"], data["pzv"]], axis=-1)
    p_lep = np.stack([data["pxl"], data["pyl"], data["pzl"]], axis=-1)
    # atan2(|a x b|, a.b) keeps full precision at small and large angles, where
    # arccos of the cosine loses digits.
    cross = np.linalg.norm(np.cross(p_lep, p_nu), axis=-1)
    theta = np.degrees(np.arctan2(cross, np.einsum("ij,ij->i", p_lep, p_nu)))
    flags = [data[name].astype(bool) for name in ("qel", "res", "dis", "mec", "coh")]
    channel = np.select(flags, ["QE", "RES", "DIS", "MEC", "COH"], default="OTHER")
    columns = _event_columns(data["Ev"], data["El"], theta, channel, data["wght"], data["neu"])
    return _cc_muon_events(columns, data["cc"], data["fspl"], _source_name(path))


def read_nuisance_flat(path, tree="FlatTree_VARS", entry_stop=None):
    """Read CC muon events from a NUISANCE flat tree.

    The flat tree is what ``nuisflat`` writes (GenericFlux_Vectors in NUISANCE,
    P. Stowell et al., JINST 12, P01016 (2017), arXiv:1612.07393) from any
    generator's output.
    Branches used: ``Mode`` (NEUT reaction code, negative for antineutrinos),
    ``cc``, ``PDGnu``, ``PDGLep``, ``Enu_true``, ``ELep`` (total lepton
    energy), ``CosLep`` (cosine of the lepton angle to the neutrino), ``Weight``
    and, when present, ``fScaleFactor``. The tree stores float32, so theta from
    ``CosLep`` resolves about 0.02 degrees near 0.

    Parameters
    ----------
    path : str, path-like or file-like
        A ROOT file.
    tree : str, default "FlatTree_VARS"
        Name of the tree.
    entry_stop : int, optional
        Read only the entries before this one (all by default).

    Returns
    -------
    pandas.DataFrame
        Columns E_nu [GeV], E_mu [GeV], theta [deg], channel, weight, nu_pdg
        (see the module documentation) and, when the tree has it,
        ``scale_factor`` [cm^2 per nucleon]: NUISANCE's fScaleFactor, the
        flux-averaged total cross section divided by the number of generated
        events, so that ``(weight * scale_factor)`` summed over the events of
        a bin and divided by the bin width is the flux-averaged differential
        cross section. It stays per event because merged files may differ.
        Indexed by entry number; only CC events with a muon or antimuon.
        Channels from |Mode|: 1 -> QE, 2 -> MEC, 11, 12, 13, 17, 22, 23 ->
        RES, 21, 26 -> DIS, 16 -> COH, any other code -> OTHER.
        ``attrs``: ``source``, ``n_read``, ``n_removed``.

    Raises
    ------
    ImportError
        Without uproot.
    ValueError
        For a missing tree or branch, or kept events with NaN, E_mu > E_nu or
        E_mu below the muon mass.

    Warns
    -----
    UserWarning
        When events are removed (NC, CC without a muon).

    See Also
    --------
    read_events : dispatch on the file type.
    """
    data = _read_branches(
        path, tree, _FLAT_BRANCHES, optional=("fScaleFactor",), entry_stop=entry_stop
    )
    # float32 cosines can stray beyond [-1, 1] by one ulp.
    theta = np.degrees(np.arccos(np.clip(data["CosLep"].astype(float), -1.0, 1.0)))
    channel = pd.Series(np.abs(data["Mode"])).map(_NEUT_CHANNEL).fillna("OTHER")
    columns = _event_columns(
        data["Enu_true"], data["ELep"], theta, channel, data["Weight"], data["PDGnu"]
    )
    if "fScaleFactor" in data:
        columns["scale_factor"] = data["fScaleFactor"].astype(float)
    return _cc_muon_events(columns, data["cc"], data["PDGLep"], _source_name(path))


def _check_rows(frame, source):
    """Raise a ValueError naming the first bad row of an event table."""
    labels = frame.index
    values = frame[["E_nu", "E_mu", "theta", "weight"]].to_numpy(dtype=float)
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        raise_rows(source, ~finite, labels, "NaN or infinite E_nu, E_mu, theta or weight")
    E_nu, E_mu, theta, _ = values.T
    checks = [
        (E_mu < M_MUON * (1.0 - _MASS_TOLERANCE), f"E_mu below the muon mass {M_MUON} GeV"),
        (E_mu > E_nu, "E_mu > E_nu"),
        ((theta < 0.0) | (theta > 180.0), "theta outside [0, 180] degrees"),
    ]
    for bad, condition in checks:
        if bad.any():
            raise_rows(source, bad, labels, condition)


def _check_table(frame, source):
    """Validate an event table read from CSV or Parquet and fix its dtypes."""
    required = [name for name in EVENT_COLUMNS if name != "weight"]
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise ValueError(
            f"{source}: missing the columns {missing}; an event table needs "
            f"{list(EVENT_COLUMNS)} (weight optional)"
        )
    frame = frame.copy()
    if "weight" not in frame.columns:
        frame["weight"] = 1.0
    channel = frame["channel"].astype(str)
    unknown = sorted(set(channel) - set(CHANNELS))
    if unknown:
        raise ValueError(f"{source}: unknown channel values {unknown}; allowed {list(CHANNELS)}")
    frame["channel"] = pd.Categorical(channel, categories=CHANNELS)
    for name in ("E_nu", "E_mu", "theta", "weight"):
        try:
            frame[name] = frame[name].astype(float)
        except (TypeError, ValueError):
            raise ValueError(f"{source}: column {name!r} is not numeric") from None
    _check_rows(frame, source)
    frame.attrs["source"] = source
    return frame


def _root_format(path, tree=None):
    """Tell a gst tree from a NUISANCE flat tree by their branches."""
    uproot = _import_uproot()
    signatures = {"gst": {"Ev", "El", "fspl"}, "nuisance": {"Enu_true", "ELep", "Mode"}}
    with uproot.open(path) as handle:
        trees = [
            name
            for name, kind in handle.classnames(cycle=False).items()
            if kind in ("TTree", "ROOT::RNTuple") and (tree is None or name == tree)
        ]
        found = [
            (kind, name)
            for name in trees
            for kind, needed in signatures.items()
            if needed <= set(handle[name].keys())
        ]
    if len(found) != 1:
        what = "no GENIE gst or NUISANCE flat tree" if not found else f"several event trees {found}"
        raise ValueError(
            f"{_source_name(path)}: {what} among the trees {trees}; pass format= and tree="
        )
    return found[0]


_SUFFIXES = {".root": "root", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def read_events(path, format=None, **kwargs):
    r"""Read an event table from a generator file, a CSV or a Parquet file.

    Parameters
    ----------
    path : str, path-like or file-like
        The file. Its suffix picks the reader when ``format`` is None:
        ``.root`` (a GENIE gst or a NUISANCE flat tree, told apart by their
        branches), ``.csv``, ``.parquet`` or ``.pq``.
    format : {"gst", "nuisance", "csv", "parquet"}, optional
        The reader, required for file-like objects.
    **kwargs
        Passed to the reader: ``tree`` and ``entry_stop`` for ROOT files,
        :func:`pandas.read_csv` or :func:`pandas.read_parquet` options otherwise.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`EVENT_COLUMNS` (see :func:`read_genie_gst`);
        a CSV or Parquet table keeps any further columns, and a missing
        ``weight`` column is set to 1.

    Raises
    ------
    ValueError
        For an unknown suffix or format, a ROOT file without exactly one event
        tree, missing columns, unknown channel names, or rows with NaN,
        E_mu > E_nu, theta outside [0, 180] degrees or E_mu below the muon
        mass (the message names the first bad row).
    ImportError
        For ROOT files without uproot, or Parquet without pyarrow or
        fastparquet.

    Examples
    --------
    >>> import io
    >>> table = io.StringIO("E_nu,E_mu,theta,channel\n1.0,0.6,30.0,QE\n2.0,1.5,10.0,MEC\n")
    >>> events = read_events(table, format="csv")
    >>> events[["E_mu", "channel", "weight"]]
       E_mu channel  weight
    0   0.6      QE     1.0
    1   1.5     MEC     1.0
    >>> read_events(io.StringIO("E_nu,E_mu,theta,channel\n1.0,1.2,30.0,QE\n"), format="csv")
    Traceback (most recent call last):
    ...
    ValueError: StringIO: 1 row with E_mu > E_nu (first at index 0)
    """
    if format is None:
        suffix = Path(_source_name(path)).suffix.lower()
        if suffix not in _SUFFIXES:
            raise ValueError(
                f"{_source_name(path)}: cannot tell the format from the suffix {suffix!r}; "
                f"known {sorted(_SUFFIXES)}, or pass format="
            )
        format = _SUFFIXES[suffix]
        if format == "root":
            format, kwargs["tree"] = _root_format(path, kwargs.get("tree"))
    if format == "gst":
        return read_genie_gst(path, **kwargs)
    if format == "nuisance":
        return read_nuisance_flat(path, **kwargs)
    if format == "csv":
        return _check_table(pd.read_csv(path, **kwargs), _source_name(path))
    if format == "parquet":
        return _check_table(pd.read_parquet(path, **kwargs), _source_name(path))
    raise ValueError(f"unknown format {format!r}; use 'gst', 'nuisance', 'csv' or 'parquet'")
