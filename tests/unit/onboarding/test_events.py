"""The event parser: every source's shapes, failed calls, and anything else (issue 7, "Events")."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain_steward.onboarding.events import UnreadableEvent, change_of, parse_body

EVENTS = Path(__file__).resolve().parents[3] / "events"
USER = "94e80458-9021-70ea-08fa-c3a10a1d8a92"
GROUP = "34887428-4081-7042-c3c6-928d413009e7"
MEMBERSHIP = "c4a1e7f0-3001-70aa-5b11-9d1e2f3a4b5c"


def _sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def _change(event: dict[str, Any]) -> Any:
    return change_of(parse_body(json.dumps(event)))


def _with(event_name: str, source: str, request: Any, response: Any = None) -> dict[str, Any]:
    event = _sample("sso-directory-AddMemberToGroup.json")
    event["detail"].update(
        eventName=event_name, eventSource=source, requestParameters=request, responseElements=response
    )
    return event


@pytest.mark.parametrize(
    ("sample", "kind", "users", "groups", "memberships"),
    [
        ("sso-directory-AddMemberToGroup.json", "membership", 1, 1, 0),
        ("sso-directory-RemoveMemberFromGroup.json", "membership", 1, 1, 0),
        ("identitystore-CreateGroupMembership.json", "membership", 1, 1, 1),
        ("identitystore-DeleteGroupMembership.json", "membership", 0, 0, 1),
        ("identitystore-DeleteUser.json", "user-deleted", 1, 0, 0),
        ("sso-directory-DisableUser.json", "user-disabled", 1, 0, 0),
        ("identitystore-scim-PatchGroup.json", "group-changed", 0, 1, 0),
        ("identitystore-scim-CreateUser.json", "user-changed", 1, 0, 0),
    ],
)
def test_every_sample_event_names_what_changed(sample: str, kind: str, users: int, groups: int, memberships: int):
    change = _change(_sample(sample))
    assert change.kind == kind
    assert (len(change.user_ids), len(change.group_ids), len(change.membership_ids)) == (users, groups, memberships)
    assert not change.failed_call


def test_the_member_id_is_read_nested_and_flat_for_both_console_names():
    """AWS-FACTS §3: console AddMemberToGroup nests member.memberId; the public aws-samples/sso-sync-to-amazon-rds
    handler reads RemoveMemberFromGroup flat. Both shapes are accepted for both names."""
    for name in ("AddMemberToGroup", "RemoveMemberFromGroup"):
        for request in ({"groupId": GROUP, "member": {"memberId": USER}}, {"groupId": GROUP, "memberId": USER}):
            change = _change(_with(name, "sso-directory.amazonaws.com", request))
            assert change.user_ids == {USER}
            assert change.group_ids == {GROUP}


def test_keys_are_read_in_any_casing_and_masked_values_are_ignored():
    request = {"GroupId": GROUP, "MemberId": {"UserId": USER}, "displayName": "HIDDEN_DUE_TO_SECURITY_REASONS"}
    change = _change(
        _with("CreateGroupMembership", "identitystore.amazonaws.com", request, {"MembershipId": MEMBERSHIP})
    )
    assert (change.user_ids, change.group_ids, change.membership_ids) == ({USER}, {GROUP}, {MEMBERSHIP})
    masked = _change(
        _with("PatchGroup", "identitystore-scim.amazonaws.com", {"groupId": "HIDDEN_DUE_TO_SECURITY_REASONS"})
    )
    assert masked.group_ids == frozenset()  # still a change: "some group's membership changed"


def test_a_failed_call_is_read_but_marked_failed():
    change = _change(_sample("identitystore-CreateGroupMembership-failed.json"))
    assert change.failed_call


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "[]",
        json.dumps({"detail-type": "AWS API Call via CloudTrail"}),
        json.dumps(_with("CreateAccessKey", "iam.amazonaws.com", {"userName": "x"})),
        json.dumps(_with("AddMemberToGroup", "sso-directory.amazonaws.com", {"groupId": "not-an-id"})),
    ],
)
def test_anything_else_is_unreadable_with_a_reason(body: str):
    with pytest.raises(UnreadableEvent) as error:
        change_of(parse_body(body))
    assert str(error.value)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40) | st.just(USER) | st.just(GROUP),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["userId", "memberId", "groupId", "membershipId", "member", "UserId", "x", "detail"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_samples = sorted(
    p.name
    for p in EVENTS.glob("*.json")
    if json.loads(p.read_text()).get("detail-type") == "AWS API Call via CloudTrail"
)


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    """A sample event with a part replaced, removed or retyped; or the body cut short."""
    event = copy.deepcopy(_sample(draw(st.sampled_from(_samples))))
    where = draw(st.sampled_from(["", "detail", "detail.requestParameters", "detail.responseElements"]))
    node: Any = event
    for part in filter(None, where.split(".")):
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and node:
        key = draw(st.sampled_from(sorted(node)))
        if draw(st.booleans()):
            node[key] = draw(_json)
        else:
            del node[key]
    body = json.dumps(event)
    if draw(st.integers(0, 9)) == 0:
        body = body[: draw(st.integers(0, len(body)))]
    return body


@pytest.mark.slow
@settings(max_examples=2000, deadline=None)
@given(st.one_of(_mutated(), st.text(max_size=300), _json.map(json.dumps)))
def test_any_body_is_parsed_or_rejected_with_a_reason(body: str):
    try:
        change = change_of(parse_body(body))
    except UnreadableEvent as error:
        reason = str(error)
        assert reason  # the property: any refusal says why
        return
    assert change.kind in {"membership", "user-deleted", "user-disabled", "user-changed", "group-changed"}
