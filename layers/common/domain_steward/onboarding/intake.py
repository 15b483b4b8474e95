"""From one Identity Center change to the users whose state must be converged."""

from __future__ import annotations

from domain_steward.onboarding.actions import Action
from domain_steward.onboarding.context import Context
from domain_steward.onboarding.converge import converge_user
from domain_steward.onboarding.events import Change
from domain_steward.onboarding.reconcile import reconcile


def affected_users(ctx: Context, change: Change) -> set[str] | None:
    """The users a change may have affected; ``None`` when it cannot be narrowed (a masked SCIM PatchGroup),
    and every mapped domain is reconciled instead."""
    users = set(change.user_ids)
    for membership_id in change.membership_ids:
        # DeleteGroupMembership names only the membership (AWS-FACTS §3): our record says whose it was.
        user_id = ctx.records.user_of_membership(membership_id)
        if user_id:
            users.add(user_id)
    if change.kind == "group-changed":
        if not change.group_ids:
            return None
        for group_id in change.group_ids:
            users.update(user_id for user_id, _ in ctx.directory.members_of(group_id))
            for domain in ctx.config.mapped_domains:
                users.update(r.user_id for r in ctx.records.for_domain(domain.domain_id) if group_id in r.group_ids)
    return users


def apply_change(ctx: Context, change: Change) -> list[Action]:
    """Converge every user the change names (level-triggered: the event says who, the directory says what)."""
    if change.failed_call:
        return []
    users = affected_users(ctx, change)
    if users is None:
        return reconcile(ctx)[1]
    done: list[Action] = []
    for user_id in sorted(users):
        done += converge_user(ctx, user_id, disabled_event=change.kind == "user-disabled")
    return done
