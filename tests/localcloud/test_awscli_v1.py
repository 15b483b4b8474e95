"""AWS CLI v1 against the server: with the localcloud.awscli_v1 plugin the configured endpoint wins for SQS too.

AWS CLI v1 replaces the SQS endpoint by its legacy SSL common name (``https://queue.amazonaws.com`` in us-east-1)
unless --endpoint-url is given, ignoring AWS_ENDPOINT_URL that the SDKs honour
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html; awscli/customizations/
overridesslcommonname.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local_server import local_cloud_server

ROOT = Path(__file__).resolve().parents[2]
AWS = shutil.which("aws", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with local_cloud_server(os.environ) as url:
        yield url


def _aws(url: str, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert AWS is not None, "the AWS CLI is a development dependency (requirements/dev.txt)"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        # No retries: without the plugin the CLI tries AWS's address, which this machine cannot reach.
        "AWS_MAX_ATTEMPTS": "1",
    }
    return subprocess.run([AWS, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_with_the_plugin_sqs_commands_reach_the_local_cloud(server_url: str, tmp_path: Path):
    config = tmp_path / "config"
    config.write_text("[plugins]\nlocalcloud = localcloud.awscli_v1\n")

    created = _aws(server_url, config, "sqs", "create-queue", "--queue-name", "through-the-plugin")

    assert created.returncode == 0, created.stderr
    assert created.stdout.count(server_url) == 1  # the queue URL is the server's
    listed = _aws(server_url, config, "sqs", "list-queues")
    assert "through-the-plugin" in listed.stdout


def test_without_it_aws_cli_v1_sends_sqs_to_the_legacy_endpoint(server_url: str, tmp_path: Path):
    config = tmp_path / "config"
    config.write_text("[default]\n")

    created = _aws(server_url, config, "sqs", "create-queue", "--queue-name", "lost")

    assert created.returncode != 0
    assert "queue.amazonaws.com" in created.stderr
    other_service = _aws(server_url, config, "ssm", "describe-parameters")  # AWS_ENDPOINT_URL works elsewhere
    assert other_service.returncode == 0, other_service.stderr
