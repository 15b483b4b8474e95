"""The workflow's tasks, one function per ``Action`` of the teardown function. Each takes the clients and
the clock it works with, and returns the JSON the state machine carries on (see statemachine/teardown.asl.json).

The plan and the progress travel through the state machine as JSON text: only the task function reads them,
and a string costs Step Functions (and the local cloud's interpreter, which copies the state at every step)
the same at every transition however many resources it lists. What the workflow decides on (``Finished``,
``WaitSeconds``) and what an operator watches (``Stage``, ``Remaining``) stay plain fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain_steward.teardown import marking, report
from domain_steward.teardown.plan import make_plan
from domain_steward.teardown.progress import Progress, Target
from domain_steward.teardown.request import parse_request
from domain_steward.teardown.stages import Budget, Clients, run_round

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

Clock = Callable[[], datetime]


def plan(clients: Clients, sfn: SFNClient, execution_input: Any, execution_arn: str) -> dict[str, Any]:
    """Validate and plan; with ``DryRun`` the result already holds the final report."""
    request = parse_request(execution_input)
    planned = {"Request": request.normalised(), **make_plan(clients, sfn, request, execution_arn)}
    if request.dry_run:
        planned["Report"] = report.build(planned, None)
    planned["Plan"] = json.dumps(planned["Plan"], separators=(",", ":"))
    return planned


def _carried(progress: Progress) -> dict[str, Any]:
    progress.deleted.fit()
    progress.kept.fit()
    return {
        "Progress": json.dumps(progress.dump(), separators=(",", ":")),
        "Finished": progress.finished,
        "WaitSeconds": progress.wait_seconds,
        "Stage": progress.current.stage,
        "Remaining": progress.remaining,
    }


def mark(clients: Clients, sfn: SFNClient, planned: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """Put the mark on, and start the first stage."""
    target = Target.model_validate(planned["Target"])
    resource = f"User profile {target.user_profile_name}" if target.user_profile_name else f"Domain {target.domain_id}"
    marking.mark(clients.sagemaker, sfn, target.mark_arn, resource, target.execution_arn)
    return _carried(report.start(planned, clock()))


def round_(clients: Clients, progress: str, clock: Clock, budget: Budget) -> dict[str, Any]:
    return _carried(run_round(clients, Progress.model_validate_json(progress), clock, budget))


def final_report(planned: dict[str, Any], progress: str) -> dict[str, Any]:
    plan = dict(planned, Plan=json.loads(planned["Plan"]))
    built = report.build(plan, Progress.model_validate_json(progress))
    # This result replaces the workflow's state: the target stays, for Unmark should publishing fail.
    return {"Report": built, "Notification": report.notification(built), "Target": planned["Target"]}


def failed(clients: Clients, state: dict[str, Any], execution_arn: str) -> dict[str, str]:
    """After a failure: remove this execution's mark (if it set one), and name the error and its cause as a
    person can act on them."""
    failure = state.get("Failure") or {}
    error = str(failure.get("Error") or "TeardownFailed")
    cause = _readable_cause(failure.get("Cause"))
    target = state.get("Target")
    if isinstance(target, dict) and target.get("MarkArn"):
        marking.unmark(clients.sagemaker, str(target["MarkArn"]), execution_arn)
    return {"Error": error, "Cause": cause}


def _readable_cause(cause: Any) -> str:
    """A Lambda task's cause is the JSON error payload; its ``errorMessage`` is the sentence for people."""
    if not isinstance(cause, str):
        return "" if cause is None else json.dumps(cause)
    try:
        payload = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(payload, dict) and isinstance(payload.get("errorMessage"), str):
        return str(payload["errorMessage"])
    return cause
