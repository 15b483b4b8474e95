"""Helpers of the auto-stop unit tests: a Studio builder, the heartbeat as the lifecycle script publishes it,
and a sweep runner on the local cloud's clients (the fixtures are in conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from domain_steward.autostop.report import SweepReport
from domain_steward.autostop.sweep import SweepClients, SweepSettings, run_sweep
from domain_steward.config import StewardConfig, parse_config
from localcloud import LocalCloud
from tests.unit.studio_builder import LATENCIES, StudioBuilder

TABLE = "autostop-unit"
INSTANCE = {"JupyterLab": "ml.t3.medium", "CodeEditor": "ml.m5.large", "KernelGateway": "ml.t3.medium"}


class Studio(StudioBuilder):
    """The shared builder, with what these tests add."""

    def profile(self, domain_id: str, name: str, tags: dict[str, str] | None = None) -> None:
        extra = {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}
        self.sagemaker.create_user_profile(DomainId=domain_id, UserProfileName=name, **extra)
        self.cloud.clock.advance(LATENCIES.user_profile_create)

    def space(
        self, domain_id: str, name: str, owner: str, app_type: str = "JupyterLab", tags: dict[str, str] | None = None
    ) -> None:
        extra = {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}
        self.sagemaker.create_space(
            DomainId=domain_id,
            SpaceName=name,
            OwnershipSettings={"OwnerUserProfileName": owner},
            SpaceSharingSettings={"SharingType": "Private"},
            SpaceSettings={"AppType": app_type},
            **extra,
        )
        self.cloud.clock.advance(LATENCIES.space_create)

    def app(
        self, domain_id: str, app_type: str, name: str = "default", *, settle: bool = True, **owner: str
    ) -> dict[str, str]:
        """Launch an app (InService once settled); returns its identity for DescribeApp/DeleteApp."""
        spec = {"ResourceSpec": {"InstanceType": INSTANCE[app_type]}} if app_type in INSTANCE else {}
        self.sagemaker.create_app(DomainId=domain_id, AppType=app_type, AppName=name, **owner, **spec)
        if settle:
            self.cloud.clock.advance(LATENCIES.app_create)
        return {"DomainId": domain_id, "AppType": app_type, "AppName": name, **owner}

    def status(self, app: dict[str, str]) -> str:
        return str(self.sagemaker.describe_app(**app)["Status"])


def heartbeat(cloud: LocalCloud, app: dict[str, str], idle_seconds: float) -> None:
    """What the lifecycle script publishes from a running app: IdleSeconds with the app's exact dimensions."""
    owner: dict[str, str] = {k: app[k] for k in ("SpaceName", "UserProfileName") if k in app}
    dimensions: dict[str, str] = {
        "DomainId": app["DomainId"],
        "AppType": app["AppType"],
        "AppName": app["AppName"],
        **owner,
    }
    cloud.client("cloudwatch").put_metric_data(
        Namespace="DomainSteward/AppActivity",
        MetricData=[
            {
                "MetricName": "IdleSeconds",
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Value": idle_seconds,
                "Unit": "Seconds",
            }
        ],
    )


def config(domain_id: str, **autostop: Any) -> StewardConfig:
    """A configuration with one domain and the given ``autostop`` keys."""
    return parse_config(json.dumps({"version": 1, "domains": [{"domain_id": domain_id, "autostop": autostop}]}))


@dataclass
class Sweeper:
    """Runs the sweep with the local cloud's clients; keeps every log line."""

    cloud: LocalCloud
    clients: SweepClients
    topic_arn: str | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)

    def run(
        self, steward_config: StewardConfig, *, dry_run: bool = False, time_left: Sequence[float] = (900.0,)
    ) -> SweepReport:
        """One sweep; ``time_left`` gives the seconds left each time the sweep asks, the last one from then on."""
        self.lines.clear()
        answers = iter(time_left)
        last = [time_left[-1]]

        def remaining() -> float:
            last[0] = next(answers, last[0])
            return last[0]

        return run_sweep(
            self.clients,
            steward_config,
            SweepSettings(table_name=TABLE, topic_arn=self.topic_arn, dry_run=dry_run),
            now=self.cloud.clock.now,
            time_left=remaining,
            log=self.lines.append,
        )

    def decision(self, app_name: str, owner: str) -> dict[str, Any]:
        """The log line of one app (by app name and owner name) in the last sweep."""
        found = [line for line in self.lines if line.get("app_name") == app_name and line.get("owner") == owner]
        assert len(found) == 1, f"{app_name} of {owner}: {found}"
        return found[0]
