"""Failure controls: deletes that never finish (keep_deleting / release) and failed creations, updates and
deletes (fail_resource), as a workflow meets them on AWS.

Statuses follow botocore's enums: AppStatus has Failed only; UserProfileStatus, SpaceStatus and DomainStatus
have Failed, Update_Failed and Delete_Failed
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UserProfileDetails.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AppDetails.html). What AWS allows next from a
failed state is undocumented; the emulation lets Delete* retry a Delete_Failed or Failed resource and refuses
new children under it (ResourceInUse), the stricter reading.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.sagemaker import Latencies

LATENCIES = Latencies()
DAY = timedelta(days=1).total_seconds()


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


@pytest.fixture
def alice(sm: Any, domain: str, settle: Any) -> str:
    """An InService profile ``alice`` in ``domain``."""
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    settle()
    return "alice"


@pytest.fixture
def app(sm: Any, domain: str, alice: str, settle: Any) -> dict[str, str]:
    """An InService KernelGateway app of alice, as DescribeApp/DeleteApp take it."""
    params = {"DomainId": domain, "UserProfileName": alice, "AppType": "KernelGateway", "AppName": "k1"}
    sm.create_app(**params, ResourceSpec={"InstanceType": "ml.t3.medium"})
    settle()
    return params


def app_names(app: dict[str, str]) -> dict[str, str]:
    return {"user_profile_name": app["UserProfileName"], "app_type": app["AppType"], "app_name": app["AppName"]}


def app_status(sm: Any, app: dict[str, str]) -> str:
    return str(sm.describe_app(**app)["Status"])


# -- keep_deleting / release ----------------------------------------------------------------------------------


def test_an_app_already_deleting_stays_deleting_until_released(cloud, sm, domain, app, settle):
    sm.delete_app(**app)
    cloud.keep_deleting(domain, **app_names(app))
    cloud.clock.advance(DAY)
    assert app_status(sm, app) == "Deleting"
    listed = sm.list_apps(DomainIdEquals=domain)["Apps"]
    assert [a["Status"] for a in listed] == ["Deleting"]
    with pytest.raises(ClientError) as excinfo:  # a Deleting app still holds its profile (AWS-FACTS §2)
        sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    assert code(excinfo) == "ResourceInUse"
    cloud.release(domain, **app_names(app))
    # Its delete was due long ago: it finishes at once, then is listed as Deleted for about 24 h.
    assert app_status(sm, app) == "Deleted"
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")


def test_keep_deleting_applies_to_the_next_delete(cloud, sm, domain, app):
    cloud.keep_deleting(domain, **app_names(app))
    assert app_status(sm, app) == "InService"  # nothing changes until the delete
    sm.delete_app(**app)
    cloud.clock.advance(LATENCIES.app_delete * 3)
    assert app_status(sm, app) == "Deleting"
    with pytest.raises(ClientError) as excinfo:  # a new app cannot take the name of one being deleted
        sm.create_app(**app, ResourceSpec={"InstanceType": "ml.t3.medium"})
    assert code(excinfo) == "ResourceInUse"
    cloud.release(domain, **app_names(app))
    assert app_status(sm, app) == "Deleted"
    sm.create_app(**app, ResourceSpec={"InstanceType": "ml.t3.medium"})


def test_a_held_delete_released_in_time_finishes_on_schedule(cloud, sm, domain, alice):
    cloud.keep_deleting(domain, user_profile_name=alice)
    sm.delete_user_profile(DomainId=domain, UserProfileName=alice)
    cloud.clock.advance(LATENCIES.user_profile_delete / 2)
    cloud.release(domain, user_profile_name=alice)
    assert sm.describe_user_profile(DomainId=domain, UserProfileName=alice)["Status"] == "Deleting"
    cloud.clock.advance(LATENCIES.user_profile_delete / 2)
    with pytest.raises(ClientError) as excinfo:
        sm.describe_user_profile(DomainId=domain, UserProfileName=alice)
    assert code(excinfo) == "ResourceNotFound"


def test_a_stuck_space_keeps_its_owner_and_its_domain(cloud, sm, domain, alice, settle):
    sm.create_space(
        DomainId=domain,
        SpaceName="lab",
        OwnershipSettings={"OwnerUserProfileName": alice},
        SpaceSharingSettings={"SharingType": "Private"},
    )
    settle()
    sm.delete_space(DomainId=domain, SpaceName="lab")
    cloud.keep_deleting(domain, space_name="lab")
    cloud.clock.advance(DAY)
    assert sm.list_spaces(DomainIdEquals=domain)["Spaces"][0]["Status"] == "Deleting"
    with pytest.raises(ClientError) as excinfo:
        sm.delete_user_profile(DomainId=domain, UserProfileName=alice)
    assert code(excinfo) == "ResourceInUse"
    cloud.release(domain, space_name="lab")
    assert sm.list_spaces(DomainIdEquals=domain)["Spaces"] == []


def test_a_stuck_domain_keeps_its_file_system_and_identity_center_application(cloud, sm, client, new_domain, settle):
    domain_id = new_domain(name="sso", AuthMode="SSO")
    settle()
    described = sm.describe_domain(DomainId=domain_id)
    cloud.keep_deleting(domain_id)
    sm.delete_domain(DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"})
    cloud.clock.advance(DAY)
    assert sm.describe_domain(DomainId=domain_id)["Status"] == "Deleting"
    efs, sso = client("efs"), client("sso-admin")
    file_system = described["HomeEfsFileSystemId"]
    assert efs.describe_file_systems(FileSystemId=file_system)["FileSystems"]
    sso.describe_application(ApplicationArn=described["SingleSignOnApplicationArn"])
    cloud.release(domain_id)
    with pytest.raises(ClientError) as excinfo:
        sm.describe_domain(DomainId=domain_id)
    assert code(excinfo) == "ResourceNotFound"
    # RetentionPolicy Delete removes the home EFS once the domain is gone (its mount targets take a while
    # to go first), and the application goes with the domain.
    settle()
    assert efs.describe_file_systems()["FileSystems"] == []
    with pytest.raises(ClientError):
        sso.describe_application(ApplicationArn=described["SingleSignOnApplicationArn"])


def test_keep_deleting_refuses_an_app_that_will_never_be_deleted(cloud, domain, app):
    cloud.fail_app(domain, app["AppType"], app["AppName"], user_profile_name="alice")
    with pytest.raises(ValueError, match="Failed"):  # DeleteApp does not take a Failed app (AWS-FACTS §1)
        cloud.keep_deleting(domain, **app_names(app))


def test_release_without_a_control_and_unknown_resources_are_errors(cloud, domain, alice):
    with pytest.raises(ValueError, match="nothing holds"):
        cloud.release(domain, user_profile_name=alice)
    with pytest.raises(LookupError):
        cloud.keep_deleting(domain, user_profile_name="nobody")
    with pytest.raises(ValueError, match="not both"):
        cloud.keep_deleting(domain, user_profile_name=alice, space_name="lab")
    with pytest.raises(ValueError, match="app_type= and app_name="):
        cloud.keep_deleting(domain, user_profile_name=alice, app_type="KernelGateway")


# -- fail_resource ----------------------------------------------------------------------------------------------


def test_the_next_delete_of_a_profile_fails_and_a_retry_deletes_it(cloud, sm, domain, alice, settle):
    cloud.fail_resource(domain, "Delete_Failed", "EFS access point still in use", user_profile_name=alice)
    sm.delete_user_profile(DomainId=domain, UserProfileName=alice)
    deleting = sm.describe_user_profile(DomainId=domain, UserProfileName=alice)
    assert deleting["Status"] == "Deleting"
    assert "FailureReason" not in deleting  # the reason shows once the delete has failed
    cloud.clock.advance(LATENCIES.user_profile_delete)
    failed = sm.describe_user_profile(DomainId=domain, UserProfileName=alice)
    assert (failed["Status"], failed["FailureReason"]) == ("Delete_Failed", "EFS access point still in use")
    assert sm.list_user_profiles(DomainIdEquals=domain)["UserProfiles"][0]["Status"] == "Delete_Failed"
    with pytest.raises(ClientError) as excinfo:  # undocumented; a failed profile launches nothing (stricter)
        sm.create_app(DomainId=domain, UserProfileName=alice, AppType="JupyterServer", AppName="default")
    assert code(excinfo) == "ResourceInUse"
    with pytest.raises(ClientError) as excinfo:  # it still exists, so its domain cannot go
        sm.delete_domain(DomainId=domain)
    assert code(excinfo) == "ResourceInUse"
    sm.delete_user_profile(DomainId=domain, UserProfileName=alice)  # undocumented; a retry deletes it
    settle()
    assert sm.list_user_profiles(DomainIdEquals=domain)["UserProfiles"] == []


def test_a_space_being_deleted_fails_at_once(cloud, sm, domain, settle):
    sm.create_space(DomainId=domain, SpaceName="team", SpaceSharingSettings={"SharingType": "Shared"})
    settle()
    sm.delete_space(DomainId=domain, SpaceName="team")
    cloud.fail_resource(domain, "Delete_Failed", "internal error", space_name="team")
    described = sm.describe_space(DomainId=domain, SpaceName="team")
    assert (described["Status"], described["FailureReason"]) == ("Delete_Failed", "internal error")
    cloud.clock.advance(DAY)
    assert sm.describe_space(DomainId=domain, SpaceName="team")["Status"] == "Delete_Failed"


def test_a_failed_domain_update_and_then_a_delete(cloud, sm, domain, settle):
    cloud.fail_resource(domain, "Update_Failed", "subnet has no free addresses")
    sm.update_domain(DomainId=domain, DefaultUserSettings={"DefaultLandingUri": "studio::"})
    assert sm.describe_domain(DomainId=domain)["Status"] == "Updating"
    cloud.clock.advance(LATENCIES.domain_update)
    described = sm.describe_domain(DomainId=domain)
    assert (described["Status"], described["FailureReason"]) == ("Update_Failed", "subnet has no free addresses")
    sm.delete_domain(DomainId=domain)  # a failed domain can be deleted
    settle()
    assert sm.list_domains()["Domains"] == []


def test_a_pending_profile_fails_to_be_created(cloud, sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="bob")
    cloud.fail_resource(domain, "Failed", "execution role cannot be assumed", user_profile_name="bob")
    cloud.clock.advance(DAY)
    described = sm.describe_user_profile(DomainId=domain, UserProfileName="bob")
    assert (described["Status"], described["FailureReason"]) == ("Failed", "execution role cannot be assumed")
    sm.delete_user_profile(DomainId=domain, UserProfileName="bob")
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="bob")["Status"] == "Deleting"


def test_a_domain_whose_delete_failed_keeps_its_residue_until_a_retry(cloud, sm, client, new_domain, settle):
    domain_id = new_domain(name="sso", AuthMode="SSO")
    settle()
    described = sm.describe_domain(DomainId=domain_id)
    cloud.fail_resource(domain_id, "Delete_Failed", "could not delete the home EFS")
    sm.delete_domain(DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"})
    settle()
    assert sm.describe_domain(DomainId=domain_id)["Status"] == "Delete_Failed"
    efs = client("efs")
    assert efs.describe_file_systems(FileSystemId=described["HomeEfsFileSystemId"])["FileSystems"]
    client("sso-admin").describe_application(ApplicationArn=described["SingleSignOnApplicationArn"])
    sm.delete_domain(DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"})
    settle()
    settle()  # the domain, then its mount targets and file system
    assert efs.describe_file_systems()["FileSystems"] == []


def test_release_disarms_a_failure(cloud, sm, domain, alice):
    cloud.fail_resource(domain, "Delete_Failed", user_profile_name=alice)
    cloud.release(domain, user_profile_name=alice)
    sm.delete_user_profile(DomainId=domain, UserProfileName=alice)
    cloud.clock.advance(LATENCIES.user_profile_delete)
    assert sm.list_user_profiles(DomainIdEquals=domain)["UserProfiles"] == []


@pytest.mark.parametrize(
    "case",
    [
        ({"user_profile_name": "alice", "app_type": "KernelGateway", "app_name": "k1"}, "Delete_Failed", "allow"),
        ({"user_profile_name": "alice"}, "Deleted", "allow"),
        ({"user_profile_name": "alice"}, "Failed", "ends a creation"),
    ],
)
def test_statuses_a_resource_cannot_have_are_refused(cloud, sm, domain, app, case):
    names, status, message = case
    with pytest.raises(ValueError, match=message):
        cloud.fail_resource(domain, status, **names)
    assert app_status(sm, app) == "InService"
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["Status"] == "InService"
