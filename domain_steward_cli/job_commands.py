"""``reconcile`` and ``sweep``: the ReconcileFunction's and AutoStopFunction's work, run from here.

They run ``domain_steward.onboarding.reconcile.reconcile`` and ``domain_steward.autostop.sweep.run_sweep``, the
code the functions run, with the operator's credentials, and print the report the functions return. Run here
rather than by invoking the deployed functions so that they work wherever the AWS APIs answer, a local cloud
server included (it runs no Lambda code). What the functions get from their environment (table names, topic,
state machines) comes from explicit options, or from the stack named by ``--stack-name``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from domain_steward.autostop.sweep import SweepClients, SweepSettings, run_sweep
from domain_steward.config import ConfigInvalid, StewardConfig, parse_config
from domain_steward.identity import Directory, IdentityCenterNotFound, find_instance
from domain_steward.onboarding.context import Context, Workflows
from domain_steward.onboarding.notifications import notify
from domain_steward.onboarding.reconcile import reconcile
from domain_steward.onboarding.records import Records
from domain_steward.studio import error_code
from domain_steward_cli.aws import Aws, Stack, describe_stack
from domain_steward_cli.options import DEFAULT_PARAMETER_NAME, common
from domain_steward_cli.output import Output

F = TypeVar("F", bound=Callable[..., Any])


class Settings:
    """An explicit option wins; otherwise the stack's resource or parameter; otherwise a usage error."""

    def __init__(self, aws: Aws, stack_name: str | None) -> None:
        self._aws = aws
        self._stack_name = stack_name
        self._stack: Stack | None = None

    def _described(self) -> Stack | None:
        if self._stack is None and self._stack_name:
            self._stack = describe_stack(self._aws, self._stack_name)
        return self._stack

    def resource(self, given: str | None, logical_id: str, option: str, *, required: bool = True) -> str | None:
        if given:
            return given
        stack = self._described()
        if stack is not None:
            return stack.resources.get(logical_id) if not required else stack.resource(logical_id)
        if required:
            raise click.UsageError(f"give {option}, or --stack-name to read {logical_id} from the stack")
        return None

    def parameter(self, given: str | None, key: str, default: str) -> str:
        if given:
            return given
        stack = self._described()
        return (stack.parameters.get(key) if stack else None) or default


def _stack_option(command: F) -> F:
    return click.option(
        "--stack-name",
        envvar="DOMAIN_STEWARD_STACK_NAME",
        help="Read table names, topic and state machines from this deployed stack (CloudFormation).",
    )(command)


def _config(aws: Aws, out: Output, name: str) -> StewardConfig | None:
    """The configuration, as load_config reads it (a missing parameter is as invalid as a bad one)."""
    source = f"SSM parameter {name}"
    try:
        text = str(aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])
        return parse_config(text, source)
    except ConfigInvalid as error:
        problems = error.problems
    except Exception as error:
        if error_code(error) != "ParameterNotFound":
            raise
        problems = ["(parameter): cannot be read: it does not exist"]
    if out.json_mode:
        out.document({"ConfigInvalid": problems})
    else:
        out.err.print(f"[red]{source} is invalid: nothing was done[/red]")
        for problem in problems:
            out.err.print(f"  - {problem}")
    return None


@click.command("reconcile")
@click.option("--apply", "apply_", is_flag=True, help="Repair the differences (default: only report them).")
@click.option("--parameter-name", help=f"Configuration parameter (default: the stack's, or {DEFAULT_PARAMETER_NAME}).")
@click.option("--records-table", help="The OnboardingRecordsTable name.")
@click.option("--topic-arn", help="NotificationsTopic ARN: notices of repairs (optional).")
@click.option("--teardown-state-machine-arn", help="For `delete` offboarding (optional).")
@click.option("--provision-state-machine-arn", help="ProvisionProfileStateMachine ARN: default spaces (optional).")
@click.option("--identity-center-region", help="Identity Center's home Region, if not this one.")
@_stack_option
@common
def reconcile_command(
    *,
    aws: Aws,
    out: Output,
    apply_: bool,
    parameter_name: str | None,
    records_table: str | None,
    topic_arn: str | None,
    teardown_state_machine_arn: str | None,
    provision_state_machine_arn: str | None,
    identity_center_region: str | None,
    stack_name: str | None,
) -> int:
    """Compare each mapped domain's group members with its profiles: a dry run unless --apply."""
    settings = Settings(aws, stack_name)
    table = settings.resource(records_table, "OnboardingRecordsTable", "--records-table")
    config = _config(aws, out, settings.parameter(parameter_name, "ConfigParameterName", DEFAULT_PARAMETER_NAME))
    if config is None:
        return 1
    home = settings.parameter(identity_center_region, "IdentityCenterRegion", "") or None
    sso_admin = aws.client("sso-admin", home)
    try:
        instance = find_instance(sso_admin, config)
    except IdentityCenterNotFound as error:
        raise click.ClickException(str(error)) from error
    ctx = Context(
        config=config,
        sagemaker=aws.client("sagemaker"),
        sso_admin=sso_admin,
        stepfunctions=aws.client("stepfunctions"),
        directory=Directory(aws.client("identitystore", home), instance.identity_store_id),
        records=Records(aws.table(str(table))),
        now=lambda: datetime.now(UTC),
        workflows=Workflows(
            teardown_arn=settings.resource(
                teardown_state_machine_arn, "TeardownStateMachine", "--teardown-state-machine-arn", required=False
            ),
            provision_arn=settings.resource(
                provision_state_machine_arn,
                "ProvisionProfileStateMachine",
                "--provision-state-machine-arn",
                required=False,
            ),
        ),
    )
    report, actions = reconcile(ctx, dry_run=not apply_)
    topic = settings.resource(topic_arn, "NotificationsTopic", "--topic-arn", required=False)
    if topic and apply_:
        notify(aws.client("sns"), topic, actions)  # as the ReconcileFunction does after repairs
    if out.json_mode:
        out.document(report)
        return 0
    out.table(
        "Reconciliation" + (" (dry run: nothing repaired)" if not apply_ else ""),
        ["domain", "status", "members", "managed profiles", "differences"],
        [
            [d["domain_id"], d["status"], d["members"], d["managed_profiles"], len(d["differences"])]
            for d in report["Domains"]
        ],
    )
    differences = [x for d in report["Domains"] for x in d["differences"]]
    if differences:
        out.table(
            "Differences",
            ["domain", "user id", "profile", "difference", "actions"],
            [
                [x["domain_id"], x["user_id"], x["user_profile_name"], x["difference"], ", ".join(x["actions"]) or "-"]
                for x in differences
            ],
        )
    out.say(f"{report['Differences']} difference(s); {len(report['Actions'])} action(s) taken.")
    return 0


@click.command("sweep")
@click.option("--apply", "apply_", is_flag=True, help="Warn and stop idle apps (default: only report).")
@click.option("--parameter-name", help=f"Configuration parameter (default: the stack's, or {DEFAULT_PARAMETER_NAME}).")
@click.option("--autostop-table", help="The AutoStopTable name (warnings and the sweep's cursor).")
@click.option("--topic-arn", help="NotificationsTopic ARN: the sweep summary (optional).")
@click.option(
    "--at",
    "at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S"]),
    help="Judge idleness as of this time (ISO 8601, UTC unless an offset is given; default: now). For clouds "
    "whose clock is not the wall clock, such as the local cloud's virtual clock.",
)
@_stack_option
@common
def sweep_command(
    *,
    aws: Aws,
    out: Output,
    apply_: bool,
    parameter_name: str | None,
    autostop_table: str | None,
    topic_arn: str | None,
    at: datetime | None,
    stack_name: str | None,
) -> int:
    """The auto-stop sweep over every domain with a policy: a dry run unless --apply."""
    settings = Settings(aws, stack_name)
    table = str(settings.resource(autostop_table, "AutoStopTable", "--autostop-table"))
    config = _config(aws, out, settings.parameter(parameter_name, "ConfigParameterName", DEFAULT_PARAMETER_NAME))
    if config is None:
        return 1
    when = (at if at.tzinfo else at.replace(tzinfo=UTC)) if at else None
    report = run_sweep(
        SweepClients(
            sagemaker=aws.client("sagemaker"),
            cloudwatch=aws.client("cloudwatch"),
            dynamodb=aws.client("dynamodb"),
            sns=aws.client("sns"),
        ),
        config,
        SweepSettings(
            table_name=table,
            topic_arn=settings.resource(topic_arn, "NotificationsTopic", "--topic-arn", required=False),
            dry_run=not apply_,
        ),
        now=lambda: when or datetime.now(UTC),
        time_left=lambda: math.inf,  # no Lambda timeout here: sweep every domain in one go
        log=lambda _line: None,  # the report holds every warn and stop decision
    ).as_dict()
    if out.json_mode:
        out.document(report)
        return _sweep_exit(report)
    out.table(
        "Auto-stop sweep" + (" (dry run: nothing stopped)" if not apply_ else ""),
        ["domain", "decision", "app", "owner", "reason", "outcome"],
        [
            [
                d["domain"],
                d["decision"],
                f"{d['app_type']}/{d['app_name']}",
                f"{d['owner_kind']} {d['owner']}",
                d["reason"],
                d.get("outcome") or "-",
            ]
            for d in report["Decisions"]
        ],
    )
    for domain_id, why in report["SkippedDomains"].items():
        out.say(f"skipped {domain_id}: {why}")
    out.say(
        f"{report['AppsEvaluated']} app(s) evaluated, {report['AppsWarned']} warned, {report['AppsStopped']} stopped, "
        f"{report['StopsFailed']} failed; estimated savings {report['EstimatedHourlySavings']:.2f} USD/hour."
    )
    return _sweep_exit(report)


def _sweep_exit(report: dict[str, Any]) -> int:
    """1 when a stop failed: the sweep did not reach the state it decided on."""
    return 1 if report["StopsFailed"] else 0
