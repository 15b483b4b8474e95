"""Converge one user in one domain to the desired state: create or repair the profile, its space and the
Identity Center assignment, or offboard it. Every step is idempotent, so duplicate, late and out-of-order
events end in the same state (level-triggered).

Rules (issue 7, INTERFACES.md): never create, change or delete a profile without ``domain-steward:managed``;
leave a domain (or a profile) carrying ``domain-steward:teardown`` alone; a profile is never renamed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from domain_steward import studio, tags
from domain_steward.config import DefaultSpace, DomainConfig
from domain_steward.identity import User
from domain_steward.onboarding import actions as act
from domain_steward.onboarding import naming
from domain_steward.onboarding.actions import Action
from domain_steward.onboarding.context import Context, DomainFacts
from domain_steward.onboarding.desired import Wanted, wanted_domains
from domain_steward.onboarding.records import Provisioned
from domain_steward.studio import error_code

# Apps that run (and cost): offboarding stops these. DeleteApp accepts only InService apps (AWS-FACTS §2); a
# Pending one is tried too and skipped if refused (the reconciliation stops it once it runs).
_RUNNING = frozenset({"InService", "Pending"})
# Step Functions execution names: 1..80 characters
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
_EXECUTION_NAME_LIMIT = 80


@dataclass(frozen=True)
class Actual:
    """A profile as AWS has it now."""

    name: str
    arn: str
    status: str
    execution_role: str | None
    tags: dict[str, str]

    @property
    def managed(self) -> bool:
        return self.tags.get(tags.MANAGED, "").lower() == "true"


@dataclass(frozen=True)
class Known:
    """Facts the reconciliation already listed, so converging need not ask again (``None``: unknown)."""

    space_exists: bool | None = None
    assigned: bool | None = None


def read_profile(ctx: Context, facts: DomainFacts, name: str) -> Actual | None:
    try:
        description = ctx.sagemaker.describe_user_profile(DomainId=facts.domain_id, UserProfileName=name)
    except Exception as error:
        if error_code(error) != "ResourceNotFound":
            raise
        return None
    return Actual(
        name=name,
        arn=description["UserProfileArn"],
        status=description.get("Status", ""),
        execution_role=description.get("UserSettings", {}).get("ExecutionRole"),
        tags=tags.sagemaker_tags(ctx.sagemaker, description["UserProfileArn"]),
    )


def wanted_tags(wanted: Wanted, user_id: str) -> dict[str, str]:
    return {**wanted.mapping.tags, tags.MANAGED: "true", tags.USER_ID: user_id}


def _tag_list(values: dict[str, str]) -> list[dict[str, Any]]:
    return [{"Key": key, "Value": value} for key, value in sorted(values.items())]


def space_settings(space: DefaultSpace) -> dict[str, Any]:
    """SpaceSettings of the default private space (botocore's CreateSpace model)."""
    app_settings = "JupyterLabAppSettings" if space.app_type == "JupyterLab" else "CodeEditorAppSettings"
    return {
        "AppType": space.app_type,
        app_settings: {"DefaultResourceSpec": {"InstanceType": space.instance_type}},
        "SpaceStorageSettings": {"EbsStorageSettings": {"EbsVolumeSizeInGb": space.ebs_size_gb}},
    }


Claim = Literal["created", "ours", "theirs", "unmanaged", "sso-user-taken"]


def _claim(ctx: Context, facts: DomainFacts, user: User, wanted: Wanted, name: str) -> tuple[Claim, Actual | None]:
    """Create the profile ``name``, or say whose the existing one is."""
    params: dict[str, Any] = {
        "DomainId": facts.domain_id,
        "UserProfileName": name,
        "UserSettings": {"ExecutionRole": wanted.mapping.execution_role},
        "Tags": _tag_list(wanted_tags(wanted, user.user_id)),
    }
    if facts.sso:
        # AWS-FACTS §4: SSO domains need the Identity Center user name; IAM domains refuse these fields.
        params["SingleSignOnUserIdentifier"] = "UserName"
        params["SingleSignOnUserValue"] = user.user_name
    try:
        ctx.sagemaker.create_user_profile(**params)
        return "created", None
    except Exception as error:
        if error_code(error) != "ResourceInUse":
            raise
    actual = read_profile(ctx, facts, name)
    if actual is None:
        # The name is free but the call was refused: one Identity Center user maps to one profile per
        # domain (AWS-FACTS §4), and this user already has another one.
        return "sso-user-taken", None
    if not actual.managed:
        return "unmanaged", actual
    return ("ours" if actual.tags.get(tags.USER_ID) == user.user_id else "theirs"), actual


@dataclass(frozen=True)
class SpacePlan:
    """The member's default private space: owned by the profile, tagged managed."""

    domain_id: str
    profile: str
    space: str
    spec: DefaultSpace
    user_id: str

    def request(self) -> dict[str, Any]:
        """CreateSpace's parameters (botocore's sagemaker model)."""
        return {
            "DomainId": self.domain_id,
            "SpaceName": self.space,
            "OwnershipSettings": {"OwnerUserProfileName": self.profile},
            "SpaceSharingSettings": {"SharingType": "Private"},
            "SpaceSettings": space_settings(self.spec),
            "Tags": _tag_list({tags.MANAGED: "true", tags.USER_ID: self.user_id}),
        }


@dataclass
class Outcome:
    """Where ensuring a profile got to: its name, what AWS has, and the actions so far."""

    name: str
    actual: Actual | None
    created: bool
    done: list[Action]
    stop: bool = False  # a conflict or a busy profile: nothing more to do for this user here


def _ensure_profile(
    ctx: Context, facts: DomainFacts, user: User, wanted: Wanted, record: Provisioned | None
) -> Outcome:
    def action(name: str, profile: str, detail: str) -> Action:
        return Action(name, user.user_id, facts.domain_id, profile, user.user_name, detail)

    name = record.profile_name if record else naming.profile_name(user.user_name)
    actual = read_profile(ctx, facts, name) if record else None
    created = False
    done: list[Action] = []
    if record is None or actual is None:
        claim, actual = _claim(ctx, facts, user, wanted, name)
        if claim == "theirs" and record is None:
            # Another member's profile has this derived name: the later one gets a deterministic suffix.
            name = naming.collision_name(user.user_name, user.user_id)
            claim, actual = _claim(ctx, facts, user, wanted, name)
        if claim in _CONFLICTS:
            return Outcome(name, actual, False, [action(act.CONFLICT, name, _CONFLICTS[claim])], stop=True)
        created = claim == "created"
        if created:
            done.append(action(act.CREATED, name, f"group {wanted.mapping.group}"))
    if actual is None:
        return Outcome(name, None, created, done)
    if tags.TEARDOWN in actual.tags or actual.status in {"Deleting", "Delete_Failed"}:
        return Outcome(name, actual, False, [action(act.WAITING, name, f"the profile is {actual.status}")], stop=True)
    if not actual.managed or actual.tags.get(tags.USER_ID) != user.user_id:
        return Outcome(name, actual, False, [action(act.CONFLICT, name, _CONFLICTS["theirs"])], stop=True)
    restored, repairs = _repair(ctx, facts, actual, wanted, user)
    if restored:
        done.append(action(act.RESTORED, name, "rejoined: offboarded tag cleared, access restored"))
    if repairs:
        done.append(action(act.REPAIRED, name, ", ".join(repairs)))
    return Outcome(name, actual, created, done)


_CONFLICTS = {
    "unmanaged": "a profile with this name exists and is not managed by Domain Steward: left alone",
    "theirs": "the profile with this name is managed for another user: left alone",
    "sso-user-taken": "the Identity Center user already has another profile in this domain: left alone",
}


def ensure(
    ctx: Context, user: User, wanted: Wanted, record: Provisioned | None, known: Known | None = None
) -> list[Action]:
    """Give ``user`` the profile ``wanted`` describes, with its space and assignment; repair what drifted."""
    known = known or Known()
    domain_id = wanted.domain.domain_id
    facts = ctx.domain(domain_id)
    profile = record.profile_name if record else ""
    if facts is None or facts.under_teardown:
        why = "the domain does not exist" if facts is None else "the domain is under teardown"
        return [Action(act.SKIPPED, user.user_id, domain_id, profile, user.user_name, why)]
    outcome = _ensure_profile(ctx, facts, user, wanted, record)
    if outcome.stop:
        return outcome.done
    done, name = outcome.done, outcome.name
    restored = any(a.action == act.RESTORED for a in done)

    def action(name: str, detail: str) -> Action:
        return Action(name, user.user_id, domain_id, outcome.name, user.user_name, detail)

    assigned = record.assigned if record and not restored else False
    if known.assigned is not None:
        assigned = known.assigned
    if facts.sso and not assigned and facts.application_arn:
        # Without the assignment sign-in fails with "Access Denied. Please check if user is assigned to Studio
        # Domain" (https://github.com/aws/aws-cdk/issues/23627; AWS-FACTS §4). CreateApplicationAssignment
        # (https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreateApplicationAssignment.html).
        ctx.sso_admin.create_application_assignment(
            ApplicationArn=facts.application_arn, PrincipalId=user.user_id, PrincipalType="USER"
        )
        assigned = True
        done.append(action(act.ASSIGNED, "Identity Center application assignment created"))

    spec = wanted.mapping.default_space
    space = naming.space_name(name) if spec else None
    execution_arn = record.execution_arn if record else None
    space_known = record is not None and record.space_name == space and not outcome.created
    if known.space_exists is not None:
        space_known = known.space_exists
    if spec and space and not space_known:
        plan = SpacePlan(domain_id, name, space, spec, user.user_id)
        if outcome.created or (outcome.actual is not None and outcome.actual.status == "Pending"):
            execution_arn = _start_provisioning(ctx, plan) or execution_arn
            done.append(action(act.PROVISIONING_STARTED, f"space {space} once the profile is InService"))
        elif _create_space(ctx, plan):
            done.append(action(act.SPACE_CREATED, f"space {space}"))

    ctx.records.save(
        Provisioned(
            user_id=user.user_id,
            domain_id=domain_id,
            user_name=user.user_name,
            profile_name=name,
            state="active",
            group_id=wanted.group_id,
            group_ids=list(wanted.group_ids),
            execution_role=wanted.mapping.execution_role,
            tags=dict(wanted.mapping.tags),
            space_name=space,
            assigned=assigned,
            execution_arn=execution_arn,
            verified_at=record.verified_at if record else None,
        )
    )
    return done


def _repair(ctx: Context, facts: DomainFacts, actual: Actual, wanted: Wanted, user: User) -> tuple[bool, list[str]]:
    """Put the role and tags back as configured; clear the offboarded mark. Returns (restored, what changed)."""
    repairs: list[str] = []
    if actual.execution_role != wanted.mapping.execution_role and actual.status == "InService":
        ctx.sagemaker.update_user_profile(
            DomainId=facts.domain_id,
            UserProfileName=actual.name,
            UserSettings={"ExecutionRole": wanted.mapping.execution_role},
        )
        repairs.append("execution role")
    desired = wanted_tags(wanted, user.user_id)
    drifted = {key: value for key, value in desired.items() if actual.tags.get(key) != value}
    if drifted:
        ctx.sagemaker.add_tags(ResourceArn=actual.arn, Tags=_tag_list(drifted))  # type: ignore[arg-type]
        repairs.append("tags " + ", ".join(sorted(drifted)))
    restored = tags.OFFBOARDED in actual.tags
    if restored:
        ctx.sagemaker.delete_tags(ResourceArn=actual.arn, TagKeys=[tags.OFFBOARDED])
    return restored, repairs


def _create_space(ctx: Context, plan: SpacePlan) -> bool:
    """Create the private space now (the profile is usable); ``False`` if it already exists."""
    try:
        ctx.sagemaker.create_space(**plan.request())
    except Exception as error:
        if error_code(error) != "ResourceInUse":
            raise
        return False
    return True


def _execution_name(prefix: str, profile: str, ctx: Context) -> str:
    stamp = ctx.now().strftime("%Y%m%dT%H%M%S%f")
    return f"{prefix}-{profile}"[: _EXECUTION_NAME_LIMIT - len(stamp) - 1] + f"-{stamp}"


def _start_provisioning(ctx: Context, plan: SpacePlan) -> str | None:
    """A new profile is Pending until SageMaker finishes it (its Status enum, botocore's sagemaker model) and
    CreateSpace refuses an owner that is not usable (AWS does not document this for spaces; the stricter
    reading, as the local cloud emulates it). The provisioning workflow waits on Step Functions' clock and
    creates the space then: never a sleep in Lambda."""
    if ctx.workflows.provision_arn is None:
        return None
    request = plan.request()
    response = ctx.stepfunctions.start_execution(
        stateMachineArn=ctx.workflows.provision_arn,
        name=_execution_name("space", plan.profile, ctx),
        input=json.dumps(
            {
                "DomainId": plan.domain_id,
                "UserProfileName": plan.profile,
                "SpaceName": plan.space,
                "SpaceSettings": request["SpaceSettings"],
                "Tags": request["Tags"],
            }
        ),
    )
    return response["executionArn"]


def offboard(ctx: Context, record: Provisioned, domain: DomainConfig, reason: str) -> list[Action]:
    """Offboard a user who left every mapped group of the domain, was deleted or was disabled."""
    facts = ctx.domain(record.domain_id)

    def action(name: str, detail: str) -> Action:
        return Action(name, record.user_id, record.domain_id, record.profile_name, record.user_name, detail)

    if facts is None:
        return [action(act.SKIPPED, "the domain does not exist")]
    if facts.under_teardown:
        return [action(act.SKIPPED, "the domain is under teardown")]
    actual = read_profile(ctx, facts, record.profile_name)
    if actual is None:
        record.state = "offboarded"
        ctx.records.save(record)
        return []
    if not actual.managed or actual.tags.get(tags.USER_ID) != record.user_id:
        return [action(act.CONFLICT, "the profile is not (or no longer) managed for this user: left alone")]
    if tags.TEARDOWN in actual.tags:
        return [action(act.SKIPPED, "the profile is under teardown")]
    _unassign(ctx, facts, record)
    if domain.offboarding == "delete":
        if ctx.workflows.teardown_arn is None:
            return [action(act.WAITING, "no teardown workflow configured")]
        # The teardown's user-profile scope (INTERFACES.md): Confirm repeats the profile name.
        response = ctx.stepfunctions.start_execution(
            stateMachineArn=ctx.workflows.teardown_arn,
            name=_execution_name("offboard", record.profile_name, ctx),
            input=json.dumps(
                {"DomainId": record.domain_id, "UserProfileName": record.profile_name, "Confirm": record.profile_name}
            ),
        )
        record.state, record.execution_arn = "deleting", response["executionArn"]
        ctx.records.save(record)
        return [action(act.TEARDOWN_STARTED, f"{reason}; teardown {response['executionArn']}")]
    stopped = _stop_apps(ctx, facts, record.profile_name)
    if tags.OFFBOARDED not in actual.tags:
        stamp = ctx.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        ctx.sagemaker.add_tags(ResourceArn=actual.arn, Tags=[{"Key": tags.OFFBOARDED, "Value": stamp}])
    record.state = "offboarded"
    ctx.records.save(record)
    return [action(act.OFFBOARDED, f"{reason}; stopped {stopped} app(s); profile, spaces and data retained")]


def _unassign(ctx: Context, facts: DomainFacts, record: Provisioned) -> None:
    if not facts.sso or not facts.application_arn:
        return
    try:
        ctx.sso_admin.delete_application_assignment(
            ApplicationArn=facts.application_arn, PrincipalId=record.user_id, PrincipalType="USER"
        )
    except Exception as error:
        # Already unassigned, or the user is gone (then Identity Center removed it with the user).
        if error_code(error) != "ResourceNotFoundException":
            raise
    record.assigned = False


def _stop_apps(ctx: Context, facts: DomainFacts, profile: str) -> int:
    """Delete the running apps of the profile and of the spaces it owns; returns how many were stopped."""
    owned = [s.space_name for s in studio.list_spaces(ctx.sagemaker, facts.domain_id) if s.owner == profile]
    apps = studio.list_apps(ctx.sagemaker, facts.domain_id, user_profile_name=profile)
    for space in owned:
        apps += studio.list_apps(ctx.sagemaker, facts.domain_id, space_name=space)
    stopped = 0
    for app in apps:
        if app.status not in _RUNNING or app.app_type == "RStudioServerPro":
            continue
        try:
            ctx.sagemaker.delete_app(DomainId=facts.domain_id, **app.identity())  # type: ignore[arg-type]
            stopped += 1
        except Exception as error:
            if error_code(error) not in {"ValidationException", "ResourceInUse", "ResourceNotFound"}:
                raise
    return stopped


def converge_user(ctx: Context, user_id: str, *, disabled_event: bool = False) -> list[Action]:
    """Bring every mapped domain in line with what ``user_id``'s current memberships ask for."""
    if disabled_event:
        ctx.records.set_disabled(user_id, True)
    user = ctx.directory.user(user_id)
    recorded = ctx.records.for_user(user_id)
    disabled = user is None or user.disabled or (not user.status_known and ctx.records.is_disabled(user_id))
    if user is not None and user.status_known and not user.disabled and ctx.records.is_disabled(user_id):
        ctx.records.set_disabled(user_id, False)
    memberships = {} if disabled or user is None else ctx.directory.memberships_of(user_id)
    wanted = {} if user is None else wanted_domains(ctx.config, memberships.keys(), ctx.directory)
    if wanted:
        ctx.records.remember_memberships(user_id, memberships)
    reason = "deleted" if user is None else "disabled" if disabled else "left every mapped group of the domain"
    done: list[Action] = []
    for domain in ctx.config.mapped_domains:
        record = recorded.get(domain.domain_id)
        decision = wanted.get(domain.domain_id)
        if decision is not None and user is not None and not disabled:
            done += ensure(ctx, user, decision, record)
        elif record is not None and record.state == "active":
            record.disabled = disabled and user is not None
            done += offboard(ctx, record, domain, reason)
        elif record is not None and record.disabled != (disabled and user is not None):
            record.disabled = disabled and user is not None
            ctx.records.save(record)
    return done
