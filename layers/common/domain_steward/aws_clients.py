"""boto3 clients for the handlers, created lazily and reused across warm invocations.

Lazily, because a client made at import time talks to whatever endpoint existed then: in tests that is
real AWS, before the local cloud is started. Reused, because creating a client costs milliseconds of
every cold start and invocation. The logic in this package takes clients as arguments; only handlers
call these factories.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_efs import EFSClient
    from mypy_boto3_identitystore import IdentityStoreClient
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sso_admin import SSOAdminClient
    from mypy_boto3_stepfunctions import SFNClient

# Adaptive mode adds client-side rate limiting on top of standard retries: a sweep over many apps or
# profiles then slows itself down instead of failing on SageMaker's low control-plane rate limits.
RETRY_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, user_agent_extra="domain-steward")


@cache
def client(service: str, region: str | None = None) -> Any:
    """The shared client for ``service`` in ``region`` (default: the function's own Region)."""
    region_name = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.client(service, region_name=region_name, config=RETRY_CONFIG)  # type: ignore[call-overload]


def sagemaker() -> SageMakerClient:
    return client("sagemaker")  # type: ignore[no-any-return]


def efs() -> EFSClient:
    return client("efs")  # type: ignore[no-any-return]


def ec2() -> EC2Client:
    return client("ec2")  # type: ignore[no-any-return]


def stepfunctions() -> SFNClient:
    return client("stepfunctions")  # type: ignore[no-any-return]


def identitystore(region: str | None = None) -> IdentityStoreClient:
    """Identity Center lives in its home Region, which may differ from the domain's."""
    return client("identitystore", region)  # type: ignore[no-any-return]


def sso_admin(region: str | None = None) -> SSOAdminClient:
    return client("sso-admin", region)  # type: ignore[no-any-return]


def sns() -> SNSClient:
    return client("sns")  # type: ignore[no-any-return]


@cache
def dynamodb_table(name: str, region: str | None = None) -> Table:
    """A DynamoDB ``Table`` resource of this Region (the records the onboarding keeps)."""
    region_name = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.resource("dynamodb", region_name=region_name, config=RETRY_CONFIG).Table(name)


def reset() -> None:
    """Forget every cached client (each test starts a new local cloud)."""
    client.cache_clear()
    dynamodb_table.cache_clear()
