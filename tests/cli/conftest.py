"""The CLI's end-to-end tests run ``python -m domain_steward`` in a subprocess against ``python -m localcloud
serve`` in another, as an operator would against AWS with ``--endpoint-url``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The in-process tests use the integration fixtures: a LocalCloud, the template deployed on it, a Studio builder.
from localcloud.network import create_studio_vpc
from tests.integration.conftest import cloud, stack, studio  # noqa: F401
from tests.local_server import local_cloud_server, server_client, server_control

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
# Placeholder credentials: the local cloud accepts any; they keep boto3 from looking for real ones.
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "common")]),
    "COLUMNS": "200",
}


ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Server:
    url: str

    def client(self, service: str) -> Any:
        return server_client(self.url, service, region=REGION)

    def control(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        return server_control(self.url, method, route, body, timeout=10)

    def domain(self, name: str, *, cidr_prefix: str = "10.0") -> str:
        """An IAM domain on the server, InService (the server's clock advanced an hour)."""
        network = create_studio_vpc(self.client("ec2"), cidr_prefix=cidr_prefix)
        domain_id = self.client("sagemaker").create_domain(
            DomainName=name, AuthMode="IAM", DefaultUserSettings={"ExecutionRole": ROLE}, **network
        )["DomainId"]
        self.control("POST", "clock/advance", {"seconds": 3600})
        return str(domain_id)

    def cli(self, *args: str, stdin: str | None = None, timeout: float = 120) -> Result:
        """``python -m domain_steward ARGS --endpoint-url <this server>``, as a separate process."""
        completed = subprocess.run(
            [sys.executable, "-m", "domain_steward", *args, "--endpoint-url", self.url],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=ROOT,
            env={**ENV, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with local_cloud_server({**os.environ, **ENV}) as url:
        yield Server(url)
