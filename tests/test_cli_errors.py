"""The qestl command reports every user mistake in one line, exit status 2, no traceback."""

import argparse
import os
import subprocess
import sys

import pytest

from qestl import __version__
from qestl.cli import build_parser, main


@pytest.fixture
def corrupt_archive(isolated, qes_dir):
    """A folder whose eQE_12C.dat was cut in the middle of a line."""
    folder = isolated / "damaged"
    folder.mkdir()
    text = (qes_dir / "eQE_12C.dat").read_text()
    (folder / "eQE_12C.dat").write_text(text[: len(text) // 2 - 7])
    return folder


@pytest.fixture
def blocker(isolated):
    """A plain file where a folder is expected (unwritable even for root)."""
    path = isolated / "a-file"
    path.write_text("not a folder\n")
    return path


def _mistakes(corrupt_archive, blocker):
    """(arguments, extra environment, what the message must say) of each mistake."""
    return {
        "unknown target": (["data", "--target", "Xx"], {}, "unknown target 'Xx'"),
        "corrupt data file": (
            ["data"],
            {"QESTL_DATA": str(corrupt_archive)},
            "eQE_12C.dat line",
        ),
        "no panels": (["data", "--panels", "0"], {}, "--panels: must be a positive integer"),
        "unwritable output": (
            ["data", "--output", str(blocker / "figures")],
            {},
            f"--output {blocker / 'figures'}: cannot write there",
        ),
        "no seeds": (["benchmark", "--seeds", "0"], {}, "--seeds: must be a positive integer"),
        "unknown fetch target": (["fetch", "16O", "Xx"], {}, "unknown target 'Xx'"),
    }


def _check_one_line(err, expected):
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("qestl: error: ")
    assert expected in lines[0]


def test_each_mistake_ends_the_command_in_one_line_with_status_2(corrupt_archive, blocker):
    # the real command in its own process: exit status and stderr as a shell sees them
    base = {**os.environ, "OMP_NUM_THREADS": "1"}
    base.pop("QESTL_DATA", None)
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", "qestl.cli", *args],
            env={**base, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (args, env, _) in _mistakes(corrupt_archive, blocker).items()
    }
    for name, (_, _, expected) in _mistakes(corrupt_archive, blocker).items():
        out, err = running[name].communicate(timeout=300)
        assert running[name].returncode == 2, (name, err)
        _check_one_line(err, expected)
        assert out == "", name


@pytest.mark.parametrize(
    "name",
    [
        "unknown target",
        "corrupt data file",
        "no panels",
        "unwritable output",
        "no seeds",
        "unknown fetch target",
    ],
)
def test_each_mistake_in_process(name, corrupt_archive, blocker, monkeypatch, capsys):
    args, env, expected = _mistakes(corrupt_archive, blocker)[name]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(args) == 2
    _check_one_line(capsys.readouterr().err, expected)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["data", "--output", "{blocker}"], "is a file, not a folder"),
        (["data", "--data-home", "{missing}"], "--data-home: no such folder"),
        (["fetch", "16O", "--data-home", "{blocker}"], "--data-home"),
        (["fetch", "16O", "--retries", "-1"], "--retries: must be an integer >= 0"),
        (["fetch", "16O", "--url", "archive/"], "must start with https://, http:// or file://"),
        (["benchmark", "--fractions", "1.5"], "--fractions: must lie strictly between 0 and 1"),
        (["benchmark", "--fractions", "0.1", "0.7", "--seeds", "1", "2", "3"], "--seeds"),
        (["benchmark", "--n-jobs", "0"], "--n-jobs: must be a positive integer or -1"),
        (["benchmark", "--source-prior", "nan"], "--source-prior: expected a finite number"),
        (
            ["transfer", "--source-prior", "-1"],
            "'source_prior' parameter of TransferRegressor must be a float in the range [0, inf)",
        ),
        (["benchmark", "--members", "two"], "--members: expected an integer, got 'two'"),
        (["transfer", "--train-fraction", "0"], "--train-fraction: must lie strictly"),
        (["--target", "Xx"], "see 'qestl transfer --help'"),  # the bare command's options
        (["no-such-command"], "invalid choice"),
    ],
)
def test_other_mistakes_are_one_line(args, expected, isolated, blocker, capsys):
    args = [a.format(blocker=blocker, missing=isolated / "missing") for a in args]
    assert main(args) == 2
    _check_one_line(capsys.readouterr().err, expected)


def test_a_refused_download_is_one_line(isolated, qes_dir, capsys):
    mirror = isolated / "mirror"
    mirror.mkdir()
    text = (qes_dir / "eQE_16O.dat").read_text()
    (mirror / "eQE_16O.dat").write_text(text[: len(text) // 2])
    args = ["fetch", "16O", "--url", mirror.as_uri(), "--data-home", str(isolated / "cache")]
    assert main(args) == 2
    _check_one_line(capsys.readouterr().err, "not the one qestl's registry lists")
    assert list((isolated / "cache").iterdir()) == []


def test_fetch_downloads_and_says_how_each_file_was_checked(isolated, qes_dir, capsys):
    args = ["fetch", "oxygen", "4He", "--url", qes_dir.as_uri()]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    cache = isolated / "xdg" / "qestl"
    assert out == [
        f"16O: {cache / 'eQE_16O.dat'} (sha256 as in qestl's registry)",
        f"4He: {cache / 'eQE_4He.dat'} (sha256 as in qestl's registry)",
    ]
    assert (cache / "eQE_4He.dat").read_bytes() == (qes_dir / "eQE_4He.dat").read_bytes()


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"qestl {__version__}\n"


def test_help_says_what_the_bare_command_runs(capsys):
    assert main(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Without a command, qestl runs 'qestl transfer'" in out
    assert "fetch" in out


def _parsers(parser):
    yield parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_has_help_and_shows_its_default():
    parsers = dict(_parsers(build_parser()))
    assert set(parsers) == {
        "qestl",
        "qestl data",
        "qestl fetch",
        "qestl benchmark",
        "qestl transfer",
    }
    for prog, parser in parsers.items():
        formatter = parser._get_formatter()
        for action in parser._actions:
            if action.default == argparse.SUPPRESS or not action.option_strings:
                assert action.help, (prog, action.dest)  # -h, --version, positionals
                continue
            text = formatter._expand_help(action)
            assert "default" in text, (prog, action.option_strings, text)
