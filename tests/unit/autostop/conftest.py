"""Fixtures for the auto-stop logic's unit tests: the logic runs with watched clients of a fresh local cloud
(no patching), on the local cloud's virtual clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from domain_steward.autostop.sweep import SweepClients
from localcloud import LocalCloud
from localcloud.fidelity import watch_client
from localcloud.network import create_studio_vpc
from tests.unit.autostop.support import TABLE, Studio, Sweeper
from tests.unit.studio_builder import LATENCIES, START


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(start=START, latencies=LATENCIES) as local:
        yield local


@pytest.fixture
def clients(cloud: LocalCloud) -> SweepClients:
    """Watched clients: every response the sweep reads is checked against botocore's model."""
    dynamodb = cloud.client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "DomainId", "AttributeType": "S"},
            {"AttributeName": "AppKey", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "DomainId", "KeyType": "HASH"},
            {"AttributeName": "AppKey", "KeyType": "RANGE"},
        ],
    )
    return SweepClients(
        sagemaker=watch_client(cloud.client("sagemaker")),
        cloudwatch=watch_client(cloud.client("cloudwatch")),
        dynamodb=dynamodb,
        sns=cloud.client("sns"),
    )


@pytest.fixture
def sweeper(cloud: LocalCloud, clients: SweepClients) -> Sweeper:
    return Sweeper(cloud, clients)


@pytest.fixture
def vpc(cloud: LocalCloud) -> dict[str, Any]:
    return create_studio_vpc(cloud.client("ec2"))


@pytest.fixture
def studio(cloud: LocalCloud, vpc: dict[str, Any]) -> Studio:
    return Studio(cloud, vpc)
