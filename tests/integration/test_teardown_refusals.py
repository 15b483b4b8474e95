"""The teardown refuses, changing nothing, when it is not sure it was asked to remove this very target.

Black-box: the deployed TeardownStateMachine on the local cloud (TEARDOWN-CONTRACT.md, INTERFACES.md).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest

from localcloud import LocalCloud
from tests.integration.conftest import (
    Notifications,
    StudioBuilder,
    Teardown,
    changing_calls,
    inventory,
    teardown_tags,
)


def _refused(
    cloud: LocalCloud, teardown: Teardown, execution_input: dict[str, Any], error: str
) -> tuple[str, dict[str, Any]]:
    """Run a teardown that must be refused with ``error``; return its cause and the inventory it left."""
    before, calls = inventory(cloud), len(cloud.calls)

    execution = teardown.run(execution_input)

    assert (execution.status, execution.error) == ("FAILED", error), execution.cause
    assert execution.cause.strip(), "a refusal says why"
    assert changing_calls(cloud, calls) == []
    after = inventory(cloud)
    assert after == before
    return execution.cause, after


def test_a_wrong_confirmation_is_refused(cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown) -> None:
    domain_id = studio.domain()
    studio.populate(domain_id, profiles=2, shared_spaces=1, apps={"InService": 3})
    other_id = studio.domain("other")

    cause, _ = _refused(cloud, teardown, {"DomainId": domain_id, "Confirm": other_id}, "ConfirmationMismatch")

    assert domain_id in cause


def test_a_protected_domain_is_refused(cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown) -> None:
    # INTERFACES.md: the tag domain-steward:protected=true makes the teardown refuse the domain.
    domain_id = studio.domain(tags={"domain-steward:protected": "true"})
    studio.populate(domain_id, profiles=1, apps={"InService": 1})

    cause, after = _refused(cloud, teardown, {"DomainId": domain_id, "Confirm": domain_id}, "DomainProtected")

    assert "domain-steward:protected" in cause
    assert ("domain-steward:protected", "true") in after["Domains"][domain_id]["Tags"]


def test_an_unknown_domain_is_refused(cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown) -> None:
    studio.domain()  # another domain exists and stays untouched
    unknown = "d-abcdefghijkl"

    cause, _ = _refused(cloud, teardown, {"DomainId": unknown, "Confirm": unknown}, "DomainNotFound")

    assert unknown in cause


def test_an_unknown_user_profile_is_refused(cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown) -> None:
    domain_id = studio.domain()
    studio.populate(domain_id, profiles=1, apps={"InService": 1})

    cause, _ = _refused(
        cloud,
        teardown,
        {"DomainId": domain_id, "UserProfileName": "nobody", "Confirm": "nobody"},
        "UserProfileNotFound",
    )

    assert "nobody" in cause


def test_a_user_profile_teardown_confirms_the_profile_name(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown
) -> None:
    domain_id = studio.domain()
    scenario = studio.populate(domain_id, profiles=2, private_spaces=2, apps={"InService": 4})
    profile = scenario.profiles[0]

    _refused(
        cloud,
        teardown,
        # Confirm names the profile, not the domain (INTERFACES.md).
        {"DomainId": domain_id, "UserProfileName": profile, "Confirm": domain_id},
        "ConfirmationMismatch",
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"DomainId": None}, "DomainId is required"),
        ({"Confirm": None}, "Confirm is required"),
        ({"Force": True}, "unknown keys are refused"),
        ({"DomainId": "studio", "Confirm": "studio"}, "not a domain id"),
        ({"HomeEfsFileSystem": "Destroy"}, "Retain or Delete only"),
        ({"DryRun": "yes"}, "DryRun is a boolean"),
        ({"StageTimeoutMinutes": 0}, "at least one minute"),
        ({"StageTimeoutMinutes": 1441}, "at most a day"),
        ({"UserProfileName": "user-000", "Confirm": "user-000", "HomeEfsFileSystem": "Delete"}, "profile scope"),
    ],
)
def test_invalid_input_is_refused(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown, change: dict[str, Any], why: str
) -> None:
    domain_id = studio.domain()
    studio.populate(domain_id, profiles=1, apps={"InService": 1})
    execution_input: dict[str, Any] = {"DomainId": domain_id, "Confirm": domain_id, **change}
    execution_input = {key: value for key, value in execution_input.items() if value is not None}

    _refused(cloud, teardown, execution_input, "InvalidInput")


def test_a_failed_teardown_notifies_the_admins(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown, notifications: Notifications
) -> None:
    # The EventBridge rule on "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED)
    # publishes to NotificationsTopic, even when the workflow cannot reach its own last state
    # (docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html).
    domain_id = studio.domain()

    execution = teardown.run({"DomainId": domain_id, "Confirm": "d-000000000000"})

    assert execution.error == "ConfirmationMismatch"
    [notice] = notifications.received()
    assert execution.arn in notice["Message"]
    assert "ConfirmationMismatch" in notice["Message"]


@pytest.mark.slow
def test_a_second_teardown_is_refused_while_the_first_runs(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown
) -> None:
    domain_id = studio.domain()
    studio.populate(domain_id, profiles=2, private_spaces=1, apps={"InService": 3})
    held, release = threading.Event(), threading.Event()

    def hold_the_first_once_it_marked(_: datetime) -> None:
        # The clock moves while the first execution waits between rounds (a Wait state, run in its
        # worker thread): once the domain is marked, keep that execution there until the second is done.
        if held.is_set() or not _marked(cloud):
            return
        held.set()
        release.wait(timeout=60)

    cloud.clock.on_advance(hold_the_first_once_it_marked)
    first = teardown.start({"DomainId": domain_id, "Confirm": domain_id})
    assert held.wait(timeout=30), "the first teardown never marked the domain and waited"
    try:
        assert teardown_tags(cloud, domain_id) == [first]
        second = teardown.wait(teardown.start({"DomainId": domain_id, "Confirm": domain_id}), timeout=30)
        # Still marked by the first: the refused second execution must not remove the first one's mark.
        assert teardown_tags(cloud, domain_id) == [first]
    finally:
        release.set()

    assert (second.status, second.error) == ("FAILED", "TeardownAlreadyRunning"), second.cause
    assert first in second.cause
    assert teardown.wait(first).status == "SUCCEEDED"


def _marked(cloud: LocalCloud) -> bool:
    """Whether a teardown has tagged a domain (seen in the call log: no API call from a clock listener)."""
    return any(
        tag.get("Key") == "domain-steward:teardown"
        for call in cloud.calls.calls("sagemaker", "AddTags")
        for tag in call.params.get("Tags") or []
    )
