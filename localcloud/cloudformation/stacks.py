"""The records CloudFormation keeps of a SAM stack deployed through the harness: the stack, its change sets,
its resources and its events, in the shapes moto's CloudFormation responses serialise.

A SAM template is processed when its change set is created (the transform runs, artifacts are fetched,
parameters are resolved) and deployed when the change set is executed, as CloudFormation does:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets.html
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from moto.cloudformation.models import Change, ChangeSet, Event
from moto.cloudformation.models import Stack as MotoStack

from localcloud.harness.template import Translation

if TYPE_CHECKING:
    from localcloud.harness.stack import Stack as HarnessStack

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


@dataclass
class Processed:
    """A SAM template as CloudFormation processed it for a change set: ready to deploy."""

    template: dict[str, Any]  # as submitted (packaged), to tell whether a later change set changes anything
    parameters: dict[str, Any]  # every declared parameter's value, defaults included, before SSM lookups
    translation: Translation
    directory: Path  # the artifacts fetched from S3, removed with the stack
    tags: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class StackResource:
    """A resource of a deployed stack, with the attribute names moto's responses read."""

    logical_resource_id: str
    physical_resource_id: str
    cf_resource_type: str
    last_updated_timestamp: datetime
    resource_status: str = "CREATE_COMPLETE"


class SamStack(MotoStack):
    """A stack whose template declares the SAM transform; its resources are the harness's."""

    class Meta:
        # moto's serializer finds StackSummary's members through the class name "Stack"; this class needs them named.
        serialization_aliases: ClassVar[dict[str, str]] = {
            "Parameters": "parameter_list",
            "StackId": "stack_id",
            "StackName": "name",
            "StackStatus": "status",
            "StackStatusReason": "stack_status_reason",
        }

    def __init__(
        self,
        *,
        stack_id: str,
        name: str,
        account_id: str,
        region_name: str,
        notification_arns: list[str] | None,
        tags: dict[str, str] | None,
        role_arn: str | None,
    ) -> None:
        super().__init__(
            stack_id=stack_id,
            name=name,
            template={},
            parameters={},
            account_id=account_id,
            region_name=region_name,
            notification_arns=notification_arns,
            tags=tags,
            role_arn=role_arn,
        )
        self.capabilities: list[str] = []
        self.stack_status_reason: str | None = None
        self.processed: Processed | None = None
        self.harness: HarnessStack | None = None  # while deployed: its functions answer
        self.owner: HarnessStack | None = None  # the last deployment, whose clients delete what it created
        self.resources: list[StackResource] = []

    # -- what DescribeStacks and the resource calls read (moto's Stack reads its own template engine) -----

    @property
    def parameter_list(self) -> list[dict[str, Any]]:
        if self.processed is None:
            return []
        declared = self.processed.template.get("Parameters") or {}
        return [
            {
                "ParameterKey": name,
                # NoEcho parameters are masked in every Describe call.
                # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/parameters-section-structure.html
                "ParameterValue": "****" if str(declared.get(name, {}).get("NoEcho", "")).lower() == "true" else value,
            }
            for name, value in self.stack_parameters.items()
        ]

    @property
    def stack_parameters(self) -> dict[str, Any]:
        if self.processed is None:
            return {}
        return {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in self.processed.parameters.items()}

    @property
    def stack_resources(self) -> Iterable[Any]:
        return list(self.resources)

    @property
    def outputs(self) -> list[dict[str, Any]] | None:
        if self.harness is None or self.processed is None:
            return None
        declared = self.processed.translation.template.get("Outputs") or {}
        outputs = [
            {"OutputKey": name, "OutputValue": _output_text(value), "Description": declared[name].get("Description")}
            for name, value in self.harness.outputs.items()
        ]
        return outputs or None

    @property
    def exports(self) -> list[Any]:
        return []  # Outputs' Export names are not registered (see localcloud/README.md)

    # -- events ------------------------------------------------------------------------------------------

    def _add_stack_event(
        self,
        resource_status: str,
        resource_status_reason: str | None = None,
        resource_properties: str | None = None,  # noqa: ARG002 - moto's signature; events carry no properties
    ) -> None:
        self.add_event(self.name, self.stack_id, "AWS::CloudFormation::Stack", resource_status, resource_status_reason)

    def add_event(self, logical_id: str, physical_id: str, kind: str, status: str, reason: str | None = None) -> None:
        event = Event(
            stack_id=self.stack_id,
            stack_name=self.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id,
            resource_type=kind,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
        # SAM CLI shows the events newer than the last one it saw, so each must be later than the one before.
        if self.events and event.timestamp <= self.events[-1].timestamp:
            event.timestamp = self.events[-1].timestamp + timedelta(milliseconds=1)
        self.events.append(event)

    # -- deleting ------------------------------------------------------------------------------------------

    def remove_resources(self, harness: HarnessStack) -> list[str]:
        """Delete the stack's resources, newest first, with their events; returns the ones that could not be."""
        from localcloud.cloudformation.removal import delete_resource

        failed: list[str] = []
        for resource in reversed(list(self.resources)):
            args = (resource.logical_resource_id, resource.physical_resource_id, resource.cf_resource_type)
            self.add_event(*args, "DELETE_IN_PROGRESS")
            reason = delete_resource(harness, resource.cf_resource_type, resource.physical_resource_id)
            if reason is None:
                self.add_event(*args, "DELETE_COMPLETE")
                self.resources.remove(resource)
            else:
                self.add_event(*args, "DELETE_FAILED", reason)
                resource.resource_status = "DELETE_FAILED"
                failed.append(resource.logical_resource_id)
        return failed

    def delete(self) -> None:
        self._add_stack_event("DELETE_IN_PROGRESS", "User Initiated")
        close_deployment(self)
        failed = self.remove_resources(self.owner) if self.owner is not None else []
        if failed:
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html (DELETE_FAILED)
            self.status = "DELETE_FAILED"
            self.stack_status_reason = f"The following resource(s) failed to delete: [{', '.join(failed)}]. "
            self._add_stack_event("DELETE_FAILED", self.stack_status_reason)
            return
        self.status = "DELETE_COMPLETE"
        self._add_stack_event("DELETE_COMPLETE")


class SamChangeSet(ChangeSet):
    """A change set of a SAM stack: its changes come from the processed template, not moto's parser."""

    def __init__(
        self,
        *,
        change_set_type: str,
        change_set_id: str,
        change_set_name: str,
        stack: SamStack,
        template: str,
        description: str,
        notification_arns: list[str] | None,
        tags: dict[str, str] | None,
        role_arn: str | None,
        capabilities: list[str],
        processed: Processed | None,
        changes: list[Change],
    ) -> None:
        self._sam_changes = changes
        parameters = (
            {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in processed.parameters.items()}
            if processed
            else {}
        )
        super().__init__(
            change_set_type=change_set_type,
            change_set_id=change_set_id,
            change_set_name=change_set_name,
            stack=stack,
            template=template,
            parameters=parameters,
            description=description,
            notification_arns=notification_arns,
            tags=tags,
            role_arn=role_arn,
        )
        self.capabilities = capabilities
        self.processed = processed

    def diff(self) -> list[Change]:
        return list(self._sam_changes)

    def fail(self, reason: str) -> None:
        # A change set that cannot be created ends FAILED and cannot be executed.
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeChangeSet.html
        self.status = "FAILED"
        self.execution_status = "UNAVAILABLE"
        self.status_reason = reason
        if self.processed is not None:
            self.processed.discard()
            self.processed = None


def _output_text(value: Any) -> str:
    # Output values are strings: a list (Fn::Split, Fn::GetAZs...) reads as CloudFormation's comma-delimited list.
    if isinstance(value, list):
        return ",".join(_output_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- deployments the cloud must close when it stops ------------------------------------------------------------

Listener = Callable[["HarnessStack", bool], None]

_OPEN: list[SamStack] = []
_LISTENERS: list[Listener] = []
_LOCK = threading.Lock()
_ROOT: list[Path] = []  # the one directory every change set's artifacts go under, once made


def subscribe(listener: Listener) -> Callable[[], None]:
    """Call ``listener(stack, True)`` when a SAM stack is deployed and ``(stack, False)`` when it is closed;
    returns the function that unsubscribes."""
    with _LOCK:
        _LISTENERS.append(listener)

    def unsubscribe() -> None:
        with _LOCK, contextlib.suppress(ValueError):
            _LISTENERS.remove(listener)

    return unsubscribe


def opened(stack: SamStack) -> None:
    assert stack.harness is not None
    with _LOCK:
        _OPEN.append(stack)
        listeners = list(_LISTENERS)
    for listener in listeners:
        listener(stack.harness, True)


def close_deployment(stack: SamStack) -> None:
    """Stop the stack's functions answering and remove its artifacts."""
    harness, stack.harness = stack.harness, None
    with _LOCK:
        if stack in _OPEN:
            _OPEN.remove(stack)
        listeners = list(_LISTENERS)
    if harness is not None:
        harness.close()
        for listener in listeners:
            listener(harness, False)
    if stack.processed is not None:
        stack.processed.discard()


def work_directory(stack_name: str) -> Path:
    """A new directory for one change set's artifacts; :func:`close_all` removes every one left."""
    with _LOCK:
        if not _ROOT:
            _ROOT.append(Path(tempfile.mkdtemp(prefix="localcloud-stacks-")))
        root = _ROOT[0]
    return Path(tempfile.mkdtemp(prefix=f"{stack_name}-", dir=root))


def close_all() -> None:
    """Close every deployed SAM stack and remove every change set's artifacts (the cloud is stopping)."""
    with _LOCK:
        stacks = list(_OPEN)
    for stack in stacks:
        close_deployment(stack)
    with _LOCK:
        roots = list(_ROOT)
        _ROOT.clear()
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)
