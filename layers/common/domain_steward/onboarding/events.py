"""Identity Center change events (CloudTrail records delivered by EventBridge) and what each one names.

The records carry ids, never names (AWS-FACTS §3), and their shapes differ by source and even by call:
console ``AddMemberToGroup`` nests the member (``member.memberId``) while ``RemoveMemberFromGroup`` is read
flat (``memberId``) by the public aws-samples/sso-sync-to-amazon-rds handler
(https://github.com/aws-samples/sso-sync-to-amazon-rds); API ``CreateGroupMembership`` has
``memberId.userId`` and the new ``membershipId`` in ``responseElements``; ``DeleteGroupMembership`` has only the
``membershipId``; SCIM records (``identitystore-scim``) mask names and their exact shapes are undocumented. So
the ids are collected from every place any of these shapes puts them, in any key casing, and only values that
look like Identity Store ids count (masked values such as ``HIDDEN_DUE_TO_SECURITY_REASONS`` do not).

The event only says *who or what changed*; what to do is decided from current state (level-triggered).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain_steward.identity import RESOURCE_ID

Kind = Literal["membership", "user-deleted", "user-disabled", "user-changed", "group-changed"]

# eventName → what changed. CloudTrail event names of the three sources (AWS-FACTS §3, and the CloudTrail
# logging pages https://docs.aws.amazon.com/singlesignon/latest/userguide/sso-info-in-cloudtrail.html and
# https://docs.aws.amazon.com/singlesignon/latest/userguide/scim-logging-using-cloudtrail.html).
KINDS: dict[str, Kind] = {
    "AddMemberToGroup": "membership",
    "RemoveMemberFromGroup": "membership",
    "CreateGroupMembership": "membership",
    "DeleteGroupMembership": "membership",
    "CreateUser": "user-changed",
    "PatchUser": "user-changed",
    "DeleteUser": "user-deleted",
    "DisableUser": "user-disabled",
    # SCIM masks a PatchGroup's operations: it only tells that this group's membership changed.
    "PatchGroup": "group-changed",
}
SOURCES = frozenset({"sso-directory.amazonaws.com", "identitystore.amazonaws.com", "identitystore-scim.amazonaws.com"})
_MAX_DEPTH = 6  # requestParameters are shallow; a bound keeps a hostile record from costing much


class UnreadableEvent(ValueError):
    """A record that is not an Identity Center change we can act on; the message says why."""


class CloudTrailDetail(BaseModel):
    """The ``detail`` of an "AWS API Call via CloudTrail" event: the fields onboarding reads."""

    model_config = ConfigDict(extra="allow")

    eventSource: str
    eventName: str
    eventID: str | None = None
    errorCode: str | None = None
    errorMessage: str | None = None
    requestParameters: dict[str, Any] | None = None
    responseElements: dict[str, Any] | None = None


class IdentityCenterEvent(EventBridgeModel):
    detail: CloudTrailDetail
    detail_type: str = Field(alias="detail-type")


@dataclass(frozen=True)
class Change:
    """Who or what one event says changed."""

    event_id: str
    source: str
    event_name: str
    kind: Kind
    user_ids: frozenset[str]
    group_ids: frozenset[str]
    membership_ids: frozenset[str]
    error_code: str | None = None

    @property
    def failed_call(self) -> bool:
        """The API call the record logs failed (CloudTrail logs those too): nothing changed."""
        return bool(self.error_code)


def _ids(node: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(role, id) pairs found anywhere in a requestParameters/responseElements tree; role is user, group or
    membership. Keys match case-insensitively (casing differs between sources, AWS-FACTS §3)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            yield from _ids(item, depth + 1)
        return
    if not isinstance(node, Mapping):
        return
    for key, value in node.items():
        name = str(key).lower()
        if name in {"userid", "memberid"} and isinstance(value, str):
            yield "user", value
        elif name == "groupid" and isinstance(value, str):
            yield "group", value
        elif name == "membershipid" and isinstance(value, str):
            yield "membership", value
        elif isinstance(value, Mapping | list):
            yield from _ids(value, depth + 1)


def change_of(event: IdentityCenterEvent) -> Change:
    """What an Identity Center event names; raises :class:`UnreadableEvent` for anything else."""
    detail = event.detail
    if detail.eventSource not in SOURCES:
        raise UnreadableEvent(f"event source {detail.eventSource!r} is not an Identity Center source")
    kind = KINDS.get(detail.eventName)
    if kind is None:
        raise UnreadableEvent(f"event {detail.eventName!r} of {detail.eventSource} is not one onboarding handles")
    found: dict[str, set[str]] = {"user": set(), "group": set(), "membership": set()}
    for role, value in _ids([detail.requestParameters, detail.responseElements]):
        if RESOURCE_ID.match(value):
            found[role].add(value)
    change = Change(
        event_id=detail.eventID or event.id,
        source=detail.eventSource,
        event_name=detail.eventName,
        kind=kind,
        user_ids=frozenset(found["user"]),
        group_ids=frozenset(found["group"]),
        membership_ids=frozenset(found["membership"]),
        error_code=detail.errorCode,
    )
    names_nothing = not (change.user_ids or change.group_ids or change.membership_ids)
    # A masked SCIM PatchGroup may name nothing: it still means "some group's membership changed".
    if names_nothing and not change.failed_call and kind != "group-changed":
        raise UnreadableEvent(f"{detail.eventName} of {detail.eventSource} names no user, group or membership id")
    return change


def parse_body(body: str | None) -> IdentityCenterEvent:
    """An SQS message body (the EventBridge event as JSON) as an event; raises :class:`UnreadableEvent`."""
    try:
        document = json.loads(body or "")
    except ValueError as error:
        raise UnreadableEvent(f"the message body is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise UnreadableEvent("the message body is not a JSON object")
    try:
        return IdentityCenterEvent.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in error.errors()[:5]
        )
        raise UnreadableEvent(f"not an EventBridge CloudTrail event: {problems}") from error
