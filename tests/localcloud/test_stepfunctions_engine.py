"""moto's Step Functions interpreter on the virtual clock, with in-process Lambda tasks and AWS error names."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.clock import VirtualClock, use_clock
from localcloud.harness import Stack, stepfunctions
from localcloud.harness.stepfunctions import aws_service_error_prefix
from localcloud.sagemaker import Latencies

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "harness" / "template.yaml"
ROLE = "arn:aws:iam::123456789012:role/StatesExecution"


@pytest.fixture
def stack(cloud: LocalCloud) -> Stack:
    return cloud.deploy(TEMPLATE)


def _task_failures(stack: Stack, execution_arn: str) -> list[str]:
    return [
        event["taskFailedEventDetails"]["error"]
        for event in stack.execution_history(execution_arn)
        if event["type"] == "TaskFailed"
    ]


def test_an_hour_of_waiting_and_retry_backoff_cost_no_real_time(cloud: LocalCloud, stack: Stack):
    started_at, real_start = cloud.clock.now(), time.monotonic()

    execution = stack.start_execution("FlowStateMachine", {"failures": 2}, name="two-failures")

    assert time.monotonic() - real_start < 5
    assert execution["status"] == "SUCCEEDED"
    # Wait 3600 s, then two retries after 10 s and 10 * 2 s (BackoffRate 2): exactly this much virtual time.
    assert cloud.clock.now() - started_at == timedelta(seconds=3600 + 10 + 20)
    output = json.loads(execution["output"])
    assert output["task"] == {"attempts": 3, "function": stack.physical_id("TaskFunction")}
    assert _task_failures(stack, execution["executionArn"]) == ["DomainBusyError", "DomainBusyError"]
    item = cloud.client("dynamodb").get_item(
        TableName=stack.physical_id("RecordsTable"), Key={"pk": {"S": "flow#two-failures"}}
    )["Item"]
    assert item["outcome"]["S"] == "done"


def test_a_lambda_task_error_is_caught_by_the_handler_exception_name(cloud: LocalCloud, stack: Stack):
    execution = stack.start_execution("FlowStateMachine", {"failures": 5}, name="gives-up")

    assert execution["status"] == "SUCCEEDED"
    error = json.loads(execution["output"])["error"]
    assert error["Error"] == "DomainBusyError"
    assert json.loads(error["Cause"])["errorMessage"] == "busy on attempt 3"
    assert _task_failures(stack, execution["executionArn"]) == ["DomainBusyError"] * 3
    item = cloud.client("dynamodb").get_item(
        TableName=stack.physical_id("RecordsTable"), Key={"pk": {"S": "flow#gives-up"}}
    )["Item"]
    assert item["outcome"]["S"] == "gave-up"


def test_aws_sdk_task_errors_carry_aws_names_that_catchers_match(stack: Stack):
    execution = stack.start_execution("DomainWatchStateMachine", {"DomainId": "d-000000000000"})

    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert output["Outcome"] == {"Found": False}
    assert output["Error"]["Error"] == "SageMaker.ResourceNotFoundException"


@pytest.fixture
def slow_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(latencies=Latencies(domain_create=300)) as local:
        yield local


def _new_domain(cloud: LocalCloud) -> str:
    ec2 = cloud.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")
    return str(
        cloud.client("sagemaker").create_domain(
            DomainName="watched",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/SageMakerExecution"},
            VpcId=vpc_id,
            SubnetIds=[subnet["Subnet"]["SubnetId"]],
        )["DomainId"]
    )


def test_a_wait_loop_polls_an_emulated_domain_until_it_is_in_service(slow_cloud: LocalCloud):
    stack = slow_cloud.deploy(TEMPLATE)
    domain_id = _new_domain(slow_cloud)
    assert slow_cloud.client("sagemaker").describe_domain(DomainId=domain_id)["Status"] == "Pending"
    started_at = slow_cloud.clock.now()
    slow_cloud.calls.clear()

    execution = stack.start_execution("DomainWatchStateMachine", {"DomainId": domain_id})

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["Domain"] == {"Status": "InService"}
    # Described at 0, 60, ..., 300 s of virtual time: the 6th look finds it InService.
    assert slow_cloud.clock.now() - started_at == timedelta(seconds=300)
    assert slow_cloud.calls.count("sagemaker", "DescribeDomain") == 6


def test_timestamp_waits_move_the_clock_to_that_instant(cloud: LocalCloud):
    until = (cloud.clock.now() + timedelta(days=2)).replace(microsecond=0)
    definition = {
        "StartAt": "Until",
        "States": {"Until": {"Type": "Wait", "TimestampPath": "$.until", "End": True}},
    }
    sfn = cloud.client("stepfunctions")
    machine = sfn.create_state_machine(name="until", definition=json.dumps(definition), roleArn=ROLE)
    arn = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"],
        name="until-1",
        input=json.dumps({"until": until.strftime("%Y-%m-%dT%H:%M:%SZ")}),
    )["executionArn"]

    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.005)

    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
    assert cloud.clock.now() == until


def test_an_execution_that_never_ends_times_out_with_a_clear_error(cloud: LocalCloud, stack: Stack):
    definition: dict[str, Any] = {
        "StartAt": "Forever",
        "States": {"Forever": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                               "Parameters": {"FunctionName": stack.physical_id("TaskFunction"),
                                              "Payload": {"execution": "token", "token.$": "$$.Task.Token"}},
                               "End": True}},
    }  # fmt: skip
    sfn = cloud.client("stepfunctions")
    arn = sfn.create_state_machine(name="forever", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    stack.state_machines["Forever"] = arn

    with pytest.raises(TimeoutError, match="still RUNNING"):
        stack.start_execution("Forever", {}, timeout=0.2)


@pytest.mark.parametrize(
    ("service", "prefix"),
    [
        ("sagemaker", "SageMaker"),
        ("dynamodb", "DynamoDb"),
        ("sfn", "Sfn"),
        ("ec2", "Ec2"),
        ("efs", "Efs"),
        ("ssoadmin", "SsoAdmin"),
        ("identitystore", "Identitystore"),
        ("lambda", "Lambda"),
    ],
)
def test_service_error_prefixes_follow_the_aws_sdk_client_names(service: str, prefix: str):
    assert aws_service_error_prefix(service) == prefix


def test_install_is_idempotent():
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    stepfunctions.install()
    patched = WaitFunction._wait_interval
    stepfunctions.install()

    assert WaitFunction._wait_interval is patched
    assert patched.__module__ == stepfunctions.__name__


def test_executions_started_without_a_name_get_a_uuid_each(cloud: LocalCloud, stack: Stack):
    # "If you don't provide a name for the execution, Step Functions automatically generates a universally
    # unique identifier (UUID) as the execution name"
    # (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
    sfn = cloud.client("stepfunctions")
    machine = stack.physical_id("FlowStateMachine")
    arns = [sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"] for _ in range(2)]
    for arn in arns:
        stack.wait_for_execution(arn)
    names = [arn.rsplit(":", 1)[1] for arn in arns]
    assert names[0] != names[1]
    assert all(len(name) == 36 and name.count("-") == 4 for name in names)


def test_an_execution_left_waiting_when_its_cloud_stops_does_not_move_the_next_clock():
    # Executions run in moto's threads, which outlive the cloud that started them.
    definition = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Nap"}}}
    with LocalCloud() as first:
        sfn = first.client("stepfunctions")
        machine = sfn.create_state_machine(name="forever", definition=json.dumps(definition), roleArn=ROLE)
        execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="left-running")
        deadline = time.monotonic() + 30
        while len(sfn.get_execution_history(executionArn=execution["executionArn"])["events"]) < 4:
            assert time.monotonic() < deadline, "the execution never started waiting"
            time.sleep(0.01)
    with LocalCloud() as second:
        started = second.clock.now()
        time.sleep(0.2)  # real time for a leftover worker thread to act, if one were still running
        assert second.clock.now() == started


def test_threads_an_execution_starts_live_on_its_clock_not_on_the_active_one():
    # moto runs an execution's states in threads started from its worker thread (the program's body, Task states,
    # Parallel branches, Map iterations). They must keep the execution's clock: when they fell back to the active
    # one, a leftover execution of a stopped cloud moved the next cloud's clock (the test above, seen once in CI).
    stepfunctions.install()
    own, active = VirtualClock(), VirtualClock()
    previous = use_clock(active)
    seen: dict[str, VirtualClock] = {}

    def worker() -> None:
        stepfunctions._EXECUTION_CLOCK.clock = own  # what the patched ExecutionWorker does for its thread
        try:
            body = threading.Thread(target=lambda: seen.update(body=stepfunctions.execution_clock()))
            body.start()
            body.join()
            task = threading.Thread(target=lambda: seen.update(task=stepfunctions.execution_clock()))
            task.start()
            task.join()
        finally:
            stepfunctions._EXECUTION_CLOCK.clock = None

    try:
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        unrelated = threading.Thread(target=lambda: seen.update(unrelated=stepfunctions.execution_clock()))
        unrelated.start()
        unrelated.join()
    finally:
        use_clock(previous)

    assert seen["body"] is own
    assert seen["task"] is own
    assert seen["unrelated"] is active
