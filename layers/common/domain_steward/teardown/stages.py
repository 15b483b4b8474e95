"""One round of the teardown: sweep the current stage (and every earlier one), then say how long to wait.

The stages run in the order AWS requires (AWS-FACTS §2;
https://docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html): apps, spaces, user profiles,
the domain, then what the domain leaves behind. Every round lists again, so resources created while the
teardown runs (a user launching an app, automation adding a profile) are caught: a stage is done only when
its own sweep and every earlier stage's sweep find nothing left. When a stage is done, the next one starts
in the same invocation, so a stage costs no extra wait.

A sweep deletes what is deletable, page by page with bounded parallelism, and reports what is still there:
resources already ``Deleting`` are not deleted twice, ``ResourceNotFound`` means done, ``ResourceInUse``
(a race with a user or with AWS) is retried next round.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from domain_steward.studio import (
    PAGE_SIZE,
    AppRecord,
    ProfileRecord,
    SpaceRecord,
    error_code,
    list_apps,
    list_spaces,
    list_user_profiles,
)
from domain_steward.teardown import leftovers
from domain_steward.teardown.errors import TeardownStuck
from domain_steward.teardown.outcome import Outcome
from domain_steward.teardown.progress import LEFTOVER_KINDS, Progress, Stage, StageRecord, Target

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_efs import EFSClient
    from mypy_boto3_sagemaker import SageMakerClient

T = TypeVar("T")

# Deletes in flight at once: enough to keep a large domain's first round short, few enough to stay clear of
# SageMaker's control-plane rate limits (the clients' adaptive retries slow down further when throttled).
MAX_WORKERS = 8
# Polling: every few seconds while a stage is young (deletes take one to five minutes, and each wait past
# the last delete adds to the teardown's duration), then once a minute, so that a stage stuck for its full
# hour stays far below Step Functions' 25,000-event history limit.
FAST_POLL_SECONDS = 5
SLOW_POLL_SECONDS = 60
FAST_PHASE = timedelta(minutes=15)
MAX_BACKOFF_SECONDS = 120
# How many stuck resources a TeardownStuck cause names (Step Functions keeps causes up to 32,768 characters).
STUCK_NAMES = 50
# App statuses that need nothing more: a Failed app holds nothing and must not be deleted (AWS-FACTS §1).
_FINISHED_APP = frozenset({"Deleted", "Failed"})


@dataclass
class Clients:
    sagemaker: SageMakerClient
    efs: EFSClient
    ec2: EC2Client


class Budget:
    """Real time left in this invocation: a round stops starting deletes when it runs low; the next one
    carries on."""

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def exhausted(self) -> bool:
        return time.monotonic() >= self._deadline


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _delete_all(
    items: Sequence[T], delete: Callable[[T], Outcome], budget: Budget, label: Callable[[T], str]
) -> Outcome:
    """Delete ``items`` a page at a time, in parallel within a page."""
    outcome = Outcome()
    with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
        for chunk in _chunks(items, PAGE_SIZE):
            if budget.exhausted():
                outcome.waiting += [(label(item), "not yet deleted") for item in chunk]
                continue
            for result in pool.map(delete, chunk):
                outcome.merge(result)
    return outcome


def _attempt(call: Callable[[], Any], label: str, kind: str, identity: dict[str, Any]) -> Outcome:
    """Run one delete call and read its answer as a sweep needs it."""
    try:
        call()
    except Exception as error:
        code = error_code(error)
        if code == "ResourceNotFound":
            return Outcome()
        if code in ("ResourceInUse", "ValidationException"):
            # ResourceInUse: a child appeared, or the resource is busy. ValidationException: DeleteApp refuses
            # an app that is no longer InService (it started deleting or failed since we listed it). Either
            # way the next round lists again and decides (AWS-FACTS §2).
            return Outcome(waiting=[(label, code)])
        raise
    return Outcome(waiting=[(label, "Deleting")], deleted=[(kind, identity)])


def _same(a: str | None, b: str | None) -> bool:
    # Profile and space names are not case-sensitive (AWS-FACTS §1).
    return a is not None and b is not None and a.lower() == b.lower()


def _owned_spaces(sagemaker: SageMakerClient, target: Target) -> list[SpaceRecord]:
    spaces = list_spaces(sagemaker, target.domain_id)
    if target.user_profile_name is None:
        return spaces
    return [space for space in spaces if _same(space.owner, target.user_profile_name)]


def target_apps(sagemaker: SageMakerClient, target: Target) -> list[AppRecord]:
    """The domain's apps, or in the user-profile scope the profile's own and those of the spaces it owns."""
    if target.user_profile_name is None:
        return list_apps(sagemaker, target.domain_id)
    apps = list_apps(sagemaker, target.domain_id, user_profile_name=target.user_profile_name)
    for space in _owned_spaces(sagemaker, target):
        apps += list_apps(sagemaker, target.domain_id, space_name=space.space_name)
    return apps


def target_spaces(sagemaker: SageMakerClient, target: Target) -> list[SpaceRecord]:
    return _owned_spaces(sagemaker, target)


def target_profiles(sagemaker: SageMakerClient, target: Target) -> list[ProfileRecord]:
    if target.user_profile_name is None:
        return list_user_profiles(sagemaker, target.domain_id)
    try:
        profile = sagemaker.describe_user_profile(DomainId=target.domain_id, UserProfileName=target.user_profile_name)
    except Exception as error:
        if error_code(error) == "ResourceNotFound":
            return []
        raise
    return [ProfileRecord(user_profile_name=profile["UserProfileName"], status=profile["Status"])]


def sweep_apps(clients: Clients, target: Target, budget: Budget) -> Outcome:
    outcome = Outcome()
    deletable: list[AppRecord] = []
    for app in target_apps(clients.sagemaker, target):
        if app.status in _FINISHED_APP:
            continue
        if app.status == "InService":
            deletable.append(app)
        else:  # Pending apps are deleted once InService (DeleteApp accepts nothing else); Deleting ones wait
            outcome.waiting.append((app.label(), app.status))

    def delete(app: AppRecord) -> Outcome:
        return _attempt(
            lambda: clients.sagemaker.delete_app(DomainId=target.domain_id, **app.identity()),  # type: ignore[arg-type]
            app.label(),
            "Apps",
            app.identity(),
        )

    return outcome.merge(_delete_all(deletable, delete, budget, AppRecord.label))


def sweep_spaces(clients: Clients, target: Target, budget: Budget) -> Outcome:
    outcome = Outcome()
    deletable: list[SpaceRecord] = []
    for space in target_spaces(clients.sagemaker, target):
        if space.status == "Deleting":
            outcome.waiting.append((space.label(), space.status))
        else:
            deletable.append(space)

    def delete(space: SpaceRecord) -> Outcome:
        return _attempt(
            lambda: clients.sagemaker.delete_space(DomainId=target.domain_id, SpaceName=space.space_name),
            space.label(),
            "Spaces",
            space.identity(),
        )

    return outcome.merge(_delete_all(deletable, delete, budget, SpaceRecord.label))


def sweep_profiles(clients: Clients, target: Target, budget: Budget) -> Outcome:
    outcome = Outcome()
    deletable: list[ProfileRecord] = []
    for profile in target_profiles(clients.sagemaker, target):
        if profile.status == "Deleting":
            outcome.waiting.append((profile.label(), profile.status))
        else:
            deletable.append(profile)

    def delete(profile: ProfileRecord) -> Outcome:
        return _attempt(
            lambda: clients.sagemaker.delete_user_profile(
                DomainId=target.domain_id, UserProfileName=profile.user_profile_name
            ),
            profile.label(),
            "UserProfiles",
            profile.identity(),
        )

    return outcome.merge(_delete_all(deletable, delete, budget, ProfileRecord.label))


def sweep_domain(clients: Clients, target: Target, _budget: Budget) -> Outcome:
    label = f"Domain {target.domain_id}"
    try:
        status = clients.sagemaker.describe_domain(DomainId=target.domain_id)["Status"]
    except Exception as error:
        if error_code(error) == "ResourceNotFound":
            return Outcome()
        raise
    if status == "Deleting":
        return Outcome(waiting=[(label, status)])
    # RetentionPolicy does AWS's part of the clean-up: with Delete, AWS removes the home EFS itself
    # (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteDomain.html); the Leftovers stage
    # removes whatever is still there afterwards.
    return _attempt(
        lambda: clients.sagemaker.delete_domain(
            DomainId=target.domain_id, RetentionPolicy={"HomeEfsFileSystem": target.retention}
        ),
        label,
        "Domain",
        {"DomainId": target.domain_id},
    )


def sweep_leftovers(clients: Clients, target: Target, _budget: Budget) -> Outcome:
    return leftovers.sweep(clients.efs, clients.ec2, target)


SWEEPS: dict[Stage, Callable[[Clients, Target, Budget], Outcome]] = {
    "Apps": sweep_apps,
    "Spaces": sweep_spaces,
    "UserProfiles": sweep_profiles,
    "Domain": sweep_domain,
    "Leftovers": sweep_leftovers,
}
# Which sweeps a stage repeats each round: the Studio stages catch what was created meanwhile; once the
# domain is gone nothing can be created in it any more.
_REPEATED: dict[Stage, tuple[Stage, ...]] = {
    "Apps": ("Apps",),
    "Spaces": ("Apps", "Spaces"),
    "UserProfiles": ("Apps", "Spaces", "UserProfiles"),
    "Domain": ("Apps", "Spaces", "UserProfiles", "Domain"),
    "Leftovers": ("Leftovers",),
}


def _keep_leftovers(clients: Clients, progress: Progress) -> Outcome:
    """With Retain, the leftovers stay: list them in the report, as they are once the domain is gone."""
    found = leftovers.find(clients.efs, clients.ec2, progress.target).by_kind()
    for kind in LEFTOVER_KINDS:
        for item in found[kind]:
            progress.kept.add(kind, item)
    return Outcome()


def _stuck(stage: Stage, target: Target, waiting: list[tuple[str, str]]) -> TeardownStuck:
    named = "; ".join(f"{label}: {status}" for label, status in waiting[:STUCK_NAMES])
    more = f"; and {len(waiting) - STUCK_NAMES} more" if len(waiting) > STUCK_NAMES else ""
    return TeardownStuck(
        f"Stage {stage} of the teardown of domain {target.domain_id} did not finish within "
        f"{target.stage_timeout_minutes} minutes. Still there: {named}{more}. Find out why in the SageMaker "
        "console (a FailureReason, an app a user keeps relaunching), fix or remove it, then start the teardown again."
    )


def next_wait(progress: Progress, now: datetime) -> int:
    if progress.blocked_rounds:
        return int(min(FAST_POLL_SECONDS * 2**progress.blocked_rounds, MAX_BACKOFF_SECONDS))
    young = now - progress.current.started_at < FAST_PHASE
    return FAST_POLL_SECONDS if young else SLOW_POLL_SECONDS


def run_round(clients: Clients, progress: Progress, clock: Callable[[], datetime], budget: Budget) -> Progress:
    """Advance the teardown as far as it goes now; ``progress.finished`` once every stage is done.

    Raises :class:`TeardownStuck` when the current stage has not converged within the stage timeout,
    measured on ``clock`` (the workflow's clock: virtual in the local cloud).
    """
    stages = progress.target.stages
    while True:
        record = progress.current
        if record.stage == "Leftovers" and progress.target.retention == "Retain":
            outcome = _keep_leftovers(clients, progress)
        else:
            outcome = Outcome()
            for stage in _REPEATED[record.stage]:
                swept = SWEEPS[stage](clients, progress.target, budget)
                outcome.merge(swept)
                if not swept.done:
                    # What an earlier stage still waits for blocks the later deletes (ResourceInUse): they wait
                    # for the next round rather than fail now.
                    break
        for kind, identity in outcome.deleted:
            progress.deleted.add(kind, identity)
        record.rounds += 1
        now = clock()
        progress.remaining = _count(outcome.waiting)
        if outcome.done:
            record.ended_at = now
            progress.blocked_rounds = 0
            position = stages.index(record.stage)
            if position + 1 == len(stages):
                progress.finished = True
                progress.wait_seconds = 0
                return progress
            progress.stages.append(StageRecord(stage=stages[position + 1], started_at=now))
            continue
        if now - record.started_at >= timedelta(minutes=progress.target.stage_timeout_minutes):
            raise _stuck(record.stage, progress.target, outcome.waiting)
        progress.blocked_rounds = progress.blocked_rounds + 1 if outcome.blocked else 0
        progress.wait_seconds = next_wait(progress, now)
        return progress


def _count(waiting: list[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label, _ in waiting:
        kind = label.split(" ", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts
