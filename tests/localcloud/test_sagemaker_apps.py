"""SageMaker Studio apps: lifecycle, ownership rules, DeleteApp rules, 24 h retention, listing, activity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from localcloud.sagemaker import Latencies

LATENCIES = Latencies()
HEALTH_CHECK = 300
# A KernelGateway app needs an instance type from somewhere (see test_sagemaker_app_validation.py).
KERNEL = {"InstanceType": "ml.t3.medium"}


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


@pytest.fixture
def alice(sm, domain, settle) -> str:
    sm.create_user_profile(DomainId=domain, UserProfileName="alice", Tags=[{"Key": "team", "Value": "ml"}])
    settle()
    return "alice"


@pytest.fixture
def lab(sm, domain, alice, settle) -> str:
    sm.create_space(
        DomainId=domain,
        SpaceName="alice-lab",
        OwnershipSettings={"OwnerUserProfileName": alice},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceSettings={"AppType": "JupyterLab"},
    )
    settle()
    return "alice-lab"


@pytest.fixture
def jupyter(domain, alice) -> dict[str, str]:
    """The parameters that name alice's Studio Classic JupyterServer app."""
    return {"DomainId": domain, "UserProfileName": alice, "AppType": "JupyterServer", "AppName": "default"}


# -- lifecycle ---------------------------------------------------------------------------------------


def test_app_is_pending_then_in_service(cloud, sm, jupyter, domain):
    arn = sm.create_app(**jupyter)["AppArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:app/{domain}/alice/jupyterserver/default"
    assert sm.describe_app(**jupyter)["Status"] == "Pending"
    cloud.clock.advance(LATENCIES.app_create - 1)
    assert sm.describe_app(**jupyter)["Status"] == "Pending"
    cloud.clock.advance(1)
    described = sm.describe_app(**jupyter)
    assert described["Status"] == "InService"
    assert described["AppArn"] == arn
    assert described["UserProfileName"] == "alice"
    assert "SpaceName" not in described


def test_space_app_is_created_in_its_space(cloud, sm, domain, lab, settle):
    app = {"DomainId": domain, "SpaceName": lab, "AppType": "JupyterLab", "AppName": "default"}
    arn = sm.create_app(**app, ResourceSpec={"InstanceType": "ml.t3.medium"})["AppArn"]
    assert arn.endswith(f"app/{domain}/alice-lab/jupyterlab/default")
    settle()
    described = sm.describe_app(**app)
    assert described["SpaceName"] == "alice-lab"
    assert described["ResourceSpec"] == {"InstanceType": "ml.t3.medium"}


def test_delete_app_goes_deleting_then_deleted_and_is_listed_for_24_hours(cloud, sm, jupyter, domain, settle):
    sm.create_app(**jupyter)
    settle()
    sm.delete_app(**jupyter)
    assert sm.describe_app(**jupyter)["Status"] == "Deleting"
    cloud.clock.advance(LATENCIES.app_delete)
    assert sm.describe_app(**jupyter)["Status"] == "Deleted"
    cloud.clock.advance(timedelta(hours=24).total_seconds() - 1)
    assert [a["Status"] for a in sm.list_apps(DomainIdEquals=domain)["Apps"]] == ["Deleted"]
    cloud.clock.advance(1)
    assert sm.list_apps(DomainIdEquals=domain)["Apps"] == []
    with pytest.raises(ClientError) as excinfo:
        sm.describe_app(**jupyter)
    assert code(excinfo) == "ResourceNotFound"


def test_an_app_recreated_after_delete_is_listed_next_to_the_deleted_one(sm, jupyter, domain, settle):
    sm.create_app(**jupyter)
    settle()
    sm.delete_app(**jupyter)
    settle()
    sm.create_app(**jupyter)
    assert sm.describe_app(**jupyter)["Status"] == "Pending"
    assert [a["Status"] for a in sm.list_apps(DomainIdEquals=domain)["Apps"]] == ["Deleted", "Pending"]


# -- ownership and type rules -------------------------------------------------------------------------


def test_app_needs_exactly_one_owner(sm, domain, alice, lab):
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(DomainId=domain, AppType="KernelGateway", AppName="k")
    assert code(excinfo) == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(DomainId=domain, UserProfileName=alice, SpaceName=lab, AppType="KernelGateway", AppName="k")
    assert code(excinfo) == "ValidationException"


@pytest.mark.parametrize("app_type", ["JupyterLab", "CodeEditor"])
def test_jupyterlab_and_code_editor_apps_run_only_in_spaces(sm, domain, alice, app_type):
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(DomainId=domain, UserProfileName=alice, AppType=app_type, AppName="default")
    assert code(excinfo) == "ValidationException"


def test_canvas_belongs_to_a_user_profile(sm, domain, alice, lab):
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(DomainId=domain, SpaceName=lab, AppType="Canvas", AppName="default")
    assert code(excinfo) == "ValidationException"
    sm.create_app(DomainId=domain, UserProfileName=alice, AppType="Canvas", AppName="default")


def test_rstudio_server_runs_on_the_reserved_domain_shared_profile(sm, domain, alice, settle):
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(DomainId=domain, UserProfileName=alice, AppType="RStudioServerPro", AppName="default")
    assert code(excinfo) == "ValidationException"
    app = {"DomainId": domain, "UserProfileName": "domain-shared", "AppType": "RStudioServerPro", "AppName": "default"}
    sm.create_app(**app)
    settle()
    assert sm.describe_app(**app)["Status"] == "InService"
    names = [p["UserProfileName"] for p in sm.list_user_profiles(DomainIdEquals=domain)["UserProfiles"]]
    assert names == ["alice"]


def test_unknown_app_type_is_a_validation_error(client, domain, alice):
    raw = client("sagemaker", validate=False)
    with pytest.raises(ClientError) as excinfo:
        raw.create_app(DomainId=domain, UserProfileName=alice, AppType="Notebook", AppName="default")
    assert code(excinfo) == "ValidationException"


def test_app_of_unknown_profile_or_space_is_resource_not_found(sm, domain):
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(DomainId=domain, UserProfileName="nobody", AppType="KernelGateway", AppName="k")
    assert code(excinfo) == "ResourceNotFound"
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(DomainId=domain, SpaceName="nothing", AppType="JupyterLab", AppName="default")
    assert code(excinfo) == "ResourceNotFound"


def test_app_of_a_deleting_profile_is_resource_in_use(sm, jupyter, domain, alice):
    sm.delete_user_profile(DomainId=domain, UserProfileName=alice)
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(**jupyter)
    assert code(excinfo) == "ResourceInUse"


def test_app_of_a_pending_space_is_resource_in_use(sm, domain):
    sm.create_space(DomainId=domain, SpaceName="team")
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(DomainId=domain, SpaceName="team", AppType="JupyterLab", AppName="default")
    assert code(excinfo) == "ResourceInUse"


def test_creating_a_live_app_again_is_resource_in_use(sm, jupyter):
    sm.create_app(**jupyter)
    with pytest.raises(ClientError) as excinfo:
        sm.create_app(**{**jupyter, "AppName": "DEFAULT"})  # names are not case-sensitive
    assert code(excinfo) == "ResourceInUse"


def test_a_failed_app_can_be_created_again(cloud, sm, jupyter, domain):
    sm.create_app(**jupyter)
    cloud.fail_app(domain, "JupyterServer", "default", user_profile_name="alice")
    sm.create_app(**jupyter)
    assert sm.describe_app(**jupyter)["Status"] == "Pending"


# -- DeleteApp ---------------------------------------------------------------------------------------


def test_only_in_service_apps_can_be_deleted(cloud, sm, jupyter, domain, settle):
    sm.create_app(**jupyter)
    with pytest.raises(ClientError) as excinfo:  # Pending
        sm.delete_app(**jupyter)
    assert code(excinfo) == "ValidationException"
    settle()
    sm.delete_app(**jupyter)
    with pytest.raises(ClientError) as excinfo:  # Deleting
        sm.delete_app(**jupyter)
    assert code(excinfo) == "ValidationException"
    settle()
    with pytest.raises(ClientError) as excinfo:  # Deleted
        sm.delete_app(**jupyter)
    assert code(excinfo) == "ValidationException"


def test_deleting_a_failed_app_is_an_error(cloud, sm, jupyter, domain, settle):
    sm.create_app(**jupyter)
    settle()
    cloud.fail_app(domain, "JupyterServer", "default", "kernel died", user_profile_name="alice")
    described = sm.describe_app(**jupyter)
    assert (described["Status"], described["FailureReason"]) == ("Failed", "kernel died")
    with pytest.raises(ClientError) as excinfo:
        sm.delete_app(**jupyter)
    assert code(excinfo) == "ValidationException"


def test_delete_unknown_app_is_resource_not_found(sm, jupyter):
    with pytest.raises(ClientError) as excinfo:
        sm.delete_app(**jupyter)
    assert code(excinfo) == "ResourceNotFound"


def test_app_calls_are_logged_and_faults_reach_the_client(cloud, sm, jupyter, settle):
    sm.create_app(**jupyter)
    settle()
    cloud.faults.add("sagemaker", "DeleteApp", kind="throttling", times=1)
    with pytest.raises(ClientError) as excinfo:
        sm.delete_app(**jupyter)
    assert code(excinfo) == "ThrottlingException"
    sm.delete_app(**jupyter)
    assert cloud.calls.count("sagemaker", "DeleteApp") == 2
    assert cloud.calls.calls("sagemaker", "CreateApp")[0].params["AppType"] == "JupyterServer"


# -- ListApps ----------------------------------------------------------------------------------------


def test_list_apps_filters_by_owner(sm, domain, alice, lab, settle):
    sm.create_app(DomainId=domain, UserProfileName=alice, AppType="JupyterServer", AppName="default")
    sm.create_app(DomainId=domain, UserProfileName=alice, AppType="KernelGateway", AppName="k1", ResourceSpec=KERNEL)
    sm.create_app(DomainId=domain, SpaceName=lab, AppType="JupyterLab", AppName="default")

    def listed(**filters: str) -> list[tuple[str, str | None, str | None]]:
        return sorted(
            (a["AppType"], a.get("UserProfileName"), a.get("SpaceName")) for a in sm.list_apps(**filters)["Apps"]
        )

    assert listed(DomainIdEquals=domain, UserProfileNameEquals="alice") == [
        ("JupyterServer", "alice", None),
        ("KernelGateway", "alice", None),
    ]
    assert listed(DomainIdEquals=domain, SpaceNameEquals=lab) == [("JupyterLab", None, "alice-lab")]
    assert len(listed()) == 3


def test_list_apps_refuses_both_owner_filters(sm, domain):
    with pytest.raises(ClientError) as excinfo:
        sm.list_apps(DomainIdEquals=domain, UserProfileNameEquals="a", SpaceNameEquals="b")
    assert code(excinfo) == "ValidationException"


def test_list_apps_sorts_by_creation_time_and_paginates(cloud, sm, domain, alice):
    for i in range(15):
        sm.create_app(
            DomainId=domain, UserProfileName=alice, AppType="KernelGateway", AppName=f"k{i}", ResourceSpec=KERNEL
        )
        cloud.clock.advance(1)
    ascending = [a["AppName"] for a in sm.list_apps(DomainIdEquals=domain, MaxResults=100)["Apps"]]
    assert ascending == [f"k{i}" for i in range(15)]
    seen, token = [], None
    while True:
        extra: dict[str, str] = {"NextToken": token} if token else {}
        page = sm.list_apps(DomainIdEquals=domain, SortBy="CreationTime", SortOrder="Descending", **extra)
        assert len(page["Apps"]) <= 10
        seen += [a["AppName"] for a in page["Apps"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == list(reversed(ascending))


def test_list_apps_refuses_an_invalid_token(sm, domain):
    with pytest.raises(ClientError) as excinfo:
        sm.list_apps(DomainIdEquals=domain, NextToken="eyJvIjogMX0=")
    assert code(excinfo) == "ValidationException"


def test_list_apps_has_no_activity_fields(sm, jupyter, settle):
    sm.create_app(**jupyter)
    settle()
    (app,) = sm.list_apps()["Apps"]
    assert "LastUserActivityTimestamp" not in app
    assert "LastHealthCheckTimestamp" not in app


# -- DescribeApp activity stamps ---------------------------------------------------------------------


def test_pending_app_has_no_health_check_yet(sm, jupyter):
    sm.create_app(**jupyter)
    described = sm.describe_app(**jupyter)
    assert "LastHealthCheckTimestamp" not in described
    assert "LastUserActivityTimestamp" not in described


def test_health_checks_move_both_stamps_every_five_minutes(cloud, sm, jupyter):
    sm.create_app(**jupyter)
    cloud.clock.advance(LATENCIES.app_create)
    started = cloud.clock.now()
    first = sm.describe_app(**jupyter)
    assert first["LastHealthCheckTimestamp"] == first["LastUserActivityTimestamp"] == started
    cloud.clock.advance(HEALTH_CHECK * 2 + 10)
    later = sm.describe_app(**jupyter)
    assert later["LastHealthCheckTimestamp"] == started + timedelta(seconds=HEALTH_CHECK * 2)
    assert later["LastUserActivityTimestamp"] == later["LastHealthCheckTimestamp"]


def test_user_activity_shows_until_the_next_health_check(cloud, sm, jupyter, domain):
    sm.create_app(**jupyter)
    cloud.clock.advance(LATENCIES.app_create + 60)
    active_at = cloud.clock.now()
    cloud.mark_user_active(domain, "JupyterServer", "default", user_profile_name="alice")
    cloud.clock.advance(30)
    described = sm.describe_app(**jupyter)
    assert described["LastUserActivityTimestamp"] == active_at
    assert described["LastUserActivityTimestamp"] > described["LastHealthCheckTimestamp"]
    cloud.clock.advance(HEALTH_CHECK)  # the next health check overwrites the activity stamp
    described = sm.describe_app(**jupyter)
    assert described["LastUserActivityTimestamp"] == described["LastHealthCheckTimestamp"] > active_at


def test_health_checks_stop_when_the_app_is_deleted(cloud, sm, jupyter, settle):
    sm.create_app(**jupyter)
    settle()
    sm.delete_app(**jupyter)
    stopped = sm.describe_app(**jupyter)["LastHealthCheckTimestamp"]
    cloud.clock.advance(HEALTH_CHECK * 10)
    assert sm.describe_app(**jupyter)["LastHealthCheckTimestamp"] == stopped


def test_mark_user_active_needs_a_running_app(cloud, sm, jupyter, domain):
    with pytest.raises(LookupError):
        cloud.mark_user_active(domain, "JupyterServer", "default", user_profile_name="alice")
    sm.create_app(**jupyter)
    with pytest.raises(ValueError, match="Pending"):
        cloud.mark_user_active(domain, "JupyterServer", "default", user_profile_name="alice")


def test_fail_app_only_fails_pending_or_running_apps(cloud, sm, jupyter, domain, settle):
    sm.create_app(**jupyter)
    settle()
    sm.delete_app(**jupyter)
    with pytest.raises(ValueError, match="Deleting"):
        cloud.fail_app(domain, "JupyterServer", "default", user_profile_name="alice")


# -- resource spec and tags --------------------------------------------------------------------------


def test_app_takes_the_default_resource_spec_of_the_profile_or_domain(sm, domain, settle):
    spec = {"InstanceType": "ml.t3.large"}
    sm.create_user_profile(
        DomainId=domain, UserProfileName="bob", UserSettings={"KernelGatewayAppSettings": {"DefaultResourceSpec": spec}}
    )
    settle()
    app = {"DomainId": domain, "UserProfileName": "bob", "AppType": "KernelGateway", "AppName": "k"}
    sm.create_app(**app)
    assert sm.describe_app(**app)["ResourceSpec"] == spec
    assert sm.list_apps(UserProfileNameEquals="bob")["Apps"][0]["ResourceSpec"] == spec


def test_profile_tags_propagate_to_its_apps(sm, jupyter):
    arn = sm.create_app(**jupyter, Tags=[{"Key": "purpose", "Value": "demo"}])["AppArn"]
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "ml", "purpose": "demo"}
