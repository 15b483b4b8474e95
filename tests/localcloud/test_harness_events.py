"""EventBridge routing and SQS event source mappings in the template harness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.harness import Stack

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "harness" / "template.yaml"


@pytest.fixture
def stack(cloud: LocalCloud) -> Stack:
    return cloud.deploy(TEMPLATE)


def _items(cloud: LocalCloud, stack: Stack, prefix: str) -> list[dict[str, Any]]:
    table = stack.physical_id("RecordsTable")
    items = cloud.client("dynamodb").scan(TableName=table)["Items"]
    return [item for item in items if item["pk"]["S"].startswith(prefix)]


def _messages(cloud: LocalCloud, stack: Stack, queue: str) -> list[dict[str, Any]]:
    sqs = cloud.client("sqs")
    response = sqs.receive_message(
        QueueUrl=stack.physical_id(queue), MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return list(response.get("Messages", []))


def _work(identifier: str, **detail: Any) -> dict[str, Any]:
    return {"Source": "harness.test", "DetailType": "Work Requested", "Detail": {"id": identifier, **detail}}


def test_an_event_flows_through_the_rule_and_queue_to_the_function(cloud: LocalCloud, stack: Stack):
    response = stack.put_events([_work("42")])

    assert response["FailedEntryCount"] == 0
    assert response["Entries"][0]["EventId"]
    [item] = _items(cloud, stack, "work#")
    assert item["pk"]["S"] == "work#42"
    assert item["receive_count"]["S"] == "1"
    assert item["source"]["S"] == "aws:sqs"
    assert _messages(cloud, stack, "WorkQueue") == []


def test_the_queue_gets_the_whole_event_envelope(cloud: LocalCloud, stack: Stack):
    stack.put_events([_work("7")], drain=False)

    [message] = _messages(cloud, stack, "WorkQueue")
    event = json.loads(message["Body"])
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert event["detail-type"] == "Work Requested"
    assert event["account"] == cloud.account_id
    assert event["region"] == cloud.region
    assert event["time"] == cloud.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert event["detail"] == {"id": "7"}


def test_detail_may_be_json_text_or_a_whole_sample_event(cloud: LocalCloud, stack: Stack):
    as_text = {"Source": "harness.test", "DetailType": "Work Requested", "Detail": json.dumps({"id": "text"})}
    whole = {"version": "0", "source": "harness.test", "detail-type": "Work Requested", "detail": {"id": "whole"}}

    response = stack.put_events([as_text, whole])

    assert response["FailedEntryCount"] == 0
    assert sorted(i["pk"]["S"] for i in _items(cloud, stack, "work#")) == ["work#text", "work#whole"]


def test_malformed_entries_are_reported_per_entry_as_put_events_does(stack: Stack):
    response = stack.put_events(
        [
            {"Source": "harness.test", "DetailType": "Work Requested", "Detail": "{not json"},
            {"DetailType": "Work Requested", "Detail": "{}"},
            _work("fine"),
        ]
    )

    assert response["FailedEntryCount"] == 2
    assert response["Entries"][0]["ErrorCode"] == "MalformedDetail"
    assert response["Entries"][1]["ErrorCode"] == "InvalidArgument"
    assert "EventId" in response["Entries"][2]


def test_an_event_no_pattern_matches_is_delivered_nowhere(cloud: LocalCloud, stack: Stack):
    stack.put_events([{"Source": "someone.else", "DetailType": "Work Requested", "Detail": {"id": "x"}}])
    stack.put_events([{"Source": "harness.test", "DetailType": "Something Else", "Detail": {"id": "y"}}])

    assert stack.deliveries == []
    assert _items(cloud, stack, "") == []
    assert _messages(cloud, stack, "WorkQueue") == []


def test_a_failing_message_is_retried_then_moved_to_the_dead_letter_queue(cloud: LocalCloud, stack: Stack):
    stack.put_events([_work("bad", fail=True)])

    assert _items(cloud, stack, "work#") == []
    assert _messages(cloud, stack, "WorkQueue") == []
    [dead] = _messages(cloud, stack, "WorkDeadLetterQueue")
    assert json.loads(dead["Body"])["detail"]["id"] == "bad"


def test_batch_item_failures_leave_only_the_failed_messages(cloud: LocalCloud, stack: Stack):
    report_before = stack.drain()
    sqs = cloud.client("sqs")
    url = stack.physical_id("WorkQueue")
    for identifier, fail in (("a", False), ("b", True), ("c", False)):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": identifier, "fail": fail}))

    report = stack.drain()

    assert report_before.invocations == 0
    assert sorted(i["pk"]["S"] for i in _items(cloud, stack, "work#")) == ["work#a", "work#c"]
    # One batch, then the failed message alone until its third receive; the fourth receive moves it.
    assert report.invocations == 3
    assert len(report.succeeded) == 2
    assert len(report.failed) == 3
    [dead] = _messages(cloud, stack, "WorkDeadLetterQueue")
    assert json.loads(dead["Body"])["id"] == "b"


def test_the_mapping_batch_size_comes_from_the_template_mapping(cloud: LocalCloud, stack: Stack):
    sqs = cloud.client("sqs")
    url = stack.physical_id("WorkQueue")
    for number in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": str(number)}))

    report = stack.drain()

    assert report.invocations == 3  # BatchSize 5 for Stage=test
    assert len(_items(cloud, stack, "work#")) == 12


def test_a_disabled_mapping_leaves_the_queue_alone(cloud: LocalCloud, stack: Stack):
    aws_lambda = cloud.client("lambda")
    [mapping] = aws_lambda.list_event_source_mappings(FunctionName=stack.physical_id("WorkerFunction"))[
        "EventSourceMappings"
    ]
    assert mapping["State"] == "Enabled"
    aws_lambda.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)

    stack.put_events([_work("held")])

    assert _items(cloud, stack, "work#") == []
    assert len(_messages(cloud, stack, "WorkQueue")) == 1


def test_a_lambda_target_runs_the_handler_asynchronously(cloud: LocalCloud, stack: Stack):
    stack.put_events([{"Source": "harness.test", "DetailType": "Record Requested", "Detail": {"n": 1}}])

    [item] = _items(cloud, stack, "record#")
    assert item["kind"]["S"] == "Record Requested"
    [delivery] = stack.deliveries
    assert delivery.error is None
    assert delivery.result["event"]["detail"] == {"n": 1}


def test_a_failing_async_handler_is_retried_twice_and_the_caller_never_sees_it(cloud: LocalCloud, stack: Stack):
    response = stack.put_events(
        [{"Source": "harness.test", "DetailType": "Record Requested", "Detail": {"explode": True}}]
    )

    assert response["FailedEntryCount"] == 0
    [delivery] = stack.deliveries
    assert delivery.error is None
    assert delivery.result is None
    assert [f.error_type for f in stack.invocation_failures] == ["ValueError"] * 3
    assert _items(cloud, stack, "record#") == []


def test_a_step_functions_target_starts_an_execution_with_the_input_path(cloud: LocalCloud, stack: Stack):
    stack.put_events([{"Source": "harness.test", "DetailType": "Flow Requested", "Detail": {"failures": 0}}])

    [delivery] = stack.deliveries
    assert stack.wait_for_execution(delivery.result) == "SUCCEEDED"
    execution = cloud.client("stepfunctions").describe_execution(executionArn=delivery.result)
    assert json.loads(execution["input"]) == {"failures": 0}
    assert execution["stateMachineArn"] == stack.outputs["FlowStateMachineArn"]


def test_an_sns_target_gets_the_transformed_input_and_fans_out(cloud: LocalCloud, stack: Stack):
    stack.put_events([{"Source": "harness.test", "DetailType": "Notify", "Detail": {"user": "ana"}}])

    [message] = _messages(cloud, stack, "NotificationQueue")
    assert json.loads(message["Body"]) == {"message": "Notify for ana", "user": "ana"}


def test_a_failed_delivery_goes_to_the_target_dead_letter_queue(cloud: LocalCloud, stack: Stack):
    cloud.client("sqs").delete_queue(QueueUrl=stack.physical_id("WorkQueue"))

    stack.put_events([_work("lost")], drain=False)

    [delivery] = stack.deliveries
    assert delivery.error is not None
    [dead] = _messages(cloud, stack, "RuleDeadLetterQueue")
    assert json.loads(dead["Body"])["detail"] == {"id": "lost"}
    attributes = dead["MessageAttributes"]
    assert attributes["RULE_ARN"]["StringValue"].endswith(stack.physical_id("WorkRule"))
    assert attributes["TARGET_ARN"]["StringValue"] == stack.attribute("WorkQueue", "Arn")


def test_events_put_through_the_api_are_routed_too(cloud: LocalCloud, stack: Stack):
    response = cloud.client("events").put_events(
        Entries=[{"Source": "harness.test", "DetailType": "Record Requested", "Detail": json.dumps({"via": "api"})}]
    )

    assert response["FailedEntryCount"] == 0
    [item] = _items(cloud, stack, "record#")
    assert item["kind"]["S"] == "Record Requested"


def test_a_disabled_rule_delivers_nothing(cloud: LocalCloud, stack: Stack):
    cloud.client("events").disable_rule(Name=stack.physical_id("WorkRule"))

    stack.put_events([_work("quiet")])

    assert _items(cloud, stack, "work#") == []
