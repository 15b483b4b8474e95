"""The in-app heartbeat (lifecycle/heartbeat.py) against a real Jupyter server, publishing to the local cloud.

Idleness follows Jupyter Server's REST API (https://jupyter-server.readthedocs.io/en/latest/developers/rest-api.html):
execution_state "busy" while a kernel runs code, last_activity stamped on kernel messages and terminal I/O.
Where a test needs "much later", it passes ``now`` instead of waiting.
"""

from __future__ import annotations

import http.server
import json
import logging
import os
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lifecycle import heartbeat
from lifecycle.heartbeat import App, idle_seconds, measure, parse_time, publish, read_app, read_server
from localcloud import LocalCloud
from localcloud.fidelity import watch_client
from tests.lifecycle.conftest import JupyterServer

DOMAIN = "d-abcdefghijkl"
SPACE_APP = App(domain_id=DOMAIN, app_type="JupyterLab", app_name="default", region="us-east-1", space_name="lab")
# A JupyterLab space app's metadata, with the keys AWS's samples read from it (DomainId, AppType, ResourceName,
# SpaceName, ResourceArn: aws-samples/sagemaker-studio-apps-lifecycle-config-examples, jupyterlab/auto-stop-idle).
SPACE_METADATA = {
    "AppType": "JupyterLab",
    "DomainId": DOMAIN,
    "SpaceName": "lab",
    "UserProfileName": "",
    "ResourceArn": f"arn:aws:sagemaker:us-east-1:123456789012:app/{DOMAIN}/lab/JupyterLab/default",
    "ResourceName": "default",
}


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud() as local:
        yield local


def _metric_values(cloud: LocalCloud, dimensions: list[dict[str, str]], start: datetime) -> list[float]:
    cloudwatch = watch_client(cloud.client("cloudwatch"))
    metric = {"Namespace": "DomainSteward/AppActivity", "MetricName": "IdleSeconds", "Dimensions": dimensions}
    reply = cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "idle", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Maximum"}}],
        StartTime=start - timedelta(minutes=5),
        EndTime=start + timedelta(minutes=5),
    )
    return [float(value) for value in reply["MetricDataResults"][0]["Values"]]


# -- against the real server -------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_server_without_kernels_or_terminals_is_idle_since_it_started(server: JupyterServer):
    kernels, terminals, started = read_server(server.url, server.token)

    assert (kernels, terminals) == ([], [])
    assert started == parse_time(server.request("GET", "api/status")["started"])
    assert idle_seconds(kernels, terminals, started + timedelta(minutes=2), since=started) == 120.0
    # One measurement on its own (--once) measures from the server's start.
    assert measure(SPACE_APP, server.url, server.token, started + timedelta(minutes=2)) == 120.0


@pytest.mark.slow
def test_a_busy_kernel_keeps_the_app_active_however_old_its_last_activity(server: JupyterServer):
    with server.started_kernel() as (kernel_id, client):
        client.execute("import time; time.sleep(120)")
        server.wait_for(lambda: server.kernel(kernel_id)["execution_state"] == "busy", "the kernel to be busy")

        kernels, terminals, _ = read_server(server.url, server.token)
        a_day_later = datetime.now(UTC) + timedelta(days=1)

        assert [k["execution_state"] for k in kernels] == ["busy"]
        assert idle_seconds(kernels, terminals, a_day_later) == 0.0

        server.request("POST", f"api/kernels/{kernel_id}/interrupt")
        server.wait_for(lambda: server.kernel(kernel_id)["execution_state"] == "idle", "the interrupt")
        kernels, terminals, _ = read_server(server.url, server.token)
        finished = parse_time(kernels[0]["last_activity"])
        assert idle_seconds(kernels, terminals, finished + timedelta(days=1)) == 86400.0


@pytest.mark.slow
def test_a_kernel_that_finished_long_ago_leaves_the_app_idle_since_its_last_activity(server: JupyterServer):
    with server.started_kernel() as (kernel_id, client):
        reply = client.execute_interactive("answer = 6 * 7", timeout=60)
        server.wait_for(lambda: server.kernel(kernel_id)["execution_state"] == "idle", "the kernel to finish")
    assert reply["content"]["status"] == "ok"

    kernels, terminals, started = read_server(server.url, server.token)
    [listed] = kernels
    last_activity = parse_time(listed["last_activity"])

    assert started is not None
    assert last_activity > started
    assert idle_seconds(kernels, terminals, last_activity + timedelta(hours=3), since=started) == 10800.0


@pytest.mark.slow
def test_an_open_untouched_terminal_counts_from_its_last_activity_not_forever(server: JupyterServer):
    opened = server.request("POST", "api/terminals")

    kernels, terminals, started = read_server(server.url, server.token)
    [terminal] = terminals
    assert terminal["name"] == opened["name"]
    last_activity = parse_time(terminal["last_activity"])

    # The terminal is still open ten minutes later, and the app has been idle for those ten minutes.
    assert idle_seconds(kernels, terminals, last_activity + timedelta(minutes=10), since=started) == 600.0


@pytest.mark.slow
def test_the_heartbeat_reads_kernels_of_sessions_too(server: JupyterServer):
    session = server.request(
        "POST", "api/sessions", {"path": "work.ipynb", "type": "notebook", "kernel": {"name": "python3"}}
    )

    kernels, _, _ = read_server(server.url, server.token)

    assert [k["id"] for k in kernels] == [session["kernel"]["id"]]
    server.request("DELETE", f"api/sessions/{session['id']}")


@pytest.mark.slow
def test_one_run_publishes_the_measurement_with_the_apps_exact_dimensions(
    server: JupyterServer, cloud: LocalCloud, tmp_path: Path
):
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps(SPACE_METADATA))
    started = parse_time(server.request("GET", "api/status")["started"])
    before = datetime.now(UTC)

    heartbeat.main(["--once", "--metadata", str(metadata), "--server-url", server.url, "--token", server.token])

    elapsed = (datetime.now(UTC) - started).total_seconds()
    [value] = _metric_values(cloud, SPACE_APP.dimensions(), before)
    assert 0.0 <= value <= elapsed
    # The dimension set is exactly DomainId, SpaceName, AppType, AppName: a query naming fewer finds nothing.
    assert {d["Name"] for d in SPACE_APP.dimensions()} == {"DomainId", "SpaceName", "AppType", "AppName"}
    assert _metric_values(cloud, SPACE_APP.dimensions()[:3], before) == []


# -- without a server ------------------------------------------------------------------------------------------


@contextmanager
def _kernels_only_server(kernels: list[dict[str, Any]]) -> Iterator[str]:
    """A server shaped like a kernel gateway: /api/kernels lists ``kernels`` (as they are now), all else is 404."""

    class KernelsOnly(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = urllib.parse.urlsplit(self.path).path == "/api/kernels"
            body = json.dumps(kernels).encode() if found else b"{}"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    gateway = http.server.ThreadingHTTPServer(("127.0.0.1", 0), KernelsOnly)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{gateway.server_address[1]}/"
    finally:
        gateway.shutdown()
        gateway.server_close()


def test_a_server_without_sessions_terminals_or_status_is_read_from_its_kernels_alone():
    # The Jupyter Kernel Gateway of Studio Classic KernelGateway apps serves kernels, not terminals
    # (https://docs.aws.amazon.com/sagemaker/latest/dg/studio-byoi-specs.html: "Port 8888 in the image is
    # reserved for running the KernelGateway web server"): a server answering 404 there is read from its kernels.
    kernel = {"id": "k1", "name": "python3", "execution_state": "idle", "last_activity": "2026-01-05T09:00:00.5Z"}

    with _kernels_only_server([kernel]) as url:
        kernels, terminals, started = read_server(url)

    assert (kernels, terminals, started) == ([kernel], [], None)
    assert idle_seconds(kernels, terminals, datetime(2026, 1, 5, 10, 0, 0, 500000, tzinfo=UTC)) == 3600.0


class _StopLoop(BaseException):
    """Ends the heartbeat's loop from its sleep (BaseException: the loop's error handling must not catch it)."""


def test_the_loop_measures_every_interval_and_remembers_activity_after_kernels_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps(SPACE_METADATA))
    listed = [{"id": "k1", "execution_state": "busy", "last_activity": "2026-01-05T09:00:00Z"}]
    published: list[tuple[float, datetime]] = []
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise _StopLoop
        listed.clear()  # the user shuts the kernel down between two rounds

    monkeypatch.setattr(heartbeat, "time", SimpleNamespace(sleep=sleep))
    monkeypatch.setattr(heartbeat, "publish", lambda _cw, _app, idle, now: published.append((idle, now)))

    with _kernels_only_server(listed) as url, pytest.raises(_StopLoop):
        heartbeat.main(["--metadata", str(metadata), "--server-url", url])

    assert sleeps == [300.0, 300.0]
    [(busy, busy_at), (after, after_at)] = published
    assert busy == 0.0
    # Nothing is listed any more, yet the app has been idle only since the busy kernel was last seen.
    assert after == pytest.approx((after_at - busy_at).total_seconds(), abs=1e-3)


def test_publish_puts_one_idle_seconds_datapoint_that_get_metric_data_reads_back(cloud: LocalCloud):
    now = datetime.now(UTC).replace(microsecond=0)

    publish(watch_client(cloud.client("cloudwatch")), SPACE_APP, 1234.0, now)

    assert _metric_values(cloud, SPACE_APP.dimensions(), now) == [1234.0]
    statistics = cloud.client("cloudwatch").get_metric_statistics(
        Namespace="DomainSteward/AppActivity",
        MetricName="IdleSeconds",
        Dimensions=SPACE_APP.dimensions(),
        StartTime=now - timedelta(minutes=1),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )
    assert [d["Unit"] for d in statistics["Datapoints"]] == ["Seconds"]


def test_a_space_app_is_named_by_its_space(tmp_path: Path):
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps(SPACE_METADATA))

    assert read_app(str(metadata)) == SPACE_APP
    assert SPACE_APP.dimensions() == [
        {"Name": "DomainId", "Value": DOMAIN},
        {"Name": "SpaceName", "Value": "lab"},
        {"Name": "AppType", "Value": "JupyterLab"},
        {"Name": "AppName", "Value": "default"},
    ]


def test_a_studio_classic_app_is_named_by_its_profile_and_the_app_name_comes_from_its_arn(tmp_path: Path):
    # AWS's documented example of the file in a Studio Classic KernelGateway app: ResourceName is not the app
    # name (https://docs.aws.amazon.com/sagemaker/latest/dg/notebooks-run-and-manage-metadata.html).
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(
        json.dumps(
            {
                "AppType": "KernelGateway",
                "DomainId": "d-xxxxxxxxxxxx",
                "UserProfileName": "profile-name",
                "ResourceArn": "arn:aws:sagemaker:us-east-2:123456789012:app/d-xxxxxxxxxxxx/profile-name/"
                "KernelGateway/datascience--1-0-ml-t3-medium",
                "ResourceName": "datascience--1-0-ml",
                "AppImageVersion": "",
            }
        )
    )

    app = read_app(str(metadata))

    assert (app.app_name, app.region) == ("datascience--1-0-ml-t3-medium", "us-east-2")
    assert [d["Name"] for d in app.dimensions()] == ["DomainId", "UserProfileName", "AppType", "AppName"]
    assert app.dimensions()[1]["Value"] == "profile-name"


def test_code_editor_is_idle_since_its_latest_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Code Editor runs no Jupyter server; AWS's Code Editor auto-stop sample reads edits from these directories.
    history, backups = tmp_path / "History", tmp_path / "Backups"
    (history / "a1").mkdir(parents=True)
    backups.mkdir()
    edited = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for path, when in ((history / "a1" / "entries.json", edited - timedelta(hours=2)), (backups / "x", edited)):
        path.write_text("{}")
        os.utime(path, (when.timestamp(), when.timestamp()))
    monkeypatch.setattr(heartbeat, "CODE_EDITOR_DIRS", (str(history), str(backups), str(tmp_path / "missing")))
    app = App(domain_id=DOMAIN, app_type="CodeEditor", app_name="default", region="us-east-1", space_name="code")

    assert measure(app, None, None, edited + timedelta(minutes=30)) == 1800.0
    # A later start of the heartbeat (the loop's first "since") wins over older edits.
    assert measure(app, None, None, edited + timedelta(minutes=30), since=edited + timedelta(minutes=20)) == 600.0


def test_nothing_to_measure_from_is_no_measurement():
    assert idle_seconds([], [], datetime.now(UTC)) is None


def test_a_failing_round_is_logged_and_never_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.ERROR, logger="domain-steward-heartbeat"):
        heartbeat.main(["--once", "--metadata", str(tmp_path / "missing.json")])

    assert [record.getMessage() for record in caplog.records] == ["measurement failed"]


def test_an_app_type_without_a_known_server_needs_one_named():
    app = App(domain_id=DOMAIN, app_type="RStudioServerPro", app_name="default", region="us-east-1")

    with pytest.raises(ValueError, match="pass --server-url"):
        measure(app, None, None, datetime.now(UTC))
