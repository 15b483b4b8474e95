"""SQS event source mappings: the poller Lambda runs for a queue, driven on demand by ``stack.drain()``.

Each round receives up to ``BatchSize`` messages per enabled mapping, invokes the function with an SQS
event, deletes what succeeded and leaves the rest for redelivery. With a redrive policy, failed messages
become visible again at once (no real waiting for the visibility timeout), so they are retried until
moto moves them to the dead-letter queue after ``maxReceiveCount`` receives. Without one, they become
visible again only when the drain ends, so a failing message is tried once per drain.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from localcloud.harness.lambdas import REGISTRY, FunctionError

if TYPE_CHECKING:
    from localcloud.harness.stack import Stack

LOG = logging.getLogger(__name__)

# A function that keeps feeding its own queue would never drain.
MAX_ROUNDS = 1000


@dataclass
class DrainReport:
    """What one drain did."""

    invocations: int = 0
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    filtered: list[str] = field(default_factory=list)
    errors: list[FunctionError] = field(default_factory=list)


def _sqs_record(message: Any, queue_arn: str, region: str) -> dict[str, Any]:
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if message.group_id:
        attributes["MessageGroupId"] = str(message.group_id)
    if message.deduplication_id:
        attributes["MessageDeduplicationId"] = str(message.deduplication_id)
    if getattr(message, "sequence_number", None):
        attributes["SequenceNumber"] = str(message.sequence_number)
    message_attributes = {}
    for name, value in (message.message_attributes or {}).items():
        entry: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")}
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = value["BinaryValue"]
        message_attributes[name] = entry
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _matches_filters(body: str, filter_criteria: Any) -> bool:
    filters = (filter_criteria or {}).get("Filters") or []
    if not filters:
        return True
    from moto.events.models import EventPattern

    try:
        parsed: Any = json.loads(body)
    except ValueError:
        parsed = body
    record = {"body": parsed}
    return any(EventPattern.load(f["Pattern"]).matches_event(cast(Any, record)) for f in filters)


def _failed_ids(result: Any, batch_ids: list[str], report_failures: bool) -> list[str]:
    if not report_failures or not isinstance(result, dict) or not result.get("batchItemFailures"):
        return []
    failed = []
    for failure in result["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in batch_ids:
            # Lambda treats a malformed partial response as a failure of the whole batch.
            return list(batch_ids)
        failed.append(identifier)
    return failed


def drain(stack: Stack) -> DrainReport:
    """Deliver every queued message to its mapped function until the mapped queues are empty."""
    from moto.awslambda.utils import get_backend as lambda_backend
    from moto.sqs.models import sqs_backends

    sqs = sqs_backends[stack.account_id][stack.region]
    mappings = lambda_backend(stack.account_id, stack.region)._event_source_mappings
    report = DrainReport()
    held: list[tuple[str, str]] = []
    try:
        for _ in range(MAX_ROUNDS):
            progressed = False
            for mapping_id in stack.event_source_mappings:
                mapping = mappings.get(mapping_id)
                if mapping is None or not mapping.enabled or ":sqs:" not in mapping.event_source_arn:
                    continue
                if _poll_once(stack, sqs, mapping, report, held):
                    progressed = True
            if not progressed:
                break
        else:
            LOG.warning("drain stopped after %d rounds: the queues keep refilling", MAX_ROUNDS)
    finally:
        for queue_name, receipt_handle in held:
            sqs.change_message_visibility(queue_name, receipt_handle, visibility_timeout=0)
    return report


def _poll_once(stack: Stack, sqs: Any, mapping: Any, report: DrainReport, held: list[tuple[str, str]]) -> bool:
    queue_name = mapping.event_source_arn.rsplit(":", 1)[-1]
    queue = sqs.get_queue(queue_name)
    messages = sqs.receive_message(queue_name, int(mapping.batch_size or 10), 0, int(queue.visibility_timeout))
    if not messages:
        return False
    function = REGISTRY.find(stack.account_id, stack.region, mapping.function_arn)
    if function is None:
        raise RuntimeError(
            f"event source mapping {mapping.uuid} points at {mapping.function_arn}, not a local function"
        )
    matching = []
    for message in messages:
        if _matches_filters(message.body, mapping.filter_criteria):
            matching.append(message)
        else:
            # Lambda drops messages its filter criteria reject.
            sqs.delete_message(queue_name, message.receipt_handle)
            report.filtered.append(message.id)
    if not matching:
        return True
    event = {"Records": [_sqs_record(m, queue.queue_arn, stack.region) for m in matching]}
    ids = [m.id for m in matching]
    report.invocations += 1
    try:
        result = function.run(event)
    except FunctionError as error:
        report.errors.append(error)
        stack.invocation_failures.append(error)
        failed = ids
    else:
        failed = _failed_ids(result, ids, "ReportBatchItemFailures" in (mapping.function_response_types or []))
    for message in matching:
        if message.id in failed:
            report.failed.append(message.id)
            if queue.redrive_policy:
                sqs.change_message_visibility(queue_name, message.receipt_handle, visibility_timeout=0)
            else:
                held.append((queue_name, message.receipt_handle))
        else:
            sqs.delete_message(queue_name, message.receipt_handle)
            report.succeeded.append(message.id)
    return True
