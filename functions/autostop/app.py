"""AutoStopFunction: the idle-app sweep, on its schedule or on demand (``{"DryRun": true}``).

Thin on purpose: read the configuration first (an invalid one stops everything: nothing is stopped, the
``ConfigInvalid`` metric is emitted and the error raised), make the clients (lazily, adaptive retries), run
``domain_steward.autostop.sweep`` and turn its report into metrics.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain_steward import aws_clients
from domain_steward.autostop.sweep import SweepClients, SweepSettings, run_sweep
from domain_steward.config import ConfigInvalid, load_config

logger = Logger(service="autostop")
tracer = Tracer(service="autostop")
metrics = Metrics(service="autostop")


def _now() -> datetime:
    # The sweep's clock: in the local cloud this reads the virtual clock.
    return datetime.now(UTC)


def _dry_run(event: Any) -> bool:
    """A scheduled event carries no DryRun; an on-demand invoke may. Anything but a boolean is refused."""
    if not isinstance(event, dict) or "DryRun" not in event:
        return False
    value = event["DryRun"]
    if not isinstance(value, bool):
        raise ValueError(f"DryRun must be true or false, not {value!r}")
    return value


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    dry_run = _dry_run(event)
    try:
        config = load_config(os.environ["CONFIG_PARAMETER_NAME"])
    except ConfigInvalid as error:
        metrics.add_metric(name="ConfigInvalid", unit=MetricUnit.Count, value=1)
        logger.error("configuration invalid: nothing is stopped", extra={"problems": error.problems})
        raise
    clients = SweepClients(
        sagemaker=aws_clients.sagemaker(),
        cloudwatch=aws_clients.client("cloudwatch"),
        dynamodb=aws_clients.client("dynamodb"),
        sns=aws_clients.client("sns"),
    )
    settings = SweepSettings(
        table_name=os.environ["AUTOSTOP_TABLE_NAME"],
        topic_arn=os.environ.get("NOTIFICATIONS_TOPIC_ARN") or None,
        dry_run=dry_run,
    )
    report = run_sweep(
        clients,
        config,
        settings,
        now=_now,
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
        log=lambda line: logger.info("auto-stop decision", extra=line),
    )
    metrics.add_metric(name="AppsEvaluated", unit=MetricUnit.Count, value=report.evaluated)
    metrics.add_metric(name="AppsWarned", unit=MetricUnit.Count, value=report.warned)
    metrics.add_metric(name="AppsStopped", unit=MetricUnit.Count, value=report.stopped)
    metrics.add_metric(name="EstimatedHourlySavings", unit=MetricUnit.NoUnit, value=report.savings.hourly)
    return report.as_dict()
