"""Fixtures for the local cloud's own tests: a fresh cloud per test at a fixed start, watched clients,
a VPC and domains."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.fidelity import watch_client
from localcloud.network import create_studio_vpc
from localcloud.sagemaker import Latencies

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
SETTLE = Latencies().longest()  # advancing the clock this far settles any single change
# A fixed, whole-second start: timestamps survive the wire's millisecond precision unchanged.
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


_CLIENTS: dict[tuple[str, str, bool, bool], Any] = {}


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(start=START) as local:
        yield local


@pytest.fixture
def client(cloud: LocalCloud) -> Callable[..., Any]:
    """``client(service, validate=True, watch=True)``: ``cloud.client`` (no retries), made once per test session.

    moto intercepts through a handler every botocore session carries, and resets its backends on every
    ``LocalCloud`` start, so a client holds no state between tests; reusing it saves building one per test.
    """

    def make(service: str, validate: bool = True, watch: bool = True) -> Any:
        key = (service, cloud.region, validate, watch)
        if key not in _CLIENTS:
            made = cloud.client(service, validate=validate)
            # Responses are checked against botocore's model unless a test opts out (for moto's own
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
    return create_studio_vpc(client("ec2"))


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
    """An Identity Center domain, InService. Its profiles' ``SingleSignOnUserValue`` must name an existing
    Identity Center user: create one first with ``cloud.identity_center_user(user_name)``."""
    domain_id = new_domain(name="sso-studio", AuthMode="SSO")
    settle()
    return domain_id
