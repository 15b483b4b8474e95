"""``python -m localcloud serve --port 0`` in a subprocess, for tests that reach the local cloud over HTTP as another
program would (the operator CLI, the AWS CLI, SAM CLI)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]


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
