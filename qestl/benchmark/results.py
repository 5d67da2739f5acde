"""Result files of the benchmarks, each naming the command, code and machine that made it.

Every result file of ``qestl benchmark`` and ``benchmarks/`` is written by
:func:`write_result` (one result per file) or :func:`record_row` (rows that
accumulate over separate runs): a JSON file and a Markdown page beside it,
both stamped with the command that made them, the git commit of the code,
the date and the machine (:func:`provenance`), so that every figure can be
traced to the code and the run behind it.
"""

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

__all__ = [
    "PROVENANCE",
    "code_version",
    "current_command",
    "machine_label",
    "made_by",
    "matmul_rate",
    "provenance",
    "record_row",
    "rewrite_page",
    "write_result",
]

#: The checkout that holds the qestl package (when it is one): its commit names the code.
_REPOSITORY = Path(__file__).resolve().parents[2]
#: Fields :func:`provenance` stamps on every result, in this order.
PROVENANCE = ("command", "commit", "date", "machine")


def matmul_rate(members=50, width=128, repeats=20):
    """Throughput of a batched float32 matmul on the CPU, (members, width, width) squared, now.

    A shared virtual machine changes speed from hour to hour (this product
    ran at 210 and at 81 GFLOP/s on one day, 2 threads both times): wall
    times of different runs compare only beside the rate measured with them.

    Parameters
    ----------
    members, width, repeats : int
        Shape of the product; products timed after one warm-up.

    Returns
    -------
    float
        [GFLOP/s].
    """
    a = torch.randn(members, width, width)
    b = torch.randn(members, width, width)
    torch.bmm(a, b)  # warm-up: first-call allocation and dispatch
    start = time.perf_counter()
    for _ in range(repeats):
        torch.bmm(a, b)
    return 2 * members * width**3 * repeats / (time.perf_counter() - start) / 1e9


def machine_label(rate=True):
    """The machine a result was measured on, in one line.

    Parameters
    ----------
    rate : bool, default=True
        Append the batched-matmul rate of :func:`matmul_rate` (about 0.1 s),
        the unit in which wall times of different runs compare.

    Returns
    -------
    str
        E.g. ``"x86_64, 2 cores, 2 torch thread(s), torch 2.5.1, bmm 150
        GFLOP/s"``, with the GPU's name before the rate when torch sees one.
    """
    parts = [
        platform.machine(),
        f"{os.cpu_count()} cores",
        f"{torch.get_num_threads()} torch thread(s)",
        f"torch {torch.__version__}",
    ]
    if torch.cuda.is_available():
        parts.append(torch.cuda.get_device_name())
    if rate:
        parts.append(f"bmm {matmul_rate():.0f} GFLOP/s")
    return ", ".join(parts)


def _git(folder, *args):
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


def code_version(folder=None):
    """The git commit of the code, as a short hash; ``"+changes"`` when the code differs from it.

    Parameters
    ----------
    folder : path-like, optional
        Root of a git checkout (default: the one holding the qestl package).
        Changes count in the code only (``qestl/``, ``benchmarks/`` but its
        ``results/``, ``pyproject.toml``), untracked files included.

    Returns
    -------
    str
        E.g. ``"54acd47"`` or ``"54acd47+changes"``; ``"unknown"`` where
        ``folder`` is not the root of a git checkout (an installed package)
        or git is missing.
    """
    folder = Path(_REPOSITORY if folder is None else folder).resolve()
    try:
        if Path(_git(folder, "rev-parse", "--show-toplevel")).resolve() != folder:
            return "unknown"  # e.g. site-packages inside some other checkout
        commit = _git(folder, "rev-parse", "--short", "HEAD")
        code = ["qestl", "benchmarks", ":(exclude)benchmarks/results", "pyproject.toml"]
        changed = _git(folder, "status", "--porcelain", "--", *code)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+changes" if changed else "")


def current_command(argv=None):
    """The command line of this process, as a user would type it again.

    Parameters
    ----------
    argv : list of str, optional
        Default ``sys.argv``. A Python script becomes ``python <path>`` (the
        path relative to the repository when in it), another program its
        name (``qestl benchmark ...``); shell-quoted.
    """
    argv = list(sys.argv if argv is None else argv)
    program = Path(argv[0])
    if program.suffix != ".py":
        return shlex.join([program.name, *argv[1:]])
    try:
        program = program.resolve().relative_to(_REPOSITORY)
    except ValueError:
        pass
    return shlex.join(["python", program.as_posix(), *argv[1:]])


def provenance(command=None, rate=True):
    """What names a result: command, code version, date and machine.

    Parameters
    ----------
    command : str, optional
        Default :func:`current_command`.
    rate : bool, default=True
        Passed to :func:`machine_label`.

    Returns
    -------
    dict
        ``command``, ``commit`` (:func:`code_version`), ``date`` (UTC, ISO
        8601) and ``machine`` (:func:`machine_label`).
    """
    return {
        "command": current_command() if command is None else command,
        "commit": code_version(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_label(rate),
    }


def made_by(stamp):
    """The line under a result's title that names its provenance.

    Parameters
    ----------
    stamp : dict
        A :func:`provenance` dict; ``commands`` (a list: a run resumed by
        later ones) may stand for ``command``.
    """
    commands = stamp.get("commands") or [stamp["command"]]
    return (
        "Made by "
        + ", then ".join(f"`{c}`" for c in commands)
        + f" at commit {stamp['commit']} on {stamp['date']}; machine: {stamp['machine']}."
    )


def _with_header(text, header):
    """``text`` (Markdown, first line a ``# `` title) with ``header`` under its title."""
    title, _, body = text.partition("\n")
    if not title.startswith("# "):
        raise ValueError(f"a result page starts with a '# ' title line, not {title[:60]!r}")
    return "\n\n".join([title, header, body.lstrip("\n")])


def _replace(path, text):
    """Write ``text`` to ``path`` through a temporary file: a stopped run leaves the old file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)


def write_result(path, result, markdown, command=None, indent=2):
    """Write a result (JSON) and its Markdown page beside it, both naming their provenance.

    Parameters
    ----------
    path : path-like
        The JSON file; the page is the same path with suffix ``.md``.
    result : dict
        JSON-able; its ``command``, ``commit``, ``date``, ``machine`` are this run's.
    markdown : callable
        Stamped result -> the page, first line its ``# `` title, under which
        :func:`made_by` goes.
    command : str, optional
        Default :func:`current_command`.
    indent : int, default=2
        Of the JSON file.

    Returns
    -------
    str
        The page.
    """
    path = Path(path)
    stamp = provenance(command)
    result = {**stamp, **{k: v for k, v in result.items() if k not in PROVENANCE}}
    text = _with_header(markdown(result), made_by(stamp))
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace(path, json.dumps(result, indent=indent) + "\n")
    _replace(path.with_suffix(".md"), text)
    return text


def record_row(path, row, key, markdown, command=None):
    """Add one run's row to a result of rows that accumulate over runs; rewrite its page.

    Parameters
    ----------
    path : path-like
        The JSON file ``{"rows": [...]}``, re-read here: a run beside this
        one may have added its row meanwhile.
    row : dict
        JSON-able; stamped with this run's :func:`provenance`.
    key : tuple of str
        Fields that identify a row: a rerun replaces its earlier row.
    markdown : callable
        All rows -> the page, first line its ``# `` title, under which go
        the commands that made the rows, with their commits and dates.
    command : str, optional
        Default :func:`current_command`.

    Returns
    -------
    str
        The page.
    """
    path = Path(path)
    row = {**row, **provenance(command)}
    rows = json.loads(path.read_text())["rows"] if path.exists() else []
    rows = [r for r in rows if [r.get(f) for f in key] != [row[f] for f in key]]
    rows.append(row)
    text = _with_header(markdown(rows), _rows_made_by(rows))
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace(path, json.dumps({"rows": rows}, indent=2) + "\n")
    _replace(path.with_suffix(".md"), text)
    return text


def rewrite_page(path, markdown):
    """Render the page of a rows result again from its stored rows, which stay as they are.

    For a page whose format changed after its rows were recorded: the rows
    keep the command, commit, date and machine that made each of them, and
    the page names them as :func:`record_row` does.

    Parameters
    ----------
    path : path-like
        The JSON file ``{"rows": [...]}``.
    markdown : callable
        All rows -> the page, first line its ``# `` title.

    Returns
    -------
    str
        The page.
    """
    path = Path(path)
    rows = json.loads(path.read_text())["rows"]
    text = _with_header(markdown(rows), _rows_made_by(rows))
    _replace(path.with_suffix(".md"), text)
    return text


def _rows_made_by(rows):
    """One line naming each (command, commit) behind the rows, with their count and dates."""
    runs = {}
    for r in rows:
        runs.setdefault((r.get("command"), r.get("commit")), []).append(r["date"][:10])
    parts = []
    for (command, commit), dates in runs.items():
        span = min(dates) if min(dates) == max(dates) else f"{min(dates)} to {max(dates)}"
        made = f"`{command}` at commit {commit}" if command else "a command not recorded"
        parts.append(f"{made} ({len(dates)} row{'s' * (len(dates) > 1)}, {span})")
    return "Made by " + "; ".join(parts) + ". Each row's machine: in the JSON file."
