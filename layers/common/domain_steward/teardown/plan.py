"""The plan: check that the teardown may go ahead, and list everything it will remove. Changes nothing.

Refusals, in order: the confirmation does not repeat the target; the domain (or profile) does not exist; the
domain is protected (``domain-steward:protected=true``); another teardown of it is running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain_steward.studio import error_code
from domain_steward.tags import is_protected, sagemaker_tags
from domain_steward.teardown import leftovers
from domain_steward.teardown.errors import ConfirmationMismatch, DomainNotFound, DomainProtected, UserProfileNotFound
from domain_steward.teardown.marking import check_not_running
from domain_steward.teardown.progress import LEFTOVER_KINDS, Ledger, Target
from domain_steward.teardown.request import TeardownRequest
from domain_steward.teardown.stages import Clients, target_apps, target_profiles, target_spaces

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


def _confirm(request: TeardownRequest) -> None:
    if request.confirm != request.target:
        what = f"user profile name {request.target!r}" if request.profile_scope else f"domain id {request.target!r}"
        raise ConfirmationMismatch(
            f"Confirm is {request.confirm!r}, but it must repeat the {what} exactly: that is how the teardown "
            "knows you mean to delete it. Nothing was changed."
        )


def _domain(clients: Clients, domain_id: str) -> dict[str, Any]:
    try:
        return dict(clients.sagemaker.describe_domain(DomainId=domain_id))
    except Exception as error:
        if error_code(error) == "ResourceNotFound":
            raise DomainNotFound(
                f"Domain {domain_id} does not exist in this account and Region (aws sagemaker list-domains lists "
                "them). Nothing was changed."
            ) from None
        raise


def _profile(clients: Clients, domain_id: str, name: str) -> dict[str, Any]:
    try:
        return dict(clients.sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=name))
    except Exception as error:
        if error_code(error) == "ResourceNotFound":
            raise UserProfileNotFound(
                f"User profile {name} does not exist in domain {domain_id} (aws sagemaker list-user-profiles "
                f"--domain-id-equals {domain_id} lists them). Nothing was changed."
            ) from None
        raise


def make_plan(clients: Clients, sfn: SFNClient, request: TeardownRequest, execution_arn: str) -> dict[str, Any]:
    """``{"Target": …, "Plan": …, "PlanCounts": …, "PlanTruncated": …}``, or a refusal (an error of
    :mod:`domain_steward.teardown.errors`)."""
    _confirm(request)
    domain = _domain(clients, request.domain_id)
    domain_tags = sagemaker_tags(clients.sagemaker, domain["DomainArn"])
    if not request.profile_scope and is_protected(domain_tags):
        raise DomainProtected(
            f"Domain {request.domain_id} is tagged domain-steward:protected=true. If it really must go, remove "
            f"that tag (aws sagemaker delete-tags --resource-arn {domain['DomainArn']} --tag-keys "
            "domain-steward:protected) and start the teardown again. Nothing was changed."
        )
    # A domain teardown removes every profile too: a profile teardown waits for it as well.
    check_not_running(sfn, domain_tags, f"Domain {request.domain_id}", execution_arn)
    mark_arn = str(domain["DomainArn"])
    if request.user_profile_name is not None:
        profile = _profile(clients, request.domain_id, request.user_profile_name)
        mark_arn = str(profile["UserProfileArn"])
        check_not_running(
            sfn,
            sagemaker_tags(clients.sagemaker, profile["UserProfileArn"]),
            f"User profile {request.user_profile_name}",
            execution_arn,
        )

    target = Target(
        execution_arn=execution_arn,
        domain_id=request.domain_id,
        domain_arn=domain["DomainArn"],
        mark_arn=mark_arn,
        user_profile_name=request.user_profile_name,
        vpc_id=domain.get("VpcId"),
        home_efs_file_system_id=domain.get("HomeEfsFileSystemId"),
        retention=request.retention,
        stage_timeout_minutes=request.stage_timeout_minutes,
    )
    plan = Ledger()
    for app in target_apps(clients.sagemaker, target):
        plan.add("Apps", {**app.identity(), "Status": app.status})
    for space in target_spaces(clients.sagemaker, target):
        plan.add("Spaces", {**space.identity(), "Status": space.status})
    for profile_record in target_profiles(clients.sagemaker, target):
        plan.add("UserProfiles", {**profile_record.identity(), "Status": profile_record.status})
    if request.user_profile_name is None:
        found = leftovers.find(clients.efs, clients.ec2, target).by_kind()
        for kind in LEFTOVER_KINDS:
            for item in found[kind]:
                plan.add(kind, item)
    plan.fit()
    return {
        "Target": target.dump(),
        "Plan": {
            "Apps": plan.items.get("Apps", []),
            "Spaces": plan.items.get("Spaces", []),
            "UserProfiles": plan.items.get("UserProfiles", []),
            "Domain": {
                "DomainId": domain["DomainId"],
                "DomainName": domain.get("DomainName"),
                "Status": domain.get("Status"),
                "VpcId": domain.get("VpcId"),
                "HomeEfsFileSystemId": domain.get("HomeEfsFileSystemId"),
            },
            **{kind: plan.items.get(kind, []) for kind in LEFTOVER_KINDS},
        },
        "PlanCounts": {kind: plan.counts.get(kind, 0) for kind in ("Apps", "Spaces", "UserProfiles", *LEFTOVER_KINDS)},
        "PlanTruncated": plan.truncated,
    }
