"""`domain-steward config ...` end to end: a subprocess against `python -m localcloud serve`."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import ROOT, Server

EXAMPLE = ROOT / "config" / "example.yaml"
NAME = "/domain-steward/config"


def test_validate_accepts_the_example_and_lists_its_domains(server: Server):
    result = server.cli("config", "validate", str(EXAMPLE), "--json")

    assert result.code == 0, result.stderr
    document = result.json()
    assert document["Valid"] is True
    assert [d["DomainId"] for d in document["Domains"]] == ["d-abcdefghijkl", "*"]


def test_validate_names_every_problem_and_exits_1(server: Server, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ndomains:\n  - domain_id: nope\n    offboardng: retain\n")

    result = server.cli("config", "validate", str(bad), "--json")

    assert result.code == 1
    problems = result.json()["Problems"]
    assert any(p.startswith("domains[0].domain_id:") for p in problems)
    assert any(p.startswith("domains[0].offboardng:") for p in problems)


def test_show_exits_1_while_no_configuration_was_applied(server: Server):
    result = server.cli("config", "show", "--parameter-name", "/never/applied", "--json")

    assert result.code == 1
    assert result.json() == {"ParameterName": "/never/applied", "Exists": False}


def test_apply_puts_the_file_shows_the_diff_and_skips_an_unchanged_file(server: Server, tmp_path: Path):
    first = server.cli("config", "apply", str(EXAMPLE), "--yes", "--json")
    assert first.code == 0, first.stderr
    assert first.json()["Applied"] is True
    assert server.client("ssm").get_parameter(Name=NAME)["Parameter"]["Value"] == EXAMPLE.read_text()

    again = server.cli("config", "apply", str(EXAMPLE), "--yes", "--json")
    assert again.code == 0
    assert again.json()["Applied"] is False
    assert again.json()["Changed"] is False

    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE.read_text().replace("idle_minutes: 120", "idle_minutes: 90", 1))
    update = server.cli("config", "apply", str(changed), "--yes", "--json")
    assert update.code == 0, update.stderr
    diff = update.json()["Diff"].splitlines()
    assert "-        Canvas: {idle_minutes: 120}" in diff
    assert "+        Canvas: {idle_minutes: 90}" in diff
    assert update.json()["Version"] == first.json()["Version"] + 1

    shown = server.cli("config", "show", "--json")
    assert shown.code == 0
    assert shown.json()["Value"] == changed.read_text()
    assert shown.json()["Valid"] is True


def test_apply_refuses_an_invalid_file_and_puts_nothing(server: Server, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 2\n")

    result = server.cli("config", "apply", str(bad), "--yes", "--parameter-name", "/cli/invalid")

    assert result.code == 1
    assert "version" in result.stderr
    assert "Nothing was put." in result.stderr
    assert (
        server.client("ssm").describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/cli/invalid"]}])[
            "Parameters"
        ]
        == []
    )


def test_apply_asks_first_and_a_no_puts_nothing(server: Server):
    result = server.cli("config", "apply", str(EXAMPLE), "--parameter-name", "/cli/declined", stdin="n\n")

    assert result.code == 1
    assert "+version: 1" in result.stdout  # the diff against a parameter that does not exist yet
    assert "Declined" in result.stderr
    shown = server.cli("config", "show", "--parameter-name", "/cli/declined", "--json")
    assert shown.json()["Exists"] is False


def test_a_usage_error_exits_2(server: Server):
    assert server.cli("config", "apply", str(EXAMPLE), "--json").code == 2  # --json cannot answer a prompt
    assert server.cli("config", "validate", "/no/such/file.yaml").code == 2
    assert server.cli("config", "frobnicate").code == 2


def test_a_configuration_longer_than_a_standard_parameter_is_put_in_the_advanced_tier(server: Server, tmp_path: Path):
    # Standard parameters hold 4,096 characters
    # (https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html).
    long = tmp_path / "long.yaml"
    long.write_text(EXAMPLE.read_text() + "#" + "x" * 4200 + "\n")

    result = server.cli("config", "apply", str(long), "--yes", "--parameter-name", "/cli/long", "--json")

    assert result.code == 0, result.stderr
    [parameter] = server.client("ssm").describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/cli/long"]}])[
        "Parameters"
    ]
    assert parameter["Tier"] == "Advanced"
