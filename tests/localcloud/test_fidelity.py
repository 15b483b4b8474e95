from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from localcloud.fidelity import ShapeMismatch, error_problems, input_problems, output_problems, watch_client

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def test_a_response_in_shape_has_no_problems():
    data = {"DomainArn": "arn:aws:sagemaker:us-east-1:123456789012:domain/d-abc123def456", "Url": "https://x"}
    assert output_problems("sagemaker", "CreateDomain", data) == []


def test_missing_required_members_unknown_members_bad_enums_and_types_are_reported():
    data = {
        "Apps": [
            {"AppType": "Notebook", "Status": "InService", "CreationTime": "yesterday", "Colour": "red"},
        ],
        "NextToken": 5,
    }
    problems = output_problems("sagemaker", "ListApps", data)
    assert any("AppType" in p and "'Notebook' is not one of" in p for p in problems)
    assert any("CreationTime" in p and "expected timestamp" in p for p in problems)
    assert any("Colour" in p and "not a member" in p for p in problems)
    assert any("NextToken" in p and "expected a string" in p for p in problems)


def test_string_patterns_and_lengths_from_the_model_are_enforced():
    problems = input_problems(
        "sagemaker", "CreateUserProfile", {"DomainId": "d-1", "UserProfileName": "alice@example.com"}
    )
    assert any("UserProfileName" in p and "does not match" in p for p in problems)
    assert input_problems("sagemaker", "CreateUserProfile", {"DomainId": "d-1", "UserProfileName": "alice"}) == []


def test_an_operation_without_output_accepts_only_the_envelope():
    assert output_problems("sagemaker", "DeleteTags", {"ResponseMetadata": {}}) == []


@mock_aws
def test_watch_client_raises_when_a_response_leaves_its_shape(monkeypatch):
    client = watch_client(boto3.client("sqs", region_name="us-east-1"))
    client.create_queue(QueueName="ok")  # moto's SQS answers in shape
    from localcloud import fidelity

    monkeypatch.setattr(fidelity, "output_problems", lambda *_, **__: ["$.QueueUrl: injected"])
    with pytest.raises(ShapeMismatch, match="injected"):
        client.create_queue(QueueName="checked")


def test_error_codes_must_be_modeled_common_or_a_documented_choice():
    assert error_problems("sagemaker", "DescribeDomain", "ResourceNotFound") == []
    assert error_problems("sagemaker", "DeleteApp", "ThrottlingException") == []
    assert error_problems("sagemaker", "CreateApp", "ResourceNotFound") == []  # UNMODELED_ERRORS
    [problem] = error_problems("sagemaker", "DescribeDomain", "ResourceInUse")
    assert "DescribeDomain does not return ResourceInUse" in problem


@mock_aws
def test_watch_client_raises_on_an_error_code_the_operation_cannot_return():
    client = watch_client(boto3.client("sqs", region_name="us-east-1"))
    # moto's SQS still answers with the legacy query-protocol code, which today's SQS model no longer
    # lists for GetQueueUrl: exactly the kind of departure the check exists to catch.
    with pytest.raises(ShapeMismatch, match=r"GetQueueUrl does not return AWS\.SimpleQueueService\.NonExistentQueue"):
        client.get_queue_url(QueueName="missing")


def test_ec2_errors_are_checked_against_its_documented_error_codes():
    # EC2's model lists no error shapes; its codes are documented on one page:
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
    assert error_problems("ec2", "DeleteSecurityGroup", "DependencyViolation") == []
    assert error_problems("ec2", "DeleteSecurityGroup", "InvalidGroup.NotFound") == []
    [problem] = error_problems("ec2", "DeleteSecurityGroup", "ResourceInUse")
    assert "DeleteSecurityGroup does not return ResourceInUse" in problem
