"""Helpers of the teardown logic's unit tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain_steward.teardown.progress import Progress, Target
from domain_steward.teardown.report import start
from domain_steward.teardown.stages import Budget, Clients
from localcloud import LocalCloud
from localcloud.sagemaker import Latencies

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LATENCIES = Latencies()
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:domain-steward-Teardown:unit"


@dataclass
class Studio:
    """Makes Studio resources through the API, as users do, and settles them on the virtual clock."""

    cloud: LocalCloud
    vpc: dict[str, Any]

    @property
    def sagemaker(self) -> Any:
        return self.cloud.client("sagemaker")

    def domain(self, name: str = "studio", **extra: Any) -> str:
        domain_id = self.sagemaker.create_domain(
            DomainName=name, AuthMode="IAM", DefaultUserSettings={"ExecutionRole": ROLE}, **self.vpc, **extra
        )["DomainId"]
        self.cloud.clock.advance(LATENCIES.domain_create)
        return str(domain_id)

    def profile(self, domain_id: str, name: str) -> None:
        self.sagemaker.create_user_profile(DomainId=domain_id, UserProfileName=name)
        self.cloud.clock.advance(LATENCIES.user_profile_create)

    def space(self, domain_id: str, name: str, owner: str, sharing: str = "Private") -> None:
        self.sagemaker.create_space(
            DomainId=domain_id,
            SpaceName=name,
            OwnershipSettings={"OwnerUserProfileName": owner},
            SpaceSharingSettings={"SharingType": sharing},
            SpaceSettings={"AppType": "JupyterLab"},
        )
        self.cloud.clock.advance(LATENCIES.space_create)

    def app(self, domain_id: str, app_type: str = "JupyterLab", *, settle: bool = True, **owner: str) -> None:
        self.sagemaker.create_app(DomainId=domain_id, AppType=app_type, AppName="default", **owner)
        if settle:
            self.cloud.clock.advance(LATENCIES.app_create)


def target_of(clients: Clients, domain_id: str, **overrides: Any) -> Target:
    """The Target a plan would fix for ``domain_id``."""
    domain = clients.sagemaker.describe_domain(DomainId=domain_id)
    fields: dict[str, Any] = {
        "execution_arn": EXECUTION,
        "domain_id": domain_id,
        "domain_arn": domain["DomainArn"],
        "mark_arn": domain["DomainArn"],
        "vpc_id": domain["VpcId"],
        "home_efs_file_system_id": domain.get("HomeEfsFileSystemId"),
        **overrides,
    }
    return Target(**fields)


def progress_of(target: Target, now: datetime) -> Progress:
    return start({"Target": target.dump()}, now)


def budget() -> Budget:
    return Budget(600)
