"""``teardown plan``, ``teardown start``, ``teardown status``: the TeardownStateMachine, from a terminal.

``plan`` runs the workflow's own Plan task (``domain_steward.teardown.tasks.plan`` with ``DryRun``) here, so it
needs no execution and shows exactly the dry-run report an execution would return. ``start`` starts the state
machine (input as INTERFACES.md, "Teardown input") and follows it; ``status`` describes an execution, or lists
the recent ones.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from domain_steward.teardown import tasks
from domain_steward.teardown.errors import InvalidInput, TeardownError
from domain_steward.teardown.progress import KINDS
from domain_steward.teardown.request import parse_request
from domain_steward.teardown.stages import Clients
from domain_steward_cli.aws import Aws, describe_stack
from domain_steward_cli.options import common
from domain_steward_cli.output import Output

F = TypeVar("F", bound=Callable[..., Any])

# DescribeExecution's final statuses; RUNNING and PENDING_REDRIVE (a redrive is starting) are followed on
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
FINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


def _state_machine_option(command: F) -> F:
    command = click.option(
        "--stack-name",
        envvar="DOMAIN_STEWARD_STACK_NAME",
        help="Read the TeardownStateMachine ARN from this deployed stack.",
    )(command)
    return click.option("--state-machine-arn", help="The TeardownStateMachine ARN.")(command)


def _state_machine(aws: Aws, arn: str | None, stack_name: str | None) -> str:
    if arn:
        return arn
    if stack_name:
        return describe_stack(aws, stack_name).resource("TeardownStateMachine")
    raise click.UsageError("give --state-machine-arn, or --stack-name to read TeardownStateMachine from the stack")


def _request(domain_id: str, confirm: str, user_profile: str | None, delete_home_efs: bool, dry_run: bool) -> Any:
    body: dict[str, Any] = {"DomainId": domain_id, "Confirm": confirm, "DryRun": dry_run}
    if user_profile is not None:
        body["UserProfileName"] = user_profile
    if delete_home_efs:
        body["HomeEfsFileSystem"] = "Delete"
    try:
        return body, parse_request(body)
    except InvalidInput as error:
        raise click.UsageError(str(error)) from error


def _counts_table(out: Output, title: str, counts: dict[str, dict[str, int]]) -> None:
    out.table(
        title,
        ["kind", *counts],
        [
            [kind, *(counts[column].get(kind, 0) if kind in counts[column] else "-" for column in counts)]
            for kind in KINDS
        ],
    )


def _show_report(out: Output, report: dict[str, Any]) -> None:
    counts = report.get("Counts") or {}
    columns = {name: counts[name] for name in ("Plan", "Deleted", "Kept") if counts.get(name)}
    if columns:
        _counts_table(out, f"Teardown of {report.get('UserProfileName') or report.get('DomainId')}", columns)
    for stage in report.get("Stages") or []:
        out.say(f"  stage {stage.get('Stage')}: {stage.get('StartedAt')} -> {stage.get('EndedAt') or '...'}")


@click.group("teardown")
def teardown_group() -> None:
    """Delete a domain (or one user profile) in the order AWS requires, with its leftovers."""


@teardown_group.command("plan")
@click.argument("domain_id")
@click.option("--user-profile", help="Plan one user profile's teardown instead of the domain's.")
@click.option("--delete-home-efs", is_flag=True, help="Plan with HomeEfsFileSystem: Delete.")
@common
def plan(*, aws: Aws, out: Output, domain_id: str, user_profile: str | None, delete_home_efs: bool) -> int:
    """What a teardown of DOMAIN_ID would remove; changes nothing. Exit 1 if the teardown would refuse."""
    body, request = _request(domain_id, user_profile or domain_id, user_profile, delete_home_efs, dry_run=True)
    clients = Clients(sagemaker=aws.client("sagemaker"), efs=aws.client("efs"), ec2=aws.client("ec2"))
    try:
        # No execution exists: the ARN the plan checks other teardowns against is empty.
        report = tasks.plan(clients, aws.client("stepfunctions"), body, execution_arn="")["Report"]
    except TeardownError as error:
        if out.json_mode:
            out.document({"Refused": type(error).__name__, "Cause": str(error)})
        else:
            out.err.print(f"[red]{type(error).__name__}[/red]: {error}")
        return 1
    if out.json_mode:
        out.document(report)
        return 0
    _show_report(out, report)
    for kind in KINDS:
        found = report["Plan"].get(kind) or []
        for item in [found] if isinstance(found, dict) else found:  # the Domain is one item, the rest lists
            out.say(f"  {kind}: " + ", ".join(f"{k}={v}" for k, v in item.items()))
    scope = f"user profile {request.user_profile_name}" if request.profile_scope else f"domain {domain_id}"
    if not request.profile_scope:
        out.say(
            f"HomeEfsFileSystem: {report['HomeEfsFileSystem']}"
            + ("" if delete_home_efs else " (--delete-home-efs deletes the home EFS too)")
        )
    out.say(
        f"Dry run: nothing was changed. To delete {scope}: domain-steward teardown start {domain_id} "
        f"--confirm {request.target}"
        + (f" --user-profile {user_profile}" if user_profile else "")
        + (" --delete-home-efs" if delete_home_efs else "")
    )
    return 0


def _progress(sfn: Any, execution_arn: str) -> str:
    """The latest Stage and Remaining the workflow carries (its Mark and Round results), or the last state."""
    history = sfn.get_execution_history(executionArn=execution_arn, reverseOrder=True, maxResults=25)
    for event in history.get("events", []):
        exited = event.get("stateExitedEventDetails")
        if not exited:
            continue
        try:
            teardown = json.loads(exited.get("output") or "{}").get("Teardown")
        except (ValueError, AttributeError):
            teardown = None
        if isinstance(teardown, dict) and teardown.get("Stage"):
            return f"stage {teardown['Stage']}, remaining {teardown.get('Remaining')}"
        return f"state {exited.get('name')}"
    return "starting"


def _finish(out: Output, execution: dict[str, Any], progress: str | None = None) -> int:
    """Print where an execution is (``progress`` while it runs) or how it ended; 1 if it did not succeed."""
    status = execution["status"]
    output = json.loads(execution["output"]) if execution.get("output") else None
    if out.json_mode:
        out.document(
            {
                "ExecutionArn": execution["executionArn"],
                "Status": status,
                "Progress": progress,
                "Error": execution.get("error"),
                "Cause": execution.get("cause"),
                "Report": output,
            }
        )
    elif status == "SUCCEEDED":
        out.say(f"[green]{status}[/green] {execution['executionArn']}")
        if isinstance(output, dict):
            _show_report(out, output)
    elif status in FINAL:
        out.err.print(f"[red]{status}[/red] {execution['executionArn']}: {execution.get('error')}")
        if execution.get("cause"):
            out.err.print(str(execution["cause"]))
    else:
        out.say(f"{status} {execution['executionArn']}: {progress}")
    return 0 if status in ("SUCCEEDED", "RUNNING", "PENDING_REDRIVE") else 1


def _follow(aws: Aws, out: Output, execution_arn: str, poll_seconds: float) -> int:
    """Poll until the execution ends; Ctrl-C stops watching, never the execution."""
    sfn = aws.client("stepfunctions")
    resume = f"domain-steward teardown status {execution_arn} --follow"
    shown = ""
    try:
        with out.err.status("starting") as display:
            while True:
                execution = dict(sfn.describe_execution(executionArn=execution_arn))
                if execution["status"] in FINAL:
                    break
                line = f"{execution['status']}: {_progress(sfn, execution_arn)}"
                display.update(line)
                if line != shown and not out.err.is_terminal:
                    out.err.print(line)  # no spinner in a log or a pipe: one line per change instead
                shown = line
                time.sleep(poll_seconds)
    except KeyboardInterrupt:
        out.err.print(f"Stopped watching; the teardown goes on. Watch it again with:\n  {resume}")
        return 130  # 128 + SIGINT, as shells report an interrupted command
    return _finish(out, execution)


@teardown_group.command("start")
@click.argument("domain_id")
@click.option("--confirm", required=True, help="Repeat the domain id (or with --user-profile, the profile name).")
@click.option("--delete-home-efs", is_flag=True, help="HomeEfsFileSystem: Delete (default Retain, as DeleteDomain).")
@click.option("--user-profile", help="Tear down this user profile (and its apps and spaces) only.")
@click.option("--no-follow", is_flag=True, help="Start and print the execution ARN without watching it.")
@click.option("--poll-seconds", type=click.FloatRange(min=0.1), default=5.0, show_default=True)
@_state_machine_option
@common
def start(
    *,
    aws: Aws,
    out: Output,
    domain_id: str,
    confirm: str,
    delete_home_efs: bool,
    user_profile: str | None,
    no_follow: bool,
    poll_seconds: float,
    state_machine_arn: str | None,
    stack_name: str | None,
) -> int:
    """Start the TeardownStateMachine for DOMAIN_ID and follow it until it ends (Ctrl-C leaves it running)."""
    body, request = _request(domain_id, confirm, user_profile, delete_home_efs, dry_run=False)
    if request.confirm != request.target:
        # The workflow refuses this too (ConfirmationMismatch); refusing here starts no execution at all.
        raise click.UsageError(f"--confirm must repeat {request.target!r} exactly: nothing was started")
    arn = _state_machine(aws, state_machine_arn, stack_name)
    execution_arn = aws.client("stepfunctions").start_execution(stateMachineArn=arn, input=json.dumps(body))[
        "executionArn"
    ]
    out.say(f"started {execution_arn}")
    if no_follow:
        if out.json_mode:
            out.document({"ExecutionArn": execution_arn, "Status": "RUNNING"})
        return 0
    return _follow(aws, out, execution_arn, poll_seconds)


@teardown_group.command("status")
@click.argument("execution_arn", required=False)
@click.option("--follow", is_flag=True, help="Keep watching until the execution ends.")
@click.option("--poll-seconds", type=click.FloatRange(min=0.1), default=5.0, show_default=True)
@_state_machine_option
@common
def status(
    *,
    aws: Aws,
    out: Output,
    execution_arn: str | None,
    follow: bool,
    poll_seconds: float,
    state_machine_arn: str | None,
    stack_name: str | None,
) -> int:
    """An execution's status and report; without EXECUTION_ARN, the state machine's recent executions."""
    sfn = aws.client("stepfunctions")
    if execution_arn:
        if follow:
            return _follow(aws, out, execution_arn, poll_seconds)
        execution = dict(sfn.describe_execution(executionArn=execution_arn))
        running = execution["status"] not in FINAL
        return _finish(out, execution, _progress(sfn, execution_arn) if running else None)
    arn = _state_machine(aws, state_machine_arn, stack_name)
    executions = sfn.list_executions(stateMachineArn=arn, maxResults=20).get("executions", [])
    rows = [
        {
            "ExecutionArn": e["executionArn"],
            "Status": e["status"],
            "StartDate": e.get("startDate"),
            "StopDate": e.get("stopDate"),
        }
        for e in executions
    ]
    if out.json_mode:
        out.document({"StateMachineArn": arn, "Executions": rows})
    else:
        out.table(
            "Teardown executions",
            ["execution", "status", "started", "stopped"],
            [[r["ExecutionArn"], r["Status"], r["StartDate"], r["StopDate"] or "-"] for r in rows],
        )
    return 0
