"""Step Functions "Execution Status Change" events reach the deployed rules' targets, as in AWS.

Source: https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html (event examples and payload
limits) and https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html (source and detail-type).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.harness import Stack
from localcloud.harness.execution_events import PAYLOAD_LIMIT

TEMPLATE = """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      CancelFunction:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.11
          CodeUri: code/
          Handler: cancel.handler
      Flow:
        Type: AWS::Serverless::StateMachine
        Properties:
          Definition:
            StartAt: Pause
            States:
              Pause:
                Type: Wait
                Seconds: 90
                Next: Choose
              Choose:
                Type: Choice
                Choices:
                  - Variable: $.outcome
                    StringEquals: fail
                    Next: Stuck
                  - Variable: $.outcome
                    StringEquals: cancel
                    Next: Cancel
                Default: Report
              Stuck:
                Type: Fail
                Error: TeardownStuck
                Cause: app default is still Deleting
              Cancel:
                Type: Task
                Resource: arn:aws:states:::lambda:invoke
                Parameters:
                  FunctionName: !GetAtt CancelFunction.Arn
                  Payload:
                    execution.$: $$.Execution.Id
                Next: Report
              Report:
                Type: Pass
                Parameters:
                  report.$: $.report
                End: true
          Policies:
            - LambdaInvokePolicy:
                FunctionName: !Ref CancelFunction
      Slow:
        Type: AWS::Serverless::StateMachine
        Properties:
          Definition:
            TimeoutSeconds: 3600
            StartAt: Pause
            States:
              Pause:
                Type: Wait
                Seconds: 7200
                Next: After
              After:
                Type: Pass
                End: true
      Quick:
        Type: AWS::Serverless::StateMachine
        Properties:
          Type: EXPRESS
          Definition:
            StartAt: Done
            States:
              Done:
                Type: Pass
                End: true
      FailuresQueue:
        Type: AWS::SQS::Queue
      EverythingQueue:
        Type: AWS::SQS::Queue
      AdminsQueue:
        Type: AWS::SQS::Queue
      AdminsTopic:
        Type: AWS::SNS::Topic
        Properties:
          Subscription:
            - Protocol: sqs
              Endpoint: !GetAtt AdminsQueue.Arn
      FailedOrTimedOut:
        Type: AWS::Events::Rule
        Properties:
          EventPattern:
            source: [aws.states]
            detail-type: [Step Functions Execution Status Change]
            detail:
              status: [FAILED, TIMED_OUT]
              stateMachineArn: [!Ref Flow, !Ref Slow]
          Targets:
            - Id: queue
              Arn: !GetAtt FailuresQueue.Arn
            - Id: admins
              Arn: !Ref AdminsTopic
              InputTransformer:
                InputPathsMap:
                  name: $.detail.name
                  status: $.detail.status
                  error: $.detail.error
                InputTemplate: '"Teardown <name> ended <status>: <error>"'
      EveryStatus:
        Type: AWS::Events::Rule
        Properties:
          EventPattern:
            source: [aws.states]
          Targets:
            - Id: queue
              Arn: !GetAtt EverythingQueue.Arn
"""

CANCEL = """
import boto3


def handler(event, context):
    boto3.client("stepfunctions").stop_execution(
        executionArn=event["execution"], error="Cancelled", cause="an administrator stopped the teardown"
    )
    return {}
"""


@pytest.fixture
def stack(cloud: LocalCloud, sam_project: Callable[..., Path]) -> Stack:
    return cloud.deploy(sam_project(TEMPLATE, {"code/cancel.py": CANCEL}))


def _messages(cloud: LocalCloud, stack: Stack, queue: str) -> list[Any]:
    sqs = cloud.client("sqs")
    url = stack.physical_id(queue)
    bodies: list[Any] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return bodies
        for message in batch:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _millis(cloud: LocalCloud, offset: float = 0) -> int:
    return int((cloud.clock.now() + timedelta(seconds=offset)).timestamp() * 1000)


def test_a_failed_execution_reaches_the_failure_rule_targets(cloud: LocalCloud, stack: Stack):
    started = cloud.clock.now()

    execution = stack.start_execution("Flow", {"outcome": "fail"}, name="teardown-1")

    # start_execution returns once the end event has been delivered: nothing to wait for.
    [event] = _messages(cloud, stack, "FailuresQueue")
    assert execution["status"] == "FAILED"
    machine = stack.physical_id("Flow")
    assert event == {
        "version": "0",
        "id": event["id"],
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": cloud.account_id,
        "time": cloud.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": cloud.region,
        "resources": [execution["executionArn"]],
        "detail": {
            "executionArn": execution["executionArn"],
            "stateMachineArn": machine,
            "name": "teardown-1",
            "status": "FAILED",
            # The execution lives on the virtual clock: it started then, and stopped after its 90 s wait.
            "startDate": int(started.timestamp() * 1000),
            "stopDate": int((started + timedelta(seconds=90)).timestamp() * 1000),
            "input": '{"outcome":"fail"}',
            "inputDetails": {"included": True},
            "output": None,
            "outputDetails": None,
            "error": "TeardownStuck",
            "cause": "app default is still Deleting",
            "redriveCount": 0,
            "redriveDate": None,
            "redriveStatus": "REDRIVABLE",
            "redriveStatusReason": None,
        },
    }
    assert execution["startDate"] == started
    assert execution["stopDate"] == started + timedelta(seconds=90)
    [notice] = _messages(cloud, stack, "AdminsQueue")
    assert notice["Message"] == '"Teardown teardown-1 ended FAILED: TeardownStuck"'


def test_every_execution_sends_running_then_its_end(cloud: LocalCloud, stack: Stack):
    execution = stack.start_execution("Flow", {"outcome": "ok", "report": {"deleted": 3}}, name="teardown-2")

    events = _messages(cloud, stack, "EverythingQueue")
    assert [e["detail"]["status"] for e in events] == ["RUNNING", "SUCCEEDED"]
    running, succeeded = (e["detail"] for e in events)
    assert running["stopDate"] is None
    assert running["output"] is None
    assert running["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven"
    assert "error" not in running
    assert json.loads(succeeded["output"]) == json.loads(execution["output"]) == {"report": {"deleted": 3}}
    assert succeeded["outputDetails"] == {"included": True}
    assert succeeded["stopDate"] == _millis(cloud)
    assert succeeded["redriveStatus"] == "NOT_REDRIVABLE"
    # A success matches no failure rule.
    assert _messages(cloud, stack, "FailuresQueue") == []
    assert _messages(cloud, stack, "AdminsQueue") == []


def test_a_stopped_execution_sends_aborted(cloud: LocalCloud, stack: Stack):
    execution = stack.start_execution("Flow", {"outcome": "cancel"}, name="teardown-3")

    assert execution["status"] == "ABORTED"
    end = _messages(cloud, stack, "EverythingQueue")[-1]["detail"]
    assert (end["status"], end["output"], end["redriveStatus"]) == ("ABORTED", None, "REDRIVABLE")
    # StopExecution's error and cause, as the ExecutionAborted history event records them
    # (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html).
    assert (end["error"], end["cause"]) == ("Cancelled", "an administrator stopped the teardown")
    assert end["stopDate"] == _millis(cloud)
    assert _messages(cloud, stack, "FailuresQueue") == []  # ABORTED is not in the rule's pattern


def test_an_execution_times_out_on_the_virtual_clock(cloud: LocalCloud, stack: Stack):
    # TimeoutSeconds counts virtual time: the two-hour wait crosses the one-hour limit, and the
    # execution ends TIMED_OUT at its deadline without running the next state
    # (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html).
    started = cloud.clock.now()

    execution = stack.start_execution("Slow", {}, name="slow-1")

    assert execution["status"] == "TIMED_OUT"
    assert execution["stopDate"] == started + timedelta(hours=1)
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in stack.execution_history(execution["executionArn"])
        if "stateEnteredEventDetails" in e
    ]
    assert entered == ["Pause"]
    [event] = _messages(cloud, stack, "FailuresQueue")
    assert event["detail"]["status"] == "TIMED_OUT"
    assert event["detail"]["stopDate"] == int((started + timedelta(hours=1)).timestamp() * 1000)
    assert event["detail"]["redriveStatus"] == "REDRIVABLE"
    [notice] = _messages(cloud, stack, "AdminsQueue")
    assert notice["Message"].startswith('"Teardown slow-1 ended TIMED_OUT')


def test_express_workflows_send_no_events(cloud: LocalCloud, stack: Stack):
    # "Express Workflows do not emit events to EventBridge" (cw-events.html).
    execution = stack.start_execution("Quick", {})

    assert execution["status"] == "SUCCEEDED"

    assert _messages(cloud, stack, "EverythingQueue") == []


def test_an_output_too_large_for_eventbridge_is_left_out(cloud: LocalCloud, stack: Stack):
    # Over 248 KB escaped, the output is excluded, and outputDetails says so (cw-events.html, payloads).
    big = "x" * (PAYLOAD_LIMIT + 1)

    execution = stack.start_execution("Flow", {"outcome": "ok", "report": big}, name="teardown-4")

    end = _messages(cloud, stack, "EverythingQueue")[-1]["detail"]
    assert execution["status"] == "SUCCEEDED"
    assert (end["output"], end["outputDetails"]) == (None, {"included": False})
    # The input is as large: with the output left out it still exceeds the limit on its own.
    assert (end["input"], end["inputDetails"]) == (None, {"included": False})
