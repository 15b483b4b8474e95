"""What SageMaker checks in app requests and settings, DeleteApp's answers for finished apps, and the tags an
app takes from its domain and profile."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.sagemaker import Latencies

LATENCIES = Latencies()
KERNEL = {"InstanceType": "ml.t3.medium"}
IMAGE = "arn:aws:sagemaker:us-east-1:081325390199:image/datascience-1.0"


def error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return str(excinfo.value.response["Error"]["Code"]), str(excinfo.value.response["Error"]["Message"])


def tags_of(sm: Any, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}


@pytest.fixture
def alice(sm, domain, settle) -> str:
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    settle()
    return "alice"


def kernel(domain: str, **owner: str) -> dict[str, str]:
    return {"DomainId": domain, "AppType": "KernelGateway", "AppName": "k1", **owner}


# -- KernelGateway needs an instance type ------------------------------------------------------------
# "If InstanceType is not specified in any of those three ResourceSpec values for a KernelGateway app, the
# CreateApp call fails with a request validation error" (ResourceSpec of CreateApp,
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateApp.html).


def test_a_kernel_gateway_app_with_no_instance_type_anywhere_is_a_validation_error(sm, domain, alice):
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(**kernel(domain, UserProfileName=alice))
    code, message = error(excinfo)
    assert code == "ValidationException"
    assert "InstanceType" in message
    with pytest.raises(ClientError) as excinfo:  # an image alone is not enough
        sm.create_app(**kernel(domain, UserProfileName=alice), ResourceSpec={"SageMakerImageArn": IMAGE})
    assert error(excinfo)[0] == "ValidationException"
    assert sm.list_apps(DomainIdEquals=domain)["Apps"] == []


def test_the_instance_type_may_come_from_the_request(sm, domain, alice):
    sm.create_app(**kernel(domain, UserProfileName=alice), ResourceSpec=KERNEL)
    assert sm.describe_app(**kernel(domain, UserProfileName=alice))["ResourceSpec"] == KERNEL


def test_the_instance_type_may_come_from_the_profile_settings(sm, domain, settle):
    settings = {"KernelGatewayAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.t3.large"}}}
    sm.create_user_profile(DomainId=domain, UserProfileName="bob", UserSettings=settings)
    settle()
    # The request's image with the profile's instance type: InstanceType alone falls back.
    sm.create_app(**kernel(domain, UserProfileName="bob"), ResourceSpec={"SageMakerImageArn": IMAGE})
    spec = sm.describe_app(**kernel(domain, UserProfileName="bob"))["ResourceSpec"]
    assert spec == {"SageMakerImageArn": IMAGE, "InstanceType": "ml.t3.large"}


def test_the_instance_type_may_come_from_the_domain_defaults(sm, new_domain, settle):
    defaults = {
        "ExecutionRole": "arn:aws:iam::123456789012:role/x",
        "KernelGatewayAppSettings": {"DefaultResourceSpec": KERNEL},
    }
    domain_id = new_domain(DefaultUserSettings=defaults)
    settle()
    sm.create_user_profile(DomainId=domain_id, UserProfileName="carol")
    settle()
    sm.create_app(**kernel(domain_id, UserProfileName="carol"))
    assert sm.describe_app(**kernel(domain_id, UserProfileName="carol"))["ResourceSpec"] == KERNEL


def test_a_space_kernel_gateway_app_looks_in_the_space_settings(sm, domain, settle):
    sm.create_space(DomainId=domain, SpaceName="bare")
    sm.create_space(
        DomainId=domain, SpaceName="sized", SpaceSettings={"KernelGatewayAppSettings": {"DefaultResourceSpec": KERNEL}}
    )
    settle()
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(**kernel(domain, SpaceName="bare"))
    assert error(excinfo)[0] == "ValidationException"
    sm.create_app(**kernel(domain, SpaceName="sized"))


# -- JupyterServer runs only on "system" -------------------------------------------------------------
# ResourceSpec.InstanceType: "JupyterServer apps only support the system value"
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ResourceSpec.html); the message is AWS's,
# as quoted in https://github.com/hashicorp/terraform-provider-aws/pull/20470.

JUPYTER_MESSAGE = "Invalid instance type 'ml.t3.medium' for JupyterServer App. Only 'system' instance type is supported"
NOT_SYSTEM = {"JupyterServerAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium"}}}
SYSTEM = {"JupyterServerAppSettings": {"DefaultResourceSpec": {"InstanceType": "system"}}}


def test_create_app_jupyter_server_accepts_only_the_system_instance_type(sm, domain, alice):
    app = {"DomainId": domain, "UserProfileName": alice, "AppType": "JupyterServer", "AppName": "default"}
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(**app, ResourceSpec={"InstanceType": "ml.t3.medium"})
    assert error(excinfo) == ("ValidationException", JUPYTER_MESSAGE)
    sm.create_app(**app, ResourceSpec={"InstanceType": "system"})


def test_domain_settings_accept_only_the_system_instance_type_for_jupyter_server(sm, new_domain, domain):
    role = {"ExecutionRole": "arn:aws:iam::123456789012:role/x"}
    with pytest.raises(ClientError) as excinfo:
        new_domain("bad", DefaultUserSettings={**role, **NOT_SYSTEM})
    assert error(excinfo) == ("ValidationException", JUPYTER_MESSAGE)
    with pytest.raises(ClientError) as excinfo:
        new_domain("bad-space", DefaultSpaceSettings={**role, **NOT_SYSTEM})
    assert error(excinfo) == ("ValidationException", JUPYTER_MESSAGE)
    with pytest.raises(ClientError) as excinfo:
        sm.update_domain(DomainId=domain, DefaultUserSettings=NOT_SYSTEM)
    assert error(excinfo) == ("ValidationException", JUPYTER_MESSAGE)
    assert sm.describe_domain(DomainId=domain)["Status"] == "InService"  # a refused update changes nothing
    new_domain("good", DefaultUserSettings={**role, **SYSTEM})
    sm.update_domain(DomainId=domain, DefaultUserSettings=SYSTEM)


def test_profile_settings_accept_only_the_system_instance_type_for_jupyter_server(sm, domain, alice):
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=domain, UserProfileName="bob", UserSettings=NOT_SYSTEM)
    assert error(excinfo) == ("ValidationException", JUPYTER_MESSAGE)
    with pytest.raises(ClientError) as excinfo:
        sm.update_user_profile(DomainId=domain, UserProfileName=alice, UserSettings=NOT_SYSTEM)
    assert error(excinfo) == ("ValidationException", JUPYTER_MESSAGE)
    sm.create_user_profile(DomainId=domain, UserProfileName="bob", UserSettings=SYSTEM)
    sm.update_user_profile(DomainId=domain, UserProfileName=alice, UserSettings=SYSTEM)


def test_space_settings_accept_only_the_system_instance_type_for_jupyter_server(cloud, sm, domain):
    # SpaceSettings carries JupyterServerAppSettings too (botocore's SpaceSettings shape): the same rule.
    with pytest.raises(ClientError) as excinfo:
        sm.create_space(DomainId=domain, SpaceName="shared", SpaceSettings=NOT_SYSTEM)
    assert error(excinfo) == ("ValidationException", JUPYTER_MESSAGE)
    sm.create_space(DomainId=domain, SpaceName="shared", SpaceSettings=SYSTEM)
    cloud.clock.advance(LATENCIES.space_create)
    with pytest.raises(ClientError) as excinfo:
        sm.update_space(DomainId=domain, SpaceName="shared", SpaceSettings=NOT_SYSTEM)
    assert error(excinfo) == ("ValidationException", JUPYTER_MESSAGE)


# -- DeleteApp on finished apps ----------------------------------------------------------------------
# The Terraform AWS provider treats these two ValidationException messages as "already gone"
# (resourceAppDelete, internal/service/sagemaker/app.go, https://github.com/hashicorp/terraform-provider-aws).


def test_delete_app_of_a_deleted_app_says_it_has_already_been_deleted(cloud, sm, domain, alice):
    app = kernel(domain, UserProfileName=alice)
    sm.create_app(**app, ResourceSpec=KERNEL)
    cloud.clock.advance(LATENCIES.app_create)
    sm.delete_app(**app)
    cloud.clock.advance(LATENCIES.app_delete)
    with pytest.raises(ClientError) as excinfo:
        sm.delete_app(**app)
    code, message = error(excinfo)
    assert code == "ValidationException"
    assert "has already been deleted" in message


def test_delete_app_of_a_failed_app_says_it_was_automatically_deleted(cloud, sm, domain, alice):
    app = kernel(domain, UserProfileName=alice)
    sm.create_app(**app, ResourceSpec=KERNEL)
    cloud.fail_app(domain, "KernelGateway", "k1", "no capacity", user_profile_name=alice)
    with pytest.raises(ClientError) as excinfo:
        sm.delete_app(**app)
    code, message = error(excinfo)
    assert code == "ValidationException"
    assert "previously failed and was automatically deleted" in message


@pytest.mark.parametrize("status", ["Pending", "Deleting"])
def test_delete_app_of_a_pending_or_deleting_app_names_the_status(cloud, sm, domain, alice, status):
    app = kernel(domain, UserProfileName=alice)
    sm.create_app(**app, ResourceSpec=KERNEL)
    if status == "Deleting":
        cloud.clock.advance(LATENCIES.app_create)
        sm.delete_app(**app)
    with pytest.raises(ClientError) as excinfo:
        sm.delete_app(**app)
    code, message = error(excinfo)
    assert code == "ValidationException"
    assert f"is in {status} status" in message


# -- tags from the domain and the profile ------------------------------------------------------------
# CreateDomain Tags: "Tags that you specify for the Domain are also added to all Apps that the Domain
# launches"; CreateUserProfile Tags: the same for "all Apps that the User Profile launches"
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateDomain.html,
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateUserProfile.html). CreateSpace
# documents no such propagation. AddTags: tags added later reach only apps launched afterwards
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AddTags.html).


@pytest.fixture
def tagged_domain(sm, new_domain, settle) -> str:
    domain_id: str = new_domain("tagged", Tags=[{"Key": "cost-center", "Value": "42"}, {"Key": "team", "Value": "all"}])
    settle()
    sm.create_user_profile(DomainId=domain_id, UserProfileName="dana", Tags=[{"Key": "team", "Value": "ml"}])
    sm.create_space(DomainId=domain_id, SpaceName="lab", Tags=[{"Key": "space-only", "Value": "yes"}])
    settle()
    return domain_id


def test_domain_and_profile_tags_propagate_to_a_profile_app(sm, tagged_domain):
    arn = sm.create_app(
        **kernel(tagged_domain, UserProfileName="dana"), ResourceSpec=KERNEL, Tags=[{"Key": "own", "Value": "1"}]
    )["AppArn"]
    assert tags_of(sm, arn) == {"cost-center": "42", "team": "ml", "own": "1"}


def test_domain_tags_but_not_space_tags_propagate_to_a_space_app(sm, tagged_domain):
    app = {"DomainId": tagged_domain, "SpaceName": "lab", "AppType": "JupyterLab", "AppName": "default"}
    arn = sm.create_app(**app)["AppArn"]
    assert tags_of(sm, arn) == {"cost-center": "42", "team": "all"}


def test_tags_added_to_the_domain_later_reach_only_apps_launched_afterwards(sm, tagged_domain):
    first = sm.create_app(**kernel(tagged_domain, UserProfileName="dana"), ResourceSpec=KERNEL)["AppArn"]
    domain_arn = sm.describe_domain(DomainId=tagged_domain)["DomainArn"]
    sm.add_tags(ResourceArn=domain_arn, Tags=[{"Key": "added", "Value": "later"}])
    second = sm.create_app(
        DomainId=tagged_domain, UserProfileName="dana", AppType="KernelGateway", AppName="k2", ResourceSpec=KERNEL
    )["AppArn"]
    assert "added" not in tags_of(sm, first)
    assert tags_of(sm, second)["added"] == "later"
