"""Step 3: apps start, virtual hours pass with some people at work, and the auto-stop sweep warns, then stops."""

from __future__ import annotations

from typing import Any

from demo.narrative import Narrator
from demo.world import LATENCIES, World

SCHEDULE = "AutoStopFunctionSchedule"
# The lifecycle heartbeat's metric and period (lifecycle/heartbeat.py: NAMESPACE, METRIC_NAME, INTERVAL_SECONDS).
HEARTBEAT_NAMESPACE, HEARTBEAT_METRIC, HEARTBEAT_SECONDS = "DomainSteward/AppActivity", "IdleSeconds", 300
IDLE_HOURS = 3
WARN_MINUTES = 15  # the configuration's autostop.warn_minutes (step_setup.configuration)
# Who keeps working: one JupyterLab user (heartbeat) and one Canvas user (Canvas's own activity metric).
ACTIVE = ("jane.doe@example.com", "omar.haddad@example.com")


def run(world: World, story: Narrator) -> None:
    story.chapter(
        "Auto-stop: idle apps are warned, then stopped",
        "The data scientists open JupyterLab in their spaces, the analysts open Canvas. Then the day goes by: "
        f"{' and '.join(ACTIVE)} keep working, the others leave their apps running.",
    )
    apps = _start_apps(world)
    story.table("Running apps", ("User", "App", "Owner", "Status"), _app_rows(world, apps))
    _pass_time(world, apps, IDLE_HOURS * 3600)
    story.clock(world.cloud.clock.now(), f"{IDLE_HOURS} virtual hours later, the scheduled sweep runs.")
    first = _sweep(world, story)
    _pass_time(world, apps, WARN_MINUTES * 60)
    story.clock(world.cloud.clock.now(), f"{WARN_MINUTES} minutes later, the next scheduled sweep.")
    second = _sweep(world, story)
    story.table("Apps after the sweeps", ("User", "App", "Owner", "Status"), _app_rows(world, apps))
    statuses = _statuses(world, apps)
    idle = [name for name in apps if name not in ACTIVE]
    story.check(
        "the first sweep warns every idle app and stops none",
        (first["AppsWarned"], first["AppsStopped"]) == (len(idle), 0),
        f"{first['AppsWarned']} warned, {first['AppsStopped']} stopped",
    )
    story.check(
        "the second sweep stops the warned apps",
        (second["AppsWarned"], second["AppsStopped"], second["StopsFailed"]) == (0, len(idle), 0),
        f"{second['AppsStopped']} stopped",
    )
    story.check(
        "the idle apps are stopping, the active ones still run",
        all(statuses[name] in {"Deleting", "Deleted"} for name in idle)
        and all(statuses[name] == "InService" for name in ACTIVE),
        ", ".join(f"{name}: {status}" for name, status in statuses.items()),
    )
    story.check(
        "the sweep reports its estimated savings",
        second["EstimatedHourlySavings"] > 0,
        f"{second['EstimatedHourlySavings']:.2f} USD per hour",
    )
    subjects = [c.params.get("Subject", "") for c in world.cloud.calls.calls("sns", "Publish")]
    story.check(
        "the admins were told of both sweeps",
        sum(s.startswith("Domain Steward auto-stop") for s in subjects) == 2,
        "; ".join(s for s in subjects if s.startswith("Domain Steward auto-stop")),
    )


def _start_apps(world: World) -> dict[str, dict[str, Any]]:
    """CreateApp as Studio does when each person opens their app: JupyterLab in the private space, Canvas on the
    profile (docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateApp.html)."""
    sagemaker = world.client("sagemaker")
    apps: dict[str, dict[str, Any]] = {}
    for person in world.people:
        if person.group == "DataScientists":
            owner: dict[str, Any] = {"SpaceName": f"{person.profile}-space"}
            app = {"AppType": "JupyterLab", "AppName": "default", **owner}
            sagemaker.create_app(DomainId=world.domain_id, ResourceSpec={"InstanceType": "ml.t3.medium"}, **app)
        else:
            app = {"AppType": "Canvas", "AppName": "default", "UserProfileName": person.profile}
            sagemaker.create_app(DomainId=world.domain_id, **app)
        apps[person.user_name] = app
    world.cloud.clock.advance(LATENCIES.app_create)
    for app in apps.values():
        app["StartedAt"] = world.cloud.clock.now()
    return apps


def _pass_time(world: World, apps: dict[str, dict[str, Any]], seconds: int) -> None:
    """Advance the clock a heartbeat period at a time; the active people work, every JupyterLab app reports."""
    cloudwatch = world.client("cloudwatch")
    for _ in range(seconds // HEARTBEAT_SECONDS):
        world.cloud.clock.advance(HEARTBEAT_SECONDS)
        for user_name, app in apps.items():
            active = user_name in ACTIVE
            if app["AppType"] == "Canvas":
                if active:
                    # Canvas publishes TimeSinceLastActive itself, counted from the user's last action, as AWS's
                    # auto-shutdown sample reads it (https://github.com/aws-samples/sagemaker-canvas-auto-shutdown-on-idle,
                    # linked from https://docs.aws.amazon.com/sagemaker/latest/dg/canvas-log-out.html).
                    world.cloud.mark_user_active(
                        world.domain_id, "Canvas", "default", user_profile_name=app["UserProfileName"]
                    )
                continue
            idle = 0.0 if active else (world.cloud.clock.now() - app["StartedAt"]).total_seconds()
            dimensions = {"DomainId": world.domain_id, "AppType": "JupyterLab", "AppName": "default"}
            dimensions["SpaceName"] = app["SpaceName"]
            cloudwatch.put_metric_data(
                Namespace=HEARTBEAT_NAMESPACE,
                MetricData=[
                    {
                        "MetricName": HEARTBEAT_METRIC,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                        "Value": idle,
                        "Unit": "Seconds",
                    }
                ],
            )


def _sweep(world: World, story: Narrator) -> dict[str, Any]:
    (delivery,) = world.cloud.run_schedule(SCHEDULE)
    if delivery.error is not None:
        raise RuntimeError(f"the auto-stop sweep failed: {delivery.error}")
    report: dict[str, Any] = delivery.result
    story.table(
        f"Sweep: {report['AppsEvaluated']} apps evaluated, {report['AppsWarned']} warned, "
        f"{report['AppsStopped']} stopped, est. savings {report['EstimatedHourlySavings']:.2f} USD/h",
        ("Owner", "App", "Signal", "Idle (min)", "Decision", "Reason"),
        (
            (d["owner"], d["app_type"], d["signal"], d["idle_minutes"], d["decision"], d["reason"])
            for d in report["Decisions"]
        ),
    )
    return report


def _statuses(world: World, apps: dict[str, dict[str, Any]]) -> dict[str, str]:
    sagemaker = world.client("sagemaker")
    statuses: dict[str, str] = {}
    for user_name, app in apps.items():
        owner = {k: v for k, v in app.items() if k in {"SpaceName", "UserProfileName"}}
        description = sagemaker.describe_app(
            DomainId=world.domain_id, AppType=app["AppType"], AppName=app["AppName"], **owner
        )
        statuses[user_name] = str(description["Status"])
    return statuses


def _app_rows(world: World, apps: dict[str, dict[str, Any]]) -> list[tuple[str, ...]]:
    statuses = _statuses(world, apps)
    return [
        (user_name, app["AppType"], app.get("SpaceName") or app["UserProfileName"], statuses[user_name])
        for user_name, app in apps.items()
    ]
