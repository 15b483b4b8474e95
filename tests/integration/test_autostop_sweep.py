"""The deployed AutoStopFunction on the local cloud: its schedule, on-demand dry runs, an invalid
configuration, injected throttling, and warn-then-stop across scheduled sweeps (issue 8, Tests)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.harness.lambdas import FunctionError
from localcloud.harness.stack import Stack
from tests.integration.conftest import LATENCIES, TEMPLATE, StudioBuilder

SCHEDULE = "AutoStopFunctionSchedule"


@pytest.fixture
def config_parameter() -> str:
    """A parameter name of this test's own. Functions run in one process here, and Powertools (not part of the
    harness's per-function modules) caches parameters by name for five virtual minutes: a name shared between
    tests would hand one test the configuration another wrote."""
    return f"/domain-steward/test-{uuid.uuid4().hex}"


@pytest.fixture
def stack(cloud: LocalCloud, config_parameter: str) -> Stack:
    return cloud.deploy(TEMPLATE, {"ConfigParameterName": config_parameter})


@pytest.fixture
def configure(cloud: LocalCloud, config_parameter: str) -> Callable[[list[dict[str, Any]]], None]:
    def put(domains: list[dict[str, Any]]) -> None:
        cloud.client("ssm").put_parameter(
            Name=config_parameter, Type="String", Overwrite=True, Value=json.dumps({"version": 1, "domains": domains})
        )

    return put


def _heartbeat(cloud: LocalCloud, domain_id: str, space: str, idle_seconds: float) -> None:
    """IdleSeconds as the lifecycle script publishes it (namespace, metric, exact dimensions)."""
    dimensions = {"DomainId": domain_id, "AppType": "JupyterLab", "AppName": "default", "SpaceName": space}
    cloud.client("cloudwatch").put_metric_data(
        Namespace="DomainSteward/AppActivity",
        MetricData=[
            {
                "MetricName": "IdleSeconds",
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Value": idle_seconds,
                "Unit": "Seconds",
            }
        ],
    )


def _summaries(cloud: LocalCloud) -> list[dict[str, Any]]:
    """The sweep summaries published to SNS, from the call log. (Read from the call log, not an SQS subscriber:
    messages published from a handler carry the virtual clock's time and moto's SQS, read at real time, drops
    them as past their retention.)"""
    return [call.params for call in cloud.calls if call.service == "sns" and call.operation == "Publish"]


def _statuses(cloud: LocalCloud, domain_id: str) -> dict[str, str]:
    apps = cloud.client("sagemaker").list_apps(DomainIdEquals=domain_id)["Apps"]
    return {f"{a['AppType']}/{a.get('SpaceName') or a.get('UserProfileName')}": a["Status"] for a in apps}


@pytest.fixture
def idle_domain(cloud: LocalCloud, studio: StudioBuilder) -> str:
    """Four profiles each with a private JupyterLab or Code Editor space app and a Canvas app, all idle for
    three hours; the JupyterLab spaces report it through the heartbeat, Canvas through its own metric."""
    domain_id = studio.domain()
    scenario = studio.populate(domain_id, profiles=4, private_spaces=4)
    sagemaker = cloud.client("sagemaker")
    for space in scenario.spaces:
        sagemaker.create_app(
            DomainId=domain_id,
            SpaceName=space.name,
            AppType=space.app_type,
            AppName="default",
            ResourceSpec={"InstanceType": "ml.t3.medium"},
        )
    for profile in scenario.profiles:
        sagemaker.create_app(DomainId=domain_id, UserProfileName=profile, AppType="Canvas", AppName="default")
    cloud.clock.advance(LATENCIES.app_create)
    cloud.clock.advance(3 * 3600)
    for space in scenario.spaces:
        if space.app_type == "JupyterLab":
            _heartbeat(cloud, domain_id, space.name, 3 * 3600)
    return domain_id


def test_the_scheduled_sweep_stops_idle_apps_and_tells_the_admins(
    cloud: LocalCloud, stack: Stack, idle_domain: str, configure: Callable[[list[dict[str, Any]]], None]
):
    configure([{"domain_id": idle_domain, "autostop": {"idle_minutes": 60, "max_runtime_hours": 2}}])

    (delivery,) = stack.run_schedule(SCHEDULE)

    assert delivery.error is None
    report = delivery.result
    assert (report["AppsEvaluated"], report["AppsStopped"]) == (8, 8)
    assert set(_statuses(cloud, idle_domain).values()) == {"Deleting"}
    signals = {(d["app_type"], d["signal"]) for d in report["Decisions"]}
    # Code Editor has no heartbeat here: the runtime backstop stops it after DescribeApp found no user.
    assert signals == {("JupyterLab", "heartbeat"), ("CodeEditor", "runtime"), ("Canvas", "canvas")}
    (summary,) = _summaries(cloud)
    assert summary["TopicArn"] == stack.physical_id("NotificationsTopic")
    assert summary["Subject"].startswith("Domain Steward auto-stop: 8 stopped")
    assert summary["Message"].count("\n- STOP ") == 8


def test_an_on_demand_dry_run_reports_and_stops_nothing(
    cloud: LocalCloud, stack: Stack, idle_domain: str, configure: Callable[[list[dict[str, Any]]], None]
):
    configure([{"domain_id": "*", "autostop": {"idle_minutes": 60}}])
    deletes = cloud.calls.count("sagemaker", "DeleteApp")

    report = stack.invoke("AutoStopFunction", {"DryRun": True})

    assert cloud.calls.count("sagemaker", "DeleteApp") == deletes
    assert set(_statuses(cloud, idle_domain).values()) == {"InService"}
    assert report["DryRun"] is True
    assert len(report["Decisions"]) == 6  # the two JupyterLab spaces and four Canvas apps (Code Editor: no signal)
    assert {d["outcome"] for d in report["Decisions"]} == {"dry run: would stop"}


def test_an_invalid_configuration_stops_nothing(
    cloud: LocalCloud,
    stack: Stack,
    idle_domain: str,
    configure: Callable[[list[dict[str, Any]]], None],
    capsys: pytest.CaptureFixture[str],
):
    configure([{"domain_id": idle_domain, "autostop": {"idle_minutes": "sixty"}}])
    deletes = cloud.calls.count("sagemaker", "DeleteApp")

    with pytest.raises(FunctionError) as raised:
        stack.invoke("AutoStopFunction", {})

    assert "ConfigInvalid" in str(raised.value)
    assert "domains[0].autostop.idle_minutes" in str(raised.value)
    assert cloud.calls.count("sagemaker", "DeleteApp") == deletes
    assert cloud.calls.count("sagemaker", "ListApps") == 0
    assert '"ConfigInvalid"' in capsys.readouterr().out  # the metric, in CloudWatch's embedded metric format


def test_the_sweep_finishes_under_thirty_percent_throttling(
    cloud: LocalCloud, stack: Stack, idle_domain: str, configure: Callable[[list[dict[str, Any]]], None]
):
    configure([{"domain_id": idle_domain, "autostop": {"idle_minutes": 60, "max_runtime_hours": 2}}])
    for service, operation in (
        ("sagemaker", "ListApps"),
        ("sagemaker", "ListTags"),
        ("sagemaker", "DescribeApp"),
        ("sagemaker", "DeleteApp"),
        ("cloudwatch", "GetMetricData"),
    ):
        cloud.faults.add(service, operation, "throttling", rate=0.3)

    report = stack.invoke("AutoStopFunction", {})

    fired = sum(1 for call in cloud.calls if call.fault)
    cloud.faults.clear()  # the test's own clients do not retry
    assert fired > 0
    assert report["AppsStopped"] == 8
    assert report["StopsFailed"] == 0
    assert set(_statuses(cloud, idle_domain).values()) == {"Deleting"}


def test_warn_then_stop_across_scheduled_sweeps(
    cloud: LocalCloud, stack: Stack, idle_domain: str, configure: Callable[[list[dict[str, Any]]], None]
):
    configure([{"domain_id": idle_domain, "autostop": {"idle_minutes": 60, "warn_minutes": 15}}])

    (first,) = stack.run_schedule(SCHEDULE)
    assert (first.result["AppsWarned"], first.result["AppsStopped"]) == (6, 0)
    (warned,) = _summaries(cloud)
    assert "6 warned" in warned["Subject"]

    cloud.clock.advance(15 * 60)  # the next scheduled sweep, still idle
    for space in ("private-000", "private-002"):
        _heartbeat(cloud, idle_domain, space, 3 * 3600 + 15 * 60)
    (second,) = stack.run_schedule(SCHEDULE)

    assert (second.result["AppsWarned"], second.result["AppsStopped"]) == (0, 6)
    assert "6 stopped" in _summaries(cloud)[-1]["Subject"]
