"""The local cloud as an HTTP endpoint, for clients in other processes (the AWS CLI, SAM CLI, a demo).

    python -m localcloud serve --port 5000
    aws --endpoint-url http://127.0.0.1:5000 sagemaker list-domains

It is moto's server with everything :class:`localcloud.LocalCloud` adds (SageMaker Studio, Identity
Center applications, the Step Functions engine on a virtual clock, the call log and faults), plus
control endpoints under ``/_localcloud/``:

===========  ===========================  ==================================================================
``GET``      ``/_localcloud/clock``       ``{"now": ISO-8601, "timestamp": seconds}``
``POST``     ``/_localcloud/clock/advance``  body ``{"seconds": N}`` or ``{"to": ISO-8601}``; returns the clock
``GET``      ``/_localcloud/calls``       ``{"calls": [...]}``, optionally ``?service=sagemaker&operation=DeleteApp``
``DELETE``   ``/_localcloud/calls``       forget the calls so far
``GET``      ``/_localcloud/faults``      the fault rules and how often each fired
``POST``     ``/_localcloud/faults``      body as :meth:`localcloud.Faults.add` (``service``, ``operation``,
                                          ``kind``, ``code``, ``status``, ``message``, ``rate``, ``times``)
``DELETE``   ``/_localcloud/faults``      remove every fault rule
``POST``     ``/_localcloud/sagemaker/``  SageMaker Studio controls (as :class:`localcloud.LocalCloud`'s methods),
             ``user-activity``            body ``{"domain_id", "app_type", "app_name"}`` and one of
             ``fail-app``                 ``"user_profile_name"`` / ``"space_name"`` (``fail-app``: ``"reason"``)
``POST``     ``/_localcloud/sagemaker/``  keep a resource ``Deleting`` (``keep-deleting``), move it to a failure
             ``keep-deleting``            status (``fail``: ``"status"`` and ``"reason"``), lift both
             ``fail``, ``release``        (``release``); body ``{"domain_id"}`` names the domain, plus
                                          ``"user_profile_name"`` or ``"space_name"`` a profile or space, plus
                                          ``"app_type"`` and ``"app_name"`` an app
===========  ===========================  ==================================================================

Every ``sagemaker/`` control also takes ``"account_id"`` and ``"region"`` (default: the server's), and answers
``404`` for a resource that does not exist and ``409`` for one the control does not apply to.

``sam deploy`` works against it: a SAM template is deployed through the harness (see :mod:`localcloud.cloudformation`),
and its functions and state machines then run in this process, their AWS calls answered by this same cloud.

It listens on 127.0.0.1 only: it accepts any credentials, so it must not be reachable from elsewhere.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from localcloud.calls import INTERCEPTOR, FaultRule
from localcloud.clock import VirtualClock, use_clock
from localcloud.cloud import DEFAULT_ACCOUNT, DEFAULT_REGION

if TYPE_CHECKING:
    from localcloud.sagemaker.options import StudioOptions

LOOPBACK = "127.0.0.1"
CONTROL_PREFIX = "/_localcloud/"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ControlError(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


class ControlApp:
    """WSGI middleware: ``/_localcloud/`` requests are answered here, everything else goes to moto."""

    def __init__(self, moto_app: WsgiApp, clock: VirtualClock) -> None:
        self._moto_app = moto_app
        self._clock = clock
        self._faults: list[FaultRule] = []

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if not path.startswith(CONTROL_PREFIX):
            return self._moto_app(environ, start_response)
        try:
            status, body = "200 OK", self._control(str(environ["REQUEST_METHOD"]), path, environ)
        except ControlError as error:
            status, body = error.status, {"error": str(error)}
        except (ValueError, TypeError, KeyError) as error:
            status, body = "400 Bad Request", {"error": f"{type(error).__name__}: {error}"}
        payload = json.dumps(body, default=str).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    def _control(self, method: str, path: str, environ: dict[str, Any]) -> Any:
        route = path[len(CONTROL_PREFIX) :].strip("/")
        if route == "clock" and method == "GET":
            return self._clock_state()
        if route == "clock/advance" and method == "POST":
            request = _json_body(environ)
            if "to" in request:
                self._clock.advance_to(datetime.fromisoformat(str(request["to"])))
            else:
                self._clock.advance(float(request["seconds"]))
            return self._clock_state()
        if route == "calls" and method == "GET":
            query = _query(environ)
            calls = INTERCEPTOR.log.calls(query.get("service"), query.get("operation"))
            return {
                "calls": [
                    {
                        "service": c.service,
                        "operation": c.operation,
                        "params": c.params,
                        "at": c.at.isoformat(),
                        "fault": c.fault,
                    }
                    for c in calls
                ]
            }
        if route == "calls" and method == "DELETE":
            INTERCEPTOR.log.clear()
            return {"calls": []}
        if route == "faults" and method == "GET":
            return {"faults": [_fault_state(rule) for rule in self._faults]}
        if route == "faults" and method == "POST":
            request = _json_body(environ)
            allowed = {"service", "operation", "kind", "code", "status", "message", "rate", "times"}
            unknown = set(request) - allowed
            if unknown:
                raise ControlError("400 Bad Request", f"unknown fault fields: {sorted(unknown)}")
            rule = INTERCEPTOR.faults.add(**request)
            self._faults.append(rule)
            return _fault_state(rule)
        if route == "faults" and method == "DELETE":
            INTERCEPTOR.faults.clear()
            self._faults.clear()
            return {"faults": []}
        if route in _APP_CONTROLS and method == "POST":
            return _app_control(route, _json_body(environ))
        if route in _RESOURCE_CONTROLS and method == "POST":
            return _resource_control(route, _json_body(environ))
        if route == "sagemaker/browser-tab" and method in ("POST", "DELETE"):
            return _browser_tab(method == "POST", _json_body(environ))
        raise ControlError("404 Not Found", f"no control endpoint {method} {path}")

    def _clock_state(self) -> dict[str, Any]:
        now = self._clock.now()
        return {"now": now.isoformat(), "timestamp": now.timestamp()}


# The SageMaker Studio controls LocalCloud offers in-process (mark_user_active, fail_app), over HTTP.
_APP_CONTROLS = {"sagemaker/user-activity", "sagemaker/fail-app"}
_APP_FIELDS = {"domain_id", "app_type", "app_name", "user_profile_name", "space_name", "region", "account_id"}


def _app_control(route: str, request: dict[str, Any]) -> dict[str, Any]:
    from localcloud.sagemaker import controls

    allowed = _APP_FIELDS | ({"reason"} if route == "sagemaker/fail-app" else set())
    unknown = set(request) - allowed
    if unknown:
        raise ControlError("400 Bad Request", f"unknown fields: {sorted(unknown)}")
    account_id = str(request.pop("account_id", DEFAULT_ACCOUNT))
    region = str(request.pop("region", DEFAULT_REGION))
    app = (request.pop("domain_id"), request.pop("app_type"), request.pop("app_name"))
    try:
        if route == "sagemaker/user-activity":
            controls.mark_user_active(account_id, region, *app, **request)
        else:
            controls.fail_app(account_id, region, *app, request.pop("reason", "Injected failure"), **request)
    except LookupError as error:
        raise ControlError("404 Not Found", str(error)) from error
    except ValueError as error:
        raise ControlError("409 Conflict", str(error)) from error
    return {"done": route.rsplit("/", 1)[1]}


def _browser_tab(opening: bool, request: dict[str, Any]) -> dict[str, Any]:
    """``POST`` opens Studio Classic for a user, ``DELETE`` closes it (LocalCloud.open/close_browser_tab);
    body ``{"domain_id", "user_profile_name"}`` and optionally ``region``, ``account_id``."""
    from localcloud.sagemaker import browser

    unknown = set(request) - {"domain_id", "user_profile_name", "region", "account_id"}
    if unknown:
        raise ControlError("400 Bad Request", f"unknown fields: {sorted(unknown)}")
    where = (str(request.get("account_id", DEFAULT_ACCOUNT)), str(request.get("region", DEFAULT_REGION)))
    user = (str(request["domain_id"]), str(request["user_profile_name"]))
    try:
        (browser.open_browser_tab if opening else browser.close_browser_tab)(*where, *user)
    except LookupError as error:
        raise ControlError("404 Not Found", str(error)) from error
    except ValueError as error:
        raise ControlError("409 Conflict", str(error)) from error
    return {"browser_tab": "open" if opening else "closed"}


# The failure controls (LocalCloud.keep_deleting, fail_resource, release) over HTTP.
_RESOURCE_CONTROLS = {"sagemaker/keep-deleting", "sagemaker/fail", "sagemaker/release"}
_RESOURCE_FIELDS = {"domain_id", "user_profile_name", "space_name", "app_type", "app_name", "region", "account_id"}


def _resource_control(route: str, request: dict[str, Any]) -> dict[str, Any]:
    from localcloud.sagemaker import controls

    allowed = _RESOURCE_FIELDS | ({"status", "reason"} if route == "sagemaker/fail" else set())
    unknown = set(request) - allowed
    if unknown:
        raise ControlError("400 Bad Request", f"unknown fields: {sorted(unknown)}")
    account_id = str(request.pop("account_id", DEFAULT_ACCOUNT))
    region = str(request.pop("region", DEFAULT_REGION))
    domain_id = str(request.pop("domain_id"))
    try:
        if route == "sagemaker/keep-deleting":
            controls.keep_deleting(account_id, region, domain_id, **request)
        elif route == "sagemaker/fail":
            status, reason = str(request.pop("status")), str(request.pop("reason", "Injected failure"))
            controls.fail_resource(account_id, region, domain_id, status, reason, **request)
        else:
            controls.release(account_id, region, domain_id, **request)
    except LookupError as error:
        raise ControlError("404 Not Found", str(error)) from error
    except ValueError as error:
        raise ControlError("409 Conflict", str(error)) from error
    return {"done": route.rsplit("/", 1)[1]}


def _json_body(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    body = json.loads(raw or b"{}")
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    return body


def _query(environ: dict[str, Any]) -> dict[str, str]:
    from urllib.parse import parse_qs

    return {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING", ""))).items()}


def _fault_state(rule: FaultRule) -> dict[str, Any]:
    return {
        "service": rule.service,
        "operation": rule.operation,
        "code": rule.code,
        "status": rule.status,
        "message": rule.message,
        "rate": rule.rate,
        "times": rule.times,
        "fired": rule.fired,
    }


class LocalCloudServer:
    """moto's server with the local cloud installed, on ``127.0.0.1:port`` in a background thread.

    Port 0 picks a free port (see :attr:`url`). One server per process: moto's state is process-wide.
    """

    def __init__(
        self, port: int = 5000, *, start: datetime | None = None, seed: int = 0, studio: StudioOptions | None = None
    ) -> None:
        self.clock = VirtualClock(start)
        self._port = port
        self._seed = seed
        self._studio = studio
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._previous_clock: VirtualClock | None = None
        self._saved_config: dict[str, Any] = {}
        self._saved_port: str | None = None
        self._mock: Any = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        from moto import mock_aws
        from moto.core.config import default_user_config
        from moto.moto_api._internal.models import moto_api_backend
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        from localcloud import cloudformation, ec2, efs, sagemaker, sqs, ssoadmin
        from localcloud.harness import stepfunctions

        # A new server is a new, empty cloud, as every LocalCloud is (moto's state is process-wide).
        moto_api_backend.reset()
        self._previous_clock = use_clock(self.clock)
        INTERCEPTOR.install()
        INTERCEPTOR.log.clear()
        INTERCEPTOR.faults.clear()
        sagemaker.install(seed=self._seed, studio=self._studio)
        ssoadmin.install()
        efs.install()
        ec2.install()
        sqs.install()
        stepfunctions.install()
        # sam deploy's SAM templates are deployed through the harness; their handlers run in this process.
        cloudformation.install()
        # What mock_aws(config=...) sets for LocalCloud; the server reads the same process-wide settings.
        config = cast(dict[str, Any], default_user_config)
        self._saved_config = {key: dict(config.get(key, {})) for key in ("stepfunctions", "lambda")}
        config["stepfunctions"] = {"execute_state_machine": True}
        config["lambda"] = {"use_docker": False}
        # Handlers (and the Step Functions engine) run in this process with boto3's default endpoints: mock_aws
        # answers them from the same backends the server serves, so none of their calls can reach AWS.
        self._mock = mock_aws(config={"core": {"reset_boto3_session": True}})
        self._mock.start(reset=False)
        app = ControlApp(DomainDispatcherApplication(create_backend_app), self.clock)
        self._server = make_server(LOOPBACK, self._port, app, threaded=True, request_handler=MotoRequestHandler)
        # moto reaches the server itself through MOTO_PORT (custom resources call back to it over HTTP).
        self._saved_port = os.environ.get("MOTO_PORT")
        os.environ["MOTO_PORT"] = str(self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="localcloud-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        from moto.core.config import default_user_config

        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        from localcloud.harness import stepfunctions

        stepfunctions.stop_running_executions()
        from localcloud import cloudformation

        cloudformation.close_all()
        if self._mock is not None:
            self._mock.stop(remove_data=False)
            self._mock = None
        config = cast(dict[str, Any], default_user_config)
        config.update(self._saved_config)
        self._saved_config = {}
        if self._saved_port is None:
            os.environ.pop("MOTO_PORT", None)
        else:
            os.environ["MOTO_PORT"] = self._saved_port
        INTERCEPTOR.faults.clear()
        if self._previous_clock is not None:
            use_clock(self._previous_clock)
            self._previous_clock = None

    def __enter__(self) -> LocalCloudServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def serve(port: int, seed: int = 0, studio: StudioOptions | None = None) -> None:
    """Run the server in the foreground until interrupted."""
    server = LocalCloudServer(port, seed=seed, studio=studio)
    server.start()
    print(f"local cloud listening on {server.url} (control endpoints under {server.url}{CONTROL_PREFIX})", flush=True)
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
