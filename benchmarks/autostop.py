"""How close an auto-stop sweep comes to the fewest API calls possible, and how long it really takes.

    python -m benchmarks.autostop                    # 10,000 apps in 2,000 profiles (make bench)
    python -m benchmarks.autostop --profiles 100     # a quick look

The fleet, built on the local cloud through the API: two domains, each profile running five apps (a JupyterLab
and a Code Editor app in two private spaces, a KernelGateway app, Canvas and TensorBoard), five hours old.
JupyterLab, Code Editor and KernelGateway apps publish the heartbeat (IdleSeconds) as the lifecycle script
would, Canvas its own TimeSinceLastActive; TensorBoard has no metric. A seeded third of the apps is idle past
the threshold, a third idle for less, a third active. The deployed ``AutoStopFunction`` then sweeps once
(idle_minutes 60, max_runtime_hours 4, no cap that binds).

Printed, and written to ``.bench/autostop.json``:

- ``calls``: SageMaker and CloudWatch calls the sweep made (DynamoDB and SNS listed apart);
- ``lower_bound``: what any sweep making the same decisions must call, from the fleet's ground truth:
  ListDomains, one ListTags per domain (the teardown mark), the ListApps and ListSpaces pages (100 a page),
  one GetMetricData per 500 metric-signal apps, a DescribeApp for each app with no metric whose runtime has
  passed max_runtime_hours, a ListTags for each space or profile whose tag a decision needs (apps idle a
  minute or more: a tag may set a threshold that low), and a DeleteApp per stop;
- ``ratio``: calls / lower_bound (target <= 1.1, issue 8);
- ``seconds``: the sweep's real time on this machine.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from localcloud import LocalCloud
from localcloud.network import create_studio_vpc
from localcloud.sagemaker import Latencies

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
RESULTS = ROOT / ".bench" / "autostop.json"  # .bench/ is git-ignored
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
DOMAINS = 2
AGE_SECONDS = 5 * 3600
POLICY = {"idle_minutes": 60, "max_runtime_hours": 4, "max_stops_per_sweep": 10000}
PAGE = 100
METRIC_BATCH = 500
HEARTBEAT_TYPES = ("JupyterLab", "CodeEditor", "KernelGateway")
CANVAS_INTERVAL = 20 * 60 + 1  # the local cloud's Canvas publishing interval (localcloud README), and a second


def _network(cloud: LocalCloud) -> dict[str, Any]:
    return create_studio_vpc(cloud.client("ec2"))


def _build(cloud: LocalCloud, profiles: int) -> list[dict[str, Any]]:
    """The fleet; returns each app with its owner and planned activity (idle minutes, or None: no metric)."""
    sagemaker = cloud.client("sagemaker", retries=True)
    network = _network(cloud)
    apps: list[dict[str, Any]] = []
    latencies = Latencies()
    domains = []
    for d in range(DOMAINS):
        domains.append(
            sagemaker.create_domain(
                DomainName=f"bench-{d}", AuthMode="IAM", DefaultUserSettings={"ExecutionRole": ROLE}, **network
            )["DomainId"]
        )
    cloud.clock.advance(latencies.domain_create)
    users = [f"user-{p:04d}" for p in range(profiles // DOMAINS)]
    for domain_id in domains:
        for user in users:
            sagemaker.create_user_profile(DomainId=domain_id, UserProfileName=user)
    cloud.clock.advance(latencies.user_profile_create)
    for domain_id in domains:
        for user in users:
            for app_type in ("JupyterLab", "CodeEditor"):
                space = f"{user}-{app_type.lower()}"
                sagemaker.create_space(
                    DomainId=domain_id,
                    SpaceName=space,
                    OwnershipSettings={"OwnerUserProfileName": user},
                    SpaceSharingSettings={"SharingType": "Private"},
                    SpaceSettings={"AppType": app_type},
                )
                apps.append({"DomainId": domain_id, "AppType": app_type, "AppName": "default", "SpaceName": space})
            apps.append({"DomainId": domain_id, "AppType": "KernelGateway", "AppName": "kg", "UserProfileName": user})
            apps.append({"DomainId": domain_id, "AppType": "Canvas", "AppName": "default", "UserProfileName": user})
            apps.append(
                {"DomainId": domain_id, "AppType": "TensorBoard", "AppName": "default", "UserProfileName": user}
            )
    cloud.clock.advance(latencies.space_create)
    for app in apps:
        spec = {"ResourceSpec": {"InstanceType": "ml.t3.medium"}} if app["AppType"] in HEARTBEAT_TYPES else {}
        sagemaker.create_app(**app, **spec)
    cloud.clock.advance(AGE_SECONDS)
    return apps


def _activity(cloud: LocalCloud, apps: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Give each app its planned activity, through CloudWatch and the Studio controls; returns the plan."""
    rng = random.Random(seed)
    cloudwatch = cloud.client("cloudwatch", retries=True)
    kinds = [rng.choice(("idle", "short", "active")) for _ in apps]
    # Canvas users active now: their next TimeSinceLastActive datapoint (every 20 minutes) shows it.
    for app, kind in zip(apps, kinds, strict=True):
        if app["AppType"] == "Canvas" and kind != "idle":
            cloud.mark_user_active(app["DomainId"], "Canvas", "default", user_profile_name=app["UserProfileName"])
    cloud.clock.advance(CANVAS_INTERVAL)
    data: list[dict[str, Any]] = []
    plan: list[dict[str, Any]] = []
    for app, kind in zip(apps, kinds, strict=True):
        minutes = {"idle": 180.0, "short": 30.0, "active": 0.0}[kind]
        if app["AppType"] in HEARTBEAT_TYPES:
            data.append(
                {
                    "MetricName": "IdleSeconds",
                    "Dimensions": [{"Name": k, "Value": v} for k, v in app.items()],
                    "Value": minutes * 60,
                    "Unit": "Seconds",
                }
            )
        elif app["AppType"] == "Canvas":
            # The datapoint was published up to 20 minutes after the activity: that much idle is what it says.
            minutes = AGE_SECONDS / 60 + CANVAS_INTERVAL / 60 if kind == "idle" else CANVAS_INTERVAL / 60
        elif kind != "idle":
            # DescribeApp's stamp follows the user only until the next 5-minute health check: active now.
            cloud.mark_user_active(
                app["DomainId"], app["AppType"], app["AppName"], user_profile_name=app["UserProfileName"]
            )
            minutes = 0.0
        plan.append({**app, "minutes": minutes})
    for start in range(0, len(data), 1000):  # PutMetricData takes up to 1,000 metrics a call
        cloudwatch.put_metric_data(Namespace="DomainSteward/AppActivity", MetricData=data[start : start + 1000])
    return plan


def _lower_bound(plan: list[dict[str, Any]]) -> int:
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for app in plan:
        by_domain.setdefault(app["DomainId"], []).append(app)
    bound = math.ceil(len(by_domain) / PAGE)  # ListDomains
    metric_apps = 0
    for apps in by_domain.values():
        spaces = {a["SpaceName"] for a in apps if "SpaceName" in a}
        bound += 1 + math.ceil(len(apps) / PAGE) + math.ceil(len(spaces) / PAGE)
        metric_apps += sum(1 for a in apps if a["AppType"] != "TensorBoard")
    bound += math.ceil(metric_apps / METRIC_BATCH)
    threshold, runtime = POLICY["idle_minutes"], POLICY["max_runtime_hours"] * 60
    tagged: set[tuple[str, str, str]] = set()
    for app in plan:
        signal_minutes = app["minutes"]
        if app["AppType"] == "TensorBoard":
            bound += 1  # five hours old, past max_runtime_hours: only DescribeApp can spare it
            if signal_minutes:  # no user: the backstop's runtime decides
                signal_minutes = runtime + 60
        if signal_minutes >= 1:
            # The space's tags, then (no space tag here) its owner's: each resource read once.
            if "SpaceName" in app:
                tagged.add((app["DomainId"], "space", app["SpaceName"]))
                owner = app["SpaceName"].rsplit("-", 1)[0]
            else:
                owner = app["UserProfileName"]
            tagged.add((app["DomainId"], "user-profile", owner))
        limit = runtime if app["AppType"] == "TensorBoard" else threshold
        if signal_minutes >= limit:
            bound += 1  # DeleteApp
    return bound + len(tagged)


def run(profiles: int, seed: int) -> dict[str, Any]:
    with LocalCloud(start=START) as cloud:
        stack = cloud.deploy(TEMPLATE)
        cloud.client("ssm").put_parameter(
            Name="/domain-steward/config",
            Type="String",
            Value=json.dumps({"version": 1, "domains": [{"domain_id": "*", "autostop": POLICY}]}),
        )
        built = time.perf_counter()
        apps = _build(cloud, profiles)
        plan = _activity(cloud, apps, seed)
        setup = time.perf_counter() - built
        cloud.calls.clear()
        began = time.perf_counter()
        report = stack.invoke("AutoStopFunction", {})
        seconds = time.perf_counter() - began
        counted = [c for c in cloud.calls if c.service in ("sagemaker", "cloudwatch")]
        others = [c for c in cloud.calls if c.service not in ("sagemaker", "cloudwatch")]
        bound = _lower_bound(plan)
        by_operation: dict[str, int] = {}
        for call in cloud.calls:
            key = f"{call.service}:{call.operation}"
            by_operation[key] = by_operation.get(key, 0) + 1
        return {
            "apps": len(apps),
            "profiles": profiles,
            "evaluated": report["AppsEvaluated"],
            "stopped": report["AppsStopped"],
            "calls": len(counted),
            "other_calls": len(others),
            "lower_bound": bound,
            "ratio": round(len(counted) / bound, 3),
            "seconds": round(seconds, 2),
            "setup_seconds": round(setup, 1),
            "by_operation": dict(sorted(by_operation.items())),
        }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--profiles", type=int, default=2000, help="profiles, five apps each (default 2,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON figures")
    args = parser.parse_args(argv)
    result = run(args.profiles, args.seed)
    print(
        f"auto-stop sweep: {result['apps']} apps in {result['profiles']} profiles, {result['stopped']} stopped; "
        f"{result['calls']} SageMaker/CloudWatch calls / lower bound {result['lower_bound']} = {result['ratio']} "
        f"(target <= 1.1); {result['seconds']} s real time"
    )
    document = {"generated": datetime.now(UTC).isoformat(timespec="seconds"), "result": result}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    return 0 if result["ratio"] <= 1.1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
