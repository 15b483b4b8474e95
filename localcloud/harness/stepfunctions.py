"""moto's Step Functions interpreter, run on the virtual clock and naming errors as AWS does.

* ``Wait`` states (``Seconds``, ``SecondsPath``, ``Timestamp``, ``TimestampPath``) and ``Retry``
  intervals advance the active :class:`~localcloud.clock.VirtualClock` and return at once, so a
  one-hour wait costs no real time and every emulated resource ages by that hour.
* ``arn:aws:states:::aws-sdk:<service>:<action>`` task errors are named ``<Service>.<Code>Exception``
  (``SageMaker.ResourceNotFoundException``) as AWS names them, rather than moto's lower-case form.
* Lambda invocations run the real handlers (see :mod:`localcloud.harness.lambdas`).

* Executions start and stop on the virtual clock (``startDate``, ``stopDate``, history timestamps,
  ``$$.Execution.StartTime``, ``$$.State.EnteredTime``), and Standard executions send their
  "Execution Status Change" events to the default bus (see :mod:`localcloud.harness.execution_events`).

Executions run in moto's worker threads and share one clock: two executions waiting at the same time
both advance it, so concurrent waits add up instead of overlapping.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
import weakref
from functools import cache
from typing import Any

from localcloud.clock import VirtualClock, get_clock
from localcloud.harness import execution_events, lambdas
from localcloud.session import shared_session

# The clock of the cloud that started the execution a worker thread runs. moto's worker threads outlive the
# cloud that started them; one that still retried or waited would otherwise move whichever cloud is active next.
_EXECUTION_CLOCK = threading.local()


def execution_clock() -> VirtualClock:
    """The clock the current execution lives on (the active clock outside an execution's threads)."""
    clock = _own_execution_clock()
    return clock if clock is not None else get_clock()


def _own_execution_clock() -> VirtualClock | None:
    clock: VirtualClock | None = getattr(_EXECUTION_CLOCK, "clock", None)
    if clock is None:
        clock = getattr(threading.current_thread(), "_localcloud_execution_clock", None)
    return clock


def _install_thread_inheritance() -> None:
    """A thread started by an execution's thread lives on the same clock.

    moto runs an execution's states in threads of their own (the program's body, each Task state, Parallel
    branches, Map iterations), started from the worker thread. Without this they fell back to the active clock,
    so a leftover execution of a stopped cloud could still move the next cloud's clock (seen in CI: an hour's
    Wait on the clock of a cloud that never started the execution).
    """
    original: Any = threading.Thread.__init__
    if getattr(original, "_localcloud_inherits_clock", False):
        return

    def init(thread: threading.Thread, *args: Any, **kwargs: Any) -> None:
        original(thread, *args, **kwargs)
        clock = _own_execution_clock()
        if clock is not None:
            thread._localcloud_execution_clock = clock  # type: ignore[attr-defined]

    init._localcloud_inherits_clock = True  # type: ignore[attr-defined]
    threading.Thread.__init__ = init  # type: ignore[method-assign,assignment]


class _VirtualTime:
    """Stands in for the ``time`` module where the interpreter sleeps."""

    def __getattr__(self, name: str) -> Any:
        import time

        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        if seconds > 0:
            execution_clock().advance(seconds)


class _VirtualNow:
    @staticmethod
    def now(tz: datetime.tzinfo | None = None) -> datetime.datetime:
        now = execution_clock().now()
        return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)


class _VirtualDatetime:
    """Stands in for the ``datetime`` module where the interpreter stamps ``$$.State.EnteredTime``."""

    timezone = datetime.timezone
    datetime = _VirtualNow


class _ExecutionDeadlines:
    """Running executions' ``TimeoutSeconds``, on the virtual clock.

    moto times an execution out after that many real seconds; here it times out when the virtual clock
    passes its deadline, in the middle of a long ``Wait`` or a handler's sleep, and no later state runs
    (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html, ``TimeoutSeconds``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deadlines: dict[str, tuple[datetime.datetime, Any]] = {}
        self._clocks: weakref.WeakSet[VirtualClock] = weakref.WeakSet()

    def watch(self, execution: Any, timeout_seconds: float) -> None:
        clock = get_clock()
        with self._lock:
            if clock not in self._clocks:
                clock.on_advance(self._expire)
                self._clocks.add(clock)
            deadline = clock.now() + datetime.timedelta(seconds=timeout_seconds)
            self._deadlines[execution.exec_arn] = (deadline, execution)

    def deadline(self, execution: Any) -> datetime.datetime | None:
        with self._lock:
            entry = self._deadlines.get(execution.exec_arn)
        return entry[0] if entry else None

    def forget(self, execution: Any) -> None:
        with self._lock:
            self._deadlines.pop(execution.exec_arn, None)

    def _expire(self, now: datetime.datetime) -> None:
        with self._lock:
            due = [execution for deadline, execution in self._deadlines.values() if deadline <= now]
        for execution in due:
            worker = execution.exec_worker
            env = worker.env if worker is not None else None
            if env is not None and env.is_running():
                env.set_timed_out()


_DEADLINES = _ExecutionDeadlines()


def _timeout_seconds(definition: str) -> float | None:
    try:
        value = json.loads(definition).get("TimeoutSeconds")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) and value > 0 else None


class _SharedClients:
    """Stands in for ``boto3`` where the interpreter makes its clients: one client per service and endpoint.

    moto builds a new boto3 client for every ``aws-sdk`` and Lambda task; loading the service model each
    time costs more than the call itself, and made a thousand-item Map take most of a minute.
    """

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        self._lock = threading.Lock()

    def client(self, *, service_name: str, region_name: str, endpoint_url: str | None = None, **kwargs: Any) -> Any:
        key = (service_name, region_name, endpoint_url)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = shared_session().client(  # type: ignore[call-overload]
                    service_name=service_name, region_name=region_name, endpoint_url=endpoint_url, **kwargs
                )
            return self._clients[key]


@cache
def install() -> None:
    """Patch moto's ASL interpreter once per process; safe to call again."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.utils import boto_client

    def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:  # noqa: ARG001 - moto calls it so
        # A stopped execution (its cloud has stopped, or StopExecution) must not move anyone's clock.
        if wait_seconds > 0 and env.is_running():
            execution_clock().advance(wait_seconds)

    def timestamp_wait_seconds(self: Any, env: Any) -> int:
        self.string.eval(env=env)
        timestamp_str: str = env.stack.pop()
        timestamp = self._from_timestamp_string(timestamp=timestamp_str)
        if timestamp is None:
            from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
                FailureEventException,
            )

            raise FailureEventException(self._create_failure_event(env, timestamp_str))
        now = execution_clock().now().astimezone(datetime.UTC).replace(tzinfo=None)
        return int((timestamp - now).total_seconds())

    def normalise_service_error_name(service_name: str) -> str:
        return aws_service_error_prefix(service_name)

    def normalise_exception_name(norm_service_name: str, ex: Exception) -> str:
        response = getattr(ex, "response", None)
        code = (response or {}).get("Error", {}).get("Code") or type(ex).__name__
        code = str(code).rsplit("#", 1)[-1]
        name = f"{norm_service_name}.{code}"
        return name if name.endswith("Exception") else f"{name}Exception"

    _install_execution_lifecycle()
    _install_generated_execution_names()
    _install_execution_clocks()
    _install_thread_inheritance()
    WaitFunction._wait_interval = wait_interval  # type: ignore[method-assign]
    Timestamp._get_wait_seconds = timestamp_wait_seconds  # type: ignore[method-assign]
    retrier_decl.time = _VirtualTime()  # type: ignore[attr-defined,assignment]
    boto_client.boto3 = _SharedClients()  # type: ignore[attr-defined,assignment]
    StateTaskServiceAwsSdk._normalise_service_error_name = staticmethod(normalise_service_error_name)  # type: ignore[method-assign]
    StateTaskServiceAwsSdk._normalise_exception_name = staticmethod(normalise_exception_name)  # type: ignore[method-assign]
    lambdas.install()


def stop_running_executions() -> int:
    """Stop every execution still running, as the end of a cloud ends them all; returns how many there were.

    Executions run in moto's worker threads, which outlive the cloud that started them; one left waiting
    would go on advancing the clock of whichever cloud is active next (``get_clock()`` is process-wide).
    """
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    stopped = 0
    now = get_clock().now()
    for account in list(stepfunctions_parser_backends.values()):
        for backend in list(account.values()):
            for state_machine in list(backend.state_machines):
                for execution in list(getattr(state_machine, "executions", [])):
                    if str(getattr(execution.exec_status, "value", "")) == "RUNNING":
                        execution.stop(stop_date=now, error="LocalCloud.Stopped", cause="The local cloud stopped.")
                        stopped += 1
    return stopped


def _install_execution_clocks() -> None:
    """Each execution's worker thread keeps the clock that was active when the execution started."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original: Any = ExecutionWorker.start
    if getattr(original, "_localcloud_clock", False):
        return
    original_logic: Any = ExecutionWorker._execution_logic

    def start(worker: Any) -> None:
        worker._localcloud_clock = get_clock()
        original(worker)

    def execution_logic(worker: Any) -> None:
        _EXECUTION_CLOCK.clock = getattr(worker, "_localcloud_clock", None)
        try:
            original_logic(worker)
        finally:
            _EXECUTION_CLOCK.clock = None

    start._localcloud_clock = True  # type: ignore[attr-defined]
    ExecutionWorker.start = start  # type: ignore[method-assign]
    ExecutionWorker._execution_logic = execution_logic  # type: ignore[method-assign]


def _install_generated_execution_names() -> None:
    """StartExecution without a name: "Step Functions automatically generates a universally unique identifier
    (UUID) as the execution name" (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
    moto's ASL backend names every such execution "None", so a second one collides with the first."""
    import uuid

    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original: Any = StepFunctionsParserBackend.start_execution
    if getattr(original, "_localcloud_names", False):
        return

    def start_execution(self: Any, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    start_execution._localcloud_names = True  # type: ignore[attr-defined]
    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]


def _install_execution_lifecycle() -> None:
    """Executions start and stop on the virtual clock and send their status-change events."""
    from moto.stepfunctions.parser.asl.component.state import state
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

    original_start: Any = Execution.start
    original_reflect: Any = BaseExecutionWorkerCommunication._reflect_execution_status
    original_terminated: Any = BaseExecutionWorkerCommunication.terminated

    def start(execution: Execution) -> None:
        # moto stamps the start with the real time; the execution lives on the virtual clock.
        execution.start_date = get_clock().now()
        execution_events.track(execution)
        timeout = _timeout_seconds(execution.state_machine.definition)
        if timeout is not None:
            _DEADLINES.watch(execution, timeout)
        execution_events.publish(execution, "RUNNING")
        original_start(execution)

    def reflect_execution_status(comm: BaseExecutionWorkerCommunication) -> None:
        original_reflect(comm)
        deadline = _DEADLINES.deadline(comm.execution)
        timed_out = str(getattr(comm.execution.exec_status, "value", "")) == "TIMED_OUT"
        # A timed-out execution stopped at its deadline, even when the wait that crossed it went further.
        comm.execution.stop_date = deadline if timed_out and deadline is not None else execution_clock().now()
        _DEADLINES.forget(comm.execution)

    def terminated(comm: BaseExecutionWorkerCommunication) -> None:
        original_terminated(comm)
        try:
            execution_events.publish(comm.execution, str(getattr(comm.execution.exec_status, "value", "")))
        finally:
            execution_events.ended(comm.execution).set()

    def history_timestamp() -> datetime.datetime:
        return execution_clock().now()

    _install_execution_api_fixes()
    Execution.start = start  # type: ignore[method-assign,assignment]
    BaseExecutionWorkerCommunication._reflect_execution_status = reflect_execution_status  # type: ignore[method-assign]
    BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign,assignment]
    EventManager._get_current_timestamp = staticmethod(history_timestamp)  # type: ignore[method-assign]
    state.datetime = _VirtualDatetime()  # type: ignore[attr-defined,assignment]


def _install_execution_api_fixes() -> None:
    """StopExecution hands its error and cause to the execution; DescribeExecution dates every ended one."""
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.responses import StepFunctionResponse

    # moto's StopExecution drops the request's error and cause
    # (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html): hand them on.
    original_response_stop: Any = StepFunctionResponse.stop_execution
    original_stop: Any = Execution.stop
    request = threading.local()

    def response_stop(response: StepFunctionResponse) -> Any:
        request.reason = (response._get_param("error"), response._get_param("cause"))
        try:
            return original_response_stop(response)
        finally:
            request.reason = None

    def stop(execution: Execution, stop_date: Any, error: str | None, cause: str | None) -> None:  # noqa: ARG001
        reason = getattr(request, "reason", None)
        if reason is not None:
            error, cause = reason
        original_stop(execution, stop_date=get_clock().now(), error=error, cause=cause)

    original_describe: Any = StepFunctionResponse.describe_execution

    def describe_execution(response: StepFunctionResponse) -> Any:
        # moto leaves stopDate out for TIMED_OUT; AWS gives it for every execution that ended
        # (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
        result = original_describe(response)
        body = result.result
        if body.get("status") in ("TIMED_OUT", ExecutionStatus.TIMED_OUT) and "stopDate" not in body:
            body["stopDate"] = response.stepfunction_backend.describe_execution(body["executionArn"]).stop_date
        return result

    StepFunctionResponse.describe_execution = describe_execution  # type: ignore[method-assign,assignment]
    StepFunctionResponse.stop_execution = response_stop  # type: ignore[method-assign,assignment]
    Execution.stop = stop  # type: ignore[method-assign,assignment]


_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


@cache
def aws_service_error_prefix(service_name: str) -> str:
    """The service part of an aws-sdk task error name: the Java SDK v2 client name (``SageMaker``, ``DynamoDb``).

    AWS derives it from the service id in the API model, split into words and each word capitalised:
    ``SageMaker`` -> ``SageMaker``, ``DynamoDB`` -> ``DynamoDb``, ``SFN`` -> ``Sfn``, ``EC2`` -> ``Ec2``.
    """
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    session = botocore.session.get_session()
    # Step Functions spells botocore's hyphenated names without the hyphen (ssoadmin for sso-admin).
    names = {name.replace("-", ""): name for name in session.get_available_services()}
    names["sfn"] = "stepfunctions"
    boto_name = names.get(service_name.lower(), service_name.lower())
    try:
        service_id = str(session.get_service_model(boto_name).service_id)
    except UnknownServiceError:
        service_id = service_name
    words = _WORD.findall(service_id)
    return "".join(word[:1].upper() + word[1:].lower() for word in words)
