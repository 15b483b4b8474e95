"""When SageMaker launches an app again by itself after it ended (see :class:`~.options.StudioOptions`).

An app is watched from its launch on when the options make it a candidate; once it ends (``Deleted``, or
``Failed`` for the RStudio server app), its replacement is launched ``relaunch_delay`` seconds later if
the conditions still hold at that moment, and the watch ends either way (the replacement has its own).
The launch itself is :meth:`~.apps.AppOperations.launch_again`, passed in to keep this module free of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from localcloud.sagemaker.base import DOMAIN_SHARED, FINISHED_APP
from localcloud.sagemaker.models import App, Domain
from localcloud.sagemaker.options import StudioOptions
from localcloud.sagemaker.store import StudioStore

# Launches the replacement of an app at a given moment.
Launch = Callable[[App, datetime], None]

# An owner that can run apps (the same states in which CreateApp accepts it).
_USABLE = frozenset({"InService", "Updating"})
_RSTUDIO_ENDS = frozenset({"Deleted", "Failed"})
# Only a deletion is documented to bring the Studio Classic server back.
_JUPYTER_ENDS = frozenset({"Deleted"})


def _watched_ends(options: StudioOptions, app: App) -> frozenset[str]:
    """The statuses after which ``app`` is relaunched (empty: it is not a candidate)."""
    if app.owner_kind != "user" or app.name.lower() != "default":
        return frozenset()
    if app.app_type == "RStudioServerPro" and app.owner.lower() == DOMAIN_SHARED and options.relaunch_rstudio_server:
        return _RSTUDIO_ENDS
    if app.app_type == "JupyterServer" and options.relaunch_jupyter_server:
        return _JUPYTER_ENDS
    return frozenset()


def _ended(app: App, ends: frozenset[str], now: datetime) -> datetime | None:
    """When ``app`` first reached one of ``ends``, if it has by ``now``."""
    times = [when for status in ends if (when := app.timeline.entered(status, now)) is not None]
    return min(times, default=None)


def _still_wanted(store: StudioStore, domain: Domain, app: App, when: datetime) -> bool:
    """Whether SageMaker would relaunch ``app`` at ``when``."""
    if domain.status(when) not in _USABLE:
        return False
    current = store.apps.get(app.domain_id, {}).get(("user", app.owner.lower(), app.app_type, app.name.lower()))
    if current is not None and current is not app and current.status(when) not in FINISHED_APP:
        return False  # someone launched it again already
    if app.app_type == "RStudioServerPro":
        return bool((domain.domain_settings or {}).get("RStudioServerProDomainSettings"))
    profile = store.profiles.get(app.domain_id, {}).get(app.owner.lower())
    return profile is not None and profile.browser_tab_open and profile.status(when) in _USABLE


def watch(store: StudioStore, app: App, launch: Launch) -> None:
    """Relaunch ``app`` through ``launch`` when it ends, if the store's options ask for it."""
    ends = _watched_ends(store.options, app)
    if not ends:
        return
    delay = timedelta(seconds=store.options.relaunch_delay)

    def check(now: datetime) -> bool:
        domain = store.domains.get(app.domain_id)
        if domain is None:
            return True  # the domain is gone, and its apps with it
        ended = _ended(app, ends, now)
        if ended is None or ended + delay > now:
            return False
        if _still_wanted(store, domain, app, ended + delay):
            launch(app, ended + delay)
        return True

    store.watch(check)
