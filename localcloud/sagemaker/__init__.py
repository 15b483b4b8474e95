"""SageMaker Studio for the local cloud: domains, user profiles, spaces and apps on top of moto.

moto 5.2 has only a thin ``CreateDomain`` and nothing for profiles, spaces or apps (AWS-FACTS §6). This
package adds them to moto's SageMaker dispatch, faithful to AWS where it matters to Domain Steward:

- statuses change over (virtual) time: creates go ``Pending`` → ``InService``, updates ``Updating`` →
  ``InService``, deletes ``Deleting`` → gone (domains, profiles, spaces) or ``Deleting`` → ``Deleted``
  → gone 24 h later (apps). Durations come from :class:`~localcloud.sagemaker.latency.Latencies`;
- ``ResourceInUse`` / ``ResourceNotFound`` / ``ValidationException`` as AWS raises them;
- CreateDomain builds the home EFS, its mount targets and the two NFS security groups in moto's EC2/EFS;
  DeleteDomain honours ``RetentionPolicy`` and never removes the security groups;
- SSO domains own an Identity Center application (see :mod:`localcloud.ssoadmin`);
- ``DescribeApp`` activity stamps: health checks run every 5 minutes while an app is ``InService``;
  ``LastHealthCheckTimestamp`` is the last of them. ``LastUserActivityTimestamp`` is the last user
  activity (:func:`controls.mark_user_active`) when it came *after* the last health check, and otherwise
  equals ``LastHealthCheckTimestamp`` (AWS documents that health checks also update the activity stamp).
  So a real activity stays visible until the next health check, then the two are equal again.

- a domain with ``RStudioServerProDomainSettings`` runs the ``domain-shared`` ``RStudioServerPro`` app
  ``default`` (launched with the domain, or when UpdateDomain adds the settings); domain and profile
  tags propagate to the apps launched in them; apps relaunch by themselves only as
  :class:`~localcloud.sagemaker.options.StudioOptions` says (see :mod:`.relaunch`, :mod:`.browser`).

``install(latencies, seed, studio)`` is called by :class:`localcloud.LocalCloud` before moto starts.
"""

from __future__ import annotations

import threading
import weakref

from localcloud.clock import VirtualClock, get_clock
from localcloud.sagemaker import browser, canvas_metrics, controls, store
from localcloud.sagemaker.latency import Latencies, LatencyModel
from localcloud.sagemaker.options import StudioOptions
from localcloud.sagemaker.responses import install_handlers

__all__ = ["Latencies", "StudioOptions", "browser", "controls", "install"]

_lock = threading.Lock()
_listening: weakref.WeakSet[VirtualClock] = weakref.WeakSet()


def install(latencies: Latencies | None = None, seed: int = 0, studio: StudioOptions | None = None) -> None:
    """Add the Studio operations to moto (once) and start from an empty Studio (every time).

    ``latencies`` defaults to :class:`Latencies` (realistic minutes, no jitter); ``seed`` fixes the
    generated ids and the jitter; ``studio`` defaults to :class:`StudioOptions` (no relaunches). Side
    effects that complete with a delete (EFS removal) and relaunches run as soon as the active clock
    passes their time, even if nobody calls SageMaker again.
    """
    with _lock:
        install_handlers()
        store.reset(LatencyModel(latencies, seed), seed, studio)
        clock = get_clock()
        if clock not in _listening:
            clock.on_advance(store.settle_all)
            _listening.add(clock)
        canvas_metrics.install()  # after settle_all: relaunched apps exist before their datapoints are due
