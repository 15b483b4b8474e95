"""Test controls: do to the emulated Studio what users and AWS do, without an API call.

- :func:`mark_user_active` — a user works in an app now: ``DescribeApp.LastUserActivityTimestamp``
  moves past ``LastHealthCheckTimestamp`` until the next health check (see the package docstring).
- :func:`fail_app` — the app goes to ``Failed`` with ``FailureReason`` (an image that cannot start, a
  lifecycle configuration that errors, ...). A failed app no longer blocks deleting its owner.
- :func:`get_store` — the store of one account and Region, for assertions on internal state.

Owners are given as keywords: ``user_profile_name=...`` or ``space_name=...`` (exactly one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from localcloud.clock import get_clock
from localcloud.sagemaker.models import App
from localcloud.sagemaker.store import AppKey, StudioStore
from localcloud.sagemaker.store import get_store as _get_store


def get_store(account_id: str, region: str) -> StudioStore:
    """The Studio resources of ``account_id`` in ``region``."""
    return _get_store(account_id, region)


def _key(app_type: str, app_name: str, user_profile_name: str | None, space_name: str | None) -> AppKey:
    if bool(user_profile_name) == bool(space_name):
        raise ValueError("give exactly one of user_profile_name= or space_name=")
    if user_profile_name:
        return ("user", user_profile_name.lower(), app_type, app_name.lower())
    assert space_name is not None
    return ("space", space_name.lower(), app_type, app_name.lower())


def _find(
    store: StudioStore,
    domain_id: str,
    app_type: str,
    app_name: str,
    *,
    user_profile_name: str | None,
    space_name: str | None,
    now: datetime,
) -> App:
    app = store.app(domain_id, _key(app_type, app_name, user_profile_name, space_name), now)
    if app is None:
        owner = user_profile_name or space_name
        raise LookupError(f"no app {app_type}/{app_name} of {owner} in domain {domain_id}")
    return app


@contextmanager
def _locked_app(
    account_id: str,
    region: str,
    domain_id: str,
    app_type: str,
    app_name: str,
    *,
    user_profile_name: str | None,
    space_name: str | None,
) -> Iterator[tuple[App, datetime]]:
    """The app (LookupError if there is none) and the current virtual time, with the store locked."""
    store = get_store(account_id, region)
    now = get_clock().now()
    with store.lock:
        app = _find(
            store, domain_id, app_type, app_name, user_profile_name=user_profile_name, space_name=space_name, now=now
        )
        yield app, now


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
    with _locked_app(
        account_id, region, domain_id, app_type, app_name, user_profile_name=user_profile_name, space_name=space_name
    ) as (app, now):
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
    with _locked_app(
        account_id, region, domain_id, app_type, app_name, user_profile_name=user_profile_name, space_name=space_name
    ) as (app, now):
        status = app.status(now)
        if status not in ("Pending", "InService"):
            raise ValueError(f"only a Pending or InService app can fail, not one that is {status}")
        app.timeline.plan(now, (0.0, "Failed"))
        app.failure_reason = reason
