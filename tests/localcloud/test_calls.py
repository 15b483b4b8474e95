"""The call log and fault injection, on plain moto services (SQS: query/JSON protocol; EFS: REST)."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud.calls import INTERCEPTOR, Faults

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def aws():
    INTERCEPTOR.install()
    INTERCEPTOR.log.clear()
    INTERCEPTOR.faults.clear()
    with mock_aws():
        yield
    INTERCEPTOR.faults.clear()


def sqs():
    return boto3.client("sqs", region_name="us-east-1", config=NO_RETRIES)


def test_every_call_is_recorded_with_service_operation_and_parameters(aws):
    client = sqs()
    url = client.create_queue(QueueName="events")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="hello")
    calls = INTERCEPTOR.log.calls(service="sqs")
    assert [c.operation for c in calls] == ["CreateQueue", "SendMessage"]
    assert calls[0].params["QueueName"] == "events"
    assert calls[1].params["MessageBody"] == "hello"
    assert INTERCEPTOR.log.count("sqs", "SendMessage") == 1


def test_rest_operations_are_named_as_aws_names_them(aws):
    efs = boto3.client("efs", region_name="us-east-1", config=NO_RETRIES)
    efs.create_file_system(CreationToken="home")
    efs.describe_file_systems()
    assert [c.operation for c in INTERCEPTOR.log.calls(service="efs")] == ["CreateFileSystem", "DescribeFileSystems"]


def test_an_injected_throttle_reaches_the_client_with_the_aws_error_code(aws):
    client = sqs()
    INTERCEPTOR.faults.add("sqs", "CreateQueue", "throttling", times=1)
    with pytest.raises(ClientError) as raised:
        client.create_queue(QueueName="events")
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # times=1: the next call goes through, and both are in the log, the first marked as a fault.
    client.create_queue(QueueName="events")
    assert [c.fault for c in INTERCEPTOR.log.calls("sqs", "CreateQueue")] == ["ThrottlingException", None]


def test_a_server_error_carries_its_5xx_status_and_is_retried_by_a_retrying_client(aws):
    INTERCEPTOR.faults.add("efs", "DescribeFileSystems", "unavailable", times=2)
    retrying = boto3.client(
        "efs", region_name="us-east-1", config=Config(retries={"mode": "standard", "max_attempts": 3})
    )
    # botocore's standard mode retries 503s; the third attempt succeeds.
    assert retrying.describe_file_systems()["FileSystems"] == []
    assert INTERCEPTOR.log.count("efs", "DescribeFileSystems") == 3


def test_a_fault_can_be_narrowed_by_parameters(aws):
    client = sqs()
    INTERCEPTOR.faults.add("sqs", "CreateQueue", "in_use", when=lambda params: params.get("QueueName") == "busy")
    client.create_queue(QueueName="calm")
    with pytest.raises(ClientError) as raised:
        client.create_queue(QueueName="busy")
    assert raised.value.response["Error"]["Code"] == "ResourceInUse"


def test_fault_rates_are_seeded_so_runs_repeat():
    def fired(seed: int) -> list[bool]:
        faults = Faults(seed)
        faults.add("sagemaker", "DeleteApp", rate=0.3)
        return [faults.pick("sagemaker", "DeleteApp", {}) is not None for _ in range(200)]

    first = fired(7)
    assert first == fired(7)
    assert 30 < sum(first) < 90  # about 30 % of 200


def test_rates_outside_zero_to_one_are_refused():
    with pytest.raises(ValueError, match="rate"):
        Faults().add("sqs", rate=1.5)


def test_a_wildcard_rule_matches_any_operation_of_its_service_only():
    faults = Faults()
    faults.add("sagemaker")
    assert faults.pick("sagemaker", "ListApps", {}) is not None
    assert faults.pick("efs", "DescribeFileSystems", {}) is None
