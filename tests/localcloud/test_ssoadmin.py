"""Identity Center: application assignments for SSO Studio domains, and the Identity Store calls we need."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from localcloud import ssoadmin


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


@pytest.fixture
def sso(client):
    return client("sso-admin")


@pytest.fixture
def ids(client):
    # moto's own Identity Store: its responses lack members botocore now marks required (UserArn, Revision,
    # MembershipArn, ...), so they are not shape-checked here. The calls themselves behave as AWS documents.
    return client("identitystore", watch=False)


@pytest.fixture
def instance(sso) -> dict[str, str]:
    (found,) = sso.list_instances()["Instances"]
    return {"InstanceArn": found["InstanceArn"], "IdentityStoreId": found["IdentityStoreId"]}


@pytest.fixture
def application(sm, sso_domain) -> str:
    return str(sm.describe_domain(DomainId=sso_domain)["SingleSignOnApplicationArn"])


def new_user(ids, store_id: str, name: str) -> str:
    return str(
        ids.create_user(
            IdentityStoreId=store_id,
            UserName=name,
            DisplayName=name,
            Name={"GivenName": name.split("@", maxsplit=1)[0], "FamilyName": "Example"},
            Emails=[{"Value": name, "Type": "work", "Primary": True}],
        )["UserId"]
    )


def test_assign_a_user_to_the_domain_application(sso, ids, instance, application):
    user_id = new_user(ids, instance["IdentityStoreId"], "alice@example.com")
    sso.create_application_assignment(ApplicationArn=application, PrincipalId=user_id, PrincipalType="USER")
    listed = sso.list_application_assignments(ApplicationArn=application)["ApplicationAssignments"]
    assert listed == [{"ApplicationArn": application, "PrincipalId": user_id, "PrincipalType": "USER"}]
    described = sso.describe_application_assignment(
        ApplicationArn=application, PrincipalId=user_id, PrincipalType="USER"
    )
    assert described["PrincipalId"] == user_id


def test_assigning_twice_is_idempotent(sso, ids, instance, application):
    user_id = new_user(ids, instance["IdentityStoreId"], "alice@example.com")
    for _ in range(2):
        sso.create_application_assignment(ApplicationArn=application, PrincipalId=user_id, PrincipalType="USER")
    assert len(sso.list_application_assignments(ApplicationArn=application)["ApplicationAssignments"]) == 1


def test_assign_a_group(sso, ids, instance, application):
    group_id = ids.create_group(IdentityStoreId=instance["IdentityStoreId"], DisplayName="data-scientists")["GroupId"]
    sso.create_application_assignment(ApplicationArn=application, PrincipalId=group_id, PrincipalType="GROUP")
    assert ssoadmin.assignments(application) == [("GROUP", group_id)]


def test_unknown_application_is_resource_not_found(sso, ids, instance, application):
    user_id = new_user(ids, instance["IdentityStoreId"], "alice@example.com")
    unknown = application[:-16] + "0" * 16
    with pytest.raises(ClientError) as excinfo:
        sso.create_application_assignment(ApplicationArn=unknown, PrincipalId=user_id, PrincipalType="USER")
    assert code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        sso.list_application_assignments(ApplicationArn=unknown)
    assert code(excinfo) == "ResourceNotFoundException"


def test_unknown_principal_is_resource_not_found(sso, application):
    with pytest.raises(ClientError) as excinfo:
        sso.create_application_assignment(
            ApplicationArn=application,
            PrincipalId="0123456789-00000000-0000-0000-0000-000000000000",
            PrincipalType="USER",
        )
    assert code(excinfo) == "ResourceNotFoundException"


def test_delete_assignment_and_deleting_a_missing_one_is_not_found(sso, ids, instance, application):
    user_id = new_user(ids, instance["IdentityStoreId"], "alice@example.com")
    assignment = {"ApplicationArn": application, "PrincipalId": user_id, "PrincipalType": "USER"}
    sso.create_application_assignment(**assignment)
    sso.delete_application_assignment(**assignment)
    assert sso.list_application_assignments(ApplicationArn=application)["ApplicationAssignments"] == []
    with pytest.raises(ClientError) as excinfo:
        sso.delete_application_assignment(**assignment)
    assert code(excinfo) == "ResourceNotFoundException"


def test_list_assignments_paginates(sso, ids, instance, application):
    users = [new_user(ids, instance["IdentityStoreId"], f"user{i}@example.com") for i in range(7)]
    for user_id in users:
        sso.create_application_assignment(ApplicationArn=application, PrincipalId=user_id, PrincipalType="USER")
    seen, token = [], None
    while True:
        page = sso.list_application_assignments(
            ApplicationArn=application, MaxResults=3, **({"NextToken": token} if token else {})
        )
        assert len(page["ApplicationAssignments"]) <= 3
        seen += [a["PrincipalId"] for a in page["ApplicationAssignments"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == users
    with pytest.raises(ClientError) as excinfo:
        sso.list_application_assignments(ApplicationArn=application, NextToken="bogus")
    assert code(excinfo) == "ValidationException"


def test_list_assignments_for_principal(sso, ids, instance, new_domain, sm):
    first = sm.describe_domain(DomainId=new_domain("one", AuthMode="SSO"))["SingleSignOnApplicationArn"]
    second = sm.describe_domain(DomainId=new_domain("two", AuthMode="SSO"))["SingleSignOnApplicationArn"]
    user_id = new_user(ids, instance["IdentityStoreId"], "alice@example.com")
    for arn in (first, second):
        sso.create_application_assignment(ApplicationArn=arn, PrincipalId=user_id, PrincipalType="USER")
    listed = sso.list_application_assignments_for_principal(
        InstanceArn=instance["InstanceArn"], PrincipalId=user_id, PrincipalType="USER"
    )["ApplicationAssignments"]
    assert {a["ApplicationArn"] for a in listed} == {first, second}
    only = sso.list_application_assignments_for_principal(
        InstanceArn=instance["InstanceArn"], PrincipalId=user_id, PrincipalType="USER", Filter={"ApplicationArn": first}
    )["ApplicationAssignments"]
    assert [a["ApplicationArn"] for a in only] == [first]


def test_identity_store_id_looks_like_aws(instance):
    assert re.fullmatch(r"d-[0-9a-f]{10}", instance["IdentityStoreId"])


def test_describe_application(sso, instance, application):
    described = sso.describe_application(ApplicationArn=application)
    assert described["ApplicationArn"] == application
    assert described["InstanceArn"] == instance["InstanceArn"]
    assert described["Status"] == "ENABLED"


def test_application_goes_with_its_domain(sm, sso, sso_domain, application, settle):
    sm.delete_domain(DomainId=sso_domain)
    sso.describe_application(ApplicationArn=application)  # still there while the domain is Deleting
    settle()
    with pytest.raises(ClientError) as excinfo:
        sso.describe_application(ApplicationArn=application)
    assert code(excinfo) == "ResourceNotFoundException"


# -- ListApplications (https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ListApplications.html;
# request and response shapes from botocore's sso-admin model, checked by the watched client) -------------


def test_list_applications_lists_what_the_domains_registered(sso, sm, instance, new_domain, settle):
    first = sm.describe_domain(DomainId=new_domain("one", AuthMode="SSO"))["SingleSignOnApplicationArn"]
    new_domain("iam")  # an IAM domain registers no application
    second_id = new_domain("two", AuthMode="SSO")
    second = sm.describe_domain(DomainId=second_id)["SingleSignOnApplicationArn"]
    listed = sso.list_applications(InstanceArn=instance["InstanceArn"])["Applications"]
    assert [a["ApplicationArn"] for a in listed] == [first, second]
    described = sso.describe_application(ApplicationArn=first)
    del described["ResponseMetadata"]
    assert listed[0] == described
    assert {a["ApplicationProviderArn"] for a in listed} == {ssoadmin.SAGEMAKER_PROVIDER_ARN}
    settle()
    sm.delete_domain(DomainId=second_id)
    settle()
    remaining = sso.list_applications(InstanceArn=instance["InstanceArn"])["Applications"]
    assert [a["ApplicationArn"] for a in remaining] == [first]


def test_list_applications_filters_by_account_and_provider(sso, instance, application):
    def arns(**filters: str) -> list[str]:
        page = sso.list_applications(InstanceArn=instance["InstanceArn"], Filter=filters)
        return [a["ApplicationArn"] for a in page["Applications"]]

    assert arns(ApplicationAccount="123456789012") == [application]
    assert arns(ApplicationAccount="210987654321") == []
    assert arns(ApplicationProvider=ssoadmin.SAGEMAKER_PROVIDER_ARN) == [application]
    assert arns(ApplicationProvider="arn:aws:sso::aws:applicationProvider/custom") == []


def test_list_applications_paginates_with_the_paginator(client, sso, instance, new_domain):
    created = [
        client("sagemaker").describe_domain(DomainId=new_domain(f"d{i}", AuthMode="SSO"))["SingleSignOnApplicationArn"]
        for i in range(5)
    ]
    pages = list(
        sso.get_paginator("list_applications").paginate(
            InstanceArn=instance["InstanceArn"], PaginationConfig={"PageSize": 2}
        )
    )
    assert [len(page["Applications"]) for page in pages] == [2, 2, 1]
    assert [a["ApplicationArn"] for page in pages for a in page["Applications"]] == created


def test_list_applications_returns_at_most_fifty_a_page(sso, instance):
    # botocore's model caps the Applications list of one response at 50 (MaxResults goes to 100).
    for i in range(51):
        ssoadmin.register_application("123456789012", "us-east-1", f"app-{i}")
    first = sso.list_applications(InstanceArn=instance["InstanceArn"], MaxResults=100)
    assert len(first["Applications"]) == 50
    rest = sso.list_applications(InstanceArn=instance["InstanceArn"], NextToken=first["NextToken"])
    assert len(rest["Applications"]) == 1
    assert "NextToken" not in rest


def test_list_applications_refuses_an_unknown_instance_and_a_bad_token(sso, instance, application):
    # Undocumented: the operation models no not-found error, so an unknown instance is a ValidationException.
    with pytest.raises(ClientError) as excinfo:
        sso.list_applications(InstanceArn="arn:aws:sso:::instance/ssoins-0000000000000000")
    assert code(excinfo) == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        sso.list_applications(InstanceArn=instance["InstanceArn"], NextToken="bogus")
    assert code(excinfo) == "ValidationException"


def test_install_forgets_applications(application):
    ssoadmin.install()
    assert ssoadmin.assignments(application) == []


# -- Identity Store: the calls onboarding relies on (moto's own implementation) -----------------------


def test_identity_store_user_and_membership_lookups(ids, instance):
    store_id = instance["IdentityStoreId"]
    user_id = new_user(ids, store_id, "alice@example.com")
    group_id = ids.create_group(IdentityStoreId=store_id, DisplayName="data-scientists")["GroupId"]
    membership_id = ids.create_group_membership(
        IdentityStoreId=store_id, GroupId=group_id, MemberId={"UserId": user_id}
    )["MembershipId"]

    user = ids.describe_user(IdentityStoreId=store_id, UserId=user_id)
    assert user["UserName"] == "alice@example.com"
    membership = ids.describe_group_membership(IdentityStoreId=store_id, MembershipId=membership_id)
    assert (membership["GroupId"], membership["MemberId"]["UserId"]) == (group_id, user_id)
    found = ids.get_group_membership_id(IdentityStoreId=store_id, GroupId=group_id, MemberId={"UserId": user_id})
    assert found["MembershipId"] == membership_id
    for_member = ids.list_group_memberships_for_member(IdentityStoreId=store_id, MemberId={"UserId": user_id})
    assert [m["GroupId"] for m in for_member["GroupMemberships"]] == [group_id]
    members = ids.list_group_memberships(IdentityStoreId=store_id, GroupId=group_id)["GroupMemberships"]
    assert [m["MemberId"]["UserId"] for m in members] == [user_id]
    by_name = ids.get_user_id(
        IdentityStoreId=store_id,
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "alice@example.com"}},
    )
    assert by_name["UserId"] == user_id
    assert ids.describe_group(IdentityStoreId=store_id, GroupId=group_id)["DisplayName"] == "data-scientists"

    ids.delete_group_membership(IdentityStoreId=store_id, MembershipId=membership_id)
    assert ids.list_group_memberships(IdentityStoreId=store_id, GroupId=group_id)["GroupMemberships"] == []
    ids.delete_user(IdentityStoreId=store_id, UserId=user_id)
    with pytest.raises(ClientError) as excinfo:
        ids.describe_user(IdentityStoreId=store_id, UserId=user_id)
    assert code(excinfo) == "ResourceNotFoundException"
