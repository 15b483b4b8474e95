"""SageMaker Studio spaces: private and shared, ownership, lifecycle, ResourceInUse, listing."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from localcloud.sagemaker import Latencies

LATENCIES = Latencies()


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


@pytest.fixture
def alice(sm, domain, settle) -> str:
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    settle()
    return "alice"


def private_space(sm, domain: str, name: str, owner: str, app_type: str = "JupyterLab") -> str:
    return str(
        sm.create_space(
            DomainId=domain,
            SpaceName=name,
            OwnershipSettings={"OwnerUserProfileName": owner},
            SpaceSharingSettings={"SharingType": "Private"},
            SpaceSettings={"AppType": app_type},
        )["SpaceArn"]
    )


def test_private_space_is_pending_then_in_service_with_its_owner(cloud, sm, domain, alice):
    arn = private_space(sm, domain, "alice-lab", alice)
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:space/{domain}/alice-lab"
    described = sm.describe_space(DomainId=domain, SpaceName="alice-lab")
    assert described["Status"] == "Pending"
    assert described["OwnershipSettings"] == {"OwnerUserProfileName": "alice"}
    assert described["SpaceSharingSettings"] == {"SharingType": "Private"}
    assert described["SpaceSettings"]["AppType"] == "JupyterLab"
    cloud.clock.advance(LATENCIES.space_create)
    assert sm.describe_space(DomainId=domain, SpaceName="alice-lab")["Status"] == "InService"


def test_list_spaces_returns_owner_sharing_and_app_type_summaries(sm, domain, alice):
    private_space(sm, domain, "alice-lab", alice, app_type="CodeEditor")
    sm.create_space(DomainId=domain, SpaceName="team", SpaceSharingSettings={"SharingType": "Shared"})
    spaces = {s["SpaceName"]: s for s in sm.list_spaces(DomainIdEquals=domain)["Spaces"]}
    assert spaces["alice-lab"]["OwnershipSettingsSummary"] == {"OwnerUserProfileName": "alice"}
    assert spaces["alice-lab"]["SpaceSharingSettingsSummary"] == {"SharingType": "Private"}
    assert spaces["alice-lab"]["SpaceSettingsSummary"] == {"AppType": "CodeEditor"}
    assert spaces["team"]["SpaceSharingSettingsSummary"] == {"SharingType": "Shared"}
    assert "OwnershipSettingsSummary" not in spaces["team"]


def test_private_space_needs_an_owner(sm, domain):
    with pytest.raises(ClientError) as excinfo:
        sm.create_space(DomainId=domain, SpaceName="lab", SpaceSharingSettings={"SharingType": "Private"})
    assert code(excinfo) == "ValidationException"


def test_space_owner_must_exist(sm, domain):
    with pytest.raises(ClientError) as excinfo:
        private_space(sm, domain, "lab", "nobody")
    assert code(excinfo) == "ResourceNotFound"


def test_space_owner_must_not_be_deleting(sm, domain, alice):
    sm.delete_user_profile(DomainId=domain, UserProfileName=alice)
    with pytest.raises(ClientError) as excinfo:
        private_space(sm, domain, "lab", alice)
    assert code(excinfo) == "ResourceInUse"


def test_space_names_are_unique_and_not_case_sensitive(sm, domain):
    sm.create_space(DomainId=domain, SpaceName="Team")
    with pytest.raises(ClientError) as excinfo:
        sm.create_space(DomainId=domain, SpaceName="team")
    assert code(excinfo) == "ResourceInUse"


def test_space_name_must_match_the_aws_pattern(sm, domain):
    with pytest.raises(ClientError) as excinfo:
        sm.create_space(DomainId=domain, SpaceName="my_space")
    assert code(excinfo) == "ValidationException"


def test_space_in_unknown_domain_is_resource_not_found(sm):
    with pytest.raises(ClientError) as excinfo:
        sm.create_space(DomainId="d-000000000000", SpaceName="team")
    assert code(excinfo) == "ResourceNotFound"


def test_describe_unknown_space_is_resource_not_found(sm, domain):
    with pytest.raises(ClientError) as excinfo:
        sm.describe_space(DomainId=domain, SpaceName="nothing")
    assert code(excinfo) == "ResourceNotFound"


def test_delete_space_goes_deleting_then_gone(cloud, sm, domain, settle):
    sm.create_space(DomainId=domain, SpaceName="team")
    settle()
    sm.delete_space(DomainId=domain, SpaceName="team")
    assert sm.describe_space(DomainId=domain, SpaceName="team")["Status"] == "Deleting"
    with pytest.raises(ClientError) as excinfo:
        sm.delete_space(DomainId=domain, SpaceName="team")
    assert code(excinfo) == "ResourceInUse"
    cloud.clock.advance(LATENCIES.space_delete)
    assert sm.list_spaces(DomainIdEquals=domain)["Spaces"] == []


def test_delete_space_refused_while_it_has_a_non_failed_app(cloud, sm, domain, alice, settle):
    private_space(sm, domain, "lab", alice)
    settle()
    app = {"DomainId": domain, "SpaceName": "lab", "AppType": "JupyterLab", "AppName": "default"}
    sm.create_app(**app)
    with pytest.raises(ClientError) as excinfo:
        sm.delete_space(DomainId=domain, SpaceName="lab")
    assert code(excinfo) == "ResourceInUse"
    cloud.fail_app(domain, "JupyterLab", "default", "image failed to start", space_name="lab")
    sm.delete_space(DomainId=domain, SpaceName="lab")


def test_update_space_goes_updating_then_in_service(cloud, sm, domain, settle):
    sm.create_space(DomainId=domain, SpaceName="team", SpaceSettings={"AppType": "JupyterLab"})
    settle()
    idle = {"IdleTimeoutInMinutes": 90}
    sm.update_space(
        DomainId=domain,
        SpaceName="team",
        SpaceDisplayName="Team space",
        SpaceSettings={"JupyterLabAppSettings": {"AppLifecycleManagement": {"IdleSettings": idle}}},
    )
    described = sm.describe_space(DomainId=domain, SpaceName="team")
    assert described["Status"] == "Updating"
    assert described["SpaceDisplayName"] == "Team space"
    assert described["SpaceSettings"]["AppType"] == "JupyterLab"
    assert described["SpaceSettings"]["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"] == idle
    cloud.clock.advance(LATENCIES.space_update)
    assert sm.describe_space(DomainId=domain, SpaceName="team")["Status"] == "InService"


def test_list_spaces_filters_sorts_and_paginates(cloud, sm, domain):
    for i in range(12):
        sm.create_space(DomainId=domain, SpaceName=f"space{i:02d}")
        cloud.clock.advance(1)
    sm.create_space(DomainId=domain, SpaceName="other")
    assert [s["SpaceName"] for s in sm.list_spaces(SpaceNameContains="other")["Spaces"]] == ["other"]
    seen, token = [], None
    while True:
        page = sm.list_spaces(
            DomainIdEquals=domain, SortOrder="Descending", MaxResults=5, **({"NextToken": token} if token else {})
        )
        seen += [s["SpaceName"] for s in page["Spaces"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["other", *[f"space{i:02d}" for i in reversed(range(12))]]
