"""Each app type with each signal: idle, active, no signal (issue 8, Tests)."""

from __future__ import annotations

from localcloud import LocalCloud
from tests.unit.autostop.support import Studio, Sweeper, config, heartbeat


def test_space_apps_follow_their_heartbeat(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "ana")
    studio.space(domain, "idle-lab", "ana")
    studio.space(domain, "busy-lab", "ana")
    studio.space(domain, "idle-code", "ana", app_type="CodeEditor")
    idle_lab = studio.app(domain, "JupyterLab", SpaceName="idle-lab")
    busy_lab = studio.app(domain, "JupyterLab", SpaceName="busy-lab")
    idle_code = studio.app(domain, "CodeEditor", SpaceName="idle-code")
    heartbeat(cloud, idle_lab, 7200)
    heartbeat(cloud, busy_lab, 0)  # a kernel is busy: the script reports no idle time
    heartbeat(cloud, idle_code, 3700)

    report = sweeper.run(config(domain, idle_minutes=60))

    assert report.stopped == 2
    assert studio.status(idle_lab) == "Deleting"
    assert studio.status(idle_code) == "Deleting"
    assert studio.status(busy_lab) == "InService"
    assert sweeper.decision("default", "idle-lab")["signal"] == "heartbeat"
    assert sweeper.decision("default", "idle-lab")["idle_minutes"] >= 120
    assert sweeper.decision("default", "busy-lab")["decision"] == "keep"


def test_a_kernel_gateway_heartbeat_is_read_with_the_profile_dimension(
    cloud: LocalCloud, studio: Studio, sweeper: Sweeper
):
    domain = studio.domain()
    studio.profile(domain, "ben")
    gateway = studio.app(domain, "KernelGateway", "datascience-1", UserProfileName="ben")
    heartbeat(cloud, gateway, 4000)

    sweeper.run(config(domain, idle_minutes=60))

    assert studio.status(gateway) == "Deleting"
    assert sweeper.decision("datascience-1", "ben")["signal"] == "heartbeat"


def test_a_heartbeat_older_than_three_beats_is_no_signal(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "ana")
    studio.space(domain, "lab", "ana")
    lab = studio.app(domain, "JupyterLab", SpaceName="lab")
    heartbeat(cloud, lab, 7200)
    cloud.clock.advance(20 * 60)  # the user removed the script: nothing since

    sweeper.run(config(domain, idle_minutes=60))

    line = sweeper.decision("default", "lab")
    assert (line["decision"], line["signal"]) == ("keep", "runtime")
    assert "max_runtime_hours is not set" in line["reason"]
    assert studio.status(lab) == "InService"


def test_canvas_follows_time_since_last_active(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "idle")
    studio.profile(domain, "busy")
    idle = studio.app(domain, "Canvas", UserProfileName="idle")
    busy = studio.app(domain, "Canvas", UserProfileName="busy")
    # Canvas publishes TimeSinceLastActive every 20 minutes (localcloud README, "CloudWatch metrics").
    for _ in range(7):
        cloud.clock.advance(20 * 60)
        cloud.mark_user_active(domain, "Canvas", "default", user_profile_name="busy")

    report = sweeper.run(config(domain, idle_minutes=120))

    assert report.stopped == 1
    assert studio.status(idle) == "Deleting"
    assert studio.status(busy) == "InService"
    assert sweeper.decision("default", "idle")["signal"] == "canvas"
    assert sweeper.decision("default", "busy")["signal"] == "canvas"


def test_a_new_canvas_app_has_no_datapoint_yet(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "new")
    canvas = studio.app(domain, "Canvas", UserProfileName="new")

    sweeper.run(config(domain, idle_minutes=1))

    line = sweeper.decision("default", "new")
    assert (line["decision"], line["signal"]) == ("keep", "runtime")
    assert studio.status(canvas) == "InService"


def test_apps_with_no_metric_fall_back_to_describe_app_then_runtime(
    cloud: LocalCloud, studio: Studio, sweeper: Sweeper
):
    domain = studio.domain()
    studio.profile(domain, "ana")
    studio.profile(domain, "ben")
    active = studio.app(domain, "TensorBoard", UserProfileName="ana")
    forgotten = studio.app(domain, "TensorBoard", UserProfileName="ben")
    cloud.clock.advance(3 * 3600)
    cloud.mark_user_active(domain, "TensorBoard", "default", user_profile_name="ana")

    sweeper.run(config(domain, idle_minutes=60, max_runtime_hours=2))

    assert sweeper.decision("default", "ana")["signal"] == "describe-app"
    assert studio.status(active) == "InService"
    stopped = sweeper.decision("default", "ben")
    assert (stopped["signal"], stopped["decision"]) == ("runtime", "stop")
    assert studio.status(forgotten) == "Deleting"


def test_describe_app_only_where_the_backstop_would_act(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "ana")
    studio.app(domain, "TensorBoard", UserProfileName="ana")
    cloud.clock.advance(3600)
    before = cloud.calls.count("sagemaker", "DescribeApp")

    sweeper.run(config(domain, idle_minutes=60, max_runtime_hours=2))

    assert cloud.calls.count("sagemaker", "DescribeApp") == before
    assert sweeper.decision("default", "ana")["decision"] == "keep"
