"""Fixtures for the SageMaker Studio and Identity Center emulation tests.

Speed: ``LocalCloud`` resets boto3's default session, so every ``cloud.client`` re-reads botocore's JSON
models (about 0.2 s for EC2), and moto's EC2 backend loads thousands of default AMIs. These tests reuse
their clients across tests and skip the AMIs; both are invisible to the behaviour under test and keep
the suite at seconds rather than minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.config import Config

from localcloud import LocalCloud
from localcloud.fidelity import watch_client
from localcloud.sagemaker import Latencies

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
SETTLE = Latencies().longest()  # advancing the clock this far settles any single change
# A fixed, whole-second start: timestamps survive the wire's millisecond precision unchanged.
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


_LOADER = botocore.loaders.create_loader()
_CLIENTS: dict[tuple[str, str, bool, bool], Any] = {}
_NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalCloud]:
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with LocalCloud(start=START) as local:
        yield local


@pytest.fixture
def client(cloud: LocalCloud) -> Callable[..., Any]:
    """``client(service, validate=True, watch=True)``: like ``cloud.client`` (no retries), made once per test session.

    moto intercepts through a handler every botocore session carries, and resets its backends on every
    ``LocalCloud`` start, so a client holds no state between tests; reusing it saves building one per test.
    ``validate=False`` turns botocore's client-side parameter validation off, to reach the server's own
    checks as a caller without it would (the CLI over HTTP, Step Functions' SDK integrations).
    """

    def make(service: str, validate: bool = True, watch: bool = True) -> Any:
        key = (service, cloud.region, validate, watch)
        if key not in _CLIENTS:
            session = botocore.session.get_session()
            session.register_component("data_loader", _LOADER)
            config = _NO_RETRIES.merge(Config(parameter_validation=validate))
            made = boto3.Session(botocore_session=session, region_name=cloud.region).client(service, config=config)  # type: ignore[call-overload]
            # Responses are checked against botocore's output shapes unless a test opts out (for moto's own
            # services whose known gaps are not ours to fix).
            _CLIENTS[key] = watch_client(made) if watch else made
        return _CLIENTS[key]

    return make


@pytest.fixture
def sm(client: Callable[..., Any]) -> Any:
    """A SageMaker client whose every response is checked against botocore's output shapes."""
    return client("sagemaker")


@pytest.fixture
def vpc(client: Callable[[str], Any]) -> dict[str, Any]:
    """A VPC with two subnets in two zones, as a Studio domain needs."""
    ec2 = client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    return {"VpcId": vpc_id, "SubnetIds": subnets}


@pytest.fixture
def new_domain(sm: Any, vpc: dict[str, Any]) -> Callable[..., str]:
    """``new_domain(name=..., **CreateDomain members)``: creates a domain (Pending) and returns its id."""

    def create(name: str = "studio", **extra: Any) -> str:
        params: dict[str, Any] = {
            "DomainName": name,
            "AuthMode": "IAM",
            "DefaultUserSettings": {"ExecutionRole": ROLE},
            **vpc,
            **extra,
        }
        return str(sm.create_domain(**params)["DomainId"])

    return create


@pytest.fixture
def settle(cloud: LocalCloud) -> Callable[[], None]:
    """Advance the virtual clock far enough for any one pending change to finish."""

    def advance() -> None:
        cloud.clock.advance(SETTLE)

    return advance


@pytest.fixture
def domain(new_domain: Callable[..., str], settle: Callable[[], None]) -> str:
    """An IAM domain, InService."""
    domain_id = new_domain()
    settle()
    return domain_id


@pytest.fixture
def sso_domain(new_domain: Callable[..., str], settle: Callable[[], None]) -> str:
    """An Identity Center domain, InService."""
    domain_id = new_domain(name="sso-studio", AuthMode="SSO")
    settle()
    return domain_id
