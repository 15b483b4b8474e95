"""EventBridge delivery: events through the deployed rules to their targets, as EventBridge does it.

moto stores the rules and targets (so a test may change them through the API); this module matches
events against them and delivers to SQS, Lambda (asynchronously, with retries, dead-letter queue and
destinations), Step Functions, SNS and other event buses. Delivery is AWS's own doing, not an API call
of the code under test, so it goes to moto's backends directly and stays out of the call log.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from localcloud.clock import get_clock
from localcloud.harness.lambdas import FunctionError, LocalFunction, function_name_from

if TYPE_CHECKING:
    from localcloud.harness.stack import Stack

LOG = logging.getLogger(__name__)

EventEnvelope = dict[str, Any]


@dataclass
class Delivery:
    """One event delivered (or not) to one target."""

    rule: str
    target_arn: str
    result: Any = None
    error: str | None = None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- building events -------------------------------------------------------------------------------------


def envelope_from_entry(entry: Mapping[str, Any], account_id: str, region: str) -> tuple[EventEnvelope, str]:
    """The event EventBridge builds from a ``PutEvents`` entry (or an already built event), and its bus.

    Raises ``ValueError(code, message)`` as ``PutEvents`` reports a rejected entry.
    """
    if "detail-type" in entry or "source" in entry:
        # A full event, such as a sample event file: keep its fields but deliver it as this account's.
        source, detail_type, detail = entry.get("source"), entry.get("detail-type"), entry.get("detail", {})
        resources, when, bus = entry.get("resources", []), entry.get("time"), entry.get("EventBusName", "default")
    else:
        source, detail_type, detail = entry.get("Source"), entry.get("DetailType"), entry.get("Detail")
        resources, when, bus = entry.get("Resources", []), entry.get("Time"), entry.get("EventBusName", "default")
    if not source:
        raise ValueError("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.")
    if not detail_type:
        raise ValueError(
            "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."
        )
    if detail is None or detail == "":
        raise ValueError("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.")
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            raise ValueError("MalformedDetail", "Detail is malformed.") from None
    if not isinstance(detail, dict):
        raise ValueError("MalformedDetail", "Detail is malformed.")
    if isinstance(when, datetime):
        time_text = _iso(when)
    elif isinstance(when, str) and when:
        time_text = when
    else:
        time_text = _iso(get_clock().now())
    bus_name = str(bus).split("/")[-1] if str(bus).startswith("arn:") else str(bus)
    event: EventEnvelope = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        "time": time_text,
        "region": region,
        "resources": list(resources or []),
        "detail": detail,
    }
    return event, bus_name


def scheduled_event(rule_arn: str, account_id: str, region: str) -> EventEnvelope:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": _iso(get_clock().now()),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


# -- target input ------------------------------------------------------------------------------------------


def _json_path(event: Any, path: str) -> Any:
    from jsonpath_ng.ext import parse  # type: ignore[attr-defined]

    matches = parse(path).find(event)
    return matches[0].value if matches else None


def target_input(target: Mapping[str, Any], event: EventEnvelope, rule_arn: str) -> str:
    """The text EventBridge sends to ``target`` for ``event`` (Input, InputPath or InputTransformer)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        return json.dumps(_json_path(event, str(target["InputPath"])))
    transformer = target.get("InputTransformer")
    if transformer:
        values: dict[str, Any] = {
            k: _json_path(event, str(p)) for k, p in (transformer.get("InputPathsMap") or {}).items()
        }
        values.update(
            {
                "aws.events.rule-arn": rule_arn,
                "aws.events.rule-name": rule_arn.rsplit("/", 1)[-1],
                "aws.events.event.ingestion-time": event["time"],
                "aws.events.event": {k: v for k, v in event.items() if k != "detail"},
                "aws.events.event.json": event,
            }
        )
        return fill_template(str(transformer["InputTemplate"]), values)
    return json.dumps(event)


def fill_template(template: str, values: Mapping[str, Any]) -> str:
    """Replace ``<name>`` placeholders: raw text inside a JSON string, a JSON value outside one."""
    out: list[str] = []
    in_string = False
    index = 0
    while index < len(template):
        char = template[index]
        if char == "\\" and in_string:
            out.append(template[index : index + 2])
            index += 2
            continue
        if char == '"':
            in_string = not in_string
        if char == "<":
            end = template.find(">", index)
            name = template[index + 1 : end] if end > 0 else ""
            if name in values:
                value = values[name]
                if in_string:
                    text = value if isinstance(value, str) else json.dumps(value)
                    out.append(json.dumps(text)[1:-1])
                else:
                    out.append(json.dumps(value))
                index = end + 1
                continue
        out.append(char)
        index += 1
    return "".join(out)


# -- delivering ------------------------------------------------------------------------------------------


def route(stack: Stack, event: EventEnvelope, bus_name: str) -> list[Delivery]:
    """Deliver ``event`` to the targets of every enabled rule on ``bus_name`` whose pattern matches it."""
    from moto.events.models import events_backends

    backend = events_backends[stack.account_id][stack.region]
    bus = backend.event_buses.get(bus_name)
    if bus is None:
        return []
    deliveries: list[Delivery] = []
    for rule in list(bus.rules.values()):
        if rule.state != "ENABLED" or rule.scheduled_expression or not rule.event_pattern.get_pattern():
            continue
        if rule.event_pattern.matches_event(cast(Any, event)):
            deliveries.extend(deliver_to_targets(stack, rule.arn, list(rule.targets), event))
    return deliveries


def deliver_to_targets(
    stack: Stack, rule_arn: str, targets: list[Mapping[str, Any]], event: EventEnvelope
) -> list[Delivery]:
    deliveries = []
    for target in targets:
        delivery = Delivery(rule_arn, str(target["Arn"]))
        try:
            delivery.result = deliver(stack, str(target["Arn"]), target_input(target, event, rule_arn), target, event)
        except Exception as error:  # noqa: BLE001 - a failed delivery goes to the target's DLQ, as in AWS
            delivery.error = f"{type(error).__name__}: {error}"
            LOG.warning("delivery of event %s to %s failed: %s", event["id"], target["Arn"], delivery.error)
            dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
            if dead_letter:
                attributes = {
                    "RULE_ARN": rule_arn,
                    "TARGET_ARN": str(target["Arn"]),
                    "ERROR_CODE": type(error).__name__,
                    "ERROR_MESSAGE": str(error),
                }
                send_to_queue(stack, str(dead_letter), json.dumps(event), attributes)
        deliveries.append(delivery)
    return deliveries


def deliver(
    stack: Stack, arn: str, payload: str, target: Mapping[str, Any] | None = None, event: EventEnvelope | None = None
) -> Any:
    """Send ``payload`` to the resource ``arn`` names; returns a message id, execution ARN or handler result."""
    service = arn.split(":")[2]
    if service == "sqs":
        group = ((target or {}).get("SqsParameters") or {}).get("MessageGroupId")
        return send_to_queue(stack, arn, payload, group_id=group, deduplication_id=(event or {}).get("id"))
    if service == "lambda":
        return stack.invoke_async(function_name_from(arn), _as_event(payload))
    if service == "states":
        return start_execution(stack, arn, payload)
    if service == "sns":
        from moto.sns.models import sns_backends

        return sns_backends[stack.account_id][stack.region].publish(message=payload, arn=arn)
    if service == "events" and ":event-bus/" in arn:
        forwarded = json.loads(payload)
        return route(stack, forwarded, arn.rsplit("/", 1)[-1])
    raise NotImplementedError(f"the local cloud cannot deliver to {arn}")


def _as_event(payload: str) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return payload


def send_to_queue(
    stack: Stack,
    queue_arn: str,
    body: str,
    attributes: Mapping[str, str] | None = None,
    *,
    group_id: str | None = None,
    deduplication_id: str | None = None,
) -> str:
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[stack.account_id][stack.region]
    name = queue_arn.rsplit(":", 1)[-1]
    queue = backend.get_queue(name)
    message_attributes = {
        key: {"DataType": "String", "StringValue": value} for key, value in (attributes or {}).items()
    }
    message = backend.send_message(
        name,
        body,
        message_attributes=message_attributes,
        group_id=group_id if queue.fifo_queue else None,
        deduplication_id=deduplication_id if queue.fifo_queue else None,
    )
    return str(message.id)


def start_execution(stack: Stack, state_machine_arn: str, payload: str) -> str:
    from moto.stepfunctions.responses import get_backend

    try:
        json.loads(payload)
    except ValueError:
        payload = json.dumps(payload)
    execution = get_backend(stack.account_id, stack.region).start_execution(
        state_machine_arn, name=str(uuid.uuid4()), execution_input=payload
    )
    return str(execution.execution_arn)


# -- asynchronous Lambda invocation ----------------------------------------------------------------------


def invoke_async(stack: Stack, function: LocalFunction, event: Any) -> Any:
    """Lambda's asynchronous invocation: retries, then the dead-letter queue and the failure destination.

    Returns the handler's result, or ``None`` when every attempt failed (the failure is not raised:
    the caller of an asynchronous invocation never sees it).
    """
    from localcloud.harness.resources import EventInvokeConfig

    config = stack.invoke_configs.get(function.name, EventInvokeConfig())
    attempts = config.maximum_retry_attempts + 1
    failure: FunctionError | None = None
    for _ in range(attempts):
        try:
            result = function.run(event)
        except FunctionError as error:
            failure = error
            stack.invocation_failures.append(error)
            continue
        if config.on_success:
            _send_record(
                stack,
                config.on_success,
                _record(function, event, attempts=attempts, condition="Success", result=result, failure=None),
            )
        return result
    assert failure is not None
    if config.dead_letter:
        attributes = {
            "RequestID": str(uuid.uuid4()),
            "ErrorCode": "200",
            "ErrorMessage": failure.payload["errorMessage"],
        }
        _send_to(stack, config.dead_letter, json.dumps(event), attributes)
    if config.on_failure:
        _send_record(
            stack,
            config.on_failure,
            _record(function, event, attempts=attempts, condition="RetriesExhausted", result=None, failure=failure),
        )
    return None


def _record(
    function: LocalFunction, event: Any, *, attempts: int, condition: str, result: Any, failure: FunctionError | None
) -> dict[str, Any]:
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if failure is not None:
        response["functionError"] = "Unhandled"
    return {
        "version": "1.0",
        "timestamp": get_clock().now().astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function.arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": response,
        "responsePayload": failure.payload if failure is not None else result,
    }


def _send_record(stack: Stack, destination: str, record: dict[str, Any]) -> None:
    _send_to(stack, destination, json.dumps(record), None)


def _send_to(stack: Stack, arn: str, body: str, attributes: Mapping[str, str] | None) -> None:
    if ":sqs:" in arn:
        send_to_queue(stack, arn, body, attributes)
    else:
        deliver(stack, arn, body)
