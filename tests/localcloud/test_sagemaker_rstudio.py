"""RStudio on SageMaker: the domain-shared RStudioServerPro app that a domain with RStudio settings runs.

Sources: https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-create-cli.html ("The RStudioServerPro app
is launched automatically when you create a Amazon SageMaker AI domain ... with the
RStudioServerProDomainSettings parameter specified"; "launched by a special user profile named
domain-shared"), https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-add-existing.html (after
UpdateDomain adds RStudio, `list-apps --user-profile-name domain-shared` shows the app InService) and
https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-shutdown.html (DeleteApp stops it; without the
relaunch option it stays deleted until created again).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.sagemaker import Latencies

LATENCIES = Latencies()
ROLE = "arn:aws:iam::123456789012:role/DomainExecution"
RSTUDIO = {"RStudioServerProDomainSettings": {"DomainExecutionRoleArn": ROLE}}
SERVER = {"UserProfileName": "domain-shared", "AppType": "RStudioServerPro", "AppName": "default"}


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def server_apps(sm: Any, domain_id: str) -> list[tuple[str, str, str]]:
    apps = sm.list_apps(DomainIdEquals=domain_id, UserProfileNameEquals="domain-shared")["Apps"]
    return [(a["AppType"], a["AppName"], a["Status"]) for a in apps]


@pytest.fixture
def rstudio_domain(new_domain, settle) -> str:
    domain_id: str = new_domain("rstudio", DomainSettings=RSTUDIO)
    settle()
    return domain_id


def test_a_domain_with_rstudio_settings_launches_the_server_app_with_it(cloud, sm, new_domain):
    domain_id = new_domain("rstudio", DomainSettings=RSTUDIO)
    assert server_apps(sm, domain_id) == [("RStudioServerPro", "default", "Pending")]
    described = sm.describe_app(DomainId=domain_id, **SERVER)
    assert described["AppArn"].endswith(f":app/{domain_id}/domain-shared/rstudioserverpro/default")
    assert described["UserProfileName"] == "domain-shared"
    # Launched as part of the domain's creation: InService with the domain, not before.
    cloud.clock.advance(LATENCIES.domain_create - 1)
    assert sm.describe_app(DomainId=domain_id, **SERVER)["Status"] == "Pending"
    cloud.clock.advance(1)
    assert sm.describe_domain(DomainId=domain_id)["Status"] == "InService"
    assert server_apps(sm, domain_id) == [("RStudioServerPro", "default", "InService")]


def test_the_server_app_is_listed_only_under_domain_shared(sm, rstudio_domain, settle):
    sm.create_user_profile(DomainId=rstudio_domain, UserProfileName="alice")
    settle()
    assert sm.list_apps(DomainIdEquals=rstudio_domain, UserProfileNameEquals="alice")["Apps"] == []
    assert [a["AppType"] for a in sm.list_apps(DomainIdEquals=rstudio_domain)["Apps"]] == ["RStudioServerPro"]
    profiles = sm.list_user_profiles(DomainIdEquals=rstudio_domain)["UserProfiles"]
    assert [p["UserProfileName"] for p in profiles] == ["alice"]  # domain-shared is no profile record


def test_a_domain_without_rstudio_settings_runs_no_server_app(sm, domain):
    assert sm.list_apps(DomainIdEquals=domain)["Apps"] == []


def test_the_server_app_runs_on_the_default_resource_spec_of_the_rstudio_settings(sm, new_domain):
    spec = {"InstanceType": "ml.t3.medium"}
    settings = {"RStudioServerProDomainSettings": {"DomainExecutionRoleArn": ROLE, "DefaultResourceSpec": spec}}
    domain_id = new_domain("rstudio", DomainSettings=settings)
    assert sm.describe_app(DomainId=domain_id, **SERVER)["ResourceSpec"] == spec


def test_domain_tags_propagate_to_the_server_app(sm, new_domain):
    # CreateDomain Tags: "Tags that you specify for the Domain are also added to all Apps that the Domain
    # launches" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateDomain.html).
    domain_id = new_domain("rstudio", DomainSettings=RSTUDIO, Tags=[{"Key": "cost-center", "Value": "42"}])
    arn = sm.describe_app(DomainId=domain_id, **SERVER)["AppArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "cost-center", "Value": "42"}]


def test_the_domain_cannot_be_deleted_until_the_server_app_is_deleted(cloud, sm, rstudio_domain):
    with pytest.raises(ClientError) as excinfo:
        sm.delete_domain(DomainId=rstudio_domain)
    assert code(excinfo) == "ResourceInUse"
    sm.delete_app(DomainId=rstudio_domain, **SERVER)
    assert server_apps(sm, rstudio_domain) == [("RStudioServerPro", "default", "Deleting")]
    with pytest.raises(ClientError) as excinfo:
        sm.delete_domain(DomainId=rstudio_domain)
    assert code(excinfo) == "ResourceInUse"
    cloud.clock.advance(LATENCIES.app_delete)
    sm.delete_domain(DomainId=rstudio_domain)
    assert sm.describe_domain(DomainId=rstudio_domain)["Status"] == "Deleting"


def test_without_the_relaunch_option_a_deleted_or_failed_server_app_stays_so(cloud, sm, rstudio_domain, new_domain):
    sm.delete_app(DomainId=rstudio_domain, **SERVER)
    cloud.clock.advance(LATENCIES.app_delete + 3600)
    assert server_apps(sm, rstudio_domain) == [("RStudioServerPro", "default", "Deleted")]
    other = new_domain("rstudio-2", DomainSettings=RSTUDIO)
    cloud.clock.advance(LATENCIES.domain_create)
    cloud.fail_app(other, "RStudioServerPro", "default", "license check failed", user_profile_name="domain-shared")
    cloud.clock.advance(3600)
    assert server_apps(sm, other) == [("RStudioServerPro", "default", "Failed")]


def test_a_deleted_server_app_can_be_created_again_by_hand(cloud, sm, rstudio_domain):
    # The documented restart: delete-app, then create-app (rstudio-shutdown.html).
    sm.delete_app(DomainId=rstudio_domain, **SERVER)
    cloud.clock.advance(LATENCIES.app_delete)
    sm.create_app(DomainId=rstudio_domain, **SERVER)
    assert server_apps(sm, rstudio_domain) == [
        ("RStudioServerPro", "default", "Deleted"),
        ("RStudioServerPro", "default", "Pending"),
    ]


def test_update_domain_adding_rstudio_launches_the_server_app(cloud, sm, domain):
    sm.update_domain(
        DomainId=domain,
        DomainSettingsForUpdate={"RStudioServerProDomainSettingsForUpdate": {"DomainExecutionRoleArn": ROLE}},
    )
    assert sm.describe_domain(DomainId=domain)["Status"] == "Updating"
    assert server_apps(sm, domain) == [("RStudioServerPro", "default", "Pending")]
    cloud.clock.advance(max(LATENCIES.domain_update, LATENCIES.app_create))
    assert sm.describe_domain(DomainId=domain)["Status"] == "InService"
    assert server_apps(sm, domain) == [("RStudioServerPro", "default", "InService")]


def test_updating_the_rstudio_settings_of_an_rstudio_domain_launches_no_second_app(cloud, sm, rstudio_domain):
    # Changing the settings needs the app deleted and created again by hand (rstudio-add-existing.html).
    sm.update_domain(
        DomainId=rstudio_domain,
        DomainSettingsForUpdate={
            "RStudioServerProDomainSettingsForUpdate": {
                "DomainExecutionRoleArn": ROLE,
                "DefaultResourceSpec": {"InstanceType": "ml.t3.large"},
            }
        },
    )
    cloud.clock.advance(LATENCIES.app_create)
    assert server_apps(sm, rstudio_domain) == [("RStudioServerPro", "default", "InService")]
