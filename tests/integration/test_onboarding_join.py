"""Joining a mapped group, by console, API and SCIM, in SSO and IAM domains (issue 7, "What a member gets")."""

from __future__ import annotations

import json

import pytest

from localcloud import LocalCloud
from tests.integration.conftest import ROLE
from tests.integration.onboarding_support import Onboarding, envelope, group_config, onboarding_fixture  # noqa: F401

MANAGED, USER_ID = "domain-steward:managed", "domain-steward:user-id"


@pytest.mark.parametrize("source", ["console", "api", "scim"])
def test_a_member_who_joins_gets_a_profile_space_and_assignment(onboarding: Onboarding, source: str):
    domain = onboarding.sso_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("DataScientists", space=True)]}])
    directory = onboarding.directory
    group = directory.group("DataScientists")
    user = directory.user("jane.doe@corp.com")
    membership = directory.add(group, user)

    onboarding.send(onboarding.events.join(source, group, user, membership))

    # jane.doe@corp.com -> jane-doe-corp-com (issue 7: lower case, runs of other characters become "-").
    profile = onboarding.profiles(domain)["jane-doe-corp-com"]
    assert profile["Status"] == "InService"
    # SSO domains: SingleSignOnUserIdentifier=UserName and the user name (AWS-FACTS §4; CreateUserProfile
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateUserProfile.html).
    assert profile["SingleSignOnUserIdentifier"] == "UserName"
    assert profile["SingleSignOnUserValue"] == "jane.doe@corp.com"
    assert profile["UserSettings"]["ExecutionRole"] == ROLE
    assert profile["Tags"] == {"team": "datascientists", MANAGED: "true", USER_ID: user}
    # The assignment without which sign-in fails with "Access Denied" (AWS-FACTS §4;
    # https://github.com/aws/aws-cdk/issues/23627).
    assert onboarding.assigned(domain) == {user}
    # The default private space, created by the provisioning workflow once the profile was usable.
    space = onboarding.spaces(domain)["jane-doe-corp-com-space"]
    assert space["OwnershipSettingsSummary"] == {"OwnerUserProfileName": "jane-doe-corp-com"}
    assert space["SpaceSharingSettingsSummary"] == {"SharingType": "Private"}
    (notice,) = onboarding.notices()
    assert notice["Subject"] == f"Domain Steward onboarding: jane-doe-corp-com in {domain}"
    summary = json.loads(notice["Message"].split("Summary:\n", 1)[1])
    assert summary["user_id"] == user
    assert summary["action"] == "created"


def test_an_iam_domain_profile_has_no_sso_fields_and_no_assignment(onboarding: Onboarding, cloud: LocalCloud):
    domain = onboarding.iam_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("Analysts")]}])
    group = onboarding.directory.group("Analysts")
    user = onboarding.directory.user("bob")
    membership = onboarding.directory.add(group, user)

    onboarding.send(onboarding.events.join("api", group, user, membership))

    profile = onboarding.profiles(domain)["bob"]
    assert "SingleSignOnUserIdentifier" not in profile
    assert "SingleSignOnUserValue" not in profile
    assert profile["Tags"][USER_ID] == user
    assert cloud.calls.count("sso-admin", "CreateApplicationAssignment") == 0
    assert onboarding.spaces(domain) == {}  # no default_space for this group


def test_a_failed_call_provisions_nothing(onboarding: Onboarding, cloud: LocalCloud):
    """CloudTrail logs failed calls too (errorCode): the rule drops them, and the function ignores any that
    reach it another way (AWS-FACTS §3)."""
    domain = onboarding.sso_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("DataScientists")]}])
    group = onboarding.directory.group("DataScientists")
    user = onboarding.directory.user("jane")
    onboarding.directory.add(group, user)  # a member already, but the event itself records a failure
    event = onboarding.events.join("api", group, user, "")
    event["Detail"]["errorCode"] = "AccessDeniedException"

    onboarding.send(event)
    onboarding.send_raw(envelope(event, "failed-call-1"))
    report = onboarding.stack.drain()

    assert report.failed == []
    assert len(report.succeeded) == 1
    assert onboarding.profiles(domain) == {}
    assert cloud.calls.count("sagemaker", "CreateUserProfile") == 0


def test_a_user_in_two_mapped_groups_gets_the_first_groups_role_and_tags(onboarding: Onboarding):
    domain = onboarding.iam_domain()
    first, second = group_config("Analysts", "arn:aws:iam::123456789012:role/Analysts"), group_config("Builders")
    onboarding.configure([{"domain_id": domain, "groups": [first, second]}])
    analysts, builders = onboarding.directory.group("Analysts"), onboarding.directory.group("Builders")
    user = onboarding.directory.user("carol")
    onboarding.directory.add(builders, user)
    onboarding.directory.add(analysts, user)

    onboarding.send(onboarding.events.join("console", builders, user))

    (profile,) = onboarding.profiles(domain).values()
    assert profile["UserSettings"]["ExecutionRole"] == "arn:aws:iam::123456789012:role/Analysts"
    assert profile["Tags"]["team"] == "analysts"


def test_two_users_whose_names_derive_alike_both_get_a_profile(onboarding: Onboarding):
    domain = onboarding.iam_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("Analysts")]}])
    group = onboarding.directory.group("Analysts")
    first, later = onboarding.directory.user("jane.doe"), onboarding.directory.user("Jane_Doe")
    onboarding.directory.add(group, first)
    onboarding.directory.add(group, later)

    onboarding.send(onboarding.events.join("console", group, first))
    onboarding.send(onboarding.events.join("console", group, later))
    onboarding.send(onboarding.events.join("console", group, first))  # a late duplicate renames nothing

    profiles = onboarding.profiles(domain)
    assert profiles["jane-doe"]["Tags"][USER_ID] == first
    (suffixed,) = (name for name in profiles if name != "jane-doe")
    assert suffixed.startswith("jane-doe-")
    assert len(suffixed) == len("jane-doe-") + 8
    assert profiles[suffixed]["Tags"][USER_ID] == later


def test_an_unmanaged_profile_with_the_wanted_name_is_left_alone(
    onboarding: Onboarding, cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
):
    domain = onboarding.iam_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("Analysts")]}])
    onboarding.sagemaker.create_user_profile(DomainId=domain, UserProfileName="dave")  # made by hand
    group = onboarding.directory.group("Analysts")
    user = onboarding.directory.user("dave")
    onboarding.directory.add(group, user)

    onboarding.send(onboarding.events.join("console", group, user))

    profile = onboarding.profiles(domain)["dave"]
    assert profile["Tags"] == {}
    assert cloud.calls.count("sagemaker", "AddTags") == 0
    assert cloud.calls.count("sagemaker", "UpdateUserProfile") == 0
    assert len(onboarding.profiles(domain)) == 1
    assert '"ProfileConflicts":[1.0]' in capsys.readouterr().out.replace(" ", "")  # logged and counted


def test_a_domain_under_teardown_is_left_alone(onboarding: Onboarding, cloud: LocalCloud):
    teardown_arn = "arn:aws:states:us-east-1:123456789012:execution:domain-steward-Teardown:x"
    domain = onboarding.iam_domain(tags={"domain-steward:teardown": teardown_arn})
    onboarding.configure([{"domain_id": domain, "groups": [group_config("Analysts")]}])
    group = onboarding.directory.group("Analysts")
    user = onboarding.directory.user("erin")
    onboarding.directory.add(group, user)

    onboarding.send(onboarding.events.join("console", group, user))

    assert onboarding.profiles(domain) == {}
    assert cloud.calls.count("sagemaker", "CreateUserProfile") == 0
