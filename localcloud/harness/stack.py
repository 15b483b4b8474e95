"""``Stack``: a SAM template deployed on the local cloud, and the ways to drive it.

    stack = cloud.deploy("template.yaml", {"Stage": "test"})
    stack.put_events([{"Source": "aws.identitystore", "DetailType": "...", "Detail": {...}}])
    result = stack.start_execution("TeardownStateMachine", {"DomainId": "d-123"})

Everything comes from the template: its translation by the SAM transform lists the resources, and
each is created on moto in dependency order with its intrinsic functions resolved.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError

from localcloud.harness import execution_events, lambdas, queues, routing
from localcloud.harness.intrinsics import Resolver, creation_order
from localcloud.harness.lambdas import REGISTRY, FunctionError, LocalFunction
from localcloud.harness.resources import CREATORS, Created, DeployError, EventInvokeConfig
from localcloud.harness.routing import Delivery
from localcloud.harness.template import DEFAULT_STACK_NAME, Translation, pseudo_parameters, translate_template
from localcloud.session import NO_RETRIES, shared_session

LOG = logging.getLogger(__name__)


class Cloud(Protocol):
    """What a stack needs of :class:`localcloud.LocalCloud`."""

    region: str
    account_id: str


@dataclass
class Skipped:
    """A resource the local cloud does not create, and why."""

    logical_id: str
    kind: str
    reason: str


# Stacks by (account, Region), so events that handlers put through the EventBridge API are routed too.
_ACTIVE: dict[tuple[str, str], Stack] = {}
_ACTIVE_LOCK = threading.Lock()


class Stack:
    """A deployed template: its resources, outputs and functions, and the drivers for its event sources."""

    def __init__(self, cloud: Cloud, translation: Translation, name: str) -> None:
        self.cloud = cloud
        self.name = name
        self.region = cloud.region
        self.account_id = cloud.account_id
        self.translation = translation
        pseudo = pseudo_parameters(self.region, self.account_id, name)
        self.partition = str(pseudo["AWS::Partition"])
        self.resources: dict[str, Created] = {}
        self.skipped: list[Skipped] = []
        self.outputs: dict[str, Any] = {}
        self.functions: dict[str, LocalFunction] = {}
        self.layer_dirs: dict[str, list[Path]] = {}
        self.invoke_configs: dict[str, EventInvokeConfig] = {}
        self.event_source_mappings: list[str] = []
        self.rules: dict[str, tuple[str, str]] = {}
        self.schedules: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self.state_machines: dict[str, str] = {}
        self.deliveries: list[Delivery] = []
        self.invocation_failures: list[FunctionError] = []
        self._clients: dict[str, Any] = {}
        template = translation.template
        self._resolve_ssm_parameters(template.get("Parameters") or {})
        self._resolver = Resolver(
            parameters=translation.parameters,
            pseudo=pseudo,
            mappings=template.get("Mappings") or {},
            conditions=template.get("Conditions") or {},
            ref=self._ref,
            get_att=self._get_att,
        )

    def _resolve_ssm_parameters(self, declared: Mapping[str, Any]) -> None:
        # CloudFormation reads AWS::SSM::Parameter::Value<...> parameters from Parameter Store at deploy.
        for name, spec in declared.items():
            kind = str(spec.get("Type", ""))
            if not kind.startswith("AWS::SSM::Parameter::Value<") or name not in self.translation.parameters:
                continue
            parameter_name = str(self.translation.parameters[name])
            try:
                value = self.client("ssm").get_parameter(Name=parameter_name, WithDecryption=True)["Parameter"]["Value"]
            except ClientError as error:
                raise DeployError(
                    f"parameter {name}: SSM parameter {parameter_name!r} cannot be read: {error}"
                ) from error
            self.translation.parameters[name] = value.split(",") if "List<" in kind[len("AWS::SSM::") :] else value

    # -- deploying -------------------------------------------------------------------------------

    @classmethod
    def deploy(
        cls, cloud: Cloud, template: Path, parameters: Mapping[str, Any] | None = None, *, stack_name: str | None = None
    ) -> Stack:
        """Translate ``template`` and create all its resources on ``cloud`` (which must be started)."""
        name = stack_name or DEFAULT_STACK_NAME
        translation = translate_template(
            template, parameters, region=cloud.region, account_id=cloud.account_id, stack_name=name
        )
        return cls.create(cloud, translation, name)

    @classmethod
    def create(
        cls, cloud: Cloud, translation: Translation, name: str, *, on_failure: Callable[[Stack], None] | None = None
    ) -> Stack:
        """Create every resource of an already translated template (CloudFormation translates a change set's
        template when the change set is created, and creates its resources when it is executed).

        If a resource cannot be created, ``on_failure`` gets the stack with what was created so far (to roll it
        back), then the error is raised.
        """
        from localcloud.harness import stepfunctions

        stepfunctions.install()
        stack = cls(cloud, translation, name)
        try:
            stack._create_all()
        except BaseException:
            stack.close()
            if on_failure is not None:
                on_failure(stack)
            raise
        with _ACTIVE_LOCK:
            _ACTIVE[(stack.account_id, stack.region)] = stack
        _install_events_patch()
        return stack

    def _create_all(self) -> None:
        resources: dict[str, Any] = self.translation.template["Resources"]
        for logical_id in creation_order(resources):
            resource = resources[logical_id]
            condition = resource.get("Condition")
            if condition and not self._resolver.condition(condition):
                continue
            kind = str(resource.get("Type"))
            create = CREATORS.get(kind)
            if create is None:
                LOG.warning("%s: %s is not emulated by the local cloud; skipped", logical_id, kind)
                self.skipped.append(Skipped(logical_id, kind, "type not emulated"))
                continue
            properties = self._resolver.resolve(resource.get("Properties") or {})
            try:
                created = create(self, logical_id, properties)
            except ClientError as error:
                raise DeployError(f"{logical_id} ({kind}): {error}") from error
            except KeyError as error:
                raise DeployError(f"{logical_id} ({kind}): required property {error} is missing") from error
            created.kind = kind
            self.resources[logical_id] = created
        for name, output in (self.translation.template.get("Outputs") or {}).items():
            condition = output.get("Condition")
            if condition and not self._resolver.condition(condition):
                continue
            self.outputs[name] = self._resolver.resolve(output["Value"])

    def _created(self, logical_id: str) -> Created:
        if logical_id in self.resources:
            return self.resources[logical_id]
        if any(s.logical_id == logical_id for s in self.skipped):
            # A placeholder keeps the rest of the template deployable; nothing will answer at this ARN.
            return Created(
                f"{self.name}-{logical_id}",
                {"Arn": f"arn:{self.partition}:localcloud:{self.region}:{self.account_id}:{logical_id}"},
            )
        resources = self.translation.template["Resources"]
        if logical_id in resources:
            raise DeployError(f"{logical_id} is referenced but not created (its Condition is false)")
        raise DeployError(f"unresolved reference to {logical_id!r}: not a parameter or resource")

    def _ref(self, logical_id: str) -> Any:
        return self._created(logical_id).ref

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        created = self._created(logical_id)
        if attribute not in created.attributes:
            raise DeployError(
                f"Fn::GetAtt {logical_id}.{attribute}: {created.kind or 'the resource'} has no such attribute"
            )
        return created.attributes[attribute]

    def close(self) -> None:
        """Forget the stack's functions (the cloud's resources go when the cloud stops)."""
        for function in self.functions.values():
            REGISTRY.remove(self.account_id, function)
        with _ACTIVE_LOCK:
            if _ACTIVE.get((self.account_id, self.region)) is self:
                del _ACTIVE[(self.account_id, self.region)]

    # -- looking things up -------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A client for the harness's own calls: no retries, so a failure names its real cause."""
        if service not in self._clients:
            self._clients[service] = shared_session().client(  # type: ignore[call-overload]
                service, region_name=self.region, config=NO_RETRIES
            )
        return self._clients[service]

    def physical_id(self, logical_id: str) -> Any:
        """What ``Ref`` gives for a resource: a queue URL, a function name, a state machine ARN..."""
        return self._created(logical_id).ref

    def attribute(self, logical_id: str, attribute: str) -> Any:
        """What ``Fn::GetAtt`` gives, for example ``attribute("WorkQueue", "Arn")``."""
        return self._get_att(logical_id, attribute)

    def function(self, logical_id: str) -> LocalFunction:
        try:
            return self.functions[logical_id]
        except KeyError:
            raise KeyError(f"{logical_id} is not a function of this stack: {sorted(self.functions)}") from None

    # -- Lambda ------------------------------------------------------------------------------------

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Invoke a function synchronously; raises :class:`FunctionError` if the handler fails."""
        return self.function(logical_id).run(event)

    def invoke_async(self, function_name: str, event: Any) -> Any:
        """Lambda's asynchronous invocation (retries, DLQ, destinations) of a function by name."""
        function = REGISTRY.find(self.account_id, self.region, function_name)
        if function is None:
            raise LookupError(f"Function not found: {function_name}")
        return routing.invoke_async(self, function, event)

    def drain(self) -> queues.DrainReport:
        """Run every SQS event source mapping until its queue is empty (or holds only failed messages)."""
        return queues.drain(self)

    # -- EventBridge -------------------------------------------------------------------------------

    def put_events(self, entries: Sequence[Mapping[str, Any]], *, drain: bool = True) -> dict[str, Any]:
        """``PutEvents``: route each entry through the deployed rules to their targets.

        Entries use the PutEvents shape (``Source``, ``DetailType``, ``Detail`` as a dict or JSON text)
        or are whole events (``source``, ``detail-type``, ``detail``, as in sample event files).
        With ``drain`` the queues are then drained, so an event reaches the functions behind them.
        """
        if not entries or len(entries) > 10:
            raise ValueError(f"PutEvents takes 1 to 10 entries, not {len(entries)}")
        response_entries = self._route_entries(entries)
        if drain:
            self.drain()
        failed = sum(1 for e in response_entries if "ErrorCode" in e)
        return {"FailedEntryCount": failed, "Entries": response_entries}

    def deliver_service_event(self, event: routing.EventEnvelope, bus: str = "default") -> list[Delivery]:
        """Route an event an AWS service sends itself (no ``PutEvents`` call, so none in the call log).

        Step Functions calls it from moto's worker threads; a Lambda target waits for its turn on the
        invocation lock as any other invocation does.
        """
        deliveries = routing.route(self, event, bus)
        self.deliveries.extend(deliveries)
        return deliveries

    def _route_entries(self, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        response_entries: list[dict[str, Any]] = []
        for entry in entries:
            try:
                event, bus = routing.envelope_from_entry(entry, self.account_id, self.region)
            except ValueError as error:
                code, message = error.args
                response_entries.append({"ErrorCode": code, "ErrorMessage": message})
                continue
            self.deliveries.extend(routing.route(self, event, bus))
            response_entries.append({"EventId": event["id"]})
        return response_entries

    def run_schedule(self, logical_id: str, *, drain: bool = True) -> list[Delivery]:
        """Fire a scheduled rule or schedule now, by logical id (``MyFunctionNightly`` or ``MyFunction.Nightly``)."""
        key = logical_id.replace(".", "")
        if key in self.rules:
            deliveries = self._fire_rule(key)
        elif key in self.schedules:
            deliveries = [self._fire_schedule(key)]
        else:
            known = sorted([k for k in self.rules if self._is_scheduled(k)] + list(self.schedules))
            raise KeyError(f"{logical_id} is not a schedule of this stack: {known}")
        self.deliveries.extend(deliveries)
        if drain:
            self.drain()
        return deliveries

    def _moto_rule(self, logical_id: str) -> Any:
        from moto.events.models import events_backends

        bus, name = self.rules[logical_id]
        return events_backends[self.account_id][self.region].event_buses[bus].rules[name]

    def _is_scheduled(self, logical_id: str) -> bool:
        return bool(self._moto_rule(logical_id).scheduled_expression)

    def _fire_rule(self, logical_id: str) -> list[Delivery]:
        rule = self._moto_rule(logical_id)
        if not rule.scheduled_expression:
            raise KeyError(f"{logical_id} is an event pattern rule, not a schedule")
        if rule.state != "ENABLED":
            LOG.info("%s is %s: nothing fires", logical_id, rule.state)
            return []
        event = routing.scheduled_event(rule.arn, self.account_id, self.region)
        return routing.deliver_to_targets(self, rule.arn, list(rule.targets), event)

    def _fire_schedule(self, logical_id: str) -> Delivery:
        _, arn, target = self.schedules[logical_id]
        payload = str(target.get("Input", "{}"))
        context = {
            "<aws.scheduler.schedule-arn>": arn,
            "<aws.scheduler.scheduled-time>": routing._iso(self._now()),
            "<aws.scheduler.execution-id>": str(uuid.uuid4()),
            "<aws.scheduler.attempt-number>": "1",
        }
        for placeholder, value in context.items():
            payload = payload.replace(placeholder, value)
        delivery = Delivery(arn, str(target["Arn"]))
        try:
            delivery.result = routing.deliver(self, str(target["Arn"]), payload, target)
        except Exception as error:  # noqa: BLE001 - as for rules, a failed delivery goes to the DLQ
            delivery.error = f"{type(error).__name__}: {error}"
            dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
            if dead_letter:
                routing.send_to_queue(self, str(dead_letter), payload)
        return delivery

    @staticmethod
    def _now() -> Any:
        from localcloud.clock import get_clock

        return get_clock().now()

    # -- Step Functions ----------------------------------------------------------------------------

    def state_machine_arn(self, logical_id: str) -> str:
        try:
            return self.state_machines[logical_id]
        except KeyError:
            raise KeyError(
                f"{logical_id} is not a state machine of this stack: {sorted(self.state_machines)}"
            ) from None

    def start_execution(
        self,
        logical_id: str,
        execution_input: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        """Start the state machine, wait (in real time, briefly: waits run on the virtual clock) until it
        ends and its status-change event has been delivered, and return ``DescribeExecution``."""
        sfn = self.client("stepfunctions")
        arn = sfn.start_execution(
            stateMachineArn=self.state_machine_arn(logical_id),
            name=name or str(uuid.uuid4()),
            input=json.dumps(dict(execution_input or {})),
        )["executionArn"]
        self.wait_for_execution(arn, timeout=timeout)
        description: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        description.pop("ResponseMetadata", None)
        return description

    def wait_for_execution(self, execution_arn: str, *, timeout: float = 60.0) -> str:
        """Wait until the execution has ended and its end event has been delivered; return its status.

        Raises ``TimeoutError`` after ``timeout`` seconds of real time.
        """
        from moto.stepfunctions.responses import get_backend

        execution: Any = get_backend(self.account_id, self.region).describe_execution(execution_arn)
        if not execution_events.ended(execution).wait(timeout):
            status = execution.exec_status.value if execution.exec_status else "RUNNING"
            events = self.execution_history(execution_arn)
            last = events[-1]["type"] if events else "none"
            raise TimeoutError(
                f"execution {execution_arn} still {status} after {timeout} s of real time (last event: {last})"
            )
        return str(execution.exec_status.value)

    def execution_history(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every history event of an execution, oldest first."""
        paginator = self.client("stepfunctions").get_paginator("get_execution_history")
        events: list[dict[str, Any]] = []
        for page in paginator.paginate(executionArn=execution_arn):
            events.extend(page["events"])
        return events


def active_stack(account_id: str, region: str) -> Stack | None:
    """The stack deployed last in this account and Region, whose rules route the events AWS sends."""
    with _ACTIVE_LOCK:
        return _ACTIVE.get((account_id, region))


# -- handlers that call events:PutEvents -------------------------------------------------------------------


@cache
def _install_events_patch() -> None:
    """Route ``PutEvents`` calls made through the API (by handlers, or tests) through the stack's rules.

    moto itself can only deliver to a few target types and raises for Lambda and Step Functions.
    """
    from moto.events.models import EventsBackend

    original = EventsBackend.put_events

    def put_events(backend: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with _ACTIVE_LOCK:
            stack = _ACTIVE.get((backend.account_id, backend.region_name))
        if stack is None:
            return original(backend, events)
        if len(events) > 10:
            return original(backend, events)  # moto raises AWS's validation error
        return stack._route_entries(events)

    EventsBackend.put_events = put_events  # type: ignore[method-assign,assignment]


__all__ = ["Cloud", "FunctionError", "Skipped", "Stack", "lambdas"]
