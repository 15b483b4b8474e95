"""The auto-stop sweep: every domain the configuration names (and, with ``"*"``, every other one), every
``InService`` app in it, one decision each.

Never touched (issue 8, AWS-FACTS §1): a domain tagged ``domain-steward:teardown``; the ``domain-shared``
RStudioServerPro app (the domain's RStudio server: a teardown removes it, a sweep never does); Studio Classic
``JupyterServer`` apps (they run on the free ``system`` instance,
https://docs.aws.amazon.com/sagemaker/latest/dg/notebooks-usage-metering.html); apps that are not
``InService`` (``DeleteApp`` accepts only those,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteApp.html).

Cost: ListDomains, a domain's ListTags, its ListApps pages (and ListSpaces pages when space apps run), one
``GetMetricData`` per 500 metric apps, ``DescribeApp`` only where it can change a decision, ``ListTags`` only
for owners of apps idle long enough for a tag to matter, and the stops. A sweep that runs low on time stops
before the next domain and leaves a cursor; the next sweep starts there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from domain_steward import studio
from domain_steward.autostop.apps import SweptApp
from domain_steward.autostop.builtin_idle import sync_builtin_idle
from domain_steward.autostop.policy import (
    MIN_TAG_MINUTES,
    Decision,
    Exemption,
    Warning,
    apply_cap,
    decide,
    exemption_for,
)
from domain_steward.autostop.report import SweepReport, decision_line
from domain_steward.autostop.signals import (
    MAX_WORKERS,
    ActivitySignal,
    CanvasActivity,
    DescribeAppActivity,
    Heartbeat,
    Observation,
    RuntimeBackstop,
    observe_all,
)
from domain_steward.autostop.state import SweepState
from domain_steward.config import AppTypePolicy, AutoStopPolicy, StewardConfig
from domain_steward.tags import AUTOSTOP, TEARDOWN, sagemaker_tags

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sns import SNSClient

# Never stopped by a sweep, whatever their activity.
NEVER_STOPPED_TYPES = frozenset({"JupyterServer"})
# Real time a sweep keeps back before it starts another domain or another batch of stops.
SAFETY_SECONDS = 60.0
STOP_BATCH = 100

Log = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class SweepClients:
    sagemaker: SageMakerClient
    cloudwatch: CloudWatchClient
    dynamodb: DynamoDBClient
    sns: SNSClient


@dataclass(frozen=True)
class SweepSettings:
    table_name: str
    topic_arn: str | None = None
    dry_run: bool = False  # the on-demand {"DryRun": true}: overrides every domain's own dry_run


def _eligible(record: studio.AppRecord) -> bool:
    if record.status != "InService" or record.app_type in NEVER_STOPPED_TYPES:
        return False
    return (record.user_profile_name or "").lower() != studio.DOMAIN_SHARED


def _arn_base(domain_arn: str, domain_id: str) -> str:
    """``arn:<partition>:sagemaker:<region>:<account>:`` of a domain's ARN."""
    return domain_arn[: -len(f"domain/{domain_id}")]


class DomainSweep:
    """One domain's part of a sweep."""

    def __init__(
        self,
        clients: SweepClients,
        state: SweepState,
        settings: SweepSettings,
        *,
        report: SweepReport,
        log: Log,
        domain_id: str,
        domain_arn: str,
        policy: AutoStopPolicy,
        time_left: Callable[[], float],
    ) -> None:
        self.clients = clients
        self.state = state
        self.settings = settings
        self.report = report
        self.log = log
        self.domain_id = domain_id
        self.arn_base = _arn_base(domain_arn, domain_id)
        self.policy = policy
        self.time_left = time_left
        self.out_of_time = False

    def _app_policy(self, app: SweptApp) -> AppTypePolicy:
        policy = self.policy.for_app_type(app.app_type)
        return policy.model_copy(update={"dry_run": True}) if self.settings.dry_run else policy

    def _tags(self, arns: Iterable[str]) -> dict[str, dict[str, str]]:
        wanted = sorted(set(arns))

        def read(arn: str) -> dict[str, str]:
            try:
                return sagemaker_tags(self.clients.sagemaker, arn)
            except ClientError:
                return {}  # gone since it was listed: its apps go with it

        with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
            return dict(zip(wanted, pool.map(read, wanted), strict=True))

    def _exemptions(self, apps: Sequence[SweptApp]) -> dict[SweptApp, Exemption | None]:
        """Each app's tag exemption: the space's tag first, its owner profile's only when the space has none."""
        spaces = {app: f"{self.arn_base}space/{self.domain_id}/{app.record.space_name}".lower() for app in apps}
        space_tags = self._tags(arn for app, arn in spaces.items() if app.record.space_name is not None)

        def profile_arn(app: SweptApp) -> str | None:
            name = app.profile_name
            return f"{self.arn_base}user-profile/{self.domain_id}/{name}".lower() if name else None

        needs_profile = [
            app for app in apps if app.record.space_name is None or AUTOSTOP not in space_tags.get(spaces[app], {})
        ]
        profile_tags = self._tags(arn for arn in map(profile_arn, needs_profile) if arn is not None)
        result: dict[SweptApp, Exemption | None] = {}
        for app in apps:
            own_space = space_tags.get(spaces[app]) if app.record.space_name is not None else None
            arn = profile_arn(app)
            result[app] = exemption_for(own_space, profile_tags.get(arn) if arn else None)
        return result

    def _delete(self, decision: Decision) -> str:
        record = decision.app.record
        params: dict[str, Any] = {"DomainId": self.domain_id, **record.identity()}
        try:
            self.clients.sagemaker.delete_app(**params)
        except ClientError as error:
            return f"failed: {studio.error_code(error)}: {error}"
        return "stopped"

    def run(self, now: datetime) -> None:
        sagemaker = self.clients.sagemaker
        records = studio.list_apps(sagemaker, self.domain_id)
        running = [r for r in records if r.status == "InService"]
        for record in running:
            if not _eligible(record):
                why = "never stopped: " + (
                    "the domain's RStudio server" if record.app_type != "JupyterServer" else "runs on a free instance"
                )
                app = SweptApp(self.domain_id, record)
                self.log(decision_line(Decision(app, "keep", why)))
        eligible = [r for r in running if _eligible(r)]
        owners: dict[str, str | None] = {}
        if any(r.space_name is not None for r in eligible):
            owners = {s.space_name.lower(): s.owner for s in studio.list_spaces(sagemaker, self.domain_id)}
        apps = [SweptApp(self.domain_id, r, owners.get((r.space_name or "").lower())) for r in eligible]
        self.report.evaluated += len(apps)
        if not apps:
            return

        def describe_needed(app: SweptApp) -> bool:
            # DescribeApp can only show recent activity, so it matters only where the backstop would act.
            hours = self.policy.for_app_type(app.app_type).max_runtime_hours
            runtime = RuntimeBackstop().observe([app], now).get(app)
            return hours is not None and runtime is not None and runtime.minutes >= hours * 60

        signals: list[ActivitySignal] = [
            Heartbeat(self.clients.cloudwatch),
            CanvasActivity(self.clients.cloudwatch),
            DescribeAppActivity(sagemaker, describe_needed),
            RuntimeBackstop(),
        ]
        observations = observe_all(signals, apps, now)
        tagged = [app for app in apps if _tag_matters(observations.get(app))]
        exemptions = self._exemptions(tagged)
        warns = any(self.policy.for_app_type(app.app_type).warn_minutes for app in apps)
        warnings: Mapping[str, Warning] = self.state.warnings(self.domain_id) if warns else {}
        decisions = []
        for app in apps:
            exemption = exemptions.get(app)
            policy = self._app_policy(app)
            decision = decide(
                app, observations.get(app), policy, exemption=exemption, warning=warnings.get(app.key), now=now
            )
            if exemption is not None and exemption.problem:
                decision = replace(decision, reason=f"{decision.reason}; ignored {exemption.problem}")
            decisions.append(decision)
        type_caps: dict[str, int] = {
            t: o.max_stops_per_sweep for t, o in self.policy.app_types.items() if o.max_stops_per_sweep
        }
        decisions = apply_cap(decisions, self.policy.max_stops_per_sweep, type_caps)
        self._act(decisions, warnings, now)

    def _act(self, decisions: Sequence[Decision], warnings: Mapping[str, Warning], now: datetime) -> None:
        to_stop = [d for d in decisions if d.action == "stop" and not d.dry_run]
        outcomes: dict[int, str] = {}
        with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
            for start in range(0, len(to_stop), STOP_BATCH):
                if self.time_left() < SAFETY_SECONDS:
                    self.out_of_time = True  # the rest wait for the next sweep, which starts at this domain
                    break
                batch = to_stop[start : start + STOP_BATCH]
                outcomes.update(zip(map(id, batch), pool.map(self._delete, batch), strict=True))
        report = self.report
        for planned in decisions:
            decision, outcome = planned, outcomes.get(id(planned))
            if planned.action == "stop" and not planned.dry_run and outcome is None:
                decision = replace(planned, action="keep", reason=f"{planned.reason}; out of time, not stopped")
            app = decision.app
            if decision.dry_run and decision.action != "keep":
                outcome = f"dry run: would {decision.action}"
            elif decision.action == "warn":
                self.state.warn(self.domain_id, app.key, now, app.created)
                report.warned += 1
                outcome = "warned"
            elif decision.action == "stop":
                if outcome == "stopped":
                    report.stopped += 1
                    report.savings.add(app)
                else:
                    report.failed += 1
            settled = (decision.action == "keep" and decision.warning is None) or outcome == "stopped"
            if app.key in warnings and not decision.dry_run and settled:
                self.state.forget(self.domain_id, app.key)  # active again, exempt, or stopped
            line = decision_line(decision, outcome)
            self.log(line)
            if decision.action != "keep":
                report.decisions.append(line)


def _tag_matters(observation: Observation | None) -> bool:
    """A tag can exempt an app or set a threshold as low as a minute: it matters once the app is idle that long."""
    return observation is not None and observation.minutes >= MIN_TAG_MINUTES


def _domains(sagemaker: SageMakerClient) -> dict[str, dict[str, Any]]:
    return {
        summary["DomainId"]: dict(summary)
        for page in sagemaker.get_paginator("list_domains").paginate(PaginationConfig={"PageSize": 100})
        for summary in page.get("Domains", [])
    }


def _rotate(domain_ids: Sequence[str], start: str | None) -> list[str]:
    if start is None or start not in domain_ids:
        return list(domain_ids)
    index = domain_ids.index(start)
    return [*domain_ids[index:], *domain_ids[:index]]


def run_sweep(
    clients: SweepClients,
    config: StewardConfig,
    settings: SweepSettings,
    *,
    now: Callable[[], datetime],
    time_left: Callable[[], float],
    log: Log,
) -> SweepReport:
    """One sweep over every domain with an auto-stop policy; returns its report (also published to SNS when it
    warned or stopped something)."""
    report = SweepReport(dry_run=settings.dry_run)
    state = SweepState(clients.dynamodb, settings.table_name)
    existing = _domains(clients.sagemaker)
    policies = config.autostop_policies(existing)
    for domain_id in sorted(set(policies) - set(existing)):
        report.skipped_domains[domain_id] = "not found in this account and Region"
        log({"domain": domain_id, "decision": "skip", "reason": "configured domain not found"})
    order = sorted(d for d in policies if d in existing)
    cursor = state.cursor()
    for domain_id in _rotate(order, cursor):
        if time_left() < SAFETY_SECONDS:
            report.complete = False
            if not settings.dry_run:
                state.set_cursor(domain_id)
            log({"domain": domain_id, "decision": "skip", "reason": "out of time: the next sweep starts here"})
            break
        finished = _sweep_domain(
            clients,
            state,
            settings,
            report=report,
            log=log,
            summary=existing[domain_id],
            policy=policies[domain_id],
            now=now(),
            time_left=time_left,
        )
        if not finished:
            report.complete = False
            if not settings.dry_run:
                state.set_cursor(domain_id)
            log({"domain": domain_id, "decision": "skip", "reason": "out of time: the next sweep starts here"})
            break
    if report.complete and cursor is not None and not settings.dry_run:
        state.set_cursor(None)
    message = report.summary()
    if message is not None and settings.topic_arn:
        subject, text = message
        clients.sns.publish(TopicArn=settings.topic_arn, Subject=subject[:99], Message=text)
    return report


def _sweep_domain(
    clients: SweepClients,
    state: SweepState,
    settings: SweepSettings,
    *,
    report: SweepReport,
    log: Log,
    summary: Mapping[str, Any],
    policy: AutoStopPolicy,
    now: datetime,
    time_left: Callable[[], float],
) -> bool:
    """Sweep one domain; ``False`` when it ran out of time before its last stop."""
    domain_id, domain_arn = str(summary["DomainId"]), str(summary["DomainArn"])
    tags = sagemaker_tags(clients.sagemaker, domain_arn)
    if TEARDOWN in tags:
        # INTERFACES.md: a teardown is running; auto-stop leaves the domain alone.
        report.skipped_domains[domain_id] = f"{TEARDOWN} is set: a teardown is running"
        log({"domain": domain_id, "decision": "skip", "reason": f"{TEARDOWN}={tags[TEARDOWN]}"})
        return True
    report.domains.append(domain_id)
    if policy.sync_builtin_idle_settings:
        outcome = sync_builtin_idle(clients.sagemaker, domain_id, policy, dry_run=settings.dry_run or policy.dry_run)
        log({"domain": domain_id, "builtin_idle_settings": outcome})
    sweep = DomainSweep(
        clients,
        state,
        settings,
        report=report,
        log=log,
        domain_id=domain_id,
        domain_arn=domain_arn,
        policy=policy,
        time_left=time_left,
    )
    sweep.run(now)
    return not sweep.out_of_time
