"""Activity signals: how long each app has been idle, by the best evidence there is for it.

Each signal is an :class:`ActivitySignal`: given apps, it returns an :class:`Observation` for those it knows
about and leaves the rest to the next signal. The sweep asks them best first (issue 8):

1. :class:`Heartbeat`: the ``IdleSeconds`` metric our lifecycle script publishes from JupyterLab, Code Editor
   and Studio Classic KernelGateway apps;
2. :class:`CanvasActivity`: Canvas's own ``TimeSinceLastActive`` metric;
3. :class:`DescribeAppActivity`: ``DescribeApp``'s ``LastUserActivityTimestamp``, when it differs from
   ``LastHealthCheckTimestamp`` (AWS-FACTS §1: health checks bump it too, so equal stamps say nothing);
4. :class:`RuntimeBackstop`: the time since ``CreationTime``, compared with ``max_runtime_hours``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from botocore.exceptions import ClientError

from domain_steward.autostop.apps import SweptApp

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_sagemaker import SageMakerClient

HEARTBEAT_NAMESPACE = "DomainSteward/AppActivity"
HEARTBEAT_METRIC = "IdleSeconds"
HEARTBEAT_APP_TYPES = frozenset({"JupyterLab", "CodeEditor", "KernelGateway"})
# The script publishes every 5 minutes: three missed beats and the app counts as having no heartbeat.
HEARTBEAT_LOOKBACK = timedelta(minutes=15)

# Canvas publishes TimeSinceLastActive (seconds) per user profile: namespace, metric and dimensions as AWS's
# own auto-shutdown sample reads them (https://github.com/aws-samples/sagemaker-canvas-auto-shutdown-on-idle,
# linked from https://docs.aws.amazon.com/sagemaker/latest/dg/canvas-log-out.html). No reference page lists the
# metric or its interval; the sample alarms on 20-minute periods, so an hour covers two missed datapoints.
CANVAS_NAMESPACE = "/aws/sagemaker/Canvas/AppActivity"
CANVAS_METRIC = "TimeSinceLastActive"
CANVAS_LOOKBACK = timedelta(hours=1)

# "You can retrieve up to 500 different metrics in a single request"
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
METRIC_QUERIES_PER_CALL = 500
_PERIOD = 60
# Bounded concurrency for per-app calls: SageMaker's control plane throttles well below Lambda's reach.
MAX_WORKERS = 8

SignalName = Literal["heartbeat", "canvas", "describe-app", "runtime"]


@dataclass(frozen=True)
class Observation:
    """``minutes`` idle (or, for the ``runtime`` backstop, running) as this signal sees it at ``now``."""

    signal: SignalName
    minutes: float


class ActivitySignal(Protocol):
    """One source of evidence about activity; returns observations only for the apps it knows about."""

    name: SignalName

    def observe(self, apps: Sequence[SweptApp], now: datetime) -> dict[SweptApp, Observation]: ...


@dataclass(frozen=True)
class _MetricQuery:
    app: SweptApp
    namespace: str
    metric: str
    dimensions: Mapping[str, str]


def read_latest(
    cloudwatch: CloudWatchClient, queries: Sequence[_MetricQuery], now: datetime, lookback: timedelta
) -> dict[SweptApp, float]:
    """The newest value of each query's metric within ``lookback``, 500 queries to a ``GetMetricData`` call."""
    latest: dict[SweptApp, float] = {}
    for start in range(0, len(queries), METRIC_QUERIES_PER_CALL):
        batch = queries[start : start + METRIC_QUERIES_PER_CALL]
        request: dict[str, Any] = {
            "MetricDataQueries": [
                {
                    "Id": f"q{index}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": query.namespace,
                            "MetricName": query.metric,
                            "Dimensions": [{"Name": k, "Value": v} for k, v in query.dimensions.items()],
                        },
                        "Period": _PERIOD,
                        "Stat": "Minimum",
                    },
                    "ReturnData": True,
                }
                for index, query in enumerate(batch)
            ],
            "StartTime": now - lookback,
            # EndTime is exclusive: a datapoint stamped this very minute must count.
            "EndTime": now + timedelta(seconds=_PERIOD),
            "ScanBy": "TimestampDescending",
        }
        while True:
            response = cloudwatch.get_metric_data(**request)
            for result in response.get("MetricDataResults", []):
                query = batch[int(result["Id"][1:])]
                points = sorted(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
                if points and query.app not in latest:
                    latest[query.app] = float(points[-1][1])
            token = response.get("NextToken")
            if not token:
                break
            request["NextToken"] = token
    return latest


def _idle_minutes(seconds: float) -> float:
    """The idle time as last reported, not plus the time since: the app may have been used since (its next
    report would say so), and a sweep must never stop early. A report older than the lookback is no signal."""
    return max(0.0, seconds) / 60


class Heartbeat:
    """Our lifecycle script's ``IdleSeconds``: dimensions ``DomainId``, ``AppType``, ``AppName`` and the owner
    (``SpaceName`` for space apps, ``UserProfileName`` for profile apps)."""

    name: SignalName = "heartbeat"

    def __init__(self, cloudwatch: CloudWatchClient) -> None:
        self.cloudwatch = cloudwatch

    @staticmethod
    def query(app: SweptApp) -> _MetricQuery | None:
        if app.app_type not in HEARTBEAT_APP_TYPES:
            return None
        record = app.record
        owner = {"SpaceName": record.space_name} if record.space_name else {"UserProfileName": app.owner_name}
        dimensions = {"DomainId": app.domain_id, "AppType": record.app_type, "AppName": record.app_name, **owner}
        return _MetricQuery(app, HEARTBEAT_NAMESPACE, HEARTBEAT_METRIC, dimensions)

    def observe(self, apps: Sequence[SweptApp], now: datetime) -> dict[SweptApp, Observation]:
        queries = [q for q in map(self.query, apps) if q is not None]
        latest = read_latest(self.cloudwatch, queries, now, HEARTBEAT_LOOKBACK)
        return {app: Observation(self.name, _idle_minutes(seconds)) for app, seconds in latest.items()}


class CanvasActivity:
    """Canvas's ``TimeSinceLastActive`` for the app's user profile."""

    name: SignalName = "canvas"

    def __init__(self, cloudwatch: CloudWatchClient) -> None:
        self.cloudwatch = cloudwatch

    @staticmethod
    def query(app: SweptApp) -> _MetricQuery | None:
        if app.app_type != "Canvas" or not app.record.user_profile_name:
            return None
        dimensions = {"DomainId": app.domain_id, "UserProfileName": app.record.user_profile_name}
        return _MetricQuery(app, CANVAS_NAMESPACE, CANVAS_METRIC, dimensions)

    def observe(self, apps: Sequence[SweptApp], now: datetime) -> dict[SweptApp, Observation]:
        queries = [q for q in map(self.query, apps) if q is not None]
        latest = read_latest(self.cloudwatch, queries, now, CANVAS_LOOKBACK)
        return {app: Observation(self.name, _idle_minutes(seconds)) for app, seconds in latest.items()}


class DescribeAppActivity:
    """``DescribeApp``'s user-activity stamp, for the apps ``needs`` picks (those whose decision it can change).

    "LastUserActivityTimestamp is also updated when SageMaker AI performs health checks without user activity.
    As a result, this value is set to the same value as LastHealthCheckTimestamp"
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeApp.html), so only a stamp that
    differs from ``LastHealthCheckTimestamp`` is evidence of a user.
    """

    name: SignalName = "describe-app"

    def __init__(self, sagemaker: SageMakerClient, needs: Callable[[SweptApp], bool]) -> None:
        self.sagemaker = sagemaker
        self.needs = needs
        self.calls = 0

    def _describe(self, app: SweptApp) -> dict[str, Any] | None:
        record = app.record
        params: dict[str, Any] = {"DomainId": app.domain_id, **record.identity()}
        try:
            return dict(self.sagemaker.describe_app(**params))
        except ClientError:
            return None  # gone or unreadable since ListApps: the backstop decides, the next sweep sees it anew

    def observe(self, apps: Sequence[SweptApp], now: datetime) -> dict[SweptApp, Observation]:
        wanted = [app for app in apps if self.needs(app)]
        self.calls += len(wanted)
        with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
            described = list(pool.map(self._describe, wanted))
        observations: dict[SweptApp, Observation] = {}
        for app, description in zip(wanted, described, strict=True):
            if description is None:
                continue
            activity = description.get("LastUserActivityTimestamp")
            if activity is not None and activity != description.get("LastHealthCheckTimestamp"):
                minutes = max(0.0, (now - activity).total_seconds() / 60)
                observations[app] = Observation(self.name, minutes)
        return observations


class RuntimeBackstop:
    """For apps no other signal covers: minutes since ``CreationTime`` (compared with ``max_runtime_hours``)."""

    name: SignalName = "runtime"

    def observe(self, apps: Sequence[SweptApp], now: datetime) -> dict[SweptApp, Observation]:
        return {
            app: Observation(self.name, max(0.0, (now - app.created).total_seconds() / 60))
            for app in apps
            if app.created is not None
        }


def observe_all(
    signals: Iterable[ActivitySignal], apps: Sequence[SweptApp], now: datetime
) -> dict[SweptApp, Observation]:
    """Each app's observation from the first signal (best first) that has one."""
    found: dict[SweptApp, Observation] = {}
    for signal in signals:
        undecided = [app for app in apps if app not in found]
        if not undecided:
            break
        found.update(signal.observe(undecided, now))
    return found
