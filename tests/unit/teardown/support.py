"""Helpers of the teardown logic's unit tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain_steward.teardown.progress import Progress, Target
from domain_steward.teardown.report import start
from domain_steward.teardown.stages import Budget, Clients
from tests.unit.studio_builder import LATENCIES, StudioBuilder

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:domain-steward-Teardown:unit"


class Studio(StudioBuilder):
    """The shared builder, with what these tests add."""

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
