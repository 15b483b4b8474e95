"""Test controls: do to the emulated Studio what users and AWS do, without an API call.

- :func:`mark_user_active` — a user works in an app now: ``DescribeApp.LastUserActivityTimestamp``
  moves past ``LastHealthCheckTimestamp`` until the next health check (see the package docstring).
- :func:`fail_app` — the app goes to ``Failed`` with ``FailureReason`` (an image that cannot start, a
  lifecycle configuration that errors, ...). A failed app no longer blocks deleting its owner.
- :func:`keep_deleting` — a delete that never finishes: the resource stays ``Deleting`` until
  :func:`release`. On a resource that is ``Deleting`` now it takes effect at once; on any other it waits
  for the next ``Delete*`` call.
- :func:`fail_resource` — a creation, update or delete that fails: the resource ends in ``Failed``,
  ``Update_Failed`` or ``Delete_Failed`` with ``FailureReason``. On a resource in the matching
  transitional status (``Pending``, ``Updating``, ``Deleting``) it fails now; otherwise an update or delete
  failure waits for the next ``Update*`` / ``Delete*`` call and lands when that change would have finished.
- :func:`release` — lift what :func:`keep_deleting` and :func:`fail_resource` armed; a held delete
  goes on, and finishes when it was due (or at once if that time has passed).
- :func:`get_store` — the store of one account and Region, for assertions on internal state.

A resource is named as in the SageMaker API: the domain id alone is the domain; with
``user_profile_name=`` or ``space_name=`` it is that profile or space; adding ``app_type=`` and
``app_name=`` makes it an app of that owner. What comes next from a failed state is what AWS allows:
``Delete*`` retries the delete of a ``Delete_Failed`` (or ``Failed``) resource, and a failed resource
accepts no new children (see ``base.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache

import botocore.session

from localcloud.clock import get_clock
from localcloud.sagemaker.domains import DomainOperations
from localcloud.sagemaker.models import GONE, App, Divert, Domain, Resource, Space, UserProfile
from localcloud.sagemaker.store import AppKey, StudioStore
from localcloud.sagemaker.store import get_store as _get_store

# The status enum of each resource in botocore's SageMaker model (AppStatus, UserProfileStatus, ...).
_STATUS_SHAPES = {App: "AppStatus", UserProfile: "UserProfileStatus", Space: "SpaceStatus", Domain: "DomainStatus"}
# The transitional status each failure ends: Failed ends a creation, the others an update or a delete.
_FAILS = {"Failed": "Pending", "Update_Failed": "Updating", "Delete_Failed": "Deleting"}


def get_store(account_id: str, region: str) -> StudioStore:
    """The Studio resources of ``account_id`` in ``region``."""
    return _get_store(account_id, region)


@cache
def failure_statuses(shape: str) -> tuple[str, ...]:
    """The failure statuses a resource's status enum allows: ``Failed`` for apps (AppStatus has no
    Update_Failed or Delete_Failed); ``Failed``, ``Update_Failed`` and ``Delete_Failed`` for the others."""
    enum: list[str] = botocore.session.get_session().get_service_model("sagemaker").shape_for(shape).metadata["enum"]
    return tuple(status for status in enum if status.endswith("Failed"))


def _label(resource: Resource) -> str:
    if isinstance(resource, App):
        return f"app {resource.app_type}/{resource.name} of {resource.owner}"
    if isinstance(resource, UserProfile):
        return f"user profile {resource.name}"
    if isinstance(resource, Space):
        return f"space {resource.name}"
    assert isinstance(resource, Domain)
    return f"domain {resource.domain_id}"


def _app_key(app_type: str, app_name: str, user_profile_name: str | None, space_name: str | None) -> AppKey:
    if bool(user_profile_name) == bool(space_name):
        raise ValueError("give exactly one of user_profile_name= or space_name=")
    if user_profile_name:
        return ("user", user_profile_name.lower(), app_type, app_name.lower())
    assert space_name is not None
    return ("space", space_name.lower(), app_type, app_name.lower())


def _find(
    store: StudioStore,
    domain_id: str,
    now: datetime,
    *,
    user_profile_name: str | None = None,
    space_name: str | None = None,
    app_type: str | None = None,
    app_name: str | None = None,
) -> Resource:
    """The resource these names designate (LookupError if it does not exist, ValueError if ambiguous)."""
    found: Resource | None
    if app_type or app_name:
        if not (app_type and app_name):
            raise ValueError("an app needs both app_type= and app_name=")
        found = store.app(domain_id, _app_key(app_type, app_name, user_profile_name, space_name), now)
        what = f"app {app_type}/{app_name} of {user_profile_name or space_name}"
    elif user_profile_name and space_name:
        raise ValueError("give user_profile_name= or space_name=, not both")
    elif user_profile_name:
        found, what = store.profile(domain_id, user_profile_name, now), f"user profile {user_profile_name}"
    elif space_name:
        found, what = store.space(domain_id, space_name, now), f"space {space_name}"
    else:
        found, what = store.domain(domain_id, now), "domain"
    if found is None:
        raise LookupError(f"no {what} in domain {domain_id}")
    return found


@contextmanager
def _locked(account_id: str, region: str, domain_id: str, **names: str | None) -> Iterator[tuple[Resource, datetime]]:
    """The resource (LookupError if there is none) and the current virtual time, with the store locked."""
    store = get_store(account_id, region)
    now = get_clock().now()
    with store.lock:
        store.settle(now)
        yield _find(store, domain_id, now, **names), now


def mark_user_active(
    account_id: str,
    region: str,
    domain_id: str,
    app_type: str,
    app_name: str,
    *,
    user_profile_name: str | None = None,
    space_name: str | None = None,
) -> None:
    """Record user activity in an ``InService`` app at the current virtual time."""
    names = {"user_profile_name": user_profile_name, "space_name": space_name}
    with _locked(account_id, region, domain_id, app_type=app_type, app_name=app_name, **names) as (app, now):
        assert isinstance(app, App)
        status = app.status(now)
        if status != "InService":
            raise ValueError(f"a user cannot be active in an app that is {status}")
        app.last_user_activity = now


def fail_app(  # noqa: PLR0917 - LocalCloud passes the reason positionally
    account_id: str,
    region: str,
    domain_id: str,
    app_type: str,
    app_name: str,
    reason: str = "Injected failure",
    *,
    user_profile_name: str | None = None,
    space_name: str | None = None,
) -> None:
    """Put an app (``Pending`` or ``InService``) into ``Failed`` now, with ``reason`` as its FailureReason."""
    names = {"user_profile_name": user_profile_name, "space_name": space_name}
    fail_resource(account_id, region, domain_id, "Failed", reason, app_type=app_type, app_name=app_name, **names)


def keep_deleting(account_id: str, region: str, domain_id: str, **names: str | None) -> None:
    """Hold the resource in ``Deleting`` until :func:`release`: now if it is being deleted, else from its
    next delete. AWS documents no such state; it is what a teardown meets when AWS's own workflow hangs."""
    with _locked(account_id, region, domain_id, **names) as (resource, now):
        status = resource.status(now)
        if status == "Deleting":
            resource.timeline.hold(now)
            return
        # AWS-FACTS §1: DeleteApp accepts only InService apps, so a Failed or Deleted app is never deleted again.
        if isinstance(resource, App) and status in ("Failed", "Deleted"):
            raise ValueError(f"the {_label(resource)} is {status}: it will not be deleted again")
        resource.timeline.diverts["Deleting"] = Divert(outcome=None)


def fail_resource(
    account_id: str,
    region: str,
    domain_id: str,
    status: str,
    reason: str = "Injected failure",
    **names: str | None,
) -> None:
    """Move the resource to the failure ``status`` with ``reason`` as its ``FailureReason`` (see module doc).

    Statuses follow botocore's enums (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeApp.html,
    API_DescribeUserProfile.html, API_DescribeSpace.html, API_DescribeDomain.html): an app can only be
    ``Failed``; a profile, space or domain ``Failed`` (its creation failed: only while ``Pending``),
    ``Update_Failed`` or ``Delete_Failed``.
    """
    store = get_store(account_id, region)
    with _locked(account_id, region, domain_id, **names) as (resource, now):
        allowed = failure_statuses(_STATUS_SHAPES[type(resource)])
        if status not in allowed:
            raise ValueError(f"a {type(resource).__name__} cannot be {status}: its statuses allow {list(allowed)}")
        current = resource.status(now)
        if isinstance(resource, App):
            # An app fails while starting or while running (an image that cannot start, a crash).
            if current not in ("Pending", "InService"):
                raise ValueError(f"only a Pending or InService app can fail, not one that is {current}")
        elif current != _FAILS[status]:
            if status == "Failed":
                raise ValueError(f"Failed ends a creation: the {_label(resource)} is {current}, not Pending")
            # Armed: the next update or delete ends in the failure, with the reason shown from then on.
            resource.timeline.diverts[_FAILS[status]] = Divert(
                outcome=status, landed=lambda when: store.at(when, lambda: _set_reason(resource, status, reason))
            )
            return
        resource.timeline.plan(now, (0.0, status))
        resource.failure_reason = reason


def _set_reason(resource: Resource, status: str, reason: str) -> None:
    if resource.status(get_clock().now()) == status:
        resource.failure_reason = reason


def release(account_id: str, region: str, domain_id: str, **names: str | None) -> None:
    """Lift every control armed on the resource; a delete held by :func:`keep_deleting` goes on and
    finishes when it was due, or at once if that time has passed. ValueError if nothing was armed."""
    store = get_store(account_id, region)
    with _locked(account_id, region, domain_id, **names) as (resource, now):
        timeline = resource.timeline
        if timeline.withheld is None and not timeline.diverts:
            raise ValueError(f"nothing holds the {_label(resource)}")
        timeline.diverts.clear()
        overdue = bool(timeline.withheld) and timeline.withheld[0][0] <= now  # type: ignore[index]
        resumed = timeline.resume(now)
        if isinstance(resource, Domain) and overdue:
            # The clean-up DeleteDomain scheduled found the domain still held and did nothing; run it
            # when the domain is now gone (domains.py: EFS with RetentionPolicy=Delete, the SSO application).
            domain = resource
            gone_at = next(when for when, status in resumed if status == GONE)
            store.at(gone_at, lambda: DomainOperations(store)._domain_gone(domain))
        store.settle(now)
