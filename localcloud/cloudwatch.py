"""CloudWatch metrics on the virtual clock, read back the way CloudWatch reads them.

moto 5.2.5 stores metric datapoints faithfully but reads them back more kindly than AWS, and slowly. Code
that reads metrics (the auto-stop sweep's batched ``GetMetricData`` over Canvas ``TimeSinceLastActive``)
would pass here and fail on AWS, so :func:`install` replaces the read paths of moto's ``CloudWatchBackend``:

- A metric is its namespace, its name and the exact set of its dimensions ("CloudWatch treats each unique
  combination of dimensions as a separate metric", GetMetricStatistics ``Dimensions``,
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html). moto's
  ``GetMetricData`` matches a ``MetricStat`` without dimensions against every datapoint of that name whatever
  its dimensions (one user's query would aggregate all users), ignores the namespace when dimensions are given,
  and compares dimension lists after sorting them with a broken ordering (the same dimensions listed in another
  order can match nothing); its ``GetMetricStatistics`` accepts a subset of the dimensions.
- Period buckets start at ``StartTime`` rounded down as AWS documents it (whole minute when less than 15 days
  ago, 5 minutes up to 63 days, then the hour; 5/10/20/30-second divisions for those periods),
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html. ``EndTime`` is
  exclusive. moto starts buckets at ``StartTime`` as given (``GetMetricStatistics``: at the first datapoint).
- ``ListMetrics`` lists each metric once (moto lists a metric with two dimensions once per datapoint) and
  leaves out metrics with no datapoint in the past two weeks, as AWS documents
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html). A dimension filter
  still matches metrics that have further dimensions (same page).
- ``PutMetricData`` without ``Timestamp`` (and alarm state stamps) take the virtual clock's time, not the
  machine's, so what a test publishes lines up with what the emulated services publish.

Reads go through a per-backend index (namespace, name, dimensions) → time-sorted datapoints, extended
incrementally as datapoints are appended, so a batch of 500 queries over a day of hundreds of metrics costs
what the answer costs. Statistics other than ``SampleCount``/``Average``/``Sum``/``Minimum``/``Maximum``
(percentiles...) and Metrics Insights ``SELECT`` queries are left to moto as it is.
"""

from __future__ import annotations

import bisect
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from localcloud.clock import get_clock

MetricKey = tuple[str, str, frozenset[tuple[str, str]]]

BASIC_STATISTICS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})
# ListMetrics "doesn't return information about metrics if those metrics haven't reported data in the past
# two weeks" (API_ListMetrics.html).
LIST_METRICS_WINDOW = timedelta(days=14)

_install_lock = threading.Lock()
_originals: dict[str, Any] = {}


def virtual_utcnow() -> datetime:
    """The virtual clock's time as moto keeps CloudWatch timestamps: naive UTC."""
    return naive_utc(get_clock().now())


def naive_utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo is not None else when


def metric_key(namespace: str, name: str, dimensions: Iterable[Any]) -> MetricKey:
    """The identity of a metric; ``dimensions`` are moto ``Dimension`` objects or ``{"Name", "Value"}`` dicts."""
    pairs = (
        (str(d["Name"]), str(d["Value"])) if isinstance(d, dict) else (str(d.name), str(d.value)) for d in dimensions
    )
    return namespace, name, frozenset(pairs)


@dataclass
class _Series:
    """One metric's datapoints, sorted by timestamp."""

    times: list[datetime] = field(default_factory=list)
    data: list[Any] = field(default_factory=list)

    def add(self, datum: Any) -> None:
        if not self.times or datum.timestamp >= self.times[-1]:  # datapoints mostly arrive in time order
            self.times.append(datum.timestamp)
            self.data.append(datum)
            return
        index = bisect.bisect_right(self.times, datum.timestamp)
        self.times.insert(index, datum.timestamp)
        self.data.insert(index, datum)

    def between(self, start: datetime, end: datetime) -> list[Any]:
        """Datapoints with ``start <= timestamp < end``."""
        return self.data[bisect.bisect_left(self.times, start) : bisect.bisect_left(self.times, end)]


class _Index:
    """Every metric of one backend, built from moto's append-only ``metric_data`` list as it grows."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._source: list[Any] | None = None
        self._count = 0
        self.series: dict[MetricKey, _Series] = {}

    def refresh(self, backend: Any) -> None:
        data: list[Any] = backend.metric_data
        if data is not self._source or len(data) < self._count:
            self._source, self._count, self.series = data, 0, {}
        for datum in data[self._count :]:
            key = (datum.namespace, datum.name, frozenset([(d.name, d.value) for d in datum.dimensions]))
            series = self.series.get(key)
            if series is None:
                series = self.series[key] = _Series()
            series.add(datum)
        self._count = len(data)


_indexes: weakref.WeakKeyDictionary[Any, _Index] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def _series(backend: Any) -> dict[MetricKey, _Series]:
    """The backend's metrics: its stored datapoints plus those moto's metric providers (S3...) compute now."""
    with _indexes_lock:
        index = _indexes.get(backend)
        if index is None:
            index = _indexes[backend] = _Index()
    with index.lock:
        index.refresh(backend)
        series = dict(index.series)
    provided: dict[MetricKey, _Series] = {}
    for datum in backend.aws_metric_data:
        key = metric_key(datum.namespace, datum.name, datum.dimensions)
        if key not in provided:
            provided[key] = _Series(list(series[key].times), list(series[key].data)) if key in series else _Series()
        provided[key].add(datum)
    series.update(provided)
    return series


# -- time buckets ------------------------------------------------------------------------------------------


def round_start(start: datetime, period: int, now: datetime) -> datetime:
    """StartTime as CloudWatch rounds it (API_GetMetricData.html, ``StartTime``)."""
    start = start.replace(microsecond=0)
    if period < 60:
        # "If you set Period to 5, 10, 20, or 30, the start time ... is rounded down to ... even 5-, 10-, 20-,
        # or 30-second divisions of a minute."
        return start - timedelta(seconds=start.second % period)
    age = now - start
    if age < timedelta(days=15):
        return start.replace(second=0)
    if age <= timedelta(days=63):
        return start.replace(minute=start.minute - start.minute % 5, second=0)
    return start.replace(minute=0, second=0)


def buckets(data: list[Any], start: datetime, period: int) -> list[tuple[datetime, list[Any]]]:
    """Time-sorted ``data`` grouped into ``period``-second buckets from ``start``; empty buckets are left out."""
    grouped: list[tuple[datetime, list[Any]]] = []
    width = timedelta(seconds=period)
    for datum in data:
        bucket_start = start + ((datum.timestamp - start) // width) * width
        if not grouped or grouped[-1][0] != bucket_start:
            grouped.append((bucket_start, []))
        grouped[-1][1].append(datum)
    return grouped


def _unit_filter(data: list[Any], unit: str | None) -> list[Any]:
    # "If you specify a unit, the operation returns only data that was collected with that unit specified."
    # (MetricStat Unit, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html)
    return data if not unit else [datum for datum in data if datum.unit == unit]


# -- the replaced backend methods ------------------------------------------------------------------------------


def get_metric_data(
    backend: Any,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampDescending",
) -> list[dict[str, Any]]:
    from moto.cloudwatch.exceptions import ValidationError
    from moto.cloudwatch.metric_data_expression_parser import parse_expression
    from moto.cloudwatch.models import Statistics

    stat_queries = [query for query in queries if "MetricStat" in query]
    if any(query["MetricStat"]["Stat"] not in BASIC_STATISTICS for query in stat_queries):
        return _originals["get_metric_data"](backend, queries, start_time, end_time, scan_by)  # type: ignore[no-any-return]
    start_time, end_time = naive_utc(start_time), naive_utc(end_time)
    if start_time > end_time:
        raise ValidationError("The parameter EndTime must be greater than StartTime.")
    if start_time == end_time:
        raise ValidationError("The parameter StartTime must not equal parameter EndTime.")

    series = _series(backend)
    now = virtual_utcnow()
    results: list[dict[str, Any]] = []
    for query in stat_queries:
        stat = query["MetricStat"]
        metric = stat["Metric"]
        period, statistic = int(stat["Period"]), stat["Stat"]
        start = round_start(start_time, period, now)
        found = series.get(metric_key(metric["Namespace"], metric["MetricName"], metric.get("Dimensions", [])))
        data = _unit_filter(found.between(start, end_time), stat.get("Unit")) if found else []
        timestamps: list[datetime] = []
        values: list[Any] = []
        for bucket_start, bucket in buckets(data, start, period):
            statistics = Statistics([statistic], bucket_start)
            statistics.metric_data = bucket
            timestamps.append(bucket_start)
            values.append(statistics.get_statistics_for_type(statistic))
        if scan_by != "TimestampAscending":
            # "If you omit this parameter, the default of TimestampDescending is used." (API_GetMetricData.html)
            timestamps.reverse()
            values.reverse()
        results.append(_result(query, query.get("Label") or f"{metric['MetricName']} {statistic}", values, timestamps))

    returned = [result for result, query in zip(results, stat_queries, strict=True) if query.get("ReturnData", True)]
    for query in queries:
        expression = query.get("Expression")
        if expression is None:
            continue
        if expression.startswith("SELECT"):
            returned.extend(_originals["get_metric_data"](backend, [query], start_time, end_time, scan_by))
        else:
            # moto's metric math: an expression that names another query's id repeats its data.
            values, timestamps = parse_expression(expression, results)
            returned.append(_result(query, query.get("Label") or query["Id"], values, timestamps))
    return returned


def _result(query: dict[str, Any], label: str, values: list[Any], timestamps: list[datetime]) -> dict[str, Any]:
    return {"id": query["Id"], "label": label, "values": values, "timestamps": timestamps, "status_code": "Complete"}


def get_metric_statistics(  # noqa: PLR0917 - moto's signature: its response handler passes these positionally
    backend: Any,
    namespace: str,
    metric_name: str,
    start_time: datetime,
    end_time: datetime,
    period: int,
    stats: list[str],
    dimensions: list[dict[str, str]],
    unit: str | None = None,
) -> list[Any]:
    from moto.cloudwatch.exceptions import InvalidParameterValue
    from moto.cloudwatch.models import Statistics

    start_time, end_time = naive_utc(start_time), naive_utc(end_time)
    if start_time >= end_time:
        raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    start = round_start(start_time, period, virtual_utcnow())
    found = _series(backend).get(metric_key(namespace, metric_name, dimensions or []))
    data = _unit_filter(found.between(start, end_time), unit) if found else []
    datapoints = []
    for bucket_start, bucket in buckets(data, start, period):
        statistics = Statistics(stats, bucket_start, bucket[-1].unit)
        statistics.metric_data = bucket
        datapoints.append(statistics)
    return datapoints


def get_filtered_metrics(
    backend: Any, metric_name: str | None, namespace: str | None, dimensions: list[dict[str, str]] | None
) -> list[Any]:
    """ListMetrics: each metric once (its latest datapoint stands for it), if it had data in two weeks."""
    from moto.cloudwatch.models import Dimension

    wanted = [Dimension(d["Name"], d.get("Value")) for d in dimensions or []]
    recent = virtual_utcnow() - LIST_METRICS_WINDOW
    metrics = []
    for (metric_namespace, name, _), series in _series(backend).items():
        latest = series.data[-1]
        if namespace and namespace != metric_namespace:
            continue
        if metric_name and metric_name != name:
            continue
        # A filter without a value matches the dimension name alone (moto's Dimension equality does this).
        if any(dimension not in latest.dimensions for dimension in wanted):
            continue
        if series.times[-1] >= recent:
            metrics.append(latest)
    return metrics


def install() -> None:
    """Replace moto's CloudWatch read paths and timestamps (once per process; idempotent)."""
    from moto.cloudwatch import models

    with _install_lock:
        if _originals:
            return
        backend_class = models.CloudWatchBackend
        _originals["get_metric_data"] = backend_class.get_metric_data
        setattr(backend_class, "get_metric_data", get_metric_data)  # noqa: B010 - mypy rejects assigning methods
        setattr(backend_class, "get_metric_statistics", get_metric_statistics)  # noqa: B010
        setattr(backend_class, "get_filtered_metrics", get_filtered_metrics)  # noqa: B010
        # MetricDatumBase and alarms stamp "now" through this module-level name.
        setattr(models, "utcnow", virtual_utcnow)  # noqa: B010
