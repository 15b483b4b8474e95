"""Running Canvas apps publish ``TimeSinceLastActive`` to CloudWatch, on the virtual clock.

What AWS publishes: namespace ``/aws/sagemaker/Canvas/AppActivity``, metric ``TimeSinceLastActive`` (seconds
since the user was last active), dimensions ``DomainId`` and ``UserProfileName``, as AWS's own Canvas
auto-shutdown sample reads it (https://github.com/aws-samples/sagemaker-canvas-auto-shutdown-on-idle,
templates/canvas-autoshutdown-one-domain-one-user.yaml; introduced in
https://aws.amazon.com/jp/blogs/machine-learning/optimizing-costs-for-amazon-sagemaker-canvas-with-automatic-shutdown-of-idle-apps/,
and pointed to by https://docs.aws.amazon.com/sagemaker/latest/dg/canvas-log-out.html, "Automatically shut
down Canvas"). No AWS reference page lists the metric, its unit or how often it is published. So, choosing the stricter
plausible behaviour for code that reads it:

- every :data:`PUBLISH_INTERVAL` (1,200 s: the sample's default ``AlarmPeriod``, the finest period AWS's own
  consumer relies on finding a datapoint in), counted from the moment the app became ``InService``: the
  first datapoint comes one interval after the start, so a freshly started app has no datapoint yet, and
  datapoints of different apps are not aligned with each other or with the clock;
- only while the app is ``InService`` at that moment: nothing while ``Pending``, ``Deleting``, ``Deleted`` or
  ``Failed``;
- value: seconds since the user's last activity in the app (:func:`controls.mark_user_active`), or since the
  app became ``InService`` when there was none; unit ``Seconds``.

Why datapoints are made when the clock advances, not lazily when CloudWatch is read: an app keeps only its
*latest* activity (``App.last_user_activity``), so a datapoint must be made before a later activity
overwrites the one it depends on. Activities happen between clock advances, at the clock's current time; every
datapoint made while the clock advances from ``t0`` to ``t1`` lies in ``(t0, t1]`` and depends on the activity
as it stood at ``t0``, which is what the app holds while the advance runs. Made at read time instead, the
datapoints between two activities would count from the later one. The work is bounded: an advance costs
nothing until the earliest due datapoint (or the next scan for newly started apps, every interval of virtual
time), and then one pass over the apps, so advancing a day with hundreds of Canvas apps makes its tens of
thousands of datapoints in one go (well under a second). The listener runs in-process for both
:class:`localcloud.LocalCloud` and the HTTP server (whose clock endpoint advances the same clock), and covers
every account and Region.

The datapoints go into moto's CloudWatch (as AWS's own publishing would, not through ``PutMetricData``, so the
call log shows no such call); :mod:`localcloud.cloudwatch` reads them back as CloudWatch does.
"""

from __future__ import annotations

import threading
import weakref
from datetime import UTC, datetime, timedelta
from typing import Any

from localcloud import cloudwatch
from localcloud.clock import VirtualClock, get_clock
from localcloud.sagemaker import store
from localcloud.sagemaker.models import App

NAMESPACE = "/aws/sagemaker/Canvas/AppActivity"
METRIC_NAME = "TimeSinceLastActive"
UNIT = "Seconds"
PUBLISH_INTERVAL = timedelta(seconds=1200)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def next_scan(now: datetime) -> datetime:
    """The next whole multiple of the interval after ``now``: apps started since ``now`` are found by then."""
    elapsed = (now - _EPOCH) // PUBLISH_INTERVAL
    return _EPOCH + (elapsed + 1) * PUBLISH_INTERVAL


class Publisher:
    """Publishes what is due; remembers, per app, the last datapoint it made."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._published: weakref.WeakKeyDictionary[App, datetime] = weakref.WeakKeyDictionary()
        self._next_due: datetime | None = None  # None: scan at the next advance

    def advance(self, now: datetime) -> None:
        """Publish every datapoint due by ``now`` in every account and Region."""
        from moto.cloudwatch.models import cloudwatch_backends

        with self._lock:
            if self._next_due is not None and now < self._next_due:
                return
            next_due = next_scan(now)
            for studio in store._current[0].all():
                with studio.lock:
                    apps = [
                        app
                        for domain_apps in studio.apps.values()
                        for app in domain_apps.values()
                        if app.app_type == "Canvas" and app.owner_kind == "user"
                    ]
                if not apps:
                    continue
                metric_data = cloudwatch_backends[studio.account_id][studio.region].metric_data
                for app in apps:
                    due = self._publish(app, now, metric_data)
                    if due is not None:
                        next_due = min(next_due, due)
            self._next_due = next_due

    def _publish(self, app: App, now: datetime, metric_data: list[Any]) -> datetime | None:
        """Append ``app``'s datapoints due by ``now``; return when its next one is due, if it is still running."""
        from moto.cloudwatch.models import MetricDatum

        started = app.timeline.entered("InService", now)
        if started is None:
            return None
        stopped = app.timeline.left(started, now)
        last = self._published.get(app)
        count = 1 if last is None or last < started else (last - started) // PUBLISH_INTERVAL + 1
        due = started + count * PUBLISH_INTERVAL
        dimensions = [{"Name": "DomainId", "Value": app.domain_id}, {"Name": "UserProfileName", "Value": app.owner}]
        while due <= now and (stopped is None or due < stopped):
            activity = app.last_user_activity
            since = activity if activity is not None and started <= activity <= due else started
            value = (due - since).total_seconds()
            metric_data.append(MetricDatum(NAMESPACE, METRIC_NAME, value, dimensions, cloudwatch.naive_utc(due), UNIT))
            self._published[app] = due
            due += PUBLISH_INTERVAL
        return due if stopped is None else None


_publisher: list[Publisher] = [Publisher()]
_lock = threading.Lock()
_listening: weakref.WeakSet[VirtualClock] = weakref.WeakSet()


def _on_advance(now: datetime) -> None:
    _publisher[0].advance(now)


def install() -> None:
    """Start a fresh publisher on the active clock, with CloudWatch's read paths fixed (see the module doc)."""
    cloudwatch.install()
    with _lock:
        _publisher[0] = Publisher()
        clock = get_clock()
        if clock not in _listening:
            clock.on_advance(_on_advance)
            _listening.add(clock)
