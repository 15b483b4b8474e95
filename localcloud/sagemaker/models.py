"""The emulated SageMaker Studio resources and the timelines their statuses are read from.

A resource never changes state by itself: it keeps a :class:`Timeline` of ``(when, status)`` entries,
some of them in the (virtual) future, and its status is the last entry at or before ``now``. Advancing
the clock therefore moves every resource at once, and nothing needs a background thread.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

# A timeline entry with this status means the resource no longer exists (it is listed nowhere).
GONE = "__gone__"

# Health checks of a running app, and how long AWS keeps listing a deleted app (about 24 h).
HEALTH_CHECK_INTERVAL = timedelta(minutes=5)
DELETED_APP_RETENTION = timedelta(hours=24)

OwnerKind = Literal["user", "space"]


@dataclass(frozen=True)
class Divert:
    """What a test control makes of the next time a resource enters a transitional status (``Deleting``,
    ``Updating``): end in ``outcome`` (``Delete_Failed``, ``Update_Failed``) when the change would have
    finished, or, with no outcome, stay in the transitional status until released (see ``controls``)."""

    outcome: str | None
    landed: Callable[[datetime], None] | None = None  # told when the outcome is due (to show FailureReason then)


class Timeline:
    """Status changes, sorted by time; entries in the future are planned changes that may be replaced."""

    def __init__(self, at: datetime, status: str) -> None:
        self._times: list[datetime] = [at]
        self._statuses: list[str] = [status]
        # Test controls (localcloud.sagemaker.controls): diverts keyed by the transitional status they act
        # on, and the planned changes a hold keeps from happening (None while nothing is held).
        self.diverts: dict[str, Divert] = {}
        self.withheld: list[tuple[datetime, str]] | None = None

    def _index(self, now: datetime) -> int:
        return bisect.bisect_right(self._times, now) - 1

    def status(self, now: datetime) -> str | None:
        """The status at ``now``; None once the resource is gone (or before it existed)."""
        index = self._index(now)
        if index < 0 or self._statuses[index] == GONE:
            return None
        return self._statuses[index]

    def since(self, now: datetime) -> datetime:
        """When the status that holds at ``now`` began (a resource's ``LastModifiedTime``)."""
        return self._times[max(self._index(now), 0)]

    def gone(self, now: datetime) -> bool:
        index = self._index(now)
        return index >= 0 and self._statuses[index] == GONE

    def plan(self, now: datetime, *steps: tuple[float, str]) -> None:
        """Forget planned changes after ``now`` (and any hold) and add ``steps``: (seconds after now, status).

        A divert armed for one of the steps' statuses takes the place of the steps that follow it."""
        self._truncate(now)
        self.withheld = None
        for index, (offset, status) in enumerate(steps):
            self._times.append(now + timedelta(seconds=offset))
            self._statuses.append(status)
            divert = self.diverts.pop(status, None)
            if divert is not None:
                rest = [(now + timedelta(seconds=later), after) for later, after in steps[index + 1 :]]
                self._divert(divert, rest)
                return

    def _truncate(self, now: datetime) -> list[tuple[datetime, str]]:
        """Drop the planned changes after ``now`` and return them."""
        keep = bisect.bisect_right(self._times, now)
        dropped = list(zip(self._times[keep:], self._statuses[keep:], strict=True))
        del self._times[keep:]
        del self._statuses[keep:]
        return dropped

    def _divert(self, divert: Divert, rest: list[tuple[datetime, str]]) -> None:
        if divert.outcome is None:
            self.withheld = rest
            return
        when = rest[0][0] if rest else self._times[-1]
        self._times.append(when)
        self._statuses.append(divert.outcome)
        if divert.landed is not None:
            divert.landed(when)

    def hold(self, now: datetime) -> None:
        """Keep the status that holds at ``now`` for ever: its planned successors wait for :meth:`resume`."""
        if self.withheld is None:
            self.withheld = self._truncate(now)

    def resume(self, now: datetime) -> list[tuple[datetime, str]]:
        """Let held changes happen: on their planned times if those are still ahead, otherwise from ``now``
        on (shifted together). Returns the changes as planned again."""
        withheld, self.withheld = self.withheld or [], None
        if not withheld:
            return []
        shift = max(now - withheld[0][0], timedelta(0))
        resumed = [(when + shift, status) for when, status in withheld]
        for when, status in resumed:
            self._times.append(when)
            self._statuses.append(status)
        return resumed

    def entered(self, status: str, now: datetime) -> datetime | None:
        """When ``status`` was last entered at or before ``now``."""
        for index in range(self._index(now), -1, -1):
            if self._statuses[index] == status:
                return self._times[index]
        return None

    def left(self, entered_at: datetime, now: datetime) -> datetime | None:
        """When the status entered at ``entered_at`` was left, if that happened by ``now``."""
        index = bisect.bisect_right(self._times, entered_at)
        if index < len(self._times) and self._times[index] <= now:
            return self._times[index]
        return None


@dataclass(eq=False)
class Resource:
    """What every Studio resource has: an ARN, tags, a creation time and a timeline."""

    arn: str
    created: datetime
    sequence: int  # creation order: breaks ties between resources created at the same virtual instant
    timeline: Timeline
    tags: list[dict[str, str]] = field(default_factory=list)
    failure_reason: str | None = None

    def status(self, now: datetime) -> str | None:
        return self.timeline.status(now)

    def last_modified(self, now: datetime) -> datetime:
        return self.timeline.since(now)


@dataclass(eq=False)
class Domain(Resource):
    domain_id: str = ""
    name: str = ""
    auth_mode: str = "IAM"
    vpc_id: str = ""
    subnet_ids: list[str] = field(default_factory=list)
    url: str = ""
    settings: dict[str, Any] = field(default_factory=dict)  # the optional CreateDomain members, as given
    default_user_settings: dict[str, Any] = field(default_factory=dict)
    default_space_settings: dict[str, Any] | None = None
    domain_settings: dict[str, Any] | None = None
    home_efs_file_system_id: str | None = None
    inbound_security_group_id: str | None = None
    outbound_security_group_id: str | None = None
    single_sign_on_application_arn: str | None = None
    single_sign_on_managed_application_instance_id: str | None = None
    delete_home_file_system: bool = False  # RetentionPolicy.HomeEfsFileSystem == "Delete"
    next_home_uid: int = 200001  # POSIX uids of profile and space home directories on the home EFS

    def allocate_home_uid(self) -> str:
        uid, self.next_home_uid = self.next_home_uid, self.next_home_uid + 1
        return str(uid)


@dataclass(eq=False)
class UserProfile(Resource):
    domain_id: str = ""
    name: str = ""
    home_uid: str = ""
    user_settings: dict[str, Any] | None = None
    sso_identifier: str | None = None
    sso_value: str | None = None
    # Test control (localcloud.sagemaker.browser): Studio Classic is open in a browser tab of this user.
    browser_tab_open: bool = False


@dataclass(eq=False)
class Space(Resource):
    domain_id: str = ""
    name: str = ""
    home_uid: str = ""
    url: str = ""
    space_settings: dict[str, Any] | None = None
    owner: str | None = None  # OwnershipSettings.OwnerUserProfileName
    sharing_type: str | None = None  # SpaceSharingSettings.SharingType
    display_name: str | None = None


@dataclass(eq=False)
class App(Resource):
    domain_id: str = ""
    owner_kind: OwnerKind = "user"
    owner: str = ""  # the user profile or space name, as given at creation
    app_type: str = ""
    name: str = ""
    resource_spec: dict[str, Any] | None = None
    recovery_mode: bool | None = None
    last_user_activity: datetime | None = None

    @property
    def user_profile_name(self) -> str | None:
        return self.owner if self.owner_kind == "user" else None

    @property
    def space_name(self) -> str | None:
        return self.owner if self.owner_kind == "space" else None

    def last_health_check(self, now: datetime) -> datetime | None:
        """The last 5-minute health check: they run from the moment the app is InService until it leaves it."""
        started = self.timeline.entered("InService", now)
        if started is None:
            return None
        stopped = self.timeline.left(started, now)
        until = stopped if stopped is not None else now
        checks = (until - started) // HEALTH_CHECK_INTERVAL
        return started + checks * HEALTH_CHECK_INTERVAL

    def last_user_activity_stamp(self, now: datetime) -> datetime | None:
        """``LastUserActivityTimestamp``: the user's last activity if it came after the last health check,
        otherwise the health check's own time (AWS: health checks also update the activity stamp)."""
        checked = self.last_health_check(now)
        activity = self.last_user_activity
        if activity is not None and activity <= now and (checked is None or activity > checked):
            return activity
        return checked
