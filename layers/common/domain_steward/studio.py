"""Studio inventory: a domain's apps, spaces and user profiles as typed records, read with boto3 paginators.

Only the List calls are used: one page holds up to 100 resources, so a domain of thousands costs tens of
calls, not thousands of Describe calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

# The reserved owner of domain-level apps such as the RStudio server (AWS-FACTS §1).
DOMAIN_SHARED = "domain-shared"
PAGE_SIZE = 100  # the largest MaxResults the List operations accept


@dataclass(frozen=True)
class AppRecord:
    app_type: str
    app_name: str
    status: str
    user_profile_name: str | None = None
    space_name: str | None = None
    # What ListApps also says (AppDetails); not part of the app's identity.
    creation_time: datetime | None = field(default=None, compare=False)
    instance_type: str | None = field(default=None, compare=False)

    @property
    def owner(self) -> dict[str, str]:
        """The owner as DeleteApp takes it."""
        if self.space_name is not None:
            return {"SpaceName": self.space_name}
        return {"UserProfileName": self.user_profile_name or ""}

    def identity(self) -> dict[str, str]:
        return {"AppType": self.app_type, "AppName": self.app_name, **self.owner}

    def label(self) -> str:
        where = f"space {self.space_name}" if self.space_name is not None else f"user profile {self.user_profile_name}"
        return f"App {self.app_type}/{self.app_name} of {where}"


@dataclass(frozen=True)
class SpaceRecord:
    space_name: str
    status: str
    sharing_type: str | None = None
    owner: str | None = None

    def identity(self) -> dict[str, Any]:
        return {"SpaceName": self.space_name, "SharingType": self.sharing_type, "OwnerUserProfileName": self.owner}

    def label(self) -> str:
        return f"Space {self.space_name}"


@dataclass(frozen=True)
class ProfileRecord:
    user_profile_name: str
    status: str

    def identity(self) -> dict[str, str]:
        return {"UserProfileName": self.user_profile_name}

    def label(self) -> str:
        return f"UserProfile {self.user_profile_name}"


def _app(summary: dict[str, Any]) -> AppRecord:
    return AppRecord(
        app_type=summary["AppType"],
        app_name=summary["AppName"],
        status=summary["Status"],
        user_profile_name=summary.get("UserProfileName"),
        space_name=summary.get("SpaceName"),
        creation_time=summary.get("CreationTime"),
        instance_type=(summary.get("ResourceSpec") or {}).get("InstanceType"),
    )


def list_apps(
    sagemaker: SageMakerClient, domain_id: str, *, user_profile_name: str | None = None, space_name: str | None = None
) -> list[AppRecord]:
    """Every app the domain lists (``Deleted`` ones stay listed for a while), optionally of one owner."""
    params: dict[str, Any] = {"DomainIdEquals": domain_id, "PaginationConfig": {"PageSize": PAGE_SIZE}}
    if user_profile_name is not None:
        params["UserProfileNameEquals"] = user_profile_name
    if space_name is not None:
        params["SpaceNameEquals"] = space_name
    return [
        _app(dict(summary))
        for page in sagemaker.get_paginator("list_apps").paginate(**params)
        for summary in page.get("Apps", [])
    ]


def list_spaces(sagemaker: SageMakerClient, domain_id: str) -> list[SpaceRecord]:
    return [
        SpaceRecord(
            space_name=summary["SpaceName"],
            status=summary["Status"],
            sharing_type=summary.get("SpaceSharingSettingsSummary", {}).get("SharingType"),
            owner=summary.get("OwnershipSettingsSummary", {}).get("OwnerUserProfileName"),
        )
        for page in sagemaker.get_paginator("list_spaces").paginate(
            DomainIdEquals=domain_id, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for summary in page.get("Spaces", [])
    ]


def list_user_profiles(sagemaker: SageMakerClient, domain_id: str) -> list[ProfileRecord]:
    return [
        ProfileRecord(user_profile_name=summary["UserProfileName"], status=summary["Status"])
        for page in sagemaker.get_paginator("list_user_profiles").paginate(
            DomainIdEquals=domain_id, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for summary in page.get("UserProfiles", [])
    ]


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ``ClientError`` (empty for anything else)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))
