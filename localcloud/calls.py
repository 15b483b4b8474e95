"""A record of every call made to the local cloud, and faults injected into chosen calls.

Both hook into moto's ``BaseResponse.call_action``, the single point every request passes through,
whether it came from an in-process boto3 client or over HTTP to the server: so tests and benchmarks
count the calls that really reached the (emulated) service, including retries.
"""

from __future__ import annotations

import json
import random
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

from localcloud.clock import get_clock

TYPE_RESPONSE = tuple[int, dict[str, Any], str | bytes]


@dataclass(frozen=True)
class Call:
    """One request as the local cloud received it."""

    service: str
    operation: str
    params: dict[str, Any]
    at: datetime
    fault: str | None = None


def _operation_name(action: str) -> str:
    # moto reports REST operations in snake_case; AWS names them in PascalCase.
    if "_" in action or action.islower():
        return "".join(part[:1].upper() + part[1:] for part in action.split("_"))
    return action


class CallLog:
    """Every call, in order. Thread-safe: Step Functions executions run in moto's worker threads."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def append(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def __iter__(self) -> Iterator[Call]:
        with self._lock:
            return iter(list(self._calls))

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)

    def calls(self, service: str | None = None, operation: str | None = None) -> list[Call]:
        return [
            c
            for c in self
            if (service is None or c.service == service) and (operation is None or c.operation == operation)
        ]

    def count(self, service: str | None = None, operation: str | None = None) -> int:
        return len(self.calls(service, operation))

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


class InjectedFault(ServiceException):
    """An error the local cloud returns instead of running the operation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


@dataclass
class FaultRule:
    """Fail ``rate`` of the matching calls with ``code``/``status``, at most ``times`` times (None: no limit).

    ``service`` and ``operation`` are exact names (``sagemaker``, ``DeleteApp``) or ``*``;
    ``when`` narrows the match to calls whose parameters satisfy it.
    """

    service: str
    operation: str
    code: str = "ThrottlingException"
    status: int = 400
    message: str = "Rate exceeded"
    rate: float = 1.0
    times: int | None = None
    when: Callable[[dict[str, Any]], bool] | None = None
    fired: int = field(default=0, init=False)

    def matches(self, service: str, operation: str, params: dict[str, Any]) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.service not in ("*", service) or self.operation not in ("*", operation):
            return False
        return self.when is None or self.when(params)


# The faults a real AWS API commonly returns, by name, for ``Faults.add(kind=...)``.
FAULT_KINDS: dict[str, tuple[str, int, str]] = {
    "throttling": ("ThrottlingException", 400, "Rate exceeded"),
    "internal": ("InternalFailure", 500, "We encountered an internal error. Please try again."),
    "unavailable": ("ServiceUnavailable", 503, "Service is unavailable. Please try again."),
    "in_use": ("ResourceInUse", 400, "The resource is in use by another operation."),
}


class Faults:
    """Faults to inject, checked in the order they were added; seeded so test runs repeat."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def add(
        self,
        service: str,
        operation: str = "*",
        kind: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        message: str | None = None,
        rate: float = 1.0,
        times: int | None = None,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> FaultRule:
        """Add a rule; ``kind`` names one of :data:`FAULT_KINDS`, ``code``/``status``/``message`` override it."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, not {rate}")
        base_code, base_status, base_message = FAULT_KINDS[kind or "throttling"]
        rule = FaultRule(
            service=service,
            operation=operation,
            code=code or base_code,
            status=status or base_status,
            message=message or base_message,
            rate=rate,
            times=times,
            when=when,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def pick(self, service: str, operation: str, params: dict[str, Any]) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(service, operation, params) and self._random.random() < rule.rate:
                    rule.fired += 1
                    return rule
        return None


def _request_params(response: BaseResponse) -> dict[str, Any]:
    if response.automated_parameter_parsing and isinstance(getattr(response, "params", None), dict):
        return dict(response.params)
    body = response.body
    if body:
        try:
            parsed = json.loads(body)
        except (ValueError, TypeError):
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    querystring = getattr(response, "querystring", None) or {}
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in querystring.items()}


def _service_name(response: BaseResponse) -> str:
    """The name boto3 knows the service by (``lambda``, not moto's ``awslambda``)."""
    if getattr(response, "service_name", None):
        return response.boto3_service_name
    return re.sub(r"^moto\.([a-z0-9]+)\..*$", r"\1", type(response).__module__)


class Interceptor:
    """Installs the call log and the faults into moto, once per process; LocalCloud swaps their state."""

    def __init__(self) -> None:
        self.log = CallLog()
        self.faults = Faults()
        self._original: Callable[[BaseResponse], TYPE_RESPONSE] | None = None

    def install(self) -> None:
        if self._original is not None:
            return
        original = BaseResponse.call_action
        self._original = original
        interceptor = self

        def call_action(response: BaseResponse) -> TYPE_RESPONSE:
            return interceptor._call(response, original)

        BaseResponse.call_action = call_action  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        if self._original is not None:
            BaseResponse.call_action = self._original  # type: ignore[method-assign,assignment]
            self._original = None

    def _call(self, response: BaseResponse, original: Callable[[BaseResponse], TYPE_RESPONSE]) -> TYPE_RESPONSE:
        service = _service_name(response)
        operation = _operation_name(response._get_action() or "")
        try:
            params = _request_params(response)
        except Exception:  # noqa: BLE001 - recording must never break the call itself
            params = {}
        rule = self.faults.pick(service, operation, params)
        self.log.append(Call(service, operation, params, get_clock().now(), rule.code if rule else None))
        if rule is None:
            return original(response)
        with warnings.catch_warnings():
            # Throttling and 5xx codes are common to all services, so no service model lists them.
            warnings.filterwarnings("ignore", message=".*does not match an error shape", category=UserWarning)
            _, headers, body = response.serialized(ActionResult(InjectedFault(rule.code, rule.message)))
        headers["status"] = rule.status
        headers, body = response._enrich_response(headers, body)
        return rule.status, headers, body


INTERCEPTOR = Interceptor()
