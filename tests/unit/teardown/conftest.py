"""Fixtures for the teardown logic's unit tests: the logic runs with clients of a fresh local cloud (no
patching), on the local cloud's virtual clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from domain_steward.teardown.stages import Clients
from localcloud import LocalCloud
from localcloud.fidelity import watch_client
from localcloud.network import create_studio_vpc
from tests.unit.studio_builder import LATENCIES, START
from tests.unit.teardown.support import Studio


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(start=START, latencies=LATENCIES) as local:
        yield local


@pytest.fixture
def clients(cloud: LocalCloud) -> Clients:
    """Watched clients: every response the logic reads is checked against botocore's model."""
    return Clients(
        sagemaker=watch_client(cloud.client("sagemaker")),
        efs=watch_client(cloud.client("efs")),
        ec2=watch_client(cloud.client("ec2")),
    )


@pytest.fixture
def sfn(cloud: LocalCloud) -> Any:
    return cloud.client("stepfunctions")


@pytest.fixture
def vpc(cloud: LocalCloud) -> dict[str, Any]:
    return create_studio_vpc(cloud.client("ec2"))


@pytest.fixture
def studio(cloud: LocalCloud, vpc: dict[str, Any]) -> Studio:
    return Studio(cloud, vpc)
