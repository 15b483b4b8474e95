"""`domain-steward teardown ...` end to end against `python -m localcloud serve`.

`plan` runs the workflow's own Plan task in the CLI, so it is tested on a real domain on the server. `start` and
`status` are tested here against a stand-in state machine that takes the teardown's input and carries
`Teardown.Stage` as the real one does, which keeps each case small; the real workflow driven by the CLI is in
test_teardown_in_process.py, and on the server (deployed with `sam deploy`) in tests/docs/test_readme_commands.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import domain_steward_cli
from tests.cli.conftest import Server

STAND_IN_ROLE = "arn:aws:iam::123456789012:role/StandIn"


def _state_machine(server: Server, name: str, states: dict[str, Any], start_at: str) -> str:
    definition = {"StartAt": start_at, "States": states}
    return str(
        server.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=STAND_IN_ROLE
        )["stateMachineArn"]
    )


def test_plan_lists_what_a_teardown_would_remove_and_changes_nothing(server: Server):
    domain_id = server.domain("to-plan")
    sagemaker = server.client("sagemaker")
    sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    server.control("POST", "clock/advance", {"seconds": 600})

    result = server.cli("teardown", "plan", domain_id, "--delete-home-efs", "--json")

    assert result.code == 0, result.stderr
    report = result.json()
    assert report["Status"] == "DRY_RUN"
    assert report["HomeEfsFileSystem"] == "Delete"
    assert report["Counts"]["Plan"]["UserProfiles"] == 1
    assert report["Counts"]["Plan"]["FileSystems"] == 1
    assert [p["UserProfileName"] for p in report["Plan"]["UserProfiles"]] == ["alice"]
    shown = server.cli("teardown", "plan", domain_id)
    assert shown.code == 0, shown.stderr
    assert f"Teardown of {domain_id}" in shown.stdout
    assert "UserProfileName=alice" in shown.stdout
    assert "HomeEfsFileSystem: Retain" in shown.stdout
    assert f"domain-steward teardown start {domain_id} --confirm {domain_id}" in shown.stdout
    assert sagemaker.describe_domain(DomainId=domain_id)["Status"] == "InService"
    assert sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName="alice")["Status"] == "InService"


def test_plan_of_a_missing_domain_is_refused_with_exit_1(server: Server):
    result = server.cli("teardown", "plan", "d-doesnotexist1", "--json")

    assert result.code == 1
    assert result.json()["Refused"] == "DomainNotFound"


def test_plan_of_a_protected_domain_is_refused_as_the_workflow_refuses_it(server: Server):
    domain_id = server.domain("protected")
    arn = server.client("sagemaker").describe_domain(DomainId=domain_id)["DomainArn"]
    server.client("sagemaker").add_tags(ResourceArn=arn, Tags=[{"Key": "domain-steward:protected", "Value": "true"}])

    result = server.cli("teardown", "plan", domain_id)

    assert result.code == 1
    assert "DomainProtected" in result.stderr


def test_start_refuses_a_wrong_confirmation_without_starting_anything(server: Server):
    arn = _state_machine(server, "never-started", {"Done": {"Type": "Succeed"}}, "Done")

    result = server.cli(
        "teardown", "start", "d-abcdefghijkl", "--confirm", "d-abcdefghijkm", "--state-machine-arn", arn
    )

    assert result.code == 2
    assert "--confirm must repeat" in result.stderr
    assert server.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"] == []


def test_start_sends_the_teardown_input_follows_to_the_end_and_prints_the_report(server: Server):
    report = {"Status": "SUCCEEDED", "Counts": {"Plan": {"Apps": 1}, "Deleted": {"Apps": 1}, "Kept": {}}}
    arn = _state_machine(
        server,
        "stand-in-succeeds",
        {
            "Round": {
                "Type": "Pass",
                "Result": {"Stage": "Apps", "Remaining": 1},
                "ResultPath": "$.Teardown",
                "Next": "Wait",
            },
            "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
            "Done": {"Type": "Pass", "Result": report, "End": True},
        },
        "Round",
    )

    result = server.cli(
        "teardown", "start", "d-abcdefghijkl", "--confirm", "d-abcdefghijkl", "--delete-home-efs",
        "--state-machine-arn", arn, "--poll-seconds", "0.2", "--json",
    )  # fmt: skip

    assert result.code == 0, result.stderr
    document = result.json()
    assert document["Status"] == "SUCCEEDED"
    assert document["Report"] == report
    sfn = server.client("stepfunctions")
    started = json.loads(sfn.describe_execution(executionArn=document["ExecutionArn"])["input"])
    assert started == {
        "DomainId": "d-abcdefghijkl",
        "Confirm": "d-abcdefghijkl",
        "DryRun": False,
        "HomeEfsFileSystem": "Delete",
    }


def test_a_failed_teardown_exits_1_with_its_error_and_cause(server: Server):
    arn = _state_machine(
        server,
        "stand-in-fails",
        {"Failed": {"Type": "Fail", "Error": "TeardownStuck", "Cause": "Apps: 1 Deleting"}},
        "Failed",
    )

    result = server.cli(
        "teardown", "start", "d-abcdefghijkl", "--confirm", "alice", "--user-profile", "alice",
        "--state-machine-arn", arn, "--poll-seconds", "0.2",
    )  # fmt: skip

    assert result.code == 1
    assert "FAILED" in result.stderr
    assert "TeardownStuck" in result.stderr
    assert "Apps: 1 Deleting" in result.stderr
    sfn = server.client("stepfunctions")
    [execution] = sfn.list_executions(stateMachineArn=arn)["executions"]
    started = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert started == {"DomainId": "d-abcdefghijkl", "Confirm": "alice", "DryRun": False, "UserProfileName": "alice"}
    status = server.cli("teardown", "status", execution["executionArn"], "--json")
    assert status.code == 1
    assert status.json()["Error"] == "TeardownStuck"
    listed = server.cli("teardown", "status", "--state-machine-arn", arn, "--json")
    assert listed.code == 0
    assert [e["Status"] for e in listed.json()["Executions"]] == ["FAILED"]


def test_ctrl_c_stops_watching_leaves_the_execution_running_and_says_how_to_resume(
    server: Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    # A workflow that never ends by itself: it waits and loops until stopped (each Wait moves the virtual clock).
    arn = _state_machine(
        server,
        "stand-in-endless",
        {
            "Round": {
                "Type": "Pass",
                "Result": {"Stage": "Domain", "Remaining": 1},
                "ResultPath": "$.Teardown",
                "Next": "Wait",
            },
            "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Round"},
        },
        "Round",
    )

    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    # The first pause between two polls is where the operator presses Ctrl-C (time.sleep is process-wide: the
    # patch is lifted as soon as the command returns).
    with monkeypatch.context() as patched:
        patched.setattr("domain_steward_cli.teardown_commands.time.sleep", interrupted)
        code = domain_steward_cli.main(
            ["teardown", "start", "d-abcdefghijkl", "--confirm", "d-abcdefghijkl", "--state-machine-arn", arn,
             "--endpoint-url", server.url, "--region", "us-east-1"]
        )  # fmt: skip

    assert code == 130
    err = capsys.readouterr().err
    assert "RUNNING: " in err  # not a terminal here: the progress is printed as lines, not a spinner
    [execution] = server.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
    assert f"domain-steward teardown status {execution['executionArn']} --follow" in err
    sfn = server.client("stepfunctions")
    try:
        status = server.cli("teardown", "status", execution["executionArn"], "--json")
        assert status.code == 0
        assert status.json()["Status"] == "RUNNING"
        assert status.json()["Progress"] == "stage Domain, remaining 1"  # what the workflow carries (Teardown)
    finally:
        sfn.stop_execution(executionArn=execution["executionArn"])


def test_an_aws_error_exits_1_with_the_message_and_no_traceback(server: Server):
    missing = "arn:aws:states:us-east-1:123456789012:execution:no-such-machine:no-such-execution"

    result = server.cli("teardown", "status", missing)

    assert result.code == 1
    assert "ExecutionDoesNotExist" in result.stderr
    assert "Traceback" not in result.stderr
