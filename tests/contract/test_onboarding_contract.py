"""Contract checks of the onboarding resources in template.yaml (issue 7): triggers, and least privilege in the
ARN formats AWS uses (Service Authorization Reference: list_awsidentitystore.html, list_awsiamidentitycenter.html)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localcloud.contract import ungranted
from localcloud.harness.template import translate

ROOT = Path(__file__).resolve().parents[2]
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}
USER = "94e80458-9021-70ea-08fa-c3a10a1d8a92"
GROUP = "34887428-4081-7042-c3c6-928d413009e7"


def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = translate(ROOT / "template.yaml")["Resources"]
    return resources


def test_the_onboarding_function_reports_partial_batch_failures_from_the_events_queue():
    mapping = next(
        r["Properties"]
        for r in _resources().values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": "OnboardingFunction"}
    )
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["IdentityCenterEventsQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_reconciliation_runs_on_its_schedule_event_named_schedule():
    rule = _resources()["ReconcileFunctionSchedule"]  # INTERFACES.md: the schedule event is named Schedule
    assert rule["Properties"]["ScheduleExpression"] == {"Ref": "ReconcileSchedule"}
    assert translate(ROOT / "template.yaml")["Parameters"]["ReconcileSchedule"]["Default"] == "rate(1 hour)"


def test_the_records_table_is_encrypted_and_recoverable():
    table = _resources()["OnboardingRecordsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_onboarding_may_read_the_directory_and_assign_in_the_arn_formats_aws_uses():
    wanted = {
        "identitystore:DescribeUser": [
            "arn:aws:identitystore::123456789012:identitystore/d-9067a1b2c3",
            f"arn:aws:identitystore:::user/{USER}",
        ],
        "identitystore:ListGroupMemberships": [f"arn:aws:identitystore:::group/{GROUP}"],
        "identitystore:ListGroupMembershipsForMember": ["arn:aws:identitystore:::membership/*"],
        "sso:CreateApplicationAssignment": [
            "arn:aws:sso::123456789012:application/ssoins-0123456789abcdef/apl-0123456789abcdef"
        ],
        "ssm:GetParameter": ["arn:aws:ssm:us-east-1:123456789012:parameter/domain-steward/config"],
    }
    parameters = {**PSEUDO, "ConfigParameterName": "/domain-steward/config"}  # its default
    assert ungranted(translate(ROOT / "template.yaml"), "OnboardingPolicy", wanted, parameters) == []


def test_onboarding_starts_only_the_teardown_and_provisioning_workflows():
    statements = _resources()["OnboardingPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (start,) = [s for s in statements if "states:StartExecution" in str(s["Action"])]
    assert start["Resource"] == [{"Ref": "TeardownStateMachine"}, {"Ref": "ProvisionProfileStateMachine"}]
    (config,) = [s for s in statements if s["Action"] == "ssm:GetParameter"]
    assert "${ConfigParameterName}" in config["Resource"]["Fn::Sub"]
