"""What the workflow carries from one task to the next: the target, the stage it is in, and what it deleted.

Step Functions keeps at most 256 KB of state (https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html),
and the state holds the plan and the progress at once: so names are kept per kind up to :data:`LIST_CAP`, and
each list of names up to :data:`LIST_BYTES` in all (long names count), the kind being marked ``Truncated``
beyond that, while the counts stay exact.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_pascal

Stage = Literal["Apps", "Spaces", "UserProfiles", "Domain", "Leftovers"]
DOMAIN_STAGES: tuple[Stage, ...] = ("Apps", "Spaces", "UserProfiles", "Domain", "Leftovers")
PROFILE_STAGES: tuple[Stage, ...] = ("Apps", "Spaces", "UserProfiles")
KINDS = ("Apps", "Spaces", "UserProfiles", "Domain", "MountTargets", "FileSystems", "SecurityGroups")
LEFTOVER_KINDS = ("FileSystems", "MountTargets", "SecurityGroups")
LIST_CAP = 300
LIST_BYTES = 64_000


class Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="forbid")

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class Target(Model):
    """What this execution removes, fixed by the plan."""

    execution_arn: str
    domain_id: str
    domain_arn: str
    # The resource that carries the domain-steward:teardown mark: the domain, or the user profile.
    mark_arn: str
    user_profile_name: str | None = None
    vpc_id: str | None = None
    home_efs_file_system_id: str | None = None
    retention: Literal["Retain", "Delete"] = "Retain"
    stage_timeout_minutes: int = 60

    @property
    def stages(self) -> tuple[Stage, ...]:
        return PROFILE_STAGES if self.user_profile_name is not None else DOMAIN_STAGES


class Ledger(Model):
    """Resources by kind: names up to :data:`LIST_CAP` per kind, exact counts."""

    items: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)
    truncated: dict[str, bool] = Field(default_factory=dict)

    def add(self, kind: str, item: dict[str, Any]) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        listed = self.items.setdefault(kind, [])
        if len(listed) < LIST_CAP:
            listed.append(item)
        else:
            self.truncated[kind] = True

    def fit(self, max_bytes: int = LIST_BYTES) -> None:
        """Shorten the longest lists until all names together take at most ``max_bytes`` of JSON."""
        while len(json.dumps(self.items, separators=(",", ":"))) > max_bytes:
            kind = max(self.items, key=lambda k: len(self.items[k]))
            if not self.items[kind]:
                return
            self.items[kind] = self.items[kind][: len(self.items[kind]) // 2]
            self.truncated[kind] = True


class StageRecord(Model):
    stage: Stage
    started_at: datetime
    ended_at: datetime | None = None
    rounds: int = 0


class Progress(Model):
    target: Target
    stages: list[StageRecord]
    deleted: Ledger = Field(default_factory=Ledger)
    kept: Ledger = Field(default_factory=Ledger)
    remaining: dict[str, int] = Field(default_factory=dict)
    finished: bool = False
    wait_seconds: int = 0
    # Rounds in a row that ended on a DependencyViolation: the wait grows with them (backoff).
    blocked_rounds: int = 0

    @property
    def current(self) -> StageRecord:
        return self.stages[-1]
