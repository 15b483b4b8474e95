"""Domain Steward heartbeat: publish this SageMaker Studio app's idle seconds to CloudWatch.

Runs in JupyterLab, Code Editor and Studio Classic KernelGateway apps, started by on-start.sh; every 5 minutes
(or once) it publishes DomainSteward/AppActivity IdleSeconds for the auto-stop sweep. Standard library plus
boto3, which SageMaker Distribution ships (conda-forge::boto3 in https://github.com/aws/sagemaker-distribution
build_artifacts/v2/v2.13/v2.13.0/cpu.env.in). Written for the image's Python (3.8+), not only the project's.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

NAMESPACE = "DomainSteward/AppActivity"
METRIC_NAME = "IdleSeconds"
INTERVAL_SECONDS = 300
# "the App metadata is written to a file named resource-metadata.json in the folder /opt/ml/metadata/"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/notebooks-run-and-manage-metadata.html#notebooks-run-and-manage-metadata-app)
METADATA_PATH = "/opt/ml/metadata/resource-metadata.json"
# JupyterLab serves on port 8888 under /jupyterlab/default/ (JL_PORT, JL_BASE_URL of AWS's sample
# https://github.com/aws-samples/sagemaker-studio-apps-lifecycle-config-examples jupyterlab/auto-stop-idle).
# "Port 8888 in the image is reserved for running the KernelGateway web server"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/studio-byoi-specs.html); its base path is not documented: root.
SERVER_URLS = {
    "JupyterLab": "http://127.0.0.1:8888/jupyterlab/default/",
    "KernelGateway": "http://127.0.0.1:8888/",
}
# Code Editor runs no Jupyter server. AWS's Code Editor auto-stop sample reads user activity from these
# directories, which record saved and unsaved edits (same repository, code-editor/auto-stop-idle).
CODE_EDITOR_DIRS = (
    "/opt/amazon/sagemaker/sagemaker-code-editor-server-data/data/User/History",
    "/opt/amazon/sagemaker/sagemaker-code-editor-server-data/data/User/Backups/empty-window/untitled",
)
HTTP_TIMEOUT_SECONDS = 10

log = logging.getLogger("domain-steward-heartbeat")


@dataclass(frozen=True)
class App:
    domain_id: str
    app_type: str
    app_name: str
    region: str
    space_name: str | None = None
    user_profile_name: str | None = None

    def dimensions(self) -> list[dict[str, str]]:
        """Space apps are named by SpaceName, profile apps (Studio Classic) by UserProfileName."""
        owner = ("SpaceName", self.space_name) if self.space_name else ("UserProfileName", self.user_profile_name)
        pairs = [("DomainId", self.domain_id), owner, ("AppType", self.app_type), ("AppName", self.app_name)]
        return [{"Name": name, "Value": str(value)} for name, value in pairs]


def read_app(path: str = METADATA_PATH) -> App:
    with open(path) as file:
        metadata = json.load(file)
    arn = metadata["ResourceArn"]
    # arn:...:app/<domain>/<owner>/<app type>/<app name>: the app name is the ARN's, not ResourceName (the
    # metadata page's example has ResourceName "datascience--1-0-ml" for app "datascience--1-0-ml-t3-medium").
    resource = arn.split(":", 5)[5].split("/")
    return App(
        domain_id=metadata["DomainId"],
        app_type=metadata["AppType"],
        app_name=resource[4] if len(resource) == 5 else metadata["ResourceName"],
        region=arn.split(":")[3],
        space_name=metadata.get("SpaceName") or None,
        user_profile_name=metadata.get("UserProfileName") or None,
    )


def parse_time(text: str) -> datetime:
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))  # Python < 3.11 rejects "Z"
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)  # noqa: UP017 - the image's Python may be < 3.11


def idle_seconds(
    kernels: Sequence[Mapping[str, Any]],
    terminals: Sequence[Mapping[str, Any]],
    now: datetime,
    since: datetime | None = None,
) -> float | None:
    """0 while any kernel is busy, else seconds since the latest last_activity of kernels, terminals and ``since``.

    Jupyter Server stamps last_activity on kernel messages and terminal input/output, and execution_state is
    "busy" while code runs (https://jupyter-server.readthedocs.io/en/latest/developers/rest-api.html), so an
    untouched terminal or kernel stops counting; open tabs (connections) never count, as in AWS's sample
    (IGNORE_CONNECTIONS=True). ``since``: the server's start or an earlier measurement's latest activity.
    """
    if any(kernel.get("execution_state") == "busy" for kernel in kernels):
        return 0.0
    stamps = [parse_time(str(item["last_activity"])) for item in [*kernels, *terminals] if item.get("last_activity")]
    if since is not None:
        stamps.append(since)
    if not stamps:
        return None
    return max(0.0, (now - max(stamps)).total_seconds())


def get_json(server_url: str, path: str, token: str | None) -> Any:
    # no_track_activity: our reads are not user activity (https://github.com/jupyter-server/jupyter_server/issues/1293)
    url = urllib.parse.urljoin(server_url, path) + "?no_track_activity=1"
    headers = {"Authorization": f"token {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=HTTP_TIMEOUT_SECONDS) as reply:
        return json.load(reply)


def get_optional(server_url: str, path: str, token: str | None, default: Any) -> Any:
    try:
        return get_json(server_url, path, token)
    except urllib.error.HTTPError as error:
        if error.code != 404:  # a kernel gateway serves no terminals and no /api/status
            raise
        return default


def read_server(server_url: str, token: str | None = None) -> tuple[list[Any], list[Any], datetime | None]:
    """Kernels (of /api/kernels and /api/sessions), terminals, and the server's start."""
    kernels = {kernel["id"]: kernel for kernel in get_json(server_url, "api/kernels", token)}
    for session in get_optional(server_url, "api/sessions", token, []):
        if session.get("kernel"):
            kernels.setdefault(session["kernel"]["id"], session["kernel"])
    started = get_optional(server_url, "api/status", token, {}).get("started")
    terminals = get_optional(server_url, "api/terminals", token, [])
    return list(kernels.values()), terminals, parse_time(started) if started else None


def latest_change(directories: Iterable[str]) -> datetime | None:
    latest = None
    for directory in directories:
        for root, _, files in os.walk(directory):
            for name in files:
                try:
                    changed = os.lstat(os.path.join(root, name)).st_mtime
                except OSError:
                    continue
                latest = changed if latest is None else max(latest, changed)
    return None if latest is None else datetime.fromtimestamp(latest, timezone.utc)  # noqa: UP017


def measure(
    app: App, server_url: str | None, token: str | None, now: datetime, since: datetime | None = None
) -> float | None:
    if app.app_type == "CodeEditor":
        kernels: list[Any] = []
        terminals: list[Any] = []
        known = latest_change(CODE_EDITOR_DIRS)
    else:
        url = server_url or SERVER_URLS.get(app.app_type)
        if url is None:
            raise ValueError(f"no Jupyter server known for {app.app_type} apps; pass --server-url")
        kernels, terminals, known = read_server(url, token)
    return idle_seconds(kernels, terminals, now, max((t for t in (since, known) if t is not None), default=None))


def publish(cloudwatch: Any, app: App, idle: float, now: datetime) -> None:
    datum = {"MetricName": METRIC_NAME, "Dimensions": app.dimensions(), "Timestamp": now}
    cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=[{**datum, "Value": idle, "Unit": "Seconds"}])


def run(args: argparse.Namespace) -> None:
    since = None if args.once else datetime.now(timezone.utc)  # noqa: UP017 - the loop starts with the app
    cloudwatch = None
    while True:
        try:
            app = read_app(args.metadata)
            if cloudwatch is None:
                import boto3

                cloudwatch = boto3.client("cloudwatch", region_name=app.region)
            now = datetime.now(timezone.utc)  # noqa: UP017
            idle = measure(app, args.server_url, args.token, now, since)
            if idle is None:
                log.info("nothing to measure yet")
            else:
                publish(cloudwatch, app, idle, now)
                since = now - timedelta(seconds=idle)  # the latest activity seen, kept for the next round
                log.info("published %s=%.0f for %s %s", METRIC_NAME, idle, app.app_type, app.app_name)
        except Exception:  # the heartbeat must never take the app down; the next round retries
            log.exception("measurement failed")
        if args.once:
            return
        time.sleep(args.interval)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--interval", type=float, default=INTERVAL_SECONDS)
    parser.add_argument("--metadata", default=METADATA_PATH)
    parser.add_argument("--server-url", help="default: by app type")
    parser.add_argument("--token", default=os.environ.get("JUPYTER_TOKEN"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s domain-steward-heartbeat %(levelname)s %(message)s")
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
