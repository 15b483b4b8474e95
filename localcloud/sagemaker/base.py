"""What every Studio operation stands on: request validation, the lifecycle rules shared by domains,
user profiles and spaces, and the lookups of a domain's resources that answer ``ResourceNotFound``.

The operations themselves live one module per resource (:mod:`.domains`, :mod:`.user_profiles`,
:mod:`.spaces`, :mod:`.apps`, :mod:`.tags`) and are put together in :class:`~.backend.StudioBackend`.
Errors are moto's SageMaker exceptions, so they reach the client with AWS's codes: ``ResourceNotFound``,
``ResourceInUse``, ``ValidationException``.

Rules that AWS documents are enforced (see AWS-FACTS.md); where AWS's behaviour is not documented the
emulation picks the stricter plausible answer and says so in a comment, so that code tested here also
copes with the real service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError

from localcloud.clock import get_clock
from localcloud.fidelity import input_problems
from localcloud.sagemaker.latency import Kind
from localcloud.sagemaker.listing import paginate, sort_items
from localcloud.sagemaker.models import (
    GONE,
    Domain,
    OwnerKind,
    Resource,
    Space,
    Timeline,
    UserProfile,
)
from localcloud.sagemaker.store import StudioStore

# The profile AWS creates for a domain's RStudio server app (AWS-FACTS §1); apps may live under it
# without a profile record, and it is never listed by ListUserProfiles.
DOMAIN_SHARED = "domain-shared"

# An owner (domain, profile, space) accepts new children in these states.
_USABLE = frozenset({"InService", "Updating"})
# Apps in these states no longer hold their owner (AWS-FACTS §2: "non-failed apps give ResourceInUse").
FINISHED_APP = frozenset({"Failed", "Deleted"})

# The resources that live in a domain under a name: they are looked up, listed, updated and deleted alike.
_Child = TypeVar("_Child", UserProfile, Space)


def validate_input(operation: str, params: Mapping[str, Any]) -> None:
    """The input shape's constraints (required members, enums, patterns, lengths, ranges), as AWS checks them."""
    problems = input_problems("sagemaker", operation, params)
    if problems:
        count = len(problems)
        raise ValidationError(f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems))


def merge_settings(base: dict[str, Any] | None, update: dict[str, Any] | None) -> dict[str, Any] | None:
    """Update* replaces each top-level settings member it is given and keeps the others."""
    if update is None:
        return base
    return {**(base or {}), **update}


def not_found(kind: str, arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"{kind} [{arn}] does not exist.")


def tags_view(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return [dict(tag) for tag in tags]


def merge_tags(tags: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """AddTags overwrites the value of a key that exists and appends the others, keeping order."""
    merged = {tag["Key"]: tag.get("Value", "") for tag in tags}
    for tag in new:
        merged[tag["Key"]] = tag.get("Value", "")
    return [{"Key": key, "Value": value} for key, value in merged.items()]


class StudioBase:
    """The shared rules and lookups, over one account's and Region's :class:`StudioStore`."""

    def __init__(self, store: StudioStore) -> None:
        self.store = store

    @property
    def now(self) -> datetime:
        return get_clock().now()

    def _draw(self, kind: Any, change: Any) -> float:
        return self.store.latency.draw(kind, change)

    # ====================================================================== lifecycle rules shared by
    # domains, user profiles and spaces (apps follow their own: see create_app and delete_app)

    def _pending(self, kind: Kind, now: datetime) -> Timeline:
        """A new resource's timeline: Pending now, InService once its creation latency has passed."""
        timeline = Timeline(now, "Pending")
        timeline.plan(now, (self._draw(kind, "create"), "InService"))
        return timeline

    @staticmethod
    def _check_usable(resource: Resource, now: datetime, label: str) -> None:
        """An owner accepts new children only while InService or Updating (``label`` names it in the error)."""
        status = resource.status(now)
        if status not in _USABLE:
            what = f"{label} [{resource.arn}]" if label else f"[{resource.arn}]"
            raise ResourceInUseException(f"{what} is in {status} status.")

    @staticmethod
    def _check_updatable(resource: Resource, now: datetime, label: str) -> None:
        status = resource.status(now)
        if status != "InService":
            raise ResourceInUseException(f"{label} [{resource.arn}] is in {status} status and cannot be updated.")

    def _plan_update(self, resource: Resource, kind: Kind, now: datetime) -> None:
        resource.timeline.plan(now, (0.0, "Updating"), (self._draw(kind, "update"), "InService"))

    @staticmethod
    def _check_not_deleting(resource: Resource, now: datetime, label: str) -> None:
        if resource.status(now) == "Deleting":
            raise ResourceInUseException(f"{label} [{resource.arn}] is already being deleted.")

    def _holds_apps(self, domain_id: str, owner: tuple[OwnerKind, str], now: datetime) -> bool:
        """Whether ``owner`` (kind, lower-case name) still has apps that are neither Failed nor Deleted."""
        return any(app.status(now) not in FINISHED_APP for app in self.store.apps_of(domain_id, owner, now))

    def _plan_delete(self, resource: Resource, kind: Kind, now: datetime) -> float:
        """Deleting now, gone once the deletion latency has passed; returns that latency."""
        duration = self._draw(kind, "delete")
        resource.timeline.plan(now, (0.0, "Deleting"), (duration, GONE))
        return duration

    def _child(
        self,
        domain_id: str,
        name: str,
        find: Callable[[str, str, datetime], _Child | None],
        kind: str,
        arn_prefix: str,
    ) -> _Child:
        """A profile or space of a domain that exists (ResourceNotFound for the domain first, then the child)."""
        self._domain(domain_id)
        child = find(domain_id, name, self.now)
        if child is None:
            raise not_found(kind, self.store.arn(f"{arn_prefix}/{domain_id}/{name}"))
        return child

    def _list_children(
        self,
        params: Mapping[str, Any],
        operation: str,
        name_contains: str,
        children: Callable[[str, datetime], list[_Child]],
        now: datetime,
    ) -> tuple[list[_Child], str | None]:
        """ListUserProfiles and ListSpaces: filter by domain and name, sort, and return one page and its token."""
        contains = (params.get(name_contains) or "").lower()
        items = [
            child
            for domain_id in self._domains_for(params.get("DomainIdEquals"))
            for child in children(domain_id, now)
            if contains in child.name.lower()
        ]
        ordered = sort_items(
            items,
            params.get("SortBy"),
            params.get("SortOrder"),
            {
                "CreationTime": lambda c: (c.created, c.sequence),
                "LastModifiedTime": lambda c: (c.last_modified(now), c.sequence),
            },
        )
        query = {k: params.get(k) for k in ("DomainIdEquals", name_contains, "SortBy", "SortOrder")}
        return paginate(ordered, params.get("MaxResults"), params.get("NextToken"), {"op": operation, **query})

    # ====================================================================== lookups

    def _domain(self, domain_id: str) -> Domain:
        domain = self.store.domain(domain_id, self.now)
        if domain is None:
            raise not_found("Domain", self.store.arn(f"domain/{domain_id}"))
        return domain

    def _usable_domain(self, domain_id: str) -> Domain:
        domain = self._domain(domain_id)
        # Undocumented; a child of a domain that is not ready is a conflict, not a bad request.
        self._check_usable(domain, self.now, "Domain")
        return domain

    def _profile(self, domain_id: str, name: str) -> UserProfile:
        return self._child(domain_id, name, self.store.profile, "UserProfile", "user-profile")

    def _space(self, domain_id: str, name: str) -> Space:
        return self._child(domain_id, name, self.store.space, "Space", "space")

    def _domains_for(self, domain_id: str | None) -> list[str]:
        if domain_id is None:
            return [d.domain_id for d in self.store.live_domains(self.now)]
        return [domain_id] if self.store.domain(domain_id, self.now) is not None else []
