"""The demo's account: the local cloud with the stack deployed, and the people, groups and domain of the story."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from demo.events import CloudTrail
from localcloud import LocalCloud
from localcloud.harness.stack import Stack
from localcloud.sagemaker import Latencies

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"
# Monday morning, on the virtual clock; a whole second, so timestamps survive the wire's millisecond precision.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# How long SageMaker takes to settle each resource (the local cloud's defaults, no jitter).
LATENCIES = Latencies()
ROLES = {
    "DataScientists": "arn:aws:iam::123456789012:role/StudioDataScientists",
    "Analysts": "arn:aws:iam::123456789012:role/StudioAnalysts",
}


@dataclass
class Person:
    """A user of the Identity Center directory; ``source`` is how they join their group."""

    user_name: str
    group: str
    source: str
    user_id: str = ""
    membership_id: str = ""
    profile: str = ""  # the user profile onboarding created, found by its domain-steward:user-id tag


# Two mapped groups, some e-mail user names, and a join through each source (console, API, SCIM).
PEOPLE = (
    ("jane.doe@example.com", "DataScientists", "console"),
    ("raj.patel@example.com", "DataScientists", "api"),
    ("mei", "DataScientists", "scim"),
    ("omar.haddad@example.com", "Analysts", "console"),
    ("lena", "Analysts", "api"),
)


@dataclass
class World:
    """Everything the steps share."""

    cloud: LocalCloud
    stack: Stack
    people: list[Person] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # display name -> group id
    domain_id: str = ""
    home_efs: str = ""
    store_id: str = ""

    def client(self, service: str) -> Any:
        return self.cloud.client(service)

    @cached_property
    def trail(self) -> CloudTrail:
        """CloudTrail's records of this directory's changes (once step 1 has found the identity store)."""
        return CloudTrail(self.cloud.account_id, self.cloud.region, self.store_id)

    def person(self, user_name: str) -> Person:
        return next(person for person in self.people if person.user_name == user_name)
