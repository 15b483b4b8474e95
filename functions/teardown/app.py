"""The teardown workflow's task function: one ``Action`` per step of statemachine/teardown.asl.json.

Thin on purpose: it parses the task event, makes the clients (lazily, with adaptive retries) and calls
``domain_steward.teardown.tasks``. Errors of ``domain_steward.teardown.errors`` propagate with their class
name, which is the error name Step Functions catches and the execution reports.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from domain_steward import aws_clients
from domain_steward.teardown import tasks
from domain_steward.teardown.errors import TransientAwsError
from domain_steward.teardown.stages import Budget, Clients

logger = Logger(service="teardown")
tracer = Tracer(service="teardown")
metrics = Metrics(service="teardown")

# Codes that mean "try again later" once botocore's own adaptive retries are spent.
_TRANSIENT = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
    }
)
# Real time a round keeps back to finish the page it is on and return before the function times out.
_SAFETY_SECONDS = 60.0


class TaskEvent(BaseModel):
    """What the state machine passes: the action, and the parts of its state that action needs."""

    model_config = ConfigDict(extra="forbid")

    Action: Literal["Plan", "Mark", "Round", "Report", "Unmark"]
    ExecutionArn: str | None = None
    Input: Any = None
    State: dict[str, Any] | None = None
    Progress: str | None = None


def _clients() -> Clients:
    return Clients(sagemaker=aws_clients.sagemaker(), efs=aws_clients.efs(), ec2=aws_clients.ec2())


def _now() -> datetime:
    # The workflow's clock: in the local cloud this reads the virtual clock.
    return datetime.now(UTC)


def _run(task: TaskEvent, context: LambdaContext) -> dict[str, Any]:
    state = task.State or {}
    if task.Action == "Plan":
        return tasks.plan(_clients(), aws_clients.stepfunctions(), task.Input, task.ExecutionArn or "")
    if task.Action == "Mark":
        return tasks.mark(_clients(), aws_clients.stepfunctions(), state, _now)
    if task.Action == "Round":
        budget = Budget(context.get_remaining_time_in_millis() / 1000 - _SAFETY_SECONDS)
        return tasks.round_(_clients(), task.Progress or "", _now, budget)
    if task.Action == "Report":
        result = tasks.final_report(state, state.get("Teardown", {}).get("Progress", ""))
        for kind, count in result["Report"]["Counts"]["Deleted"].items():
            if count:
                metrics.add_metric(name=f"TeardownDeleted{kind}", unit=MetricUnit.Count, value=count)
        return result
    return tasks.failed(_clients(), state, task.ExecutionArn or "")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = parse(event=event, model=TaskEvent)
    logger.append_keys(action=task.Action, execution=task.ExecutionArn)
    metrics.add_metric(name=f"Teardown{task.Action}Tasks", unit=MetricUnit.Count, value=1)
    try:
        return _run(task, context)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _TRANSIENT:
            raise TransientAwsError(f"AWS kept answering {code} after retries: {error}") from error
        raise
