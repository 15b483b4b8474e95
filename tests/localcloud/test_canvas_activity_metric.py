"""Canvas apps publish TimeSinceLastActive to CloudWatch on the virtual clock; CloudWatch reads it as AWS does.

The metric (namespace, name, dimensions) is the one AWS's Canvas auto-shutdown sample reads:
https://github.com/aws-samples/sagemaker-canvas-auto-shutdown-on-idle (templates/*.yaml). Its publishing
interval is undocumented; the local cloud uses the sample's default AlarmPeriod, 1,200 s, counted from the
moment the app became InService (see localcloud/sagemaker/canvas_metrics.py).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from localcloud import LocalCloud
from localcloud.fidelity import watch_client
from localcloud.sagemaker import Latencies
from localcloud.sagemaker.canvas_metrics import PUBLISH_INTERVAL
from localcloud.server import LocalCloudServer
from localcloud.session import NO_RETRIES, shared_session

NAMESPACE = "/aws/sagemaker/Canvas/AppActivity"
METRIC = "TimeSinceLastActive"
INTERVAL = PUBLISH_INTERVAL.total_seconds()
APP_START = Latencies().app_create
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"

StartCanvas = Callable[..., datetime]


def minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


def canvas_app(domain: str, user: str) -> dict[str, str]:
    return {"DomainId": domain, "UserProfileName": user, "AppType": "Canvas", "AppName": "default"}


def metric(domain: str, user: str) -> dict[str, Any]:
    return {
        "Namespace": NAMESPACE,
        "MetricName": METRIC,
        "Dimensions": [{"Name": "DomainId", "Value": domain}, {"Name": "UserProfileName", "Value": user}],
    }


def query(query_id: str, target: dict[str, Any], stat: str = "Maximum", period: int = 60) -> dict[str, Any]:
    return {"Id": query_id, "MetricStat": {"Metric": target, "Period": period, "Stat": stat}}


def read(cw: Any, queries: list[dict[str, Any]], start: datetime, end: datetime) -> dict[str, list[Any]]:
    """GetMetricData, oldest first: query id -> [(timestamp, value), ...]."""
    response = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending")
    return {r["Id"]: list(zip(r["Timestamps"], r["Values"], strict=True)) for r in response["MetricDataResults"]}


@pytest.fixture
def cw(client: Callable[..., Any]) -> Any:
    return client("cloudwatch")


@pytest.fixture
def start_canvas(cloud: LocalCloud, sm: Any, domain: str, settle: Callable[[], None]) -> StartCanvas:
    """``start_canvas(*users)``: their profiles (settled), then their Canvas apps, all created at the same
    instant; returns when the apps are InService."""

    def start(*users: str) -> datetime:
        for user in users:
            sm.create_user_profile(DomainId=domain, UserProfileName=user)
        settle()
        for user in users:
            sm.create_app(**canvas_app(domain, user))
        return cloud.clock.now() + timedelta(seconds=APP_START)

    return start


# -- publishing ---------------------------------------------------------------------------------------------


def test_a_running_canvas_app_publishes_every_interval_and_a_long_advance_fills_every_one(
    cloud, cw, domain, start_canvas
):
    in_service = start_canvas("alice")
    target = metric(domain, "alice")

    cloud.clock.advance_to(in_service + PUBLISH_INTERVAL - timedelta(seconds=1))
    # Undocumented: the first datapoint comes one interval after the start (stricter: a new app has none yet).
    assert read(cw, [query("q", target)], in_service - timedelta(hours=1), cloud.clock.now())["q"] == []

    cloud.clock.advance_to(in_service + timedelta(hours=6))  # one advance across eighteen intervals

    points = read(cw, [query("q", target)], in_service, cloud.clock.now() + timedelta(minutes=1))["q"]
    expected_times = [in_service + k * PUBLISH_INTERVAL for k in range(1, 19)]
    assert points == [(minute(t), k * INTERVAL) for k, t in enumerate(expected_times, start=1)]


def test_nothing_is_published_while_an_app_is_pending_deleting_deleted_or_failed(cloud, sm, cw, domain, start_canvas):
    in_service = start_canvas("alice", "bob")
    cloud.clock.advance_to(in_service - timedelta(seconds=1))
    assert sm.describe_app(**canvas_app(domain, "alice"))["Status"] == "Pending"
    window = (in_service - timedelta(hours=1), in_service + timedelta(days=1))
    queries = [query("alice", metric(domain, "alice")), query("bob", metric(domain, "bob"))]
    assert read(cw, queries, *window) == {"alice": [], "bob": []}

    # bob's app fails after its first datapoint; alice's is Deleting when its third one would be due.
    cloud.clock.advance_to(in_service + 1.5 * PUBLISH_INTERVAL)
    cloud.fail_app(domain, "Canvas", "default", user_profile_name="bob")
    cloud.clock.advance_to(in_service + 3 * PUBLISH_INTERVAL - timedelta(seconds=60))
    sm.delete_app(**canvas_app(domain, "alice"))
    cloud.clock.advance(60)
    assert sm.describe_app(**canvas_app(domain, "alice"))["Status"] == "Deleting"
    cloud.clock.advance(6 * 3600)
    assert sm.describe_app(**canvas_app(domain, "alice"))["Status"] == "Deleted"
    assert sm.describe_app(**canvas_app(domain, "bob"))["Status"] == "Failed"

    published = read(cw, queries, *window)
    assert [value for _, value in published["alice"]] == [INTERVAL, 2 * INTERVAL]
    assert [value for _, value in published["bob"]] == [INTERVAL]


def test_user_activity_resets_the_count_from_that_moment(cloud, cw, domain, start_canvas):
    in_service = start_canvas("alice")
    cloud.clock.advance_to(in_service + timedelta(minutes=30))
    cloud.mark_user_active(domain, "Canvas", "default", user_profile_name="alice")
    cloud.clock.advance(20 * 60)
    cloud.mark_user_active(domain, "Canvas", "default", user_profile_name="alice")  # at +50 min
    cloud.clock.advance(60 * 60)  # to +110 min: datapoints at +20, +40, +60, +80 and +100 min

    points = read(cw, [query("q", metric(domain, "alice"))], in_service, cloud.clock.now())["q"]

    # Each datapoint counts from the activity before it: +40 min from the one at +30, not from the later one.
    assert [value for _, value in points] == [20 * 60, 10 * 60, 10 * 60, 30 * 60, 50 * 60]


# -- reading it as the auto-stop sweep does ------------------------------------------------------------------


def test_one_batched_get_metric_data_reads_several_users_with_their_own_stats_and_periods(
    cloud, sm, cw, domain, start_canvas
):
    users = ("alice", "bob", "carol")
    in_service = start_canvas(*users)
    cloud.clock.advance_to(in_service + timedelta(hours=3))
    cloud.mark_user_active(domain, "Canvas", "default", user_profile_name="bob")
    sm.delete_app(**canvas_app(domain, "carol"))
    cloud.clock.advance(2 * 3600)
    now = cloud.clock.now()
    queries = [
        query(f"{user}_{stat.lower()}", metric(domain, user), stat=stat, period=period)
        for user in users
        for stat, period in (("Maximum", 3600), ("Minimum", 3600), ("SampleCount", 7200))
    ]

    # ScanBy omitted: "the default of TimestampDescending is used"
    # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
    response = cw.get_metric_data(MetricDataQueries=queries, StartTime=now - timedelta(hours=2), EndTime=now)

    results = {r["Id"]: r for r in response["MetricDataResults"]}
    assert set(results) == {q["Id"] for q in queries}
    hours = [now - timedelta(hours=1), now - timedelta(hours=2)]  # newest first
    assert results["alice_maximum"]["Timestamps"] == hours
    # The last hour (EndTime is exclusive) holds alice's datapoints at +4 h, +4 h 20 and +4 h 40 min.
    assert results["alice_maximum"]["Values"][0] == 4 * 3600 + 2 * INTERVAL
    assert results["alice_minimum"]["Values"][0] == 4 * 3600
    assert results["alice_samplecount"]["Values"] == [6.0]  # three an hour
    # bob was active at +3 h, just after that moment's datapoint (10,800 s) was made; the last hour counts from it.
    assert results["bob_maximum"]["Values"] == [3600 + 2 * INTERVAL, 3 * 3600]
    # carol's app was deleted at +3 h: its last datapoint is the one made at that moment, none since.
    assert list(zip(results["carol_maximum"]["Timestamps"], results["carol_maximum"]["Values"], strict=True)) == [
        (hours[1], 3 * 3600)
    ]
    assert results["carol_samplecount"]["Values"] == [1.0]


def test_a_query_names_exactly_one_metric(cloud, cw, domain, start_canvas):
    in_service = start_canvas("alice", "bob")
    cloud.clock.advance(3 * 3600)
    reversed_dimensions = {
        **metric(domain, "alice"),
        "Dimensions": [{"Name": "UserProfileName", "Value": "alice"}, {"Name": "DomainId", "Value": domain}],
    }
    queries = [
        query("named", metric(domain, "alice")),
        query("reordered", reversed_dimensions),
        query("domain_only", {**metric(domain, "alice"), "Dimensions": [{"Name": "DomainId", "Value": domain}]}),
        query("no_dimensions", {**metric(domain, "alice"), "Dimensions": []}),
        query("other_namespace", {**metric(domain, "alice"), "Namespace": "AWS/SageMaker"}),
    ]

    found = read(cw, queries, in_service, cloud.clock.now())

    # "CloudWatch treats each unique combination of dimensions as a separate metric"
    # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html). moto 5.2.5
    # answered "reordered" with nothing, and "no_dimensions" and "other_namespace" with alice's and bob's data.
    assert len(found["named"]) == 8
    assert found["reordered"] == found["named"]
    assert found["domain_only"] == found["no_dimensions"] == found["other_namespace"] == []


def test_get_metric_statistics_and_list_metrics_see_the_metric(cloud, sm, cw, domain, start_canvas):
    in_service = start_canvas("alice", "bob")
    cloud.clock.advance(4 * 3600)
    start = in_service.replace(minute=0, second=0) + timedelta(hours=1)

    statistics = cw.get_metric_statistics(
        **metric(domain, "alice"),
        StartTime=start,
        EndTime=start + timedelta(hours=2),
        Period=3600,
        Statistics=["SampleCount", "Maximum"],
    )
    domain_only = cw.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=METRIC,
        Dimensions=[{"Name": "DomainId", "Value": domain}],
        StartTime=start,
        EndTime=start + timedelta(hours=2),
        Period=3600,
        Statistics=["Maximum"],
    )
    listed = cw.list_metrics(Namespace=NAMESPACE)["Metrics"]
    alice_only = cw.list_metrics(Namespace=NAMESPACE, Dimensions=[{"Name": "UserProfileName", "Value": "alice"}])

    # Buckets start at StartTime, one Period apart; a metric is all of its dimensions, so a query that names
    # fewer finds nothing (API_GetMetricStatistics.html, "Dimensions").
    datapoints = sorted(statistics["Datapoints"], key=lambda d: d["Timestamp"])
    assert [(d["Timestamp"], d["SampleCount"], d["Unit"]) for d in datapoints] == [
        (start, 3.0, "Seconds"),
        (start + timedelta(hours=1), 3.0, "Seconds"),
    ]
    assert domain_only["Datapoints"] == []
    # ListMetrics lists each metric once; a dimension filter matches metrics that have more dimensions
    # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html).
    assert sorted(m["Dimensions"][1]["Value"] for m in listed) == ["alice", "bob"]
    assert alice_only["Metrics"] == [metric(domain, "alice")]

    # "ListMetrics doesn't return information about metrics if those metrics haven't reported data in the past
    # two weeks" (API_ListMetrics.html).
    sm.delete_app(**canvas_app(domain, "alice"))
    cloud.clock.advance(timedelta(days=14, minutes=30).total_seconds())
    assert [m["Dimensions"][1]["Value"] for m in cw.list_metrics(Namespace=NAMESPACE)["Metrics"]] == ["bob"]


def test_start_time_is_rounded_down_and_put_metric_data_stamps_virtual_time(cloud, cw):
    now = cloud.clock.now()
    target = {"Namespace": "Heartbeat", "MetricName": "IdleSeconds", "Dimensions": [{"Name": "App", "Value": "a"}]}
    cw.put_metric_data(
        Namespace="Heartbeat",
        MetricData=[
            {"MetricName": "IdleSeconds", "Dimensions": target["Dimensions"], "Value": 5.0, "Timestamp": when}
            for when in (now - timedelta(minutes=9, seconds=50), now - timedelta(minutes=3))
        ],
    )
    cw.put_metric_data(
        Namespace="Heartbeat",
        MetricData=[{"MetricName": "IdleSeconds", "Dimensions": target["Dimensions"], "Value": 7}],
    )

    # StartTime 09:50:05 (less than 15 days ago) is rounded down to 09:50:00, so the datapoint at 09:50:10 is in
    # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html, "StartTime").
    found = read(cw, [query("q", target, stat="Sum", period=300)], now - timedelta(minutes=9, seconds=55), now)
    assert found["q"] == [(now - timedelta(minutes=10), 5.0), (now - timedelta(minutes=5), 5.0)]
    # Without a Timestamp the datapoint is stamped with the (virtual) time it arrived.
    assert read(cw, [query("q", target)], now, now + timedelta(minutes=1))["q"] == [(now, 7.0)]


# -- everywhere ----------------------------------------------------------------------------------------------


def _studio_domain(sm: Any, ec2: Any, region: str) -> str:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{region}a")["Subnet"]
    return str(
        sm.create_domain(
            DomainName="canvas",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": ROLE},
            VpcId=vpc_id,
            SubnetIds=[subnet["SubnetId"]],
        )["DomainId"]
    )


def test_canvas_apps_in_another_region_publish_to_that_region(cloud, cw):
    sm, ec2, eu_cw = (
        watch_client(shared_session().client(s, region_name="eu-west-1", config=NO_RETRIES))
        for s in ("sagemaker", "ec2", "cloudwatch")
    )
    domain = _studio_domain(sm, ec2, "eu-west-1")
    cloud.clock.advance(3600)
    sm.create_user_profile(DomainId=domain, UserProfileName="alice")
    cloud.clock.advance(3600)
    sm.create_app(**canvas_app(domain, "alice"))
    cloud.clock.advance(2 * 3600)
    window = (cloud.clock.now() - timedelta(hours=3), cloud.clock.now())

    assert len(read(eu_cw, [query("q", metric(domain, "alice"))], *window)["q"]) == 5
    assert read(cw, [query("q", metric(domain, "alice"))], *window)["q"] == []


def test_a_day_of_hundreds_of_canvas_apps_reads_in_one_batch(cloud, cw, domain, start_canvas):
    users = [f"user-{n}" for n in range(200)]
    in_service = start_canvas(*users)

    cloud.clock.advance(86400)

    now = cloud.clock.now()
    queries = [query(f"q{n}", metric(domain, user), period=3600) for n, user in enumerate(users)]
    found = read(cw, queries, now - timedelta(hours=3), now)
    latest = (now - in_service) // PUBLISH_INTERVAL * INTERVAL
    assert {points[-1][1] for points in found.values()} == {latest}
    assert len(cw.list_metrics(Namespace=NAMESPACE)["Metrics"]) == 200


def test_the_http_server_publishes_when_its_clock_endpoint_advances():
    with LocalCloudServer(port=0, start=datetime(2025, 3, 3, 9, 0, tzinfo=UTC)) as server:

        def http_client(service: str) -> Any:
            return watch_client(
                boto3.client(service, region_name="us-east-1", endpoint_url=server.url, config=NO_RETRIES)  # type: ignore[call-overload]
            )

        def advance(seconds: int) -> None:
            body = json.dumps({"seconds": seconds}).encode()
            request = urllib.request.Request(f"{server.url}/_localcloud/clock/advance", data=body, method="POST")
            with urllib.request.urlopen(request, timeout=10):
                pass

        sm, ec2, cw = (http_client(s) for s in ("sagemaker", "ec2", "cloudwatch"))
        domain = _studio_domain(sm, ec2, "us-east-1")
        advance(3600)
        sm.create_user_profile(DomainId=domain, UserProfileName="alice")
        advance(3600)
        sm.create_app(**canvas_app(domain, "alice"))
        advance(3600)

        now = server.clock.now()
        found = read(cw, [query("q", metric(domain, "alice"))], now - timedelta(hours=2), now)
        assert [value for _, value in found["q"]] == [INTERVAL, 2 * INTERVAL]
