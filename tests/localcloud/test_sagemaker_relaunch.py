"""Apps SageMaker launches again by itself, as StudioOptions asks, and the browser-tab control.

Sources: the RStudio server app "when the existing RStudioServerPro app is in a Deleted or Failed status"
(https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-create-cli.html; unconfirmed, hence an option), and
"If you delete the JupyterServer application while the Studio Classic UI is still open in the browser,
SageMaker AI automatically re-creates the JupyterServer application"
(https://docs.aws.amazon.com/sagemaker/latest/dg/studio-tasks-update-studio.html). Opening Studio Classic
starts the JupyterServer app: CreateApp "is automatically invoked by Amazon SageMaker upon access to the
associated Domain" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateApp.html).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from localcloud.__main__ import main
from localcloud.sagemaker import Latencies, StudioOptions
from localcloud.server import LocalCloudServer

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # as in conftest.py: whole seconds survive the wire
LATENCIES = Latencies()
ROLE = "arn:aws:iam::123456789012:role/DomainExecution"
RSTUDIO = {"RStudioServerProDomainSettings": {"DomainExecutionRoleArn": ROLE}}
SERVER = {"UserProfileName": "domain-shared", "AppType": "RStudioServerPro", "AppName": "default"}
BOTH = StudioOptions(relaunch_rstudio_server=True, relaunch_jupyter_server=True)


@pytest.fixture
def options() -> StudioOptions:
    """The cloud's options; a test parametrizes ``options`` to change them."""
    return BOTH


@pytest.fixture
def cloud(options: StudioOptions) -> Iterator[LocalCloud]:
    with LocalCloud(start=START, studio=options) as local:
        yield local


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def statuses(sm: Any, domain_id: str, owner: str) -> list[str]:
    apps = sm.list_apps(DomainIdEquals=domain_id, UserProfileNameEquals=owner, SortBy="CreationTime")["Apps"]
    return [a["Status"] for a in apps]


@pytest.fixture
def rstudio_domain(new_domain, settle) -> str:
    domain_id: str = new_domain("rstudio", DomainSettings=RSTUDIO, Tags=[{"Key": "cost-center", "Value": "42"}])
    settle()
    return domain_id


@pytest.fixture
def alice(sm, domain, settle) -> str:
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    settle()
    return "alice"


def jupyter(domain: str) -> dict[str, str]:
    return {"DomainId": domain, "UserProfileName": "alice", "AppType": "JupyterServer", "AppName": "default"}


# -- the RStudio server ------------------------------------------------------------------------------


def test_a_deleted_rstudio_server_app_is_relaunched_as_a_new_app(cloud, sm, rstudio_domain):
    sm.delete_app(DomainId=rstudio_domain, **SERVER)
    cloud.clock.advance(LATENCIES.app_delete - 1)
    assert statuses(sm, rstudio_domain, "domain-shared") == ["Deleting"]
    cloud.clock.advance(1)
    # The deleted record stays listed; the new one is Pending from the instant the old one is Deleted.
    assert statuses(sm, rstudio_domain, "domain-shared") == ["Deleted", "Pending"]
    relaunched = sm.describe_app(DomainId=rstudio_domain, **SERVER)
    assert relaunched["CreationTime"] == cloud.clock.now()
    assert {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=relaunched["AppArn"])["Tags"]} == {
        "cost-center": "42"
    }
    with pytest.raises(ClientError) as excinfo:
        sm.delete_domain(DomainId=rstudio_domain)
    assert code(excinfo) == "ResourceInUse"
    cloud.clock.advance(LATENCIES.app_create)
    assert statuses(sm, rstudio_domain, "domain-shared") == ["Deleted", "InService"]


def test_a_failed_rstudio_server_app_is_relaunched(cloud, sm, rstudio_domain):
    cloud.fail_app(
        rstudio_domain, "RStudioServerPro", "default", "license check failed", user_profile_name="domain-shared"
    )
    assert statuses(sm, rstudio_domain, "domain-shared") == ["Pending"]  # the Failed record is replaced
    cloud.clock.advance(LATENCIES.app_create)
    assert statuses(sm, rstudio_domain, "domain-shared") == ["InService"]


@pytest.mark.parametrize("options", [StudioOptions(relaunch_rstudio_server=True, relaunch_delay=120)])
def test_a_relaunch_delay_leaves_a_window_to_delete_the_domain(cloud, sm, rstudio_domain):
    sm.delete_app(DomainId=rstudio_domain, **SERVER)
    cloud.clock.advance(LATENCIES.app_delete)
    assert statuses(sm, rstudio_domain, "domain-shared") == ["Deleted"]
    sm.delete_domain(DomainId=rstudio_domain)
    cloud.clock.advance(120)
    assert sm.describe_domain(DomainId=rstudio_domain)["Status"] == "Deleting"
    # The domain is Deleting when the relaunch falls due: nothing is launched.
    assert statuses(sm, rstudio_domain, "domain-shared") == ["Deleted"]
    cloud.clock.advance(LATENCIES.domain_delete)
    with pytest.raises(ClientError) as excinfo:
        sm.describe_domain(DomainId=rstudio_domain)
    assert code(excinfo) == "ResourceNotFound"


@pytest.mark.parametrize("options", [StudioOptions(relaunch_rstudio_server=True, relaunch_delay=600)])
def test_with_a_delay_the_relaunch_comes_that_long_after_the_end(cloud, sm, rstudio_domain):
    sm.delete_app(DomainId=rstudio_domain, **SERVER)
    cloud.clock.advance(LATENCIES.app_delete + 599)
    assert statuses(sm, rstudio_domain, "domain-shared") == ["Deleted"]
    cloud.clock.advance(1)
    assert statuses(sm, rstudio_domain, "domain-shared") == ["Deleted", "Pending"]


@pytest.mark.parametrize("options", [StudioOptions(relaunch_jupyter_server=True)])
def test_the_rstudio_relaunch_is_its_own_option(cloud, sm, rstudio_domain):
    sm.delete_app(DomainId=rstudio_domain, **SERVER)
    cloud.clock.advance(LATENCIES.app_delete + 3600)
    assert statuses(sm, rstudio_domain, "domain-shared") == ["Deleted"]


def test_an_app_created_again_by_hand_is_not_doubled_by_a_relaunch(cloud, sm, rstudio_domain):
    sm.delete_app(DomainId=rstudio_domain, **SERVER)
    cloud.clock.advance(LATENCIES.app_delete)
    with pytest.raises(ClientError) as excinfo:  # the relaunched app is live already
        sm.create_app(DomainId=rstudio_domain, **SERVER)
    assert code(excinfo) == "ResourceInUse"
    assert statuses(sm, rstudio_domain, "domain-shared") == ["Deleted", "Pending"]


# -- Studio Classic's JupyterServer and the browser tab ----------------------------------------------


def test_opening_studio_classic_launches_the_jupyter_server_app(cloud, sm, domain, alice):
    cloud.open_browser_tab(domain, alice)
    assert sm.describe_app(**jupyter(domain))["Status"] == "Pending"
    cloud.clock.advance(LATENCIES.app_create)
    cloud.open_browser_tab(domain, alice)  # a second tab launches nothing more
    assert statuses(sm, domain, alice) == ["InService"]


def test_a_jupyter_server_deleted_while_studio_classic_is_open_comes_back(cloud, sm, domain, alice):
    cloud.open_browser_tab(domain, alice)
    cloud.clock.advance(LATENCIES.app_create)
    sm.delete_app(**jupyter(domain))
    cloud.clock.advance(LATENCIES.app_delete)
    assert statuses(sm, domain, alice) == ["Deleted", "Pending"]
    # A teardown that deleted the apps now finds the profile busy again.
    with pytest.raises(ClientError) as excinfo:
        sm.delete_user_profile(DomainId=domain, UserProfileName=alice)
    assert code(excinfo) == "ResourceInUse"
    cloud.clock.advance(LATENCIES.app_create)
    cloud.close_browser_tab(domain, alice)
    sm.delete_app(**jupyter(domain))
    cloud.clock.advance(LATENCIES.app_delete + 3600)
    assert statuses(sm, domain, alice) == ["Deleted", "Deleted"]
    sm.delete_user_profile(DomainId=domain, UserProfileName=alice)


@pytest.mark.parametrize("options", [StudioOptions()])
def test_without_the_option_an_open_tab_does_not_bring_the_app_back(cloud, sm, domain, alice):
    cloud.open_browser_tab(domain, alice)
    cloud.clock.advance(LATENCIES.app_create)
    sm.delete_app(**jupyter(domain))
    cloud.clock.advance(LATENCIES.app_delete + 3600)
    assert statuses(sm, domain, alice) == ["Deleted"]


def test_a_jupyter_server_deleted_with_no_tab_open_stays_deleted(cloud, sm, domain, alice):
    sm.create_app(**jupyter(domain))
    cloud.clock.advance(LATENCIES.app_create)
    sm.delete_app(**jupyter(domain))
    cloud.clock.advance(LATENCIES.app_delete + 3600)
    assert statuses(sm, domain, alice) == ["Deleted"]


def test_a_failed_jupyter_server_or_other_apps_are_not_relaunched(cloud, sm, domain, alice):
    cloud.open_browser_tab(domain, alice)
    sm.create_app(
        DomainId=domain,
        UserProfileName=alice,
        AppType="KernelGateway",
        AppName="k1",
        ResourceSpec={"InstanceType": "ml.t3.medium"},
    )
    cloud.clock.advance(LATENCIES.app_create)
    cloud.fail_app(domain, "JupyterServer", "default", user_profile_name=alice)
    sm.delete_app(DomainId=domain, UserProfileName=alice, AppType="KernelGateway", AppName="k1")
    cloud.clock.advance(LATENCIES.app_delete + 3600)
    apps = sm.list_apps(DomainIdEquals=domain, UserProfileNameEquals=alice)["Apps"]
    assert sorted((a["AppType"], a["Status"]) for a in apps) == [
        ("JupyterServer", "Failed"),
        ("KernelGateway", "Deleted"),
    ]


def test_the_browser_tab_control_needs_a_usable_profile(cloud, sm, domain):
    with pytest.raises(LookupError):
        cloud.open_browser_tab(domain, "nobody")
    with pytest.raises(LookupError):
        cloud.close_browser_tab(domain, "nobody")
    sm.create_user_profile(DomainId=domain, UserProfileName="bob")
    with pytest.raises(ValueError, match="Pending"):
        cloud.open_browser_tab(domain, "bob")
    assert sm.list_apps(DomainIdEquals=domain)["Apps"] == []


def test_studio_options_refuse_a_negative_delay():
    with pytest.raises(ValueError, match="relaunch_delay"):
        StudioOptions(relaunch_delay=-1)


# -- the server and the command line -----------------------------------------------------------------


def _control(url: str, method: str, route: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(f"{url}/_localcloud/{route}", data=json.dumps(body).encode(), method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _client(server: LocalCloudServer, service: str) -> Any:
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    return boto3.client(service, region_name="us-east-1", endpoint_url=server.url, config=config)  # type: ignore[call-overload]


def test_the_server_takes_the_options_and_the_browser_tab_control():
    with LocalCloudServer(port=0, start=START, studio=StudioOptions(relaunch_jupyter_server=True)) as server:
        ec2, sagemaker = _client(server, "ec2"), _client(server, "sagemaker")
        vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
        domain_id = sagemaker.create_domain(
            DomainName="served",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": ROLE},
            VpcId=vpc_id,
            SubnetIds=[subnet["SubnetId"]],
        )["DomainId"]
        _control(server.url, "POST", "clock/advance", {"seconds": 3600})
        sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="alice")
        _control(server.url, "POST", "clock/advance", {"seconds": 3600})
        tab = {"domain_id": domain_id, "user_profile_name": "alice"}
        assert _control(server.url, "POST", "sagemaker/browser-tab", tab) == {"browser_tab": "open"}
        _control(server.url, "POST", "clock/advance", {"seconds": 3600})
        sagemaker.delete_app(**jupyter(domain_id))
        _control(server.url, "POST", "clock/advance", {"seconds": 3600})
        apps = sagemaker.list_apps(DomainIdEquals=domain_id, SortBy="CreationTime")["Apps"]
        assert [a["Status"] for a in apps] == ["Deleted", "InService"]
        assert _control(server.url, "DELETE", "sagemaker/browser-tab", tab) == {"browser_tab": "closed"}
        with pytest.raises(urllib.error.HTTPError) as missing:
            _control(server.url, "POST", "sagemaker/browser-tab", {**tab, "user_profile_name": "nobody"})
        assert missing.value.code == 404


def test_the_command_line_passes_the_options_to_the_server(monkeypatch):
    seen: dict[str, Any] = {}
    monkeypatch.setattr("signal.signal", lambda *_: None)  # main() would take over this process's SIGTERM

    def serve(port: int, seed: int = 0, studio: StudioOptions | None = None) -> None:
        seen.update(port=port, seed=seed, studio=studio)

    monkeypatch.setattr("localcloud.server.serve", serve)
    main(
        ["serve", "--port", "5123", "--relaunch-rstudio-server", "--relaunch-jupyter-server", "--relaunch-delay", "30"]
    )
    assert seen == {
        "port": 5123,
        "seed": 0,
        "studio": StudioOptions(relaunch_rstudio_server=True, relaunch_jupyter_server=True, relaunch_delay=30.0),
    }
    main(["serve"])
    assert seen["studio"] == StudioOptions()
