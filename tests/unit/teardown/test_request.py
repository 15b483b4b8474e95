"""The teardown's input is validated strictly: a typo must never fall back to a default that deletes."""

from __future__ import annotations

from typing import Any

import pytest

from domain_steward.teardown.errors import InvalidInput
from domain_steward.teardown.request import parse_request


def test_defaults_are_filled_in_for_a_domain():
    request = parse_request({"DomainId": "d-abc123", "Confirm": "d-abc123"})
    assert request.normalised() == {
        "DomainId": "d-abc123",
        "UserProfileName": None,
        "Confirm": "d-abc123",
        "HomeEfsFileSystem": "Retain",  # AWS's own default for DeleteDomain's RetentionPolicy
        "DryRun": False,
        "StageTimeoutMinutes": 60,
    }
    assert request.target == "d-abc123"


def test_the_user_profile_scope_confirms_the_profile_name():
    request = parse_request({"DomainId": "d-abc123", "UserProfileName": "alice", "Confirm": "alice"})
    assert request.profile_scope
    assert request.target == "alice"
    assert request.normalised()["HomeEfsFileSystem"] is None


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"DomainId": "d-abc123", "Confirm": "d-abc123", "DryRn": True}, "DryRn"),
        ({"DomainId": "D-ABC", "Confirm": "D-ABC"}, "DomainId"),
        ({"DomainId": "d-abc123", "Confirm": "d-abc123", "DryRun": "false"}, "DryRun"),
        ({"DomainId": "d-abc123", "Confirm": "d-abc123", "HomeEfsFileSystem": "delete"}, "HomeEfsFileSystem"),
        ({"DomainId": "d-abc123", "Confirm": "d-abc123", "StageTimeoutMinutes": 0}, "StageTimeoutMinutes"),
        ({"DomainId": "d-abc123", "Confirm": "d-abc123", "StageTimeoutMinutes": 1441}, "StageTimeoutMinutes"),
        ({"DomainId": "d-abc123"}, "Confirm"),
        ({"DomainId": "d-abc123", "UserProfileName": "bad name", "Confirm": "bad name"}, "UserProfileName"),
    ],
)
def test_a_bad_input_is_refused_naming_the_field(event: dict[str, Any], named: str):
    with pytest.raises(InvalidInput, match=named):
        parse_request(event)


def test_the_retention_choice_belongs_to_the_domain_scope_only():
    with pytest.raises(InvalidInput, match="HomeEfsFileSystem applies to a whole domain"):
        parse_request(
            {"DomainId": "d-abc123", "UserProfileName": "alice", "Confirm": "alice", "HomeEfsFileSystem": "Delete"}
        )


@pytest.mark.parametrize("event", [None, [], "d-abc123"])
def test_the_input_must_be_an_object(event: Any):
    with pytest.raises(InvalidInput, match="JSON object"):
        parse_request(event)
