"""moto's CloudFormation backend, taught to deploy SAM templates through the harness and to report Outputs of
stacks created or updated through change sets.

A template whose ``Transform`` includes ``AWS::Serverless-2016-10-31`` never reaches moto's template engine:
CreateChangeSet processes it (fetches packaged artifacts from the local S3, resolves parameters, runs the SAM
transform), ExecuteChangeSet and CreateStack create its resources with :meth:`Stack.create
<localcloud.harness.stack.Stack.create>`, so its functions run our handlers and its state machines run on the
Step Functions engine, and DeleteStack closes it. Every other template goes to moto as before.
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlparse

from moto.cloudformation import models as cfn_models
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import AlreadyExistsException, CloudFormationError, ValidationError
from moto.cloudformation.models import Change, CloudFormationBackend
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudformation.utils import generate_changeset_id, generate_stack_id, validate_create_change_set
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.utilities.utils import get_partition

from localcloud.cloudformation.packaged import Unpacker, read_object
from localcloud.cloudformation.stacks import (
    NO_CHANGES,
    SAM_TRANSFORM,
    Processed,
    SamChangeSet,
    SamStack,
    StackResource,
    close_deployment,
    opened,
    work_directory,
)
from localcloud.harness.template import TemplateError, parse_template, resolve_parameters, translate_template

LOG = logging.getLogger(__name__)

# What a request carries that moto's responses do not pass on to the backend.
_CAPABILITIES: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("capabilities", default=())

# IAM resources and the property that names each: a named one needs CAPABILITY_NAMED_IAM.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html (Capabilities)
_IAM_NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
}


class InsufficientCapabilities(CloudFormationError):
    code = "InsufficientCapabilitiesException"


class InvalidChangeSetStatus(CloudFormationError):
    code = "InvalidChangeSetStatus"


@dataclass
class _Cloud:
    """The account and Region of the request, which the harness deploys into."""

    region: str
    account_id: str


def declares_sam(template_text: str | None) -> bool:
    if not template_text:
        return False
    try:
        transforms = parse_template(template_text).get("Transform")
    except TemplateError:
        return False
    return SAM_TRANSFORM in (transforms if isinstance(transforms, list) else [transforms])


def missing_capability(template: dict[str, Any], given: tuple[str, ...]) -> str | None:
    """The capability the processed template needs and the request did not acknowledge, if any."""
    resources = (template.get("Resources") or {}).values()
    iam = [r for r in resources if str(r.get("Type", "")).startswith("AWS::IAM::")]
    if not iam:
        return None
    named = any(
        _IAM_NAME_PROPERTIES.get(str(r["Type"])) in (r.get("Properties") or {}) for r in iam if isinstance(r, dict)
    )
    if named:
        return None if "CAPABILITY_NAMED_IAM" in given else "CAPABILITY_NAMED_IAM"
    return None if {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} & set(given) else "CAPABILITY_IAM"


def _check_parameters(text: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Every parameter's value; a missing or invalid one is refused at once (ValidationError), before any stack
    or change set exists, not reported through a change set."""
    try:
        return resolve_parameters(parse_template(text), parameters)
    except TemplateError as error:
        raise ValidationError(message=str(error)) from error


def _process(backend: CloudFormationBackend, stack_name: str, text: str, parameters: dict[str, Any]) -> Processed:
    """Run what CloudFormation runs when a change set is created; TemplateError says why it cannot be."""
    template = parse_template(text)
    values = _check_parameters(text, parameters)
    directory = work_directory(stack_name)
    try:
        path = Unpacker(directory, backend.account_id, get_partition(backend.region_name)).unpack(
            copy.deepcopy(template)
        )
        translation = translate_template(
            path, parameters, region=backend.region_name, account_id=backend.account_id, stack_name=stack_name
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Processed(template, values, translation, directory)


def _new_stack(
    backend: CloudFormationBackend,
    name: str,
    notification_arns: list[str] | None,
    tags: dict[str, str] | None,
    role_arn: str | None,
) -> SamStack:
    return SamStack(  # type: ignore[abstract]
        stack_id=generate_stack_id(name, backend.region_name, backend.account_id),
        name=name,
        account_id=backend.account_id,
        region_name=backend.region_name,
        notification_arns=notification_arns,
        tags=tags,
        role_arn=role_arn,
    )


def _live_stack(backend: CloudFormationBackend, name: str) -> Any:
    return next((s for s in backend.stacks.values() if s.name == name), None)


def create_sam_change_set(
    backend: CloudFormationBackend,
    *,
    stack_name: str,
    change_set_name: str,
    template: str,
    parameters: dict[str, Any],
    description: str,
    change_set_type: str,
    notification_arns: list[str] | None,
    tags: dict[str, str] | None,
    role_arn: str | None,
) -> tuple[str, str]:
    validate_create_change_set(change_set_name)
    _check_parameters(template, parameters)
    existing = _live_stack(backend, stack_name)
    if change_set_type == "UPDATE":
        if existing is None:
            raise ValidationError(stack_name)
        if not isinstance(existing, SamStack):
            raise ValidationError(message=f"Stack {stack_name} was not deployed from a SAM template")
        if existing.status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html
            raise ValidationError(
                message=f"Stack:{existing.stack_id} is in {existing.status} state and can not be updated."
            )
        stack = existing
    elif existing is not None and existing.status != "REVIEW_IN_PROGRESS":
        raise AlreadyExistsException(f"Stack [{stack_name}] already exists")
    else:
        stack = _new_stack(backend, stack_name, notification_arns, tags, role_arn)
        stack.status = "REVIEW_IN_PROGRESS"
        stack._add_stack_event("REVIEW_IN_PROGRESS", "User Initiated")
        backend.stacks[stack.stack_id] = stack
    processed: Processed | None = None
    failure: str | None = None
    try:
        processed = _process(backend, stack_name, template, parameters)
    except TemplateError as error:
        failure = f"Transform {SAM_TRANSFORM} failed with: {error}"
    changes: list[Change] = []
    if processed is not None:
        processed.tags = dict(tags or {})
        resources = processed.translation.template["Resources"]
        changes = [Change("Add", logical_id, str(r.get("Type"))) for logical_id, r in resources.items()]
        needed = missing_capability(processed.translation.template, _CAPABILITIES.get())
        if needed:
            # As SAM CLI shows it: "Status: FAILED. Reason: Requires capabilities : [CAPABILITY_IAM]".
            failure = f"Requires capabilities : [{needed}]"
        elif change_set_type == "UPDATE":
            assert isinstance(stack, SamStack)
            assert stack.processed is not None
            previous = stack.processed
            if (processed.template, processed.parameters, processed.tags) == (
                previous.template,
                previous.parameters,
                previous.tags,
            ):
                # https://github.com/guardian/riff-raff/pull/577 quotes the message; SAM CLI then says
                # "No changes to deploy" (samcli/lib/deploy/deployer.py wait_for_changeset).
                failure = NO_CHANGES
            else:
                changes = _update_changes(previous, processed)
    change_set = SamChangeSet(
        change_set_type=change_set_type,
        change_set_id=generate_changeset_id(change_set_name, backend.region_name, backend.account_id),
        change_set_name=change_set_name,
        stack=stack,
        template=template,
        description=description,
        notification_arns=notification_arns,
        tags=tags,
        role_arn=role_arn,
        capabilities=list(_CAPABILITIES.get()),
        processed=processed,
        changes=changes,
    )
    change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
    if failure is not None:
        change_set.fail(failure)
    backend.change_sets[change_set.change_set_id] = change_set
    return change_set.change_set_id, stack.stack_id


def _update_changes(previous: Processed, processed: Processed) -> list[Change]:
    """What an update changes. The local cloud recreates every resource of an updated stack, so each one kept
    is a Modify with Replacement True."""
    old = previous.translation.template["Resources"]
    new = processed.translation.template["Resources"]
    changes = [
        Change("Remove", logical_id, str(old[logical_id].get("Type"))) for logical_id in old if logical_id not in new
    ]
    for logical_id, resource in new.items():
        change = Change("Modify" if logical_id in old else "Add", logical_id, str(resource.get("Type")))
        if logical_id in old:
            change.replacement = "True"  # type: ignore[attr-defined]
        changes.append(change)
    return changes


def deploy(stack: SamStack, processed: Processed, capabilities: list[str], template: str, *, update: bool) -> None:
    """Create the processed template's resources through the harness; a failure rolls the stack back.

    An update deletes the previous deployment's resources first, then creates the new template's: resources are
    recreated, not updated in place (see localcloud/README.md).
    """
    from localcloud.harness.stack import Stack as HarnessStack

    operation = "UPDATE" if update else "CREATE"
    stack.status = f"{operation}_IN_PROGRESS"
    stack._add_stack_event(f"{operation}_IN_PROGRESS", "User Initiated")
    if update:
        close_deployment(stack)
        failed = stack.remove_resources(stack.owner) if stack.owner is not None else []
        if failed:
            _update_failed(stack, processed, f"The following resource(s) failed to delete: [{', '.join(failed)}]. ")
            return
    stack.processed = processed
    stack.capabilities = capabilities
    stack.tags = processed.tags
    stack.template = template
    stack.template_dict = processed.template
    stack.description = processed.template.get("Description")
    stack.stack_status_reason = None
    try:
        harness = HarnessStack.create(
            _Cloud(stack.region_name, stack.account_id),
            processed.translation,
            stack.name,
            on_failure=lambda partial: _record_partial(stack, partial),
        )
    except Exception as error:  # noqa: BLE001 - CloudFormation never leaves a stack half-created
        LOG.info("stack %s failed to %s: %s", stack.name, operation.lower(), error)
        if update:
            _update_failed(stack, processed, _failure_reason(stack, processed, error))
        else:
            _roll_back(stack, processed, error)
        return
    now = utcnow()
    for logical_id, created in harness.resources.items():
        stack.resources.append(StackResource(logical_id, str(created.ref), created.kind, now))
    for skipped in harness.skipped:
        physical_id = str(harness.physical_id(skipped.logical_id))
        stack.resources.append(StackResource(skipped.logical_id, physical_id, skipped.kind, now))
    for resource in stack.resources:
        reason = (
            "Not emulated by the local cloud: nothing answers at its physical id"
            if any(s.logical_id == resource.logical_resource_id for s in harness.skipped)
            else None
        )
        args = (resource.logical_resource_id, resource.physical_resource_id, resource.cf_resource_type)
        stack.add_event(*args, "CREATE_IN_PROGRESS")
        stack.add_event(*args, "CREATE_COMPLETE", reason)
    stack.harness = stack.owner = harness
    stack.status = f"{operation}_COMPLETE"
    stack._add_stack_event(f"{operation}_COMPLETE")
    opened(stack)


def _record_partial(stack: SamStack, partial: Any) -> None:
    # What a failed deployment created is recorded, for the rollback to delete.
    now = utcnow()
    stack.owner = partial
    for logical_id, created in partial.resources.items():
        stack.resources.append(StackResource(logical_id, str(created.ref), created.kind, now))
        stack.add_event(logical_id, str(created.ref), created.kind, "CREATE_COMPLETE")


def _failure_reason(stack: SamStack, processed: Processed, error: Exception) -> str:
    """Record the failed resource's event and return the stack's status reason."""
    message = str(error) if isinstance(error, TemplateError) else f"{type(error).__name__}: {error}"
    resources = processed.translation.template.get("Resources") or {}
    match = re.match(r"([A-Za-z0-9]+)\b", message)
    failed = match.group(1) if match and match.group(1) in resources else None
    if failed is None:
        return message
    stack.add_event(failed, "", str(resources[failed].get("Type")), "CREATE_FAILED", message)
    return f"The following resource(s) failed to create: [{failed}]. Rollback requested by user."


def _update_failed(stack: SamStack, processed: Processed, reason: str) -> None:
    # The previous resources are gone (an update recreates them), so there is nothing to roll back to:
    # UPDATE_ROLLBACK_FAILED, which CloudFormation also reports when a rollback cannot restore the stack.
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html
    if stack.owner is not None:
        stack.remove_resources(stack.owner)
    stack.status = "UPDATE_ROLLBACK_FAILED"
    stack.stack_status_reason = reason
    stack._add_stack_event("UPDATE_ROLLBACK_FAILED", reason)
    processed.discard()


def _roll_back(stack: SamStack, processed: Processed, error: Exception) -> None:
    # A failed create rolls back to ROLLBACK_COMPLETE: the failed resource's event carries the cause, and what
    # was created is deleted. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-describing-stacks.html
    reason = _failure_reason(stack, processed, error)
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack.stack_status_reason = reason
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", reason)
    if stack.owner is not None:
        stack.remove_resources(stack.owner)
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")
    processed.discard()


def execute_sam_change_set(backend: CloudFormationBackend, change_set: SamChangeSet) -> None:
    if change_set.execution_status != "AVAILABLE" or change_set.processed is None:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ExecuteChangeSet.html (Errors)
        raise InvalidChangeSetStatus(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current status of [{change_set.status}]"
        )
    stack = backend.stacks[change_set.stack_id]
    assert isinstance(stack, SamStack)
    processed, change_set.processed = change_set.processed, None
    update = change_set.change_set_type == "UPDATE"
    deploy(stack, processed, change_set.capabilities, change_set.template, update=update)
    succeeded = stack.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"


def create_sam_stack(
    backend: CloudFormationBackend,
    *,
    name: str,
    template: str,
    parameters: dict[str, Any],
    notification_arns: list[str] | None,
    tags: dict[str, str] | None,
    role_arn: str | None,
) -> SamStack:
    if _live_stack(backend, name) is not None:
        raise AlreadyExistsException(f"Stack [{name}] already exists")
    capabilities = _CAPABILITIES.get()
    if "CAPABILITY_AUTO_EXPAND" not in capabilities:
        # CreateStack with a transform must acknowledge it; a change set need not.
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html (Capabilities)
        raise InsufficientCapabilities("Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
    try:
        processed = _process(backend, name, template, parameters)
    except TemplateError as error:
        # Where CreateStack reports a failed transform is not documented; refusing the call is the stricter choice
        # (a change set reports it as its StatusReason, above).
        raise ValidationError(message=f"Transform {SAM_TRANSFORM} failed with: {error}") from error
    processed.tags = dict(tags or {})
    needed = missing_capability(processed.translation.template, capabilities)
    if needed:
        processed.discard()
        raise InsufficientCapabilities(f"Requires capabilities : [{needed}]")
    stack = _new_stack(backend, name, notification_arns, tags, role_arn)
    backend.stacks[stack.stack_id] = stack
    deploy(stack, processed, list(capabilities), template, update=False)
    return stack


def _refresh_outputs(backend: CloudFormationBackend, stack: Any) -> None:
    # moto's ExecuteChangeSet creates the resources but keeps the Outputs of the empty template the change
    # set's stack began with; CloudFormation reports the template's Outputs once the stack is complete.
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html (Outputs)
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        backend.exports[export.name] = export


def _find_change_set(backend: CloudFormationBackend, name_or_id: str) -> Any:
    if name_or_id in backend.change_sets:
        return backend.change_sets[name_or_id]
    return next((c for c in backend.change_sets.values() if c.change_set_name == name_or_id), None)


def stack_from_s3_url(template_url: str, account_id: str, partition: str) -> str:
    """The template a TemplateURL names. SAM CLI builds it path-style from the S3 endpoint it uses
    (samcli/lib/package/s3_uploader.py to_path_style_s3_url), which for the server is ``http://127.0.0.1:PORT``."""
    parsed = urlparse(template_url)
    host = parsed.hostname or ""
    path_style = host in ("localhost", "127.0.0.1") or (host.startswith("s3") and host.endswith("amazonaws.com"))
    if path_style:
        bucket, _, key = parsed.path.lstrip("/").partition("/")
    else:
        bucket, key = host.split(".")[0], parsed.path.lstrip("/")
    version = parse_qs(parsed.query).get("versionId", [None])[0]
    try:
        body = read_object(account_id, partition, bucket, key, version)
    except TemplateError as error:
        raise ValidationError(message=f"TemplateURL must reference a valid S3 object: {error}") from error
    return body.decode("utf-8")


@cache
def install() -> None:
    """Patch moto's CloudFormation (idempotent)."""
    original_create_change_set = CloudFormationBackend.create_change_set
    original_execute_change_set = CloudFormationBackend.execute_change_set
    original_create_stack = CloudFormationBackend.create_stack

    def create_change_set(  # noqa: PLR0917 - moto's signature
        backend: CloudFormationBackend, stack_name: str, change_set_name: str, template: str,
                          parameters: dict[str, Any], description: str, change_set_type: str,
                          notification_arns: list[str] | None = None, tags: dict[str, str] | None = None,
                          role_arn: str | None = None) -> tuple[str, str]:  # fmt: skip
        arguments = {
            "stack_name": stack_name, "change_set_name": change_set_name, "template": template,
            "parameters": parameters, "description": description, "change_set_type": change_set_type,
            "notification_arns": notification_arns, "tags": tags, "role_arn": role_arn,
        }  # fmt: skip
        if declares_sam(template):
            return create_sam_change_set(backend, **arguments)  # type: ignore[arg-type]
        return original_create_change_set(backend, **arguments)  # type: ignore[arg-type]

    def execute_change_set(backend: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = _find_change_set(backend, change_set_name)
        if isinstance(change_set, SamChangeSet):
            execute_sam_change_set(backend, change_set)
            return
        original_execute_change_set(backend, change_set_name, stack_name)
        if change_set is not None:
            _refresh_outputs(backend, backend.stacks[change_set.stack_id])

    def create_stack(  # noqa: PLR0917 - moto's signature
        backend: CloudFormationBackend, name: str, template: str, parameters: dict[str, Any],
                     notification_arns: list[str] | None = None, tags: dict[str, str] | None = None,
                     role_arn: str | None = None, **rest: Any) -> Any:  # fmt: skip
        if declares_sam(template):
            return create_sam_stack(
                backend, name=name, template=template, parameters=parameters,
                notification_arns=notification_arns, tags=tags, role_arn=role_arn,
            )  # fmt: skip
        return original_create_stack(backend, name, template, parameters, notification_arns, tags, role_arn, **rest)

    CloudFormationBackend.create_change_set = create_change_set  # type: ignore[method-assign,assignment]
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign,assignment]
    CloudFormationBackend.create_stack = create_stack  # type: ignore[method-assign,assignment]
    original_delete_stack = CloudFormationBackend.delete_stack

    def delete_stack(backend: CloudFormationBackend, name_or_stack_id: str) -> None:
        original_delete_stack(backend, name_or_stack_id)
        # A stack whose resources could not all be deleted stays, in DELETE_FAILED, to be deleted again.
        for stack_id, stack in list(backend.deleted_stacks.items()):
            if isinstance(stack, SamStack) and stack.status == "DELETE_FAILED":
                backend.stacks[stack_id] = backend.deleted_stacks.pop(stack_id)

    CloudFormationBackend.delete_stack = delete_stack  # type: ignore[method-assign,assignment]
    _install_response_patches()


def _with_capabilities(action: Callable[[CloudFormationResponse], Any]) -> Callable[[CloudFormationResponse], Any]:
    def run(response: CloudFormationResponse) -> Any:
        token = _CAPABILITIES.set(tuple(response._get_param("Capabilities", []) or []))
        try:
            return action(response)
        finally:
            _CAPABILITIES.reset(token)

    return run


def _install_response_patches() -> None:
    original_dto_init = cfn_responses.StackResourceDTO.__init__

    def dto_init(dto: Any, stack: Any, resource: Any) -> None:
        original_dto_init(dto, stack, resource)
        # DescribeStackResource(s) must give each resource's own status and LastUpdatedTimestamp (required);
        # moto gives the stack's status and a fixed timestamp.
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackResourceDetail.html
        if isinstance(resource, StackResource):
            dto.resource_status = resource.resource_status
            dto.last_updated_timestamp = resource.last_updated_timestamp

    cfn_responses.StackResourceDTO.__init__ = dto_init  # type: ignore[method-assign,assignment]
    CloudFormationResponse.create_change_set = _with_capabilities(  # type: ignore[method-assign,assignment]
        CloudFormationResponse.create_change_set
    )
    CloudFormationResponse.create_stack = _with_capabilities(  # type: ignore[method-assign,assignment]
        CloudFormationResponse.create_stack
    )
    original_validate = CloudFormationResponse._validate_different_update

    def validate_different_update(response: CloudFormationResponse, *args: Any) -> None:
        # "No updates are to be performed." is UpdateStack's answer; an unchanged change set is created and
        # fails with NO_CHANGES instead (see create_sam_change_set), as in CloudFormation.
        if response._get_action() == "CreateChangeSet":
            return
        original_validate(response, *args)

    original_get_template = CloudFormationResponse.get_template

    def get_template(response: CloudFormationResponse) -> Any:
        # TemplateStage=Processed gives the template after its transforms ran; moto has only the original.
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html
        if response._get_param("TemplateStage") == "Processed":
            stack = response.cloudformation_backend.get_stack(response._get_param("StackName"))
            if isinstance(stack, SamStack) and stack.processed is not None:
                processed = json.dumps(stack.processed.translation.template)
                return ActionResult({"TemplateBody": processed, "StagesAvailable": ["Original", "Processed"]})
        return original_get_template(response)

    CloudFormationResponse.get_template = get_template  # type: ignore[method-assign,assignment]
    CloudFormationResponse._validate_different_update = validate_different_update  # type: ignore[method-assign,assignment]
    cfn_responses.get_stack_from_s3_url = stack_from_s3_url  # type: ignore[attr-defined]
    cfn_models.get_stack_from_s3_url = stack_from_s3_url  # type: ignore[attr-defined]
