"""The lifecycle configuration's script (lifecycle/on-start.sh with heartbeat.py inside), run for real with bash.

Lifecycle configurations must finish within 5 minutes, and AWS suggests nohup for longer work
(https://docs.aws.amazon.com/sagemaker/latest/dg/studio-lifecycle-configurations-debug-timeout.html): the
script installs the heartbeat, starts it in the background and returns; run again, it starts nothing new.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lifecycle import content

HEARTBEAT = Path(content.__file__).with_name("heartbeat.py")


def _run(script: Path, environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(script), *args], env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_script_installs_the_heartbeat_and_starts_it_in_the_background_once(tmp_path: Path):
    script = tmp_path / "on-start.sh"
    script.write_text(content.script())
    app_dir, log = tmp_path / "domain-steward", tmp_path / "app_container.log"
    environment = {
        **os.environ,
        "DOMAIN_STEWARD_DIR": str(app_dir),
        "DOMAIN_STEWARD_LOG": str(log),
        "DOMAIN_STEWARD_PYTHON": sys.executable,
    }
    # No metadata file here: the heartbeat's first round fails, is logged, and the loop waits for the next.
    arguments = ("--metadata", str(tmp_path / "missing.json"))

    first = _run(script, environment, *arguments)

    assert first.returncode == 0, first.stderr
    pid = int((app_dir / "heartbeat.pid").read_text())
    try:
        assert f"heartbeat started (pid {pid}" in first.stdout
        assert (app_dir / "heartbeat.py").read_text() == HEARTBEAT.read_text()
        deadline = time.monotonic() + 60
        while "measurement failed" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline, "the heartbeat logged nothing within 60 s"
            time.sleep(0.2)
        os.kill(pid, 0)  # still running after a failed round

        again = _run(script, environment, *arguments)

        assert again.returncode == 0, again.stderr
        assert f"heartbeat already running (pid {pid})" in again.stdout
        assert int((app_dir / "heartbeat.pid").read_text()) == pid
    finally:
        os.kill(pid, signal.SIGTERM)


def test_without_a_python_that_has_boto3_the_app_still_starts(tmp_path: Path):
    script = tmp_path / "on-start.sh"
    script.write_text(content.script())
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for name in ("python3", "python"):
        (fake_bin / name).write_text("#!/bin/sh\nexit 1\n")
        (fake_bin / name).chmod(0o755)
    app_dir = tmp_path / "domain-steward"
    environment = {
        **os.environ,
        "PATH": f"{fake_bin}:/usr/bin:/bin",
        "DOMAIN_STEWARD_DIR": str(app_dir),
        "DOMAIN_STEWARD_LOG": str(tmp_path / "app_container.log"),
        "DOMAIN_STEWARD_PYTHON": "",
    }

    ran = _run(script, environment)

    assert ran.returncode == 0
    assert "no Python with boto3 found; heartbeat not started" in ran.stdout
    assert not (app_dir / "heartbeat.pid").exists()
