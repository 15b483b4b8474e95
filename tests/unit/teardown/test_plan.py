"""The plan lists what a teardown will remove, and refuses (changing nothing) what must not go ahead."""

from __future__ import annotations

from typing import Any

import pytest

from domain_steward.teardown.errors import (
    ConfirmationMismatch,
    DomainNotFound,
    DomainProtected,
    UserProfileNotFound,
)
from domain_steward.teardown.plan import make_plan
from domain_steward.teardown.request import parse_request
from domain_steward.teardown.stages import Clients
from localcloud import LocalCloud
from tests.unit.teardown.support import EXECUTION, Studio

_CHANGES = ("Add", "Create", "Delete", "Revoke", "Update", "Authorize")


def _changes(cloud: LocalCloud) -> list[str]:
    return [
        c.operation
        for c in cloud.calls
        if c.service in ("sagemaker", "efs", "ec2") and c.operation.startswith(_CHANGES)
    ]


def test_the_plan_lists_apps_spaces_profiles_and_the_domain_residue(
    cloud: LocalCloud, clients: Clients, sfn: Any, studio: Studio
):
    domain_id = studio.domain()
    studio.profile(domain_id, "alice")
    studio.space(domain_id, "lab", "alice")
    studio.app(domain_id, SpaceName="lab")
    studio.app(domain_id, "Canvas", UserProfileName="alice")
    cloud.fail_app(domain_id, "Canvas", "default", user_profile_name="alice")
    cloud.calls.clear()

    planned = make_plan(clients, sfn, parse_request({"DomainId": domain_id, "Confirm": domain_id}), EXECUTION)

    plan = planned["Plan"]
    assert sorted((a["AppType"], a["Status"]) for a in plan["Apps"]) == [
        ("Canvas", "Failed"),
        ("JupyterLab", "InService"),
    ]
    assert plan["Spaces"] == [
        {"SpaceName": "lab", "SharingType": "Private", "OwnerUserProfileName": "alice", "Status": "InService"}
    ]
    assert plan["UserProfiles"] == [{"UserProfileName": "alice", "Status": "InService"}]
    # AWS-FACTS §2: the home EFS, one mount target per subnet, and the two NFS groups.
    assert planned["PlanCounts"] == {
        "Apps": 2,
        "Spaces": 1,
        "UserProfiles": 1,
        "FileSystems": 1,
        "MountTargets": 2,
        "SecurityGroups": 2,
    }
    assert {g["GroupName"] for g in plan["SecurityGroups"]} == {
        f"security-group-for-inbound-nfs-{domain_id}",
        f"security-group-for-outbound-nfs-{domain_id}",
    }
    assert planned["Target"]["MarkArn"] == planned["Target"]["DomainArn"]
    assert _changes(cloud) == []


def test_the_plan_of_a_profile_holds_its_apps_and_the_spaces_it_owns_only(clients: Clients, sfn: Any, studio: Studio):
    domain_id = studio.domain()
    for name in ("alice", "bob"):
        studio.profile(domain_id, name)
    studio.space(domain_id, "alice-shared", "alice", "Shared")
    studio.space(domain_id, "bob-lab", "bob")
    studio.app(domain_id, SpaceName="alice-shared")
    studio.app(domain_id, SpaceName="bob-lab")

    request = parse_request({"DomainId": domain_id, "UserProfileName": "alice", "Confirm": "alice"})
    planned = make_plan(clients, sfn, request, EXECUTION)

    assert [s["SpaceName"] for s in planned["Plan"]["Spaces"]] == ["alice-shared"]
    assert [a.get("SpaceName") for a in planned["Plan"]["Apps"]] == ["alice-shared"]
    assert planned["Plan"]["UserProfiles"] == [{"UserProfileName": "alice", "Status": "InService"}]
    assert planned["PlanCounts"]["FileSystems"] == 0  # the domain's storage is not the profile's
    assert planned["Target"]["MarkArn"].endswith(f"user-profile/{domain_id}/alice")


def test_a_confirmation_that_does_not_repeat_the_target_is_refused_before_any_call(
    cloud: LocalCloud, clients: Clients, sfn: Any
):
    cloud.calls.clear()
    with pytest.raises(ConfirmationMismatch, match="must repeat the domain id 'd-abc123' exactly"):
        make_plan(clients, sfn, parse_request({"DomainId": "d-abc123", "Confirm": "d-abc124"}), EXECUTION)
    assert list(cloud.calls) == []


def test_an_unknown_domain_or_profile_is_refused(clients: Clients, sfn: Any, studio: Studio):
    with pytest.raises(DomainNotFound, match="Domain d-missing0000 does not exist"):
        make_plan(clients, sfn, parse_request({"DomainId": "d-missing0000", "Confirm": "d-missing0000"}), EXECUTION)
    domain_id = studio.domain()
    request = parse_request({"DomainId": domain_id, "UserProfileName": "nobody", "Confirm": "nobody"})
    with pytest.raises(UserProfileNotFound, match=f"User profile nobody does not exist in domain {domain_id}"):
        make_plan(clients, sfn, request, EXECUTION)


def test_a_protected_domain_is_refused_with_the_way_out(cloud: LocalCloud, clients: Clients, sfn: Any, studio: Studio):
    domain_id = studio.domain(Tags=[{"Key": "domain-steward:protected", "Value": "true"}])
    cloud.calls.clear()
    with pytest.raises(DomainProtected, match="delete-tags"):
        make_plan(clients, sfn, parse_request({"DomainId": domain_id, "Confirm": domain_id}), EXECUTION)
    assert _changes(cloud) == []


def test_a_stale_mark_of_an_execution_that_no_longer_exists_does_not_block(clients: Clients, sfn: Any, studio: Studio):
    domain_id = studio.domain()
    arn = clients.sagemaker.describe_domain(DomainId=domain_id)["DomainArn"]
    gone = "arn:aws:states:us-east-1:123456789012:execution:domain-steward-Teardown:long-gone"
    clients.sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "domain-steward:teardown", "Value": gone}])

    planned = make_plan(clients, sfn, parse_request({"DomainId": domain_id, "Confirm": domain_id}), EXECUTION)

    assert planned["Target"]["DomainId"] == domain_id
