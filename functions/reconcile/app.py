"""ReconcileFunction: on its schedule (event ``Schedule``), or invoked with ``{"DryRun": true}`` to report
the differences without repairing them. Returns the report."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain_steward import aws_clients
from domain_steward.config import ConfigInvalid, load_config
from domain_steward.onboarding import runtime
from domain_steward.onboarding.actions import metric_counts
from domain_steward.onboarding.notifications import notify
from domain_steward.onboarding.reconcile import reconcile

logger = Logger(service="reconcile")
tracer = Tracer(service="reconcile")
metrics = Metrics(service="reconcile")


def _dry_run(event: Any) -> bool:
    """A scheduled event repairs; a direct invoke with ``{"DryRun": true}`` only reports."""
    return isinstance(event, dict) and event.get("DryRun") is True


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001 (Lambda's signature)
    try:
        config = load_config(os.environ[runtime.CONFIG_PARAMETER])
    except ConfigInvalid as error:
        metrics.add_metric(name="ConfigInvalid", unit=MetricUnit.Count, value=1)
        logger.error("configuration invalid: nothing reconciled", problems=error.problems)
        raise
    dry_run = _dry_run(event)
    report, actions = reconcile(runtime.build_context(config), dry_run=dry_run)
    for domain in report["Domains"]:
        for difference in domain["differences"]:
            logger.info(
                difference["difference"],
                domain_id=difference["domain_id"],
                user_id=difference["user_id"],
                user_profile_name=difference["user_profile_name"],
                actions=difference["actions"],
                dry_run=dry_run,
            )
    metrics.add_metric(name="ReconcileDrift", unit=MetricUnit.Count, value=report["Differences"])
    for name, count in metric_counts(actions).items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
    topic = os.environ.get(runtime.NOTIFICATIONS_TOPIC)
    if topic and not dry_run:
        notify(aws_clients.sns(), topic, actions)
    logger.info("reconciliation finished", differences=report["Differences"], dry_run=dry_run)
    return report
