"""What onboarding did (or, in a dry run, would do) to one user in one domain: returned, logged, counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

# Action names, and the notice each onboarding/offboarding action sends (notifications.py).
CREATED = "created"  # a new profile
RESTORED = "restored"  # a retained (offboarded) profile given back on rejoin
REPAIRED = "repaired"  # role, tags, assignment or space put back as configured
ASSIGNED = "assigned"  # the Identity Center application assignment created
SPACE_CREATED = "space-created"
PROVISIONING_STARTED = "provisioning-started"  # the workflow that creates the space once the profile is usable
OFFBOARDED = "offboarded"  # retain: apps stopped, assignment removed, profile tagged
TEARDOWN_STARTED = "teardown-started"  # delete: the teardown workflow's user-profile scope started
CONFLICT = "conflict"  # a profile with the wanted name is not ours: left alone
SKIPPED = "skipped"  # the domain (or the profile) is under teardown, or the domain does not exist
WAITING = "waiting"  # the profile is busy (being deleted): the reconciliation finishes the job

NOTIFIED = {CREATED: "onboarding", RESTORED: "onboarding", OFFBOARDED: "offboarding", TEARDOWN_STARTED: "offboarding"}


@dataclass(frozen=True)
class Action:
    action: str
    user_id: str
    domain_id: str
    profile_name: str
    user_name: str = ""
    detail: str = ""
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def metric_counts(actions: Iterable[Action]) -> Counter[str]:
    """The issue's metrics from a list of actions (dry-run actions count nothing)."""
    counts: Counter[str] = Counter()
    for action in actions:
        if action.dry_run:
            continue
        if action.action == CREATED:
            counts["ProfilesCreated"] += 1
        elif action.action in {OFFBOARDED, TEARDOWN_STARTED}:
            counts["ProfilesOffboarded"] += 1
        elif action.action == CONFLICT:
            counts["ProfileConflicts"] += 1
    return counts
