"""OnboardingFunction: Identity Center changes from IdentityCenterEventsQueue, in batches.

The configuration is read before any record is looked at: missing or invalid, the invocation fails and
every message stays in the queue (nothing is lost while an administrator fixes it). Then each record is
parsed and converged on its own (Powertools Batch, partial batch failures): an unreadable record is logged
with the reason and reported failed, so after the queue's maxReceiveCount it reaches the dead-letter queue,
and the others go on. Exact redeliveries (same EventBridge event id) are dropped by Powertools Idempotency.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain_steward import aws_clients
from domain_steward.config import ConfigInvalid, StewardConfig, load_config
from domain_steward.onboarding import runtime
from domain_steward.onboarding.actions import Action, metric_counts
from domain_steward.onboarding.context import Context
from domain_steward.onboarding.events import UnreadableEvent, change_of, parse_body
from domain_steward.onboarding.intake import apply_change
from domain_steward.onboarding.notifications import notify

logger = Logger(service="onboarding")
tracer = Tracer(service="onboarding")
metrics = Metrics(service="onboarding")

# A redelivery within this window is the same event; later ones are converged again (harmless).
_IDEMPOTENCY_SECONDS = 24 * 3600


@cache
def _persistence(table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table_name)


def _load(parameter_name: str) -> StewardConfig:
    try:
        return load_config(parameter_name)
    except ConfigInvalid as error:
        metrics.add_metric(name="ConfigInvalid", unit=MetricUnit.Count, value=1)
        logger.error("configuration invalid: nothing processed, messages kept", problems=error.problems)
        raise


def _report(actions: list[Action]) -> None:
    for action in actions:
        logger.info(
            f"{action.action}: {action.detail}",
            user_id=action.user_id,
            domain_id=action.domain_id,
            user_profile_name=action.profile_name,
            action=action.action,
        )
    for name, count in metric_counts(actions).items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
    topic = os.environ.get(runtime.NOTIFICATIONS_TOPIC)
    if topic:
        notify(aws_clients.sns(), topic, actions)


def _record_handler(ctx: Context, config: IdempotencyConfig, record: SQSRecord) -> None:
    try:
        event = parse_body(record.body)
        change = change_of(event)
    except UnreadableEvent as error:
        metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=1)
        logger.warning("record rejected", reason=str(error), message_id=record.message_id)
        raise
    if change.failed_call:
        logger.info("failed API call logged by CloudTrail: nothing changed", error_code=change.error_code)
        return

    def converge(event: dict[str, Any]) -> list[dict[str, Any]]:
        logger.info("converging", event_name=change.event_name, source=change.source, event_id=event["id"])
        actions = apply_change(ctx, change)
        _report(actions)
        return [action.as_dict() for action in actions]

    idempotent = idempotent_function(
        data_keyword_argument="event",
        persistence_store=_persistence(os.environ[runtime.IDEMPOTENCY_TABLE]),
        config=config,
    )(converge)
    idempotent(event={"id": event.id})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = _load(os.environ[runtime.CONFIG_PARAMETER])
    ctx = runtime.build_context(config)
    idempotency = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=_IDEMPOTENCY_SECONDS)
    idempotency.register_lambda_context(context)
    # Every record unreadable is still a partial failure, reported per record, not an error of the whole
    # invocation (https://docs.powertools.aws.dev/lambda/python/latest/utilities/batch/).
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event=event,
        record_handler=lambda record: _record_handler(ctx, idempotency, record),
        processor=processor,
        context=context,
    )
    return dict(response)
