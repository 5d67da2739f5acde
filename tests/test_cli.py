import re
import shlex
from pathlib import Path

from qestl.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_data_command_prints_summary_and_writes_figure(qes_dir, tmp_path, capsys):
    assert (
        main(["data", "--target", "carbon", "--data-home", str(qes_dir), "--output", str(tmp_path)])
        == 0
    )
    out = capsys.readouterr().out
    assert "12C: 2524 points, 10 datasets, 60 spectra" in out
    assert "Barreau:1983ht" in out
    figure = tmp_path / "spectra_12C.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_data_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("QESTL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert main(["data", "--target", "16O", "--data-home", str(tmp_path)]) == 2
    assert "QESTL_DATA" in capsys.readouterr().err


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```(?:bash|sh)\n(.*?)\n```", text, flags=re.S)


def test_ci_runs_the_readme_test_command():
    commands = _readme_commands()
    assert len(commands) >= 2
    test_command = commands[1].strip()
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci
    assert shlex.split(test_command)  # well-formed shell words
