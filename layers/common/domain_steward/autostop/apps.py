"""The app a sweep decides on: a ListApps record in its domain, with what the decision needs to know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain_steward.studio import AppRecord


@dataclass(frozen=True)
class SweptApp:
    """An ``InService`` app of ``domain_id``; ``space_owner`` is the profile that owns its space, if any."""

    domain_id: str
    record: AppRecord
    space_owner: str | None = None

    @property
    def app_type(self) -> str:
        return self.record.app_type

    @property
    def created(self) -> datetime | None:
        return self.record.creation_time

    @property
    def instance_type(self) -> str | None:
        return self.record.instance_type

    @property
    def owner_name(self) -> str:
        return self.record.space_name or self.record.user_profile_name or ""

    @property
    def profile_name(self) -> str | None:
        """The user profile the app belongs to: its own, or the owner of its space."""
        return self.record.user_profile_name or self.space_owner

    @property
    def key(self) -> str:
        """Unique within the domain, stable while the app's record lives (the warning table's sort key)."""
        record = self.record
        kind = "space" if record.space_name is not None else "user"
        return f"{kind}/{self.owner_name.lower()}/{record.app_type}/{record.app_name.lower()}"
