import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from qestl.benchmark import (
    code_version,
    current_command,
    machine_label,
    matmul_rate,
    record_row,
    results,
    rewrite_page,
    write_result,
)

REPOSITORY = Path(results.__file__).resolve().parents[2]
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def fixed_rate(monkeypatch):
    """A matmul rate of 123 GFLOP/s, so that the machine label is known and quick."""
    monkeypatch.setattr(results, "matmul_rate", lambda: 123.0)


def page(result):
    return f"# A table\n\nvalue {result['value']}\n"


def test_write_result_stamps_json_and_page(tmp_path, fixed_rate):
    command = "python benchmarks/x.py --note 'two words'"
    text = write_result(tmp_path / "x.json", {"value": 1.5, "date": "old"}, page, command=command)

    stored = json.loads((tmp_path / "x.json").read_text())
    assert list(stored)[:4] == ["command", "commit", "date", "machine"]
    assert stored["command"] == command
    assert stored["commit"] == code_version()
    assert stored["date"] != "old" and stored["date"].endswith("+00:00")
    assert stored["machine"].endswith("bmm 123 GFLOP/s")
    assert stored["value"] == 1.5

    lines = (tmp_path / "x.md").read_text().splitlines()
    assert (tmp_path / "x.md").read_text() == text
    assert lines[0] == "# A table"
    # line 3 names command and commit: what `head -3 | grep python` checks
    assert lines[2] == (
        f"Made by `{command}` at commit {stored['commit']} on {stored['date']}; "
        f"machine: {stored['machine']}."
    )
    assert lines[4] == "value 1.5"
    assert not list(tmp_path.glob("*.partial"))


def test_page_without_a_title_is_refused(tmp_path, fixed_rate):
    with pytest.raises(ValueError, match="'# ' title"):
        write_result(tmp_path / "x.json", {"value": 1}, lambda r: "value 1\n", command="c")


def test_record_row_replaces_a_rerun_and_names_each_command(tmp_path, fixed_rate):
    path = tmp_path / "rows.json"

    def table(rows):
        return "# Rows\n\n" + "".join(f"{r['target']} {r['seed']} {r['value']}\n" for r in rows)

    record_row(path, {"target": "16O", "seed": 0, "value": 1}, ("target", "seed"), table, "a 16O")
    record_row(path, {"target": "16O", "seed": 1, "value": 2}, ("target", "seed"), table, "a 16O")
    record_row(path, {"target": "16O", "seed": 0, "value": 3}, ("target", "seed"), table, "b")

    rows = json.loads(path.read_text())["rows"]
    assert [(r["seed"], r["value"], r["command"]) for r in rows] == [(1, 2, "a 16O"), (0, 3, "b")]
    lines = path.with_suffix(".md").read_text().splitlines()
    day = rows[0]["date"][:10]
    commit = rows[0]["commit"]
    assert lines[2] == (
        f"Made by `a 16O` at commit {commit} (1 row, {day}); `b` at commit {commit} "
        f"(1 row, {day}). Each row's machine: in the JSON file."
    )
    assert lines[4:] == ["16O 1 2", "16O 0 3"]


def test_rewrite_page_renders_the_stored_rows_again_and_keeps_them(tmp_path, fixed_rate):
    path = tmp_path / "rows.json"
    record_row(path, {"target": "16O", "seed": 0}, ("target", "seed"), lambda r: "# Old\n", "a")
    stored = path.read_text()
    page = rewrite_page(path, lambda rows: "# New\n\n" + f"{len(rows)} row\n")
    assert path.read_text() == stored  # the rows and their provenance are untouched
    lines = path.with_suffix(".md").read_text().splitlines()
    assert page.splitlines() == lines
    assert lines[0] == "# New" and lines[2].startswith("Made by `a` at commit ")
    assert lines[4] == "1 row"


def test_rows_of_a_command_not_recorded_are_named_so(tmp_path, fixed_rate):
    path = tmp_path / "rows.json"
    old = {"target": "4He", "seed": 0, "date": "2026-12-01T10:00:00+00:00"}
    path.write_text(json.dumps({"rows": [old]}))
    record_row(path, {"target": "4He", "seed": 1}, ("target", "seed"), lambda r: "# R\n", "new")
    header = path.with_suffix(".md").read_text().splitlines()[2]
    assert header.startswith("Made by a command not recorded (1 row, 2026-12-01); `new` at ")


@needs_git
def test_code_version_names_the_commit_and_changes_to_the_code(tmp_path):
    def git(*args):
        return subprocess.run(
            ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    (tmp_path / "qestl").mkdir()
    (tmp_path / "qestl" / "a.py").write_text("A = 1\n")
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "benchmarks" / "results" / "x.md").write_text("# x\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "first")
    head = git("rev-parse", "--short", "HEAD")

    assert code_version(tmp_path) == head
    (tmp_path / "benchmarks" / "results" / "x.md").write_text("# x, rerun\n")  # a result
    (tmp_path / "notes.txt").write_text("not code\n")
    assert code_version(tmp_path) == head
    (tmp_path / "qestl" / "b.py").write_text("B = 2\n")  # new code, not yet committed
    assert code_version(tmp_path) == head + "+changes"
    assert code_version(tmp_path / "qestl") == "unknown"  # not the root of the checkout


def test_code_version_outside_a_checkout(tmp_path):
    assert code_version(tmp_path) == "unknown"


def test_current_command_is_the_line_to_type_again():
    script = str(REPOSITORY / "benchmarks" / "x.py")
    assert current_command([script, "--note", "two words"]) == (
        "python benchmarks/x.py --note 'two words'"
    )
    assert current_command(["/opt/env/bin/qestl", "benchmark", "--targets", "16O"]) == (
        "qestl benchmark --targets 16O"
    )
    outside = Path("/elsewhere/y.py")
    if not outside.resolve().is_relative_to(REPOSITORY):
        assert current_command([str(outside)]) == "python /elsewhere/y.py"


def test_machine_label_names_threads_and_rate(fixed_rate):
    label = machine_label(rate=False)
    assert f"{torch.get_num_threads()} torch thread(s)" in label
    assert f"torch {torch.__version__}" in label
    assert "GFLOP/s" not in label
    assert machine_label().endswith(", bmm 123 GFLOP/s")


def test_matmul_rate_is_a_positive_rate():
    rate = matmul_rate(members=2, width=16, repeats=3)
    assert math.isfinite(rate) and rate > 0
