"""A real Jupyter server (jupyter-server + ipykernel from PyPI) for the heartbeat's tests, as SageMaker runs one.

One server per test module, started in a temporary directory on a free port with a token and the base URL
JupyterLab apps use in Studio (/jupyterlab/default/); every test leaves no kernel or terminal behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient

# Generous: a kernel starts in about a second, but CI machines are small and shared.
STARTUP_TIMEOUT = 180.0  # generous: a kernel starts slowly on a loaded 2-core CI machine (60 s was seen to run out)
# A kernel that has not answered in this time is replaced (see JupyterServer.started_kernel); a healthy one answers
# in about a second, and in well under a minute on a loaded CI machine.
KERNEL_TIMEOUT = 60.0
KERNEL_ATTEMPTS = 3
BASE_PATH = "/jupyterlab/default/"


@dataclass
class JupyterServer:
    url: str
    token: str
    runtime_dir: Path

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            text = reply.read()
        return json.loads(text) if text else None

    @contextmanager
    def started_kernel(self) -> Iterator[tuple[str, BlockingKernelClient]]:
        """A kernel the server starts, and a second client of it (through the connection file the server wrote).

        A kernel counts as started once a kernel_info request of the client gets its reply on the shell channel
        and its status on iopub, and the server reports it idle. (Not ``wait_for_ready``: it gives up after one
        missed heartbeat, which a loaded machine can miss.) On a busy CI machine a kernel once answered on the
        shell channel but published nothing on iopub for a minute (likely a port race: jupyter_client picks a
        kernel's ports by binding and releasing them, and another process can take one first). A kernel that
        does not answer on both within KERNEL_TIMEOUT is shut down and another started.
        """
        for _attempt in range(KERNEL_ATTEMPTS):
            kernel_id = self.request("POST", "api/kernels", {"name": "python3"})["id"]
            client = BlockingKernelClient(connection_file=str(self.runtime_dir / f"kernel-{kernel_id}.json"))
            client.load_connection_file()
            client.start_channels()
            try:
                self.wait_for(partial(self._publishes, client), "the kernel to answer", timeout=KERNEL_TIMEOUT)
                self.wait_for(partial(self._idle, kernel_id, client), "the kernel to be ready", timeout=KERNEL_TIMEOUT)
            except TimeoutError:
                client.stop_channels()
                self.request("DELETE", f"api/kernels/{kernel_id}")
                continue
            try:
                yield kernel_id, client
            finally:
                client.stop_channels()
            return
        raise TimeoutError(f"no kernel of {KERNEL_ATTEMPTS} answered within {KERNEL_TIMEOUT:.0f} s")

    @staticmethod
    def _publishes(client: BlockingKernelClient) -> bool:
        msg_id = client.kernel_info()
        try:
            if client.get_shell_msg(timeout=1)["msg_type"] != "kernel_info_reply":
                return False
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                message = client.get_iopub_msg(timeout=1)
                parent = message["parent_header"].get("msg_id")
                if (
                    parent == msg_id
                    and message["msg_type"] == "status"
                    and message["content"]["execution_state"] == "idle"
                ):
                    return True
        except queue.Empty:
            return False
        return False

    def _idle(self, kernel_id: str, client: BlockingKernelClient) -> bool:
        if self.kernel(kernel_id)["execution_state"] == "idle":
            return True
        # The server learns the kernel's state from its iopub status messages; a request makes the kernel
        # publish busy, then idle, again.
        client.kernel_info()
        with contextlib.suppress(queue.Empty):
            client.get_shell_msg(timeout=1)
        return False

    def kernel(self, kernel_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.request("GET", f"api/kernels/{kernel_id}")
        return found

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout:.0f} s for {what}")
            time.sleep(0.1)

    def clean(self) -> None:
        for kernel in self.request("GET", "api/kernels"):
            self.request("DELETE", f"api/kernels/{kernel['id']}")
        for terminal in self.request("GET", "api/terminals"):
            self.request("DELETE", f"api/terminals/{terminal['name']}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    home = tmp_path_factory.mktemp("jupyter")
    token = os.urandom(16).hex()
    port = _free_port()
    environment = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    command = [
        sys.executable, "-m", "jupyter_server",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.base_url={BASE_PATH}", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={home}", "--ServerApp.open_browser=False",
        "--ServerApp.allow_root=True",  # CI containers often run as root; Studio runs as sagemaker-user
    ]  # fmt: skip
    log = (home / "server.log").open("w")
    process = subprocess.Popen(command, cwd=home, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = JupyterServer(f"http://127.0.0.1:{port}{BASE_PATH}", token, home / "runtime")

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter server exited with {process.returncode}: {(home / 'server.log').read_text()}")
        try:
            server.request("GET", "api/status")
        except (urllib.error.URLError, ConnectionError):
            return False
        return True

    try:
        server.wait_for(ready, "the Jupyter server to answer")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def server(jupyter: JupyterServer) -> Iterator[JupyterServer]:
    """The module's server, cleared of kernels and terminals after each test."""
    try:
        yield jupyter
    finally:
        jupyter.clean()
