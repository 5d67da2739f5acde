"""Result rows that accumulate over separate runs of a recipe benchmark."""

import json
import platform
from datetime import datetime, timezone

import torch


def machine_label():
    """Architecture, torch threads and torch version, as the result rows name a machine."""
    threads = torch.get_num_threads()
    return f"{platform.machine()}, {threads} torch thread(s), torch {torch.__version__}"


def write_result(path, result, markdown):
    """Write ``result`` to ``path`` (JSON) and ``markdown(result)`` beside it (.md); return that."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    path.with_suffix(".md").write_text(text)
    return text


def write_rows(path, rows, markdown):
    """Write ``{"rows": rows}`` to ``path`` (JSON) and ``markdown(rows)`` beside it (.md)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    path.with_suffix(".md").write_text(markdown(rows))


def record(path, row, key, markdown):
    """Stamp ``row`` with date and machine, replace any row with the same key, rewrite.

    Parameters
    ----------
    path : pathlib.Path
        The JSON file ``{"rows": [...]}``; re-read here, because a run beside
        this one may have added its row meanwhile.
    row : dict
    key : tuple of str
        Fields that identify a row (a rerun replaces its earlier row).
    markdown : callable
        All rows -> the text of the Markdown table beside the JSON file.
    """
    row["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    row["machine"] = machine_label()
    rows = json.loads(path.read_text())["rows"] if path.exists() else []
    rows = [r for r in rows if [r[f] for f in key] != [row[f] for f in key]]
    write_rows(path, [*rows, row], markdown)
