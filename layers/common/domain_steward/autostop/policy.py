"""Keep, warn or stop: one app's decision under its domain's policy, and the per-sweep cap.

The policy is the domain's ``autostop`` configuration for the app's type (INTERFACES.md). A user exempts their
space or profile with the tag ``domain-steward:autostop`` = ``off`` or a number of minutes (their own idle
threshold); the space's tag wins over its owner's profile tag.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from domain_steward.autostop.apps import SweptApp
from domain_steward.autostop.signals import Observation
from domain_steward.config import AppTypePolicy
from domain_steward.tags import AUTOSTOP

Action = Literal["keep", "warn", "stop"]
# The largest threshold a tag may set: a year, the range of the configuration's idle_minutes.
MAX_TAG_MINUTES = 525600
# A tag can set a threshold as low as one minute, so any app idle that long needs its owner's tags read.
MIN_TAG_MINUTES = 1


@dataclass(frozen=True)
class Exemption:
    """What the ``domain-steward:autostop`` tag says: ``off``, its own ``minutes``, or nothing (``None``)."""

    off: bool = False
    minutes: int | None = None
    source: str = ""  # "space" or "user profile": where the tag that decided was
    problem: str = ""  # a tag value that could not be read, and was therefore ignored


def parse_exemption(value: str | None, source: str) -> Exemption | None:
    """The meaning of one tag value; ``None`` when there is no tag."""
    if value is None:
        return None
    text = value.strip().lower()
    if text == "off":
        return Exemption(off=True, source=source)
    if text.isdigit() and 1 <= int(text) <= MAX_TAG_MINUTES:
        return Exemption(minutes=int(text), source=source)
    return Exemption(source=source, problem=f"{AUTOSTOP}={value!r} on the {source} is neither 'off' nor 1..525600")


def exemption_for(space_tags: Mapping[str, str] | None, profile_tags: Mapping[str, str] | None) -> Exemption | None:
    """The space's tag if it has a readable one, otherwise the profile's (INTERFACES.md: the space's tag wins)."""
    space = parse_exemption((space_tags or {}).get(AUTOSTOP), "space")
    if space is not None and not space.problem:
        return space
    profile = parse_exemption((profile_tags or {}).get(AUTOSTOP), "user profile")
    if profile is not None and not profile.problem:
        return profile
    return space or profile


@dataclass(frozen=True)
class Warning:
    """A warning given to an app in an earlier sweep (kept in DynamoDB); ``app_created`` tells a relaunched
    app, which must be warned afresh, from the one that was warned."""

    warned_at: datetime
    app_created: datetime | None


@dataclass(frozen=True)
class Decision:
    app: SweptApp
    action: Action
    reason: str
    signal: str = "none"
    minutes: float | None = None  # idle minutes, or running minutes for the runtime backstop
    threshold: float | None = None
    dry_run: bool = False
    warning: Warning | None = None  # the warning still standing after this decision

    @property
    def idle_minutes(self) -> float | None:
        return self.minutes


def decide(
    app: SweptApp,
    observation: Observation | None,
    policy: AppTypePolicy,
    *,
    exemption: Exemption | None,
    warning: Warning | None,
    now: datetime,
) -> Decision:
    """The decision for one ``InService`` app that the sweep may stop."""
    if warning is not None and warning.app_created != app.created:
        warning = None  # a warning for an earlier app of the same name
    base = Decision(app, "keep", "", dry_run=policy.dry_run)
    if observation is not None:
        base = replace(base, signal=observation.signal, minutes=round(observation.minutes, 1))
    if exemption is not None and exemption.off:
        return replace(base, reason=f"exempt: {AUTOSTOP}=off on the {exemption.source}")
    if observation is None:
        return replace(base, reason="no activity signal and no creation time")
    own = exemption.minutes if exemption is not None else None
    if observation.signal == "runtime":
        if policy.max_runtime_hours is None:
            return replace(base, reason="no activity signal; max_runtime_hours is not set")
        # A tag's own idle threshold can only lengthen the backstop: it says the user expects long idle spells.
        threshold = float(max(policy.max_runtime_hours * 60, own or 0))
        what = "running"
    else:
        threshold = float(own if own is not None else policy.idle_minutes)
        what = "idle"
    base = replace(base, threshold=threshold)
    source = f" ({AUTOSTOP} on the {exemption.source})" if own is not None and exemption is not None else ""
    if observation.minutes < threshold:
        return replace(base, reason=f"{what} {observation.minutes:.0f} of {threshold:.0f} minutes{source}")
    over = f"{what} {observation.minutes:.0f} minutes, threshold {threshold:.0f}{source}"
    if policy.warn_minutes == 0:
        return replace(base, action="stop", reason=over)
    if warning is None:
        return replace(base, action="warn", reason=f"{over}; stops in {policy.warn_minutes} minutes unless active")
    waited = (now - warning.warned_at).total_seconds() / 60
    if waited >= policy.warn_minutes:
        return replace(base, action="stop", reason=f"{over}; warned {waited:.0f} minutes ago", warning=warning)
    return replace(
        base,
        reason=f"{over}; warned {waited:.0f} minutes ago, stops after {policy.warn_minutes}",
        warning=warning,
    )


def apply_cap(decisions: Sequence[Decision], domain_cap: int, type_caps: Mapping[str, int]) -> list[Decision]:
    """Stops beyond the domain's ``max_stops_per_sweep`` (or an app type's own) become keeps, the idlest apps
    stopped first; the rest wait for the next sweep."""
    stops = sorted(
        (d for d in decisions if d.action == "stop"),
        key=lambda d: (-(d.minutes or 0.0), d.app.key),
    )
    allowed: set[int] = set()
    per_type: Counter[str] = Counter()
    for decision in stops:
        app_type = decision.app.app_type
        if len(allowed) < domain_cap and per_type[app_type] < type_caps.get(app_type, domain_cap):
            allowed.add(id(decision))
            per_type[app_type] += 1
    return [
        d
        if d.action != "stop" or id(d) in allowed
        else replace(d, action="keep", reason=f"{d.reason}; over this sweep's cap of stops (the next sweep goes on)")
        for d in decisions
    ]
