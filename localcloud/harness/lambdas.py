"""Lambda functions that run their real handler in this process.

moto keeps each function's configuration; invoking it (``lambda.invoke`` from boto3, a Step Functions
``lambda:invoke`` task, an SNS subscription, or the harness itself) imports the handler from the
function's own code directory and calls it, with the function's environment and layers in place.

Each function gets its own copies of the modules that come from its code and layers, so two functions
that both ship an ``app.py`` never see each other's module, and a function keeps its module state
between invocations as a warm Lambda environment does.

Every invocation runs on the local cloud's virtual clock (see :mod:`localcloud.harness.virtual_time`):
the handler reads it, its sleeps advance it, and its context counts down on it.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from localcloud.clock import get_clock
from localcloud.harness import virtual_time
from localcloud.harness.environment import handler_environment

LOG = logging.getLogger(__name__)

# Handlers share the process: sys.modules and sys.path are global (os.environ gets a per-invocation overlay), so
# one invocation runs at a time. Re-entrant, because a handler may invoke another function synchronously.
_INVOKE_LOCK = threading.RLock()


class FunctionError(Exception):
    """A handler raised: carries the Lambda error payload (``errorType``, ``errorMessage``, ``stackTrace``)."""

    def __init__(self, function_name: str, payload: dict[str, Any]) -> None:
        super().__init__(f"{function_name} failed: {payload['errorType']}: {payload['errorMessage']}")
        self.function_name = function_name
        self.payload = payload

    @property
    def error_type(self) -> str:
        return str(self.payload["errorType"])


class LambdaContext:
    """The context object Lambda passes to a Python handler."""

    def __init__(self, function: LocalFunction, request_id: str) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.identity: Any = None
        self.client_context: Any = None
        self.tenant_id: str | None = None
        # The invocation's time runs on the virtual clock (see virtual_time), so the countdown does too:
        # a handler that stops cleanly when it runs out of time is tested by advancing the clock.
        # https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
        self._deadline = get_clock().timestamp() + function.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - get_clock().timestamp()) * 1000))


@dataclass
class LocalFunction:
    """One deployed function and the local code behind it."""

    name: str
    arn: str
    handler: str
    code_dir: Path
    layer_dirs: list[Path] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    timeout_seconds: int = 3
    memory_mb: int = 128
    region: str = "us-east-1"
    _modules: dict[str, ModuleType] = field(default_factory=dict, repr=False)
    _handler: Any = field(default=None, repr=False)

    # -- running -------------------------------------------------------------------------------------

    def run(self, event: Any) -> Any:
        """Call the handler with ``event``; raise :class:`FunctionError` when it fails, as Lambda reports it."""
        request_id = str(uuid.uuid4())
        with _INVOKE_LOCK, self._environment(), self._imports(), virtual_time.handler_time():
            try:
                handler = self._load_handler()
                result = handler(event, LambdaContext(self, request_id))
            except Exception as error:  # every handler error becomes a Lambda function error
                raise FunctionError(self.name, error_payload(error)) from error
        # Lambda serialises the result: anything that is not JSON fails the invocation.
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as error:
            payload = {
                "errorType": "Runtime.MarshalError",
                "errorMessage": f"Unable to marshal response: {error}",
                "stackTrace": [],
            }
            raise FunctionError(self.name, payload) from error

    def _load_handler(self) -> Any:
        if self._handler is None:
            module_name, _, attribute = self.handler.rpartition(".")
            if not module_name:
                raise ImportError(f"Bad handler {self.handler!r}: expected module.function")
            module = importlib.import_module(module_name.replace("/", "."))
            self._handler = getattr(module, attribute)
        return self._handler

    @contextlib.contextmanager
    def _environment(self) -> Iterator[None]:
        variables = {
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            "_HANDLER": self.handler,
            # No X-Ray daemon here; a function that sets this itself keeps its own value.
            "POWERTOOLS_TRACE_DISABLED": "true",
            **self.environment,
        }
        # Seen by this invocation's threads only: see localcloud.harness.environment.
        with handler_environment(variables):
            yield

    @contextlib.contextmanager
    def _imports(self) -> Iterator[None]:
        roots = [self.code_dir, *self.layer_dirs]
        provided = _top_level_names(roots)
        # Every module of these names that is not this function's own is hidden for the call, even one loaded
        # from the same files (another function of the same layer, an earlier deployment, the test suite):
        # module state such as a cached boto3 client and its adaptive-retry rate limiter must not outlive
        # the environment that created it, as a Lambda environment never outlives its deployment.
        before = {name: module for name, module in sys.modules.items() if _top(name) in provided}
        for name in before:
            del sys.modules[name]
        sys.modules.update(self._modules)
        saved_path = list(sys.path)
        sys.path[:0] = [str(root) for root in roots]
        try:
            yield
        finally:
            sys.path[:] = saved_path
            current = [name for name in sys.modules if _top(name) in provided]
            self._modules = {name: sys.modules.pop(name) for name in current}
            sys.modules.update(before)


def _top(module_name: str) -> str:
    return module_name.split(".", 1)[0]


def _top_level_names(roots: list[Path]) -> set[str]:
    names: set[str] = set()
    for root in roots:
        if not root.is_dir():
            continue
        for entry in root.iterdir():
            if entry.name.startswith((".", "_")) and entry.name != "__init__.py":
                continue
            if entry.is_dir():
                names.add(entry.name)
            elif entry.suffix == ".py":
                names.add(entry.stem)
    return names


def error_payload(error: BaseException) -> dict[str, Any]:
    """The payload Lambda's Python runtime returns for an unhandled exception."""
    frames = traceback.format_tb(error.__traceback__)
    return {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": frames, "requestId": ""}


# -- the registry the patched moto backend consults ------------------------------------------------------


class Registry:
    """Deployed local functions by account, Region and name."""

    def __init__(self) -> None:
        self._functions: dict[tuple[str, str, str], LocalFunction] = {}
        self._lock = threading.Lock()

    def add(self, account_id: str, function: LocalFunction) -> None:
        with self._lock:
            self._functions[(account_id, function.region, function.name)] = function

    def remove(self, account_id: str, function: LocalFunction) -> None:
        with self._lock:
            self._functions.pop((account_id, function.region, function.name), None)

    def find(self, account_id: str, region: str, name_or_arn: str) -> LocalFunction | None:
        name = function_name_from(name_or_arn)
        with self._lock:
            return self._functions.get((account_id, region, name))


def function_name_from(name_or_arn: str) -> str:
    """``my-fn`` from a name, a partial ARN ``123:function:my-fn`` or a (qualified) full ARN."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


REGISTRY = Registry()


# -- moto integration ------------------------------------------------------------------------------------


@cache
def install() -> None:
    """Make moto's Lambda run registered functions in-process (idempotent; needs ``use_docker: False``)."""
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda_simple.models import LambdaSimpleBackend

    original_invoke = LambdaSimpleBackend.invoke
    original_function_invoke = LambdaFunction.invoke

    def backend_invoke(  # noqa: PLR0917 - moto's signature
        backend: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> str | bytes | None:
        function = REGISTRY.find(backend.account_id, backend.region_name, function_name)
        if function is None:
            return original_invoke(backend, function_name, qualifier, body, headers, response_headers)
        return _invoke_over_api(function, body, headers or {}, response_headers)

    def function_invoke(model: Any, body: Any, request_headers: Any, response_headers: Any) -> Any:
        # moto's SNS subscriptions and InvokeAsync call the function model directly.
        function = REGISTRY.find(model.account_id, model.region, model.function_name)
        if function is None:
            return original_function_invoke(model, body, request_headers, response_headers)
        return _invoke_over_api(function, body, request_headers or {}, response_headers)

    LambdaSimpleBackend.invoke = backend_invoke  # type: ignore[method-assign,assignment]
    LambdaFunction.invoke = function_invoke  # type: ignore[method-assign,assignment]


def _invoke_over_api(function: LocalFunction, body: Any, headers: Mapping[str, Any], response_headers: Any) -> bytes:
    invocation_type = next((v for k, v in headers.items() if k.lower() == "x-amz-invocation-type"), "RequestResponse")
    if invocation_type == "DryRun":
        return b""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    event = json.loads(body) if body else {}
    response_headers["x-amz-executed-version"] = "$LATEST"
    try:
        result = function.run(event)
    except FunctionError as error:
        LOG.info("%s", error)
        response_headers["x-amz-function-error"] = "Unhandled"
        payload = json.dumps({k: v for k, v in error.payload.items() if k != "requestId"}).encode()
    else:
        payload = json.dumps(result).encode()
    response_headers["Content-Length"] = str(len(payload))
    return payload
