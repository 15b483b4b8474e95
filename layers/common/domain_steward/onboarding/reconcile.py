"""The reconciliation: compare each mapped domain's group members with its managed profiles and repair both
ways (issue 7). Event delivery is best-effort and nothing fires for people who joined before the stack
existed (AWS-FACTS §3), so this is what makes onboarding eventually right.

Cost: list calls only (group memberships, user profiles, spaces, application assignments; pages of 100), plus
the calls a repair needs. Drift of a profile made outside Domain Steward is found without a Describe per
profile: ListUserProfiles gives each profile's LastModifiedTime, and only profiles modified since the last
check are described. A change of the configuration (role, tags, deciding group) is found from our records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from domain_steward import studio
from domain_steward.config import DomainConfig
from domain_steward.identity import User
from domain_steward.onboarding import naming
from domain_steward.onboarding.actions import Action
from domain_steward.onboarding.context import Context, DomainFacts
from domain_steward.onboarding.converge import Known, ensure, offboard
from domain_steward.onboarding.desired import Wanted
from domain_steward.onboarding.records import Provisioned

PAGE_SIZE = 100


@dataclass
class Difference:
    domain_id: str
    user_id: str
    user_profile_name: str
    difference: str
    actions: list[str] = field(default_factory=list)


@dataclass
class DomainReport:
    domain_id: str
    status: str = "reconciled"  # reconciled | skipped: <why>
    members: int = 0
    managed_profiles: int = 0
    differences: list[Difference] = field(default_factory=list)


@dataclass
class ListedProfile:
    name: str
    status: str
    last_modified: str


def _members(ctx: Context, domain: DomainConfig) -> tuple[dict[str, Wanted], dict[str, dict[str, str]]]:
    """``{user id: Wanted}`` (the first listed group decides) and each member's mapped memberships."""
    wanted: dict[str, Wanted] = {}
    memberships: dict[str, dict[str, str]] = {}
    for mapping in domain.groups:
        group_id = ctx.directory.group_id(mapping.group)
        if group_id is None:
            continue
        for user_id, membership_id in ctx.directory.members_of(group_id):
            memberships.setdefault(user_id, {})[group_id] = membership_id
            if user_id in wanted:
                previous = wanted[user_id]
                wanted[user_id] = Wanted(domain, previous.mapping, previous.group_id, (*previous.group_ids, group_id))
            else:
                wanted[user_id] = Wanted(domain, mapping, group_id, (group_id,))
    return wanted, memberships


def _profiles(ctx: Context, domain_id: str) -> dict[str, ListedProfile]:
    profiles: dict[str, ListedProfile] = {}
    pages = ctx.sagemaker.get_paginator("list_user_profiles").paginate(
        DomainIdEquals=domain_id, PaginationConfig={"PageSize": PAGE_SIZE}
    )
    for page in pages:
        for summary in page.get("UserProfiles", []):
            modified = summary.get("LastModifiedTime")
            stamp = modified.isoformat() if isinstance(modified, datetime) else str(modified or "")
            profiles[summary["UserProfileName"]] = ListedProfile(
                summary["UserProfileName"], summary.get("Status", ""), stamp
            )
    return profiles


def _assigned(ctx: Context, facts: DomainFacts) -> set[str]:
    if not facts.sso or not facts.application_arn:
        return set()
    users: set[str] = set()
    pages = ctx.sso_admin.get_paginator("list_application_assignments").paginate(ApplicationArn=facts.application_arn)
    for page in pages:
        for assignment in page.get("ApplicationAssignments", []):
            if assignment.get("PrincipalType") == "USER":
                users.add(assignment["PrincipalId"])
    return users


@dataclass
class _Listed:
    """What one domain's list calls returned."""

    facts: DomainFacts
    profiles: dict[str, ListedProfile]
    assigned: set[str]
    spaces: set[str] | None  # None: no group of the domain has a default space

    def drift(self, record: Provisioned, want: Wanted, listed: ListedProfile) -> list[str]:
        """What differs between a member's managed profile and the configuration, from lists and records."""
        found: list[str] = []
        mapping = want.mapping
        if record.execution_role != mapping.execution_role or record.tags != mapping.tags:
            found.append("configuration changed (execution role or tags)")
        if record.verified_at is not None and listed.last_modified > record.verified_at:
            found.append("profile modified since it was last checked")
        if self.facts.sso and record.user_id not in self.assigned:
            found.append("application assignment missing")
        space_missing = self.spaces is not None and naming.space_name(record.profile_name) not in self.spaces
        if mapping.default_space and listed.status == "InService" and space_missing:
            found.append("default space missing")
        return found

    def known(self, record: Provisioned | None, user_id: str) -> Known:
        space_exists = None
        if self.spaces is not None and record is not None:
            space_exists = naming.space_name(record.profile_name) in self.spaces
        return Known(space_exists=space_exists, assigned=(user_id in self.assigned) if self.facts.sso else None)


def _list(ctx: Context, domain: DomainConfig, facts: DomainFacts) -> _Listed:
    needs_spaces = any(mapping.default_space for mapping in domain.groups)
    spaces = {s.space_name for s in studio.list_spaces(ctx.sagemaker, domain.domain_id)} if needs_spaces else None
    return _Listed(facts, _profiles(ctx, domain.domain_id), _assigned(ctx, facts), spaces)


def _member_difference(record: Provisioned | None, want: Wanted, listed: _Listed) -> str | None:
    """Why a member needs converging, or ``None`` when their profile is as configured."""
    if record is None:
        return "member without a profile"
    if record.state != "active":
        return f"member whose profile is {record.state}"
    profile = listed.profiles.get(record.profile_name)
    if profile is None:
        return "managed profile missing"
    return "; ".join(listed.drift(record, want, profile)) or None


def reconcile_domain(ctx: Context, domain: DomainConfig, *, dry_run: bool) -> tuple[DomainReport, list[Action]]:
    report = DomainReport(domain.domain_id)
    facts = ctx.domain(domain.domain_id)
    if facts is None or facts.under_teardown:
        report.status = "skipped: " + ("the domain does not exist" if facts is None else "the domain is under teardown")
        return report, []
    wanted, memberships = _members(ctx, domain)
    listed = _list(ctx, domain, facts)
    records = {record.user_id: record for record in ctx.records.for_domain(domain.domain_id)}
    report.members = len(wanted)
    report.managed_profiles = sum(
        1 for r in records.values() if r.state == "active" and r.profile_name in listed.profiles
    )
    taken: list[Action] = []
    for user_id, want in wanted.items():
        record = records.get(user_id)
        if record is not None and record.disabled:
            continue
        what = _member_difference(record, want, listed)
        if what is None:
            assert record is not None
            profile = listed.profiles[record.profile_name]
            if not dry_run and (record.verified_at is None or profile.last_modified > record.verified_at):
                ctx.records.mark_verified(user_id, domain.domain_id, profile.last_modified)
            continue
        difference = Difference(domain.domain_id, user_id, record.profile_name if record else "", what)
        report.differences.append(difference)
        if dry_run:
            continue
        user = ctx.directory.user(user_id) if record is None else User(user_id, record.user_name)
        if user is None or user.disabled:
            difference.actions.append("none: the user is gone or disabled")
            continue
        ctx.records.remember_memberships(user_id, memberships.get(user_id, {}))
        done = ensure(ctx, user, want, record, listed.known(record, user_id))
        difference.actions += [a.action for a in done]
        taken += done
    for user_id, record in records.items():
        if record.state != "active" or (user_id in wanted and not record.disabled):
            continue
        difference = Difference(
            domain.domain_id, user_id, record.profile_name, "managed profile of a user who is no longer a member"
        )
        report.differences.append(difference)
        if not dry_run:
            done = offboard(ctx, record, domain, "no longer in a mapped group (reconciliation)")
            difference.actions += [a.action for a in done]
            taken += done
    return report, taken


def reconcile(ctx: Context, *, dry_run: bool = False) -> tuple[dict[str, Any], list[Action]]:
    """Reconcile every mapped domain. Returns the report (JSON-ready) and the actions taken."""
    domains: list[dict[str, Any]] = []
    taken: list[Action] = []
    for domain in ctx.config.mapped_domains:
        report, done = reconcile_domain(ctx, domain, dry_run=dry_run)
        domains.append(asdict(report))
        taken += done
    return {
        "DryRun": dry_run,
        "Domains": domains,
        "Differences": sum(len(d["differences"]) for d in domains),
        "Actions": [a.as_dict() for a in taken],
    }, taken
