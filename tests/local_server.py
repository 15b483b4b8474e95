"""``python -m localcloud serve --port 0`` in a subprocess, for tests that reach the local cloud over HTTP as another
program would (the operator CLI, the AWS CLI, SAM CLI); and a boto3 client and the control endpoints at its URL."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"


@contextlib.contextmanager
def local_cloud_server(
    env: Mapping[str, str],
    *,
    python: Sequence[str] = (sys.executable,),
    cwd: Path = ROOT,
    stderr: int | IO[Any] = subprocess.DEVNULL,
) -> Iterator[str]:
    """Start the server on a free port and yield its URL; stop it on exit. ``python`` is how to run Python (a
    name found on ``env``'s PATH, say)."""
    process = subprocess.Popen(
        [*python, "-m", "localcloud", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=cwd,
        env=dict(env),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "local cloud listening on http://127.0.0.1:<port> (...)"
        assert "listening on " in line, f"the local cloud server did not start: {line!r}"
        yield line.split("listening on ", 1)[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=60)


def server_client(url: str, service: str, *, region: str = REGION, attempts: int = 1) -> Any:
    """A boto3 client of the server at ``url``, with placeholder credentials (it accepts any)."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def server_control(url: str, method: str, route: str, body: dict[str, Any] | None = None, timeout: float = 30) -> Any:
    """A control endpoint of the server (``/_localcloud/<route>``), its JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}/_localcloud/{route}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())
