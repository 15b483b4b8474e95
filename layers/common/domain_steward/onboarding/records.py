"""What onboarding provisioned, kept in the stack's DynamoDB table (``OnboardingRecordsTable``).

After ``DeleteUser`` or ``DeleteGroupMembership`` the Identity Store can no longer say who a user was or
which user a membership belonged to (AWS-FACTS §3), so offboarding reads this record instead. Items:

- ``pk=user#<user id>``, ``sk=domain#<domain id>``: one per user and domain (the ``ByDomain`` index lists a
  domain's records for the reconciliation);
- ``pk=user#<user id>``, ``sk=user``: the user's own facts (name, disabled by a ``DisableUser`` event);
- ``pk=membership#<membership id>``, ``sk=membership``: which user and group a membership joined.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

DOMAIN_INDEX = "ByDomain"
State = Literal["active", "offboarded", "deleting"]


@dataclass
class Provisioned:
    """One user's profile in one domain, as onboarding last left it."""

    user_id: str
    domain_id: str
    user_name: str
    profile_name: str
    state: State = "active"
    group_id: str = ""  # the group that decided role and tags
    group_ids: list[str] = field(default_factory=list)  # every mapped group of the domain the user is in
    execution_role: str = ""
    tags: dict[str, str] = field(default_factory=dict)  # the group's tags, as applied
    space_name: str | None = None
    assigned: bool = False  # the Identity Center application assignment exists (SSO domains)
    execution_arn: str | None = None  # the teardown or provisioning execution last started
    verified_at: str | None = None  # the profile's LastModifiedTime when it was last checked against AWS
    disabled: bool = False  # offboarded because the user was disabled: membership alone does not restore it

    def item(self) -> dict[str, Any]:
        return {
            "pk": f"user#{self.user_id}",
            "sk": f"domain#{self.domain_id}",
            "domain": self.domain_id,
            **{k: v for k, v in asdict(self).items() if v is not None},
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Provisioned:
        fields = set(cls.__dataclass_fields__)
        values = {k: v for k, v in item.items() if k in fields}
        values["group_ids"] = list(values.get("group_ids") or [])
        values["tags"] = {str(k): str(v) for k, v in dict(values.get("tags") or {}).items()}
        return cls(**values)


@dataclass
class Records:
    """The data access layer over one table (a boto3 DynamoDB ``Table`` resource)."""

    table: Table

    def for_user(self, user_id: str) -> dict[str, Provisioned]:
        """``{domain id: record}`` of one user."""
        params: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :domain)",
            "ExpressionAttributeValues": {":pk": f"user#{user_id}", ":domain": "domain#"},
        }
        return {record.domain_id: record for record in self._records(params)}

    def for_domain(self, domain_id: str) -> Iterator[Provisioned]:
        """Every record of one domain (the ``ByDomain`` index), page by page."""
        params: dict[str, Any] = {
            "IndexName": DOMAIN_INDEX,
            "KeyConditionExpression": "#d = :d",
            "ExpressionAttributeNames": {"#d": "domain"},
            "ExpressionAttributeValues": {":d": domain_id},
        }
        return self._records(params)

    def _records(self, params: dict[str, Any]) -> Iterator[Provisioned]:
        while True:
            page = self.table.query(**params)
            for item in page.get("Items", []):
                yield Provisioned.from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            params = {**params, "ExclusiveStartKey": page["LastEvaluatedKey"]}

    def save(self, record: Provisioned) -> None:
        self.table.put_item(Item=record.item())

    def mark_verified(self, user_id: str, domain_id: str, last_modified: str) -> None:
        """The profile matched its configuration when it had this LastModifiedTime."""
        self.table.update_item(
            Key={"pk": f"user#{user_id}", "sk": f"domain#{domain_id}"},
            UpdateExpression="SET verified_at = :v",
            ExpressionAttributeValues={":v": last_modified},
        )

    def remember_memberships(self, user_id: str, memberships: Mapping[str, str]) -> None:
        """Note ``{group id: membership id}`` so a later ``DeleteGroupMembership`` names its user."""
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for group_id, membership_id in memberships.items():
                if membership_id:
                    batch.put_item(
                        Item={
                            "pk": f"membership#{membership_id}",
                            "sk": "membership",
                            "user_id": user_id,
                            "group_id": group_id,
                        }
                    )

    def user_of_membership(self, membership_id: str) -> str | None:
        item = self.table.get_item(Key={"pk": f"membership#{membership_id}", "sk": "membership"}).get("Item")
        return str(item["user_id"]) if item else None

    def is_disabled(self, user_id: str) -> bool:
        item = self.table.get_item(Key={"pk": f"user#{user_id}", "sk": "user"}).get("Item")
        return bool(item and item.get("disabled"))

    def set_disabled(self, user_id: str, disabled: bool) -> None:
        self.table.put_item(Item={"pk": f"user#{user_id}", "sk": "user", "disabled": disabled})
