"""How long the emulated SageMaker Studio resources, and the EFS mount targets of their home file
systems, take to change state, in virtual seconds.

AWS gives no figures; the defaults are the sizes commonly observed in the console (a domain takes a few
minutes, an app two to five minutes to start, a mount target a minute or two to go). ``jitter`` spreads
every duration by up to that fraction either way, drawn from a seeded generator so a run repeats exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from typing import Literal

Kind = Literal["domain", "user_profile", "space", "app"]
# Resources of other services that a domain's life drives (its home EFS): only their deletes take time.
NetworkKind = Literal["mount_target"]
Change = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class Latencies:
    """Seconds from a Create/Update/Delete call until the resource settles (``InService`` or gone)."""

    domain_create: float = 360.0
    domain_update: float = 30.0
    domain_delete: float = 300.0
    user_profile_create: float = 60.0
    user_profile_update: float = 15.0
    user_profile_delete: float = 60.0
    space_create: float = 60.0
    space_update: float = 15.0
    space_delete: float = 60.0
    app_create: float = 180.0
    app_delete: float = 120.0
    # DeleteMountTarget "returns while the mount target state is still deleting"
    # (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteMountTarget.html); AWS publishes no duration.
    # Clean-up scripts are seen waiting tens of seconds to minutes before the file system can go
    # (https://github.com/awslabs/kubeflow-manifests/pull/217).
    mount_target_delete: float = 90.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if value < 0:
                raise ValueError(f"{field.name} must not be negative, got {value}")
        if self.jitter >= 1:
            raise ValueError(f"jitter must be below 1 (a fraction of the duration), got {self.jitter}")

    @classmethod
    def instant(cls) -> Latencies:
        """Every change settles at once (statuses still pass through their transitional value at t=0)."""
        return cls(**{field.name: 0.0 for field in fields(cls)})

    def base(self, kind: Kind | NetworkKind, change: Change) -> float:
        duration = self._durations().get(f"{kind}_{change}")
        if duration is None:
            raise ValueError(f"no {kind} {change} latency: that change is never modelled")
        return duration

    def _durations(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self) if f.name != "jitter"}

    def longest(self) -> float:
        """An upper bound on any single change, jitter included: advance the clock by this to settle all."""
        return max(self._durations().values()) * (1 + self.jitter)


class LatencyModel:
    """Draws durations from :class:`Latencies`, deterministically for a given seed."""

    def __init__(self, latencies: Latencies | None = None, seed: int = 0) -> None:
        self.latencies = latencies or Latencies()
        self._random = random.Random(seed)

    def draw(self, kind: Kind | NetworkKind, change: Change) -> float:
        base = self.latencies.base(kind, change)
        jitter = self.latencies.jitter
        if base == 0 or jitter == 0:
            return base
        return base * (1 + self._random.uniform(-jitter, jitter))
