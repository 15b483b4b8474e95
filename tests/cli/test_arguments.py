"""Argument handling and exit codes, through `domain_steward_cli.main(argv)`: usage errors exit 2 before any AWS
call (no cloud is running here, so a call would fail differently), and `--json` prints one document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import domain_steward_cli
from domain_steward import __version__
from tests.cli.conftest import ROOT

EXAMPLE = ROOT / "config" / "example.yaml"


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing here may reach AWS: an unroutable endpoint and placeholder credentials.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_version_and_help_exit_0(capsys: pytest.CaptureFixture[str]):
    assert domain_steward_cli.main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
    assert domain_steward_cli.main(["--help"]) == 0
    shown = capsys.readouterr().out
    for command in ("config", "reconcile", "sweep", "teardown"):
        assert command in shown


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["teardown", "start", "d-abcdefghijkl"], "Missing option '--confirm'"),
        (["teardown", "start", "D_NOT_AN_ID", "--confirm", "D_NOT_AN_ID"], "DomainId"),
        (
            [
                "teardown",
                "start",
                "d-abcdefghijkl",
                "--confirm",
                "alice",
                "--user-profile",
                "alice",
                "--delete-home-efs",
            ],
            "HomeEfsFileSystem applies to a whole domain",
        ),
        (["teardown", "start", "d-abcdefghijkl", "--confirm", "d-abcdefghijkl"], "--state-machine-arn"),
        (["teardown", "status"], "--state-machine-arn"),
        (["sweep"], "--autostop-table"),
        (["reconcile", "--apply"], "--records-table"),
        (["sweep", "--autostop-table", "t", "--at", "yesterday"], "'--at'"),
        (["config", "apply", str(EXAMPLE), "--json"], "add --yes"),
        (["nonsense"], "No such command"),
    ],
)
def test_usage_errors_exit_2_and_say_what_is_wrong(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]):
    assert domain_steward_cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_validate_with_json_prints_exactly_one_document(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    assert domain_steward_cli.main(["config", "validate", str(EXAMPLE), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["Valid"] is True

    bad = tmp_path / "bad.yaml"
    bad.write_text("[not, a, mapping]\n")
    assert domain_steward_cli.main(["config", "validate", str(bad), "--json"]) == 1
    assert json.loads(capsys.readouterr().out) == {
        "File": str(bad),
        "Valid": False,
        "Problems": ["(top level): expected a mapping with version and domains"],
    }


def test_validate_without_json_prints_a_table_and_the_problems(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    assert domain_steward_cli.main(["config", "validate", str(EXAMPLE)]) == 0
    assert "d-abcdefghijkl" in capsys.readouterr().out

    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ndomains: [{domain_id: '*'}, {domain_id: '*'}]\n")
    assert domain_steward_cli.main(["config", "validate", str(bad)]) == 1
    assert 'two "*" entries' in capsys.readouterr().err


def test_importing_the_layer_entry_point_runs_nothing():
    # The built-artifact check imports every layer module: domain_steward.__main__ must import cleanly, without
    # click or rich, and act only when run as `python -m domain_steward`.
    import domain_steward.__main__ as entry

    assert callable(entry.run)
