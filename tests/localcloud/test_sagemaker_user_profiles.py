"""SageMaker Studio user profiles: lifecycle, names, Identity Center rules, ResourceInUse, listing."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from localcloud.sagemaker import Latencies

LATENCIES = Latencies()


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def test_profile_is_pending_then_in_service(cloud, sm, domain):
    arn = sm.create_user_profile(DomainId=domain, UserProfileName="alice")["UserProfileArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:user-profile/{domain}/alice"
    described = sm.describe_user_profile(DomainId=domain, UserProfileName="alice")
    assert described["Status"] == "Pending"
    assert described["HomeEfsFileSystemUid"].isdigit()
    cloud.clock.advance(LATENCIES.user_profile_create)
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["Status"] == "InService"


def test_profile_arn_is_lower_cased_like_aws(sm, domain):
    arn = sm.create_user_profile(DomainId=domain, UserProfileName="Default-20240725T130739")["UserProfileArn"]
    assert arn.endswith(f"user-profile/{domain}/default-20240725t130739")
    described = sm.describe_user_profile(DomainId=domain, UserProfileName="default-20240725t130739")
    assert described["UserProfileName"] == "Default-20240725T130739"


@pytest.mark.parametrize("name", ["alice@example.com", "-alice", "alice-", "a_b", "x" * 64])
def test_profile_name_must_match_the_aws_pattern(sm, domain, name):
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=domain, UserProfileName=name)
    assert code(excinfo) == "ValidationException"


def test_profile_names_are_not_case_sensitive(sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="Alice")
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert code(excinfo) == "ResourceInUse"


def test_profile_in_unknown_domain_is_resource_not_found(sm):
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId="d-000000000000", UserProfileName="alice")
    assert code(excinfo) == "ResourceNotFound"


def test_profile_in_a_pending_domain_is_resource_in_use(sm, new_domain):
    domain_id = new_domain()
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    assert code(excinfo) == "ResourceInUse"


def test_profile_in_a_deleting_domain_is_resource_in_use(sm, domain):
    sm.delete_domain(DomainId=domain)
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert code(excinfo) == "ResourceInUse"


def test_describe_unknown_profile_is_resource_not_found(sm, domain):
    with pytest.raises(ClientError) as excinfo:
        sm.describe_user_profile(DomainId=domain, UserProfileName="nobody")
    assert code(excinfo) == "ResourceNotFound"


# -- Identity Center ---------------------------------------------------------------------------------


# CreateUserProfile's SingleSignOnUserValue "must match a valid username of a user in your directory"
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateUserProfile.html): each test that
# creates an SSO profile first creates its Identity Center user.


def test_sso_profile_keeps_the_identity_center_user(cloud, sm, sso_domain):
    cloud.identity_center_user("alice@example.com")
    sm.create_user_profile(
        DomainId=sso_domain,
        UserProfileName="alice-example-com",
        SingleSignOnUserIdentifier="UserName",
        SingleSignOnUserValue="alice@example.com",
    )
    described = sm.describe_user_profile(DomainId=sso_domain, UserProfileName="alice-example-com")
    assert described["SingleSignOnUserIdentifier"] == "UserName"
    assert described["SingleSignOnUserValue"] == "alice@example.com"
    listed = sm.list_user_profiles(DomainIdEquals=sso_domain)["UserProfiles"][0]
    assert "SingleSignOnUserValue" not in listed  # ListUserProfiles does not return the SSO user


def test_sso_domain_requires_the_identity_center_user(sm, sso_domain):
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=sso_domain, UserProfileName="alice")
    assert code(excinfo) == "ValidationException"


def test_sso_user_must_exist_in_the_identity_center_directory(cloud, sm, sso_domain):
    # AWS's wording for an unknown user is not documented: the emulation answers a ValidationException.
    user = {"SingleSignOnUserIdentifier": "UserName", "SingleSignOnUserValue": "nobody@example.com"}
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=sso_domain, UserProfileName="nobody", **user)
    assert code(excinfo) == "ValidationException"
    assert "nobody@example.com" in excinfo.value.response["Error"]["Message"]
    assert sm.list_user_profiles(DomainIdEquals=sso_domain)["UserProfiles"] == []
    cloud.identity_center_user("nobody@example.com")
    sm.create_user_profile(DomainId=sso_domain, UserProfileName="nobody", **user)


def test_sso_user_name_matches_exactly(cloud, sm, sso_domain):
    # Undocumented whether the match ignores case; the emulation is strict.
    cloud.identity_center_user("Alice@example.com")
    user = {"SingleSignOnUserIdentifier": "UserName", "SingleSignOnUserValue": "alice@example.com"}
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=sso_domain, UserProfileName="alice", **user)
    assert code(excinfo) == "ValidationException"


def test_identity_center_user_helper_returns_the_identity_store_user_id(cloud, client):
    user_id = cloud.identity_center_user("bob@example.com", given_name="Bob", family_name="Builder")
    (instance,) = client("sso-admin").list_instances()["Instances"]
    # moto's identitystore responses lack members botocore marks required, so this client is not watched.
    described = client("identitystore", watch=False).describe_user(
        IdentityStoreId=instance["IdentityStoreId"], UserId=user_id
    )
    assert described["UserName"] == "bob@example.com"
    assert described["Name"]["GivenName"] == "Bob"


def test_sso_identifier_must_be_user_name(client, sso_domain):
    raw = client("sagemaker", validate=False)
    with pytest.raises(ClientError) as excinfo:
        raw.create_user_profile(
            DomainId=sso_domain,
            UserProfileName="alice",
            SingleSignOnUserIdentifier="Email",
            SingleSignOnUserValue="alice@example.com",
        )
    assert code(excinfo) == "ValidationException"


def test_iam_domain_refuses_identity_center_fields(sm, domain):
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(
            DomainId=domain,
            UserProfileName="alice",
            SingleSignOnUserIdentifier="UserName",
            SingleSignOnUserValue="alice@example.com",
        )
    assert code(excinfo) == "ValidationException"


def test_one_identity_center_user_has_one_profile_per_domain(cloud, sm, sso_domain):
    cloud.identity_center_user("alice@example.com")
    user = {"SingleSignOnUserIdentifier": "UserName", "SingleSignOnUserValue": "alice@example.com"}
    sm.create_user_profile(DomainId=sso_domain, UserProfileName="alice", **user)
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=sso_domain, UserProfileName="alice2", **user)
    assert code(excinfo) == "ResourceInUse"


def test_identity_center_user_gets_a_new_profile_once_the_old_one_is_gone(cloud, sm, sso_domain, settle):
    cloud.identity_center_user("alice@example.com")
    user = {"SingleSignOnUserIdentifier": "UserName", "SingleSignOnUserValue": "alice@example.com"}
    sm.create_user_profile(DomainId=sso_domain, UserProfileName="alice", **user)
    settle()
    sm.delete_user_profile(DomainId=sso_domain, UserProfileName="alice")
    settle()
    sm.create_user_profile(DomainId=sso_domain, UserProfileName="alice", **user)


# -- delete ------------------------------------------------------------------------------------------


def test_delete_profile_goes_deleting_then_gone(cloud, sm, domain, settle):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    settle()
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["Status"] == "Deleting"
    cloud.clock.advance(LATENCIES.user_profile_delete)
    with pytest.raises(ClientError) as excinfo:
        sm.describe_user_profile(DomainId=domain, UserProfileName="alice")
    assert code(excinfo) == "ResourceNotFound"
    assert sm.list_user_profiles(DomainIdEquals=domain)["UserProfiles"] == []


def test_a_deleting_profile_still_holds_its_name(sm, domain, settle):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    settle()
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    assert code(excinfo) == "ResourceInUse"
    with pytest.raises(ClientError) as excinfo:
        sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    assert code(excinfo) == "ResourceInUse"


def test_delete_profile_refused_while_it_has_a_running_app(sm, domain, settle):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    settle()
    app = {"DomainId": domain, "UserProfileName": "alice", "AppType": "JupyterServer", "AppName": "default"}
    sm.create_app(**app)
    with pytest.raises(ClientError) as excinfo:  # Pending counts
        sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    assert code(excinfo) == "ResourceInUse"
    assert "App(s) are associated" in excinfo.value.response["Error"]["Message"]
    settle()
    sm.delete_app(**app)
    with pytest.raises(ClientError):  # Deleting counts
        sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    settle()
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")  # Deleted does not


def test_a_failed_app_does_not_hold_its_profile(cloud, sm, domain, settle):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    settle()
    sm.create_app(
        DomainId=domain,
        UserProfileName="alice",
        AppType="KernelGateway",
        AppName="k1",
        ResourceSpec={"InstanceType": "ml.t3.medium"},
    )
    cloud.fail_app(domain, "KernelGateway", "k1", user_profile_name="alice")
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")


def test_delete_profile_refused_while_it_owns_a_space(sm, domain, settle):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    settle()
    sm.create_space(
        DomainId=domain,
        SpaceName="alice-lab",
        OwnershipSettings={"OwnerUserProfileName": "alice"},
        SpaceSharingSettings={"SharingType": "Private"},
    )
    settle()
    with pytest.raises(ClientError) as excinfo:
        sm.delete_user_profile(DomainId=domain, UserProfileName="alice")
    assert code(excinfo) == "ResourceInUse"
    sm.delete_space(DomainId=domain, SpaceName="alice-lab")
    settle()
    sm.delete_user_profile(DomainId=domain, UserProfileName="alice")


def test_delete_unknown_profile_is_resource_not_found(sm, domain):
    with pytest.raises(ClientError) as excinfo:
        sm.delete_user_profile(DomainId=domain, UserProfileName="nobody")
    assert code(excinfo) == "ResourceNotFound"


# -- update ------------------------------------------------------------------------------------------


def test_update_profile_merges_settings_and_goes_updating_then_in_service(cloud, sm, domain, settle):
    sm.create_user_profile(
        DomainId=domain, UserProfileName="alice", UserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/A"}
    )
    settle()
    idle = {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 60}
    sm.update_user_profile(
        DomainId=domain,
        UserProfileName="alice",
        UserSettings={"JupyterLabAppSettings": {"AppLifecycleManagement": {"IdleSettings": idle}}},
    )
    described = sm.describe_user_profile(DomainId=domain, UserProfileName="alice")
    assert described["Status"] == "Updating"
    assert described["UserSettings"]["ExecutionRole"].endswith("role/A")
    assert described["UserSettings"]["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"] == idle
    cloud.clock.advance(LATENCIES.user_profile_update)
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["Status"] == "InService"


def test_update_pending_profile_is_resource_in_use(sm, domain):
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    with pytest.raises(ClientError) as excinfo:
        sm.update_user_profile(
            DomainId=domain, UserProfileName="alice", UserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/B"}
        )
    assert code(excinfo) == "ResourceInUse"


def test_update_security_groups_refused_while_the_profile_runs_apps(sm, domain, settle):
    # UserSettings.SecurityGroups apply to the user's apps; AWS documents that such settings "can only be
    # updated if there are no applications running" (https://docs.aws.amazon.com/sagemaker/latest/dg/domain-edit.html).
    # The error code and wording for UpdateUserProfile are not documented: ResourceInUse, our wording.
    sm.create_user_profile(DomainId=domain, UserProfileName="alice", UserSettings={"SecurityGroups": ["sg-1"]})
    settle()
    app = {"DomainId": domain, "UserProfileName": "alice", "AppType": "JupyterServer", "AppName": "default"}
    sm.create_app(**app)
    for _ in range(2):  # refused while the app is Pending (stricter), then while it is InService
        with pytest.raises(ClientError) as excinfo:
            sm.update_user_profile(DomainId=domain, UserProfileName="alice", UserSettings={"SecurityGroups": ["sg-2"]})
        assert code(excinfo) == "ResourceInUse"
        assert "JupyterServer/default" in excinfo.value.response["Error"]["Message"]
        settle()
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["UserSettings"]["SecurityGroups"] == [
        "sg-1"
    ]
    # Other settings, and the same groups again, are no change of security groups.
    sm.update_user_profile(
        DomainId=domain,
        UserProfileName="alice",
        UserSettings={"SecurityGroups": ["sg-1"], "DefaultLandingUri": "studio::"},
    )
    settle()
    sm.delete_app(**app)
    settle()
    sm.update_user_profile(DomainId=domain, UserProfileName="alice", UserSettings={"SecurityGroups": ["sg-2"]})
    assert sm.describe_user_profile(DomainId=domain, UserProfileName="alice")["UserSettings"]["SecurityGroups"] == [
        "sg-2"
    ]


def test_update_security_groups_refused_while_a_private_space_of_the_profile_runs_apps(cloud, sm, domain, settle):
    # "SageMaker applies these settings only to private spaces that the user creates" (UserSettings.SecurityGroups,
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UserSettings.html): apps of the user's private
    # spaces count, apps of shared spaces do not.
    for name in ("alice", "bob"):
        sm.create_user_profile(DomainId=domain, UserProfileName=name)
    settle()
    for space, sharing in (("alice-lab", "Private"), ("team", "Shared")):
        sm.create_space(
            DomainId=domain,
            SpaceName=space,
            OwnershipSettings={"OwnerUserProfileName": "alice"},
            SpaceSharingSettings={"SharingType": sharing},
        )
    settle()
    sm.create_app(DomainId=domain, SpaceName="team", AppType="JupyterLab", AppName="default")
    settle()
    sm.update_user_profile(DomainId=domain, UserProfileName="alice", UserSettings={"SecurityGroups": ["sg-1"]})
    settle()
    sm.create_app(DomainId=domain, SpaceName="alice-lab", AppType="JupyterLab", AppName="default")
    with pytest.raises(ClientError) as excinfo:
        sm.update_user_profile(DomainId=domain, UserProfileName="alice", UserSettings={"SecurityGroups": ["sg-2"]})
    assert code(excinfo) == "ResourceInUse"
    sm.update_user_profile(DomainId=domain, UserProfileName="bob", UserSettings={"SecurityGroups": ["sg-2"]})
    cloud.fail_app(domain, "JupyterLab", "default", space_name="alice-lab")  # a Failed app runs nothing
    sm.update_user_profile(DomainId=domain, UserProfileName="alice", UserSettings={"SecurityGroups": ["sg-2"]})


# -- listing -----------------------------------------------------------------------------------------


def test_list_profiles_filters_by_domain_and_name(sm, new_domain, settle):
    first, second = new_domain("one"), new_domain("two")
    settle()
    for name in ("alice", "bob", "alicia"):
        sm.create_user_profile(DomainId=first, UserProfileName=name)
    sm.create_user_profile(DomainId=second, UserProfileName="alice")
    names = {p["UserProfileName"] for p in sm.list_user_profiles(DomainIdEquals=first)["UserProfiles"]}
    assert names == {"alice", "bob", "alicia"}
    in_all = sm.list_user_profiles(UserProfileNameContains="ali")["UserProfiles"]
    assert sorted((p["DomainId"], p["UserProfileName"]) for p in in_all) == sorted(
        [(first, "alice"), (first, "alicia"), (second, "alice")]
    )


def test_list_profiles_sorts_by_creation_or_modification_time(cloud, sm, domain, settle):
    for name in ("p1", "p2", "p3"):
        sm.create_user_profile(DomainId=domain, UserProfileName=name)
        cloud.clock.advance(1)
    settle()
    sm.update_user_profile(DomainId=domain, UserProfileName="p1", UserSettings={"DefaultLandingUri": "studio::"})

    def names(**sort: str) -> list[str]:
        return [p["UserProfileName"] for p in sm.list_user_profiles(DomainIdEquals=domain, **sort)["UserProfiles"]]

    assert names() == ["p1", "p2", "p3"]
    assert names(SortOrder="Descending") == ["p3", "p2", "p1"]
    assert names(SortBy="LastModifiedTime", SortOrder="Descending")[0] == "p1"


def test_list_profiles_paginates(sm, domain):
    for i in range(25):
        sm.create_user_profile(DomainId=domain, UserProfileName=f"user{i}")
    first = sm.list_user_profiles(DomainIdEquals=domain)
    assert len(first["UserProfiles"]) == 10  # the documented default MaxResults
    seen = [p["UserProfileName"] for p in first["UserProfiles"]]
    token = first["NextToken"]
    while token:
        page = sm.list_user_profiles(DomainIdEquals=domain, MaxResults=7, NextToken=token)
        seen += [p["UserProfileName"] for p in page["UserProfiles"]]
        token = page.get("NextToken")
    assert seen == [f"user{i}" for i in range(25)]


def test_list_profiles_refuses_a_token_from_another_query(sm, domain):
    for i in range(3):
        sm.create_user_profile(DomainId=domain, UserProfileName=f"user{i}")
    token = sm.list_user_profiles(DomainIdEquals=domain, MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        sm.list_user_profiles(DomainIdEquals=domain, MaxResults=1, NextToken=token, SortOrder="Descending")
    assert code(excinfo) == "ValidationException"
