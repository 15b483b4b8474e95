"""`domain-steward teardown start` driving the real TeardownStateMachine: the template deployed on an in-process
LocalCloud (cheaper than `sam deploy` onto the server, which tests/docs/test_readme_commands.py does), the CLI
called through `domain_steward_cli.main` with the stack's state machine ARN. Every boto3 client the CLI makes
reaches the same local cloud."""

from __future__ import annotations

import json
from typing import Any

import pytest

import domain_steward_cli
from tests.integration.conftest import StudioBuilder, domain_residue


def _document(stdout: str) -> Any:
    """The CLI's JSON document: the last one on stdout, where the in-process handlers also print their metrics
    (one line each, where the CLI's document is indented)."""
    start = 0 if stdout.startswith("{\n") else stdout.rindex("\n{\n") + 1
    return json.loads(stdout[start:])


def test_the_cli_tears_a_domain_down_through_the_deployed_workflow(
    cloud, stack, studio: StudioBuilder, capsys: pytest.CaptureFixture[str]
):
    domain_id = studio.domain()
    studio.populate(domain_id, profiles=2, private_spaces=1, shared_spaces=0, apps={"InService": 2})
    file_system_id = cloud.client("sagemaker").describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]
    arn = stack.physical_id("TeardownStateMachine")

    planned = domain_steward_cli.main(["teardown", "plan", domain_id, "--json"])
    plan = _document(capsys.readouterr().out)
    code = domain_steward_cli.main(
        ["teardown", "start", domain_id, "--confirm", domain_id, "--delete-home-efs",
         "--state-machine-arn", arn, "--poll-seconds", "0.1", "--json"]
    )  # fmt: skip

    assert planned == 0
    assert code == 0
    document = _document(capsys.readouterr().out)
    assert document["Status"] == "SUCCEEDED"
    report = document["Report"]
    assert report["Counts"]["Deleted"]["UserProfiles"] == plan["Counts"]["Plan"]["UserProfiles"] == 2
    assert report["Counts"]["Deleted"]["Apps"] == plan["Counts"]["Plan"]["Apps"] == 2
    assert cloud.client("sagemaker").list_domains()["Domains"] == []
    assert domain_residue(cloud, domain_id, file_system_id) == {
        "FileSystems": [],
        "MountTargets": [],
        "SecurityGroups": [],
    }


def test_the_rich_display_shows_the_report_and_status_lists_the_execution(
    cloud, stack, studio: StudioBuilder, capsys: pytest.CaptureFixture[str]
):
    domain_id = studio.domain()
    arn = stack.physical_id("TeardownStateMachine")

    code = domain_steward_cli.main(
        ["teardown", "start", domain_id, "--confirm", domain_id, "--state-machine-arn", arn, "--poll-seconds", "0.1"]
    )

    assert code == 0
    shown = capsys.readouterr().out
    assert "SUCCEEDED" in shown
    assert f"Teardown of {domain_id}" in shown
    assert domain_steward_cli.main(["teardown", "status", "--state-machine-arn", arn, "--json"]) == 0
    [execution] = _document(capsys.readouterr().out)["Executions"]
    assert execution["Status"] == "SUCCEEDED"
