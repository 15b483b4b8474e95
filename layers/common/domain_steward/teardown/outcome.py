"""What one sweep of one kind of resource found and did in a round."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    # (label, status) of each resource still there: what a stuck stage names.
    waiting: list[tuple[str, str]] = field(default_factory=list)
    # (kind, identity) of each resource this round deleted.
    deleted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # A delete was refused because something still depends on the resource (EC2 DependencyViolation).
    blocked: bool = False

    @property
    def done(self) -> bool:
        return not self.waiting

    def merge(self, other: Outcome) -> Outcome:
        self.waiting += other.waiting
        self.deleted += other.deleted
        self.blocked = self.blocked or other.blocked
        return self
