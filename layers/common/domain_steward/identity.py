"""IAM Identity Center lookups: the instance, users, groups and memberships (AWS-FACTS §3).

One :class:`Directory` lives for one invocation: group names resolve once (``GetGroupId``) and are reused for
every record of the batch, then forgotten, so a renamed group is seen on the next invocation. Member lists are
read with the paginated List operations (at most 100 memberships a page).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from domain_steward.config import StewardConfig
from domain_steward.studio import error_code

if TYPE_CHECKING:
    from mypy_boto3_identitystore import IdentityStoreClient
    from mypy_boto3_sso_admin import SSOAdminClient

# identitystore GroupId / UserId pattern of botocore's model (ResourceId):
# ([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}
RESOURCE_ID = re.compile(
    r"^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$"
)
PAGE_SIZE = 100  # ListGroupMemberships* MaxResults maximum (botocore model: 1..100)


class IdentityCenterNotFound(Exception):
    """The account has no Identity Center instance and the configuration names none."""


@dataclass(frozen=True)
class Instance:
    instance_arn: str
    identity_store_id: str


@dataclass(frozen=True)
class User:
    user_id: str
    user_name: str
    # DescribeUser.UserStatus (ENABLED | DISABLED in botocore's identitystore model); ``None`` when the
    # response has none (moto's has none), and then a DisableUser event we recorded decides.
    status: str | None = None

    @property
    def status_known(self) -> bool:
        return self.status is not None

    @property
    def disabled(self) -> bool:
        return self.status == "DISABLED"


def find_instance(sso_admin: SSOAdminClient, config: StewardConfig) -> Instance:
    """The configured instance, else the account's only one (``ListInstances``: one organization or account
    instance per account, https://docs.aws.amazon.com/singlesignon/latest/userguide/identity-center-instances.html)."""
    if config.identity_center is not None:
        return Instance(config.identity_center.instance_arn, config.identity_center.identity_store_id)
    for page in sso_admin.get_paginator("list_instances").paginate():
        for instance in page.get("Instances", []):
            if instance.get("InstanceArn") and instance.get("IdentityStoreId"):
                return Instance(instance["InstanceArn"], instance["IdentityStoreId"])
    raise IdentityCenterNotFound(
        "no IAM Identity Center instance in this account; set identity_center in the configuration"
    )


@dataclass
class Directory:
    """The Identity Store of one instance, with the invocation's cache of group ids."""

    client: IdentityStoreClient
    identity_store_id: str
    _group_ids: dict[str, str | None] = field(default_factory=dict)

    def group_id(self, group: str) -> str | None:
        """The id of a group given by id or display name; ``None`` when no such group exists."""
        if RESOURCE_ID.match(group):
            return group
        if group not in self._group_ids:
            try:
                # AttributeValue is a JSON document; for displayName it is the name itself
                # (https://docs.aws.amazon.com/singlesignon/latest/IdentityStoreAPIReference/API_GetGroupId.html).
                response = self.client.get_group_id(
                    IdentityStoreId=self.identity_store_id,
                    AlternateIdentifier={
                        "UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": group}  # type: ignore[typeddict-item]
                    },
                )
                self._group_ids[group] = response["GroupId"]
            except Exception as error:
                if error_code(error) != "ResourceNotFoundException":
                    raise
                self._group_ids[group] = None
        return self._group_ids[group]

    def user(self, user_id: str) -> User | None:
        """The user, or ``None`` once deleted (``ResourceNotFoundException``)."""
        try:
            response: Any = self.client.describe_user(IdentityStoreId=self.identity_store_id, UserId=user_id)
        except Exception as error:
            if error_code(error) in {"ResourceNotFoundException", "ValidationException"}:
                return None
            raise
        status = response.get("UserStatus")
        return User(user_id, str(response["UserName"]), str(status).upper() if status else None)

    def memberships_of(self, user_id: str) -> dict[str, str]:
        """``{group id: membership id}`` of every group the user is a direct member of."""
        memberships: dict[str, str] = {}
        paginator = self.client.get_paginator("list_group_memberships_for_member")
        pages = paginator.paginate(
            IdentityStoreId=self.identity_store_id,
            MemberId={"UserId": user_id},
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
        for page in pages:
            for membership in page.get("GroupMemberships", []):
                memberships[membership["GroupId"]] = membership.get("MembershipId", "")
        return memberships

    def members_of(self, group_id: str) -> Iterator[tuple[str, str]]:
        """``(user id, membership id)`` of every direct user member of a group (nested groups are not
        supported for application assignment: AWS-FACTS §3)."""
        paginator = self.client.get_paginator("list_group_memberships")
        pages = paginator.paginate(
            IdentityStoreId=self.identity_store_id, GroupId=group_id, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for page in pages:
            for membership in page.get("GroupMemberships", []):
                user_id = membership.get("MemberId", {}).get("UserId")
                if user_id:
                    yield user_id, membership.get("MembershipId", "")
