"""Step Functions "Execution Status Change" events on the default event bus, as AWS sends them.

Step Functions sends an event to the account's default EventBridge bus when a Standard workflow's
execution starts (``RUNNING``) and when it ends (``SUCCEEDED``, ``FAILED``, ``TIMED_OUT``,
``ABORTED``); Express workflows send none
(https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html,
https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html,
https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html). The harness routes them
through the deployed stack's rules like any other event, so a rule on ``FAILED`` and ``TIMED_OUT``
reaches its SNS topic, SQS queue or Lambda function even when the workflow never reached its own
last state.

The events are built on the virtual clock (``time``, ``startDate``, ``stopDate``), in the shape of
AWS's documented examples; the end event is delivered before the execution counts as ended for
:meth:`localcloud.harness.stack.Stack.wait_for_execution`, so tests see it at once.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

from localcloud.harness import routing

SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"
# "If the combined escaped input and escaped output sent to EventBridge exceeds 248 KB, then the input
# will be excluded. Similarly, if the escaped output exceeds 248 KB, then the output will be excluded."
# (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html, "EventBridge payloads").
PAYLOAD_LIMIT = 248 * 1024
# Redrive applies to executions that failed, timed out or were aborted; the reasons are DescribeExecution's
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
_REDRIVABLE = {"FAILED", "TIMED_OUT", "ABORTED"}
_ENDED_ATTRIBUTE = "_localcloud_ended"


def track(execution: Any) -> None:
    """Give a starting execution the flag its end event sets (see :func:`ended`)."""
    setattr(execution, _ENDED_ATTRIBUTE, threading.Event())


def ended(execution: Any) -> threading.Event:
    """Set once the execution has ended and its end event has been delivered."""
    flag: threading.Event = getattr(execution, _ENDED_ATTRIBUTE)
    return flag


def is_standard(execution: Any) -> bool:
    # moto keeps the type the machine was created with in ``type``; its ``sm_type`` always says STANDARD.
    return str(getattr(execution.state_machine, "type", "STANDARD")) == "STANDARD"


def _millis(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def _escaped_size(text: str | None) -> int:
    return 0 if text is None else len(json.dumps(text).encode("utf-8"))


def status_change_detail(execution: Any, status: str) -> dict[str, Any]:
    """The ``detail`` of the event: DescribeExecution's fields, dates in epoch milliseconds."""
    description = execution.to_describe_output()
    output: str | None = description.get("output") if status == "SUCCEEDED" else None
    text_input: str | None = description.get("input")
    output_included = _escaped_size(output) <= PAYLOAD_LIMIT
    if not output_included:
        output = None
    input_included = _escaped_size(text_input) + _escaped_size(output) <= PAYLOAD_LIMIT
    if not input_included:
        text_input = None
    detail: dict[str, Any] = {
        "executionArn": description["executionArn"],
        "stateMachineArn": description["stateMachineArn"],
        "name": description["name"],
        "status": status,
        "startDate": _millis(description.get("startDate")),
        "stopDate": _millis(description.get("stopDate")) if status != "RUNNING" else None,
        "input": text_input,
        "inputDetails": {"included": input_included},
        "output": output,
        # The documented examples give no outputDetails (null) while there is no output.
        "outputDetails": {"included": output_included} if status == "SUCCEEDED" else None,
    }
    if status in _REDRIVABLE:
        # The documented failure examples carry the execution's error and cause (null when it has none).
        error, cause = description.get("error"), description.get("cause")
        if status == "ABORTED":
            # Not documented for this event: we give StopExecution's error and cause, as the execution's
            # ExecutionAborted history event records them.
            error, cause = _stop_reason(execution)
        detail["error"], detail["cause"] = error, cause
    detail.update(
        {
            "redriveCount": 0,
            "redriveDate": None,
            "redriveStatus": "REDRIVABLE" if status in _REDRIVABLE else "NOT_REDRIVABLE",
            "redriveStatusReason": None if status in _REDRIVABLE else f"Execution is {status} and cannot be redriven",
        }
    )
    return detail


def _stop_reason(execution: Any) -> tuple[str | None, str | None]:
    worker = execution.exec_worker
    state = worker.env.program_state() if worker is not None and worker.env is not None else None
    return getattr(state, "error", None) or None, getattr(state, "cause", None) or None


def publish(execution: Any, status: str) -> None:
    """Send the execution's status change to the default bus of its account and Region (Standard only)."""
    from localcloud.harness.stack import active_stack

    if not is_standard(execution):
        return
    stack = active_stack(execution.account_id, execution.region_name)
    if stack is None:
        return  # no deployed rules to route through
    detail = status_change_detail(execution, status)
    entry = {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": detail, "Resources": [detail["executionArn"]]}
    event, bus = routing.envelope_from_entry(entry, stack.account_id, stack.region)
    stack.deliver_service_event(event, bus)
