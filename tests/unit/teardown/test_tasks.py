"""The workflow's tasks as the state machine calls them: what they return is what the next state reads."""

from __future__ import annotations

import json
from typing import Any

from domain_steward.teardown import tasks
from domain_steward.teardown.stages import Clients
from localcloud import LocalCloud
from tests.unit.teardown.support import EXECUTION, Studio, budget

MARK = "domain-steward:teardown"


def _tags(clients: Clients, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in clients.sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def test_a_dry_run_plan_carries_its_report_and_the_plan_as_text(clients: Clients, sfn: Any, studio: Studio):
    domain_id = studio.domain()
    planned = tasks.plan(clients, sfn, {"DomainId": domain_id, "Confirm": domain_id, "DryRun": True}, EXECUTION)

    assert json.loads(planned["Plan"])["Domain"]["DomainId"] == domain_id
    report = planned["Report"]
    assert (report["Status"], report["DryRun"], report["Stages"]) == ("DRY_RUN", True, [])
    assert report["Counts"]["Plan"]["SecurityGroups"] == 2
    assert all(items == [] for items in report["Deleted"].values())


def test_mark_then_rounds_then_report_give_the_documented_report(
    cloud: LocalCloud, clients: Clients, sfn: Any, studio: Studio
):
    domain_id = studio.domain()
    studio.profile(domain_id, "alice")
    planned = tasks.plan(clients, sfn, {"DomainId": domain_id, "Confirm": domain_id}, EXECUTION)

    carried = tasks.mark(clients, sfn, planned, cloud.clock.now)
    assert _tags(clients, planned["Target"]["DomainArn"])[MARK] == EXECUTION
    assert (carried["Stage"], carried["Finished"]) == ("Apps", False)
    while not carried["Finished"]:
        carried = tasks.round_(clients, carried["Progress"], cloud.clock.now, budget())
        cloud.clock.advance(carried["WaitSeconds"])
    result = tasks.final_report(planned, carried["Progress"])

    report = result["Report"]
    assert report["Status"] == "SUCCEEDED"
    assert report["HomeEfsFileSystem"] == "Retain"
    assert report["Deleted"]["UserProfiles"] == [{"UserProfileName": "alice"}]
    assert report["Counts"]["Kept"] == {"FileSystems": 1, "MountTargets": 2, "SecurityGroups": 2}
    assert [s["Stage"] for s in report["Stages"]] == ["Apps", "Spaces", "UserProfiles", "Domain", "Leftovers"]
    assert all(s["StartedAt"] <= s["EndedAt"] for s in report["Stages"])
    assert result["Notification"]["Subject"] == f"Domain Steward teardown SUCCEEDED: {domain_id}"
    assert "Kept (HomeEfsFileSystem=Retain)" in result["Notification"]["Message"]


def test_after_a_failure_only_this_execution_s_mark_is_removed(clients: Clients, studio: Studio):
    domain_id = studio.domain()
    arn = clients.sagemaker.describe_domain(DomainId=domain_id)["DomainArn"]
    state = {"Target": {"MarkArn": arn}, "Failure": {"Error": "TeardownStuck", "Cause": "x"}}
    other = "arn:aws:states:us-east-1:123456789012:execution:domain-steward-Teardown:other"

    clients.sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": MARK, "Value": other}])
    tasks.failed(clients, state, EXECUTION)
    assert _tags(clients, arn)[MARK] == other

    clients.sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": MARK, "Value": EXECUTION}])
    tasks.failed(clients, state, EXECUTION)
    assert MARK not in _tags(clients, arn)


def test_a_failure_is_named_with_the_handler_s_own_sentence(clients: Clients):
    payload = json.dumps({"errorType": "DomainNotFound", "errorMessage": "Domain d-x does not exist.", "trace": []})
    assert tasks.failed(clients, {"Failure": {"Error": "DomainNotFound", "Cause": payload}}, EXECUTION) == {
        "Error": "DomainNotFound",
        "Cause": "Domain d-x does not exist.",
    }
    # Errors raised by Step Functions itself carry plain text: kept as it is.
    assert tasks.failed(clients, {"Failure": {"Error": "States.Timeout", "Cause": "timed out"}}, EXECUTION) == {
        "Error": "States.Timeout",
        "Cause": "timed out",
    }
