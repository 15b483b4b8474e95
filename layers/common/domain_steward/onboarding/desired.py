"""Desired state: which mapped domains a user should have a profile in, and with which group's settings."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from domain_steward.config import DomainConfig, GroupMapping, StewardConfig
from domain_steward.identity import Directory


@dataclass(frozen=True)
class Wanted:
    """A profile the user should have in ``domain``, set up as ``mapping`` says."""

    domain: DomainConfig
    mapping: GroupMapping
    group_id: str
    group_ids: tuple[str, ...]  # every mapped group of the domain the user is in, in the domain's order


def deciding_group(domain: DomainConfig, group_ids: Collection[str], directory: Directory) -> Wanted | None:
    """The first group in the domain's list that the user is in decides role and tags (INTERFACES.md)."""
    matches = [(m, gid) for m in domain.groups if (gid := directory.group_id(m.group)) and gid in group_ids]
    if not matches:
        return None
    mapping, group_id = matches[0]
    return Wanted(domain, mapping, group_id, tuple(gid for _, gid in matches))


def wanted_domains(config: StewardConfig, group_ids: Collection[str], directory: Directory) -> dict[str, Wanted]:
    """``{domain id: Wanted}`` for a user in ``group_ids`` (empty for a deleted or disabled user)."""
    wanted: dict[str, Wanted] = {}
    for domain in config.mapped_domains:
        decision = deciding_group(domain, group_ids, directory)
        if decision is not None:
            wanted[domain.domain_id] = decision
    return wanted
