"""Scheduled rules and schedules: fired on demand, validated at deploy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from localcloud import LocalCloud
from localcloud.harness import DeployError, Stack
from localcloud.harness.schedules import validate_schedule_expression

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "harness" / "template.yaml"


@pytest.fixture
def stack(cloud: LocalCloud) -> Stack:
    return cloud.deploy(TEMPLATE)


def test_a_schedule_with_input_delivers_that_input(stack: Stack):
    [delivery] = stack.run_schedule("RecorderFunctionNightly")

    assert delivery.error is None
    assert delivery.result["event"] == {"job": "nightly"}
    assert delivery.target_arn == stack.attribute("RecorderFunction", "Arn")


def test_a_schedule_without_input_delivers_the_scheduled_event(cloud: LocalCloud, stack: Stack):
    [delivery] = stack.run_schedule("RecorderFunction.Hourly")

    event = delivery.result["event"]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == [stack.attribute("RecorderFunctionHourly", "Arn")]
    assert event["detail"] == {}
    assert event["account"] == cloud.account_id
    assert event["time"] == cloud.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_eventbridge_scheduler_schedule_delivers_its_input(cloud: LocalCloud, stack: Stack):
    [delivery] = stack.run_schedule("RecorderFunctionWeekly")

    assert delivery.result["event"] == {"job": "weekly"}
    schedule = cloud.client("scheduler").get_schedule(Name=stack.physical_id("RecorderFunctionWeekly"))
    assert schedule["ScheduleExpression"] == "rate(7 days)"


def test_a_disabled_schedule_does_not_fire(cloud: LocalCloud, stack: Stack):
    cloud.client("events").disable_rule(Name=stack.physical_id("RecorderFunctionNightly"))

    assert stack.run_schedule("RecorderFunctionNightly") == []


def test_only_schedules_can_be_run(stack: Stack):
    with pytest.raises(KeyError, match="RecorderFunctionHourly"):
        stack.run_schedule("NoSuchSchedule")
    with pytest.raises(KeyError, match="event pattern rule"):
        stack.run_schedule("WorkRule")


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 day)",
        "cron(0 2 * * ? *)",
        "cron(0/15 8-17 ? * MON-FRI *)",
        "cron(0 12 L * ? 2030)",
        "cron(30 9 ? * 2#1 *)",
        "cron(0 0 15W JAN,JUL ? *)",
    ],
)
def test_valid_schedule_expressions_pass(expression: str):
    validate_schedule_expression(expression)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("rate(1 minutes)", "singular"),
        ("rate(2 hour)", "singular"),
        ("rate(0 minutes)", "positive"),
        ("rate(1 fortnight)", "not a schedule expression"),
        ("cron(0 2 * * *)", "6 fields"),
        ("cron(0 2 * * * *)", "exactly one"),
        ("cron(0 2 ? * ? *)", "exactly one"),
        ("cron(61 2 * * ? *)", "minutes"),
        ("cron(0 24 * * ? *)", "hours"),
        ("cron(0 2 * 13 ? *)", "month"),
        ("cron(0 2 ? * FUNDAY *)", "day-of-week"),
        ("at(2030-01-01T00:00:00)", "not a schedule expression"),
    ],
)
def test_invalid_schedule_expressions_say_why(expression: str, reason: str):
    with pytest.raises(ValueError, match=reason):
        validate_schedule_expression(expression)


def test_one_time_schedules_are_valid_for_eventbridge_scheduler():
    validate_schedule_expression("at(2030-01-01T00:00:00)", allow_at=True)
    with pytest.raises(ValueError, match="is not a valid date and time"):
        validate_schedule_expression("at(2030-13-01T00:00:00)", allow_at=True)


def test_deploy_refuses_a_bad_schedule_expression(cloud: LocalCloud, sam_project: Callable[..., Path]):
    template = sam_project(
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Sweeper:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.11
              Handler: app.handler
              CodeUri: code/
              Events:
                Nightly:
                  Type: Schedule
                  Properties:
                    Schedule: cron(0 2 * * * *)
        """
    )

    with pytest.raises(DeployError, match=r"SweeperNightly: .*exactly one of day-of-month and day-of-week"):
        cloud.deploy(template)
