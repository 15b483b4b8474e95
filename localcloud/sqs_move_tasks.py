"""SQS message move tasks (dead-letter queue redrive) on the local cloud's virtual clock.

moto 5.2.5 has no ``StartMessageMoveTask``, ``ListMessageMoveTasks`` or ``CancelMessageMoveTask``; this module
adds them to moto's SQS (in-process and over HTTP: moto dispatches SQS JSON requests by ``X-Amz-Target`` to the
method of ``SQSResponse`` of the same name).

What AWS documents, and what is emulated:

- A task moves messages out of a queue that is a dead-letter queue of other SQS queues, to ``DestinationArn``
  or, without one, back to "their respective original source queues"; one active task per source queue
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html).
  SQS knows a message's original source only when it moved the message to the dead-letter queue itself after
  ``maxReceiveCount`` receives; a message sent to the dead-letter queue directly (or by SNS, Lambda,
  EventBridge) fails the task with ``CouldNotDetermineMessageSource``, a deleted destination with
  ``AWS.SimpleQueueService.NonExistentQueue``
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/troubleshooting-dlq-redrive.html).
  moto moves messages to the dead-letter queue inside ``SQSBackend.receive_message``; the wrapper below records
  the queue each one came from.
- Messages move oldest first; a moved message is a new message (new ``MessageId``, enqueued now, its
  retention period starts again); a custom destination must be the same type (standard or FIFO) as the
  dead-letter queue
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html).
- ``MaxNumberOfMessagesPerSecond`` is at most 500; without it "the system will optimize the rate".
  ``ApproximateNumberOfMessagesToMove`` is "obtained at the time of starting"; ``TaskHandle`` is listed only
  for ``RUNNING`` tasks; ``ListMessageMoveTasks`` returns the most recent tasks, 1 by default, at most 10
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasksResultEntry.html,
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasks.html).
  Only a ``RUNNING`` task can be cancelled, and moved messages stay moved
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CancelMessageMoveTask.html).

Error codes and messages are those AWS answered in LocalStack's parity tests, recorded against AWS
(https://github.com/localstack/localstack/blob/main/tests/aws/services/sqs/test_sqs_move_task.snapshot.json),
including the task handle's shape (base64 of ``{"taskId": ..., "sourceArn": ...}``, decoded in
https://github.com/localstack/localstack/blob/main/tests/aws/services/sqs/test_sqs_move_task.py). AWS documents
none of the wordings; ``InvalidParameterValue`` is not in botocore's model of these operations although AWS
answers it (see ``localcloud.fidelity.UNMODELED_ERRORS``).

Choices where AWS documents nothing (each the stricter plausible reading):

- Time: the task is asynchronous. It moves nothing while ``StartMessageMoveTask`` runs; with a rate, the n-th
  message moves n/rate seconds after the start on the virtual clock; without one, every message moves at the
  first advance of the clock. A task is ``RUNNING`` until its last message's turn, then ``COMPLETED``.
- The task moves the messages that were visible in the dead-letter queue when it started (the count it
  reports); one deleted, received (in flight) or expired by its turn is skipped and not counted as moved.
- The first message that cannot be moved (unknown source, missing queue) stops the task ``FAILED``; the
  messages moved before it stay moved, the rest stay in the dead-letter queue.
- A cancelled task goes straight to ``CANCELLED`` (AWS lists ``CANCELLING`` too; here nothing is in flight).
  A task that is not ``RUNNING`` answers ``CancelMessageMoveTask`` as an unknown one ("Task does not exist."):
  its handle is no longer listed. A destination equal to the source is ``InvalidParameterValue``.
- ``StartedTimestamp`` is epoch milliseconds, as SQS's other message timestamps (``SentTimestamp``).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.sqs.exceptions import SQSException
from moto.sqs.models import Message, Queue, SQSBackend, sqs_backends
from moto.sqs.responses import SQSResponse

from localcloud.clock import VirtualClock, get_clock

MAX_RATE = 500
MAX_LISTED = 10
RUNNING, COMPLETED, CANCELLED, FAILED = "RUNNING", "COMPLETED", "CANCELLED", "FAILED"
NO_SOURCE = "CouldNotDetermineMessageSource"
NO_QUEUE = "AWS.SimpleQueueService.NonExistentQueue"
_NOT_FOUND = "The resource that you specified for the {} parameter doesn't exist."

# Where moto's Message keeps the queue SQS moved it out of. (AWS also has a DeadLetterQueueSourceArn message
# system attribute in botocore's model; ReceiveMessage here does not return it.)
_SOURCE_ATTRIBUTE = "_localcloud_dead_letter_source_arn"


class ResourceNotFound(SQSException):
    code = "ResourceNotFoundException"


class InvalidParameterValue(SQSException):
    code = "InvalidParameterValue"


@dataclass
class MoveTask:
    task_id: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    clock: VirtualClock
    started: datetime
    messages: list[Message]
    turns: int = 0  # messages whose turn has come, moved or skipped
    moved: int = 0
    status: str = RUNNING
    failure_reason: str | None = None

    @property
    def handle(self) -> str:
        document = json.dumps({"taskId": self.task_id, "sourceArn": self.source_arn}, separators=(",", ":"))
        return base64.b64encode(document.encode()).decode()

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": len(self.messages),
            "StartedTimestamp": int(self.started.timestamp() * 1000),
        }
        if self.status == RUNNING:
            entry["TaskHandle"] = self.handle
        if self.destination_arn is not None:
            entry["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            entry["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure_reason is not None:
            entry["FailureReason"] = self.failure_reason
        return entry


@dataclass
class _State:
    tasks: dict[str, list[MoveTask]] = field(default_factory=dict)  # by source queue ARN, oldest first
    listening: weakref.WeakSet[VirtualClock] = field(default_factory=weakref.WeakSet)


_state = _State()
_lock = threading.RLock()
_original_receive: list[Callable[..., list[Message]]] = []


# -- where a dead-lettered message came from ------------------------------------------------------------


def dead_letter_source(message: Message) -> str | None:
    """The ARN of the queue SQS moved ``message`` out of into its dead-letter queue, if it did."""
    source = getattr(message, _SOURCE_ATTRIBUTE, None)
    return source if isinstance(source, str) else None


def _receive_recording_sources(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> list[Message]:
    queue = self.get_queue(queue_name)
    before = {id(message): message for message in queue._messages} if queue.dead_letter_queue is not None else {}
    received = _original_receive[0](self, queue_name, *args, **kwargs)
    dead_letter_queue = queue.dead_letter_queue
    if before and dead_letter_queue is not None:
        # A message that left the queue during the receive and is now in its dead-letter queue was moved there.
        remaining = {id(message) for message in queue._messages}
        arrived = {id(message) for message in dead_letter_queue._messages}
        for key, message in before.items():
            if key not in remaining and key in arrived:
                setattr(message, _SOURCE_ATTRIBUTE, queue.queue_arn)
    return received


# -- queues by ARN ---------------------------------------------------------------------------------------


def _queue(arn: str | None) -> Queue | None:
    parts = (arn or "").split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        return None
    region, account, name = parts[3], parts[4], parts[5]
    try:
        queue = sqs_backends[account][region].queues.get(name)
    except KeyError:
        return None
    return queue if queue is not None and queue.queue_arn == arn else None


def _is_dead_letter_queue(queue: Queue) -> bool:
    # A dead-letter queue lives in the account and Region of its source queues
    # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
    backend = sqs_backends[queue.account_id][queue.region]
    return bool(backend.list_dead_letter_source_queues(queue.name))


# -- the tasks -------------------------------------------------------------------------------------------


def start_task(source_arn: str | None, destination_arn: str | None, rate: int | None) -> MoveTask:
    with _lock:
        source = _queue(source_arn)
        if source is None or source_arn is None:
            raise ResourceNotFound(_NOT_FOUND.format("SourceArn"))
        if rate is not None and (not isinstance(rate, int) or not 1 <= rate <= MAX_RATE):
            raise InvalidParameterValue(
                f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. "
                f"Reason: must be between 1 and {MAX_RATE}, if provided."
            )
        if not _is_dead_letter_queue(source):
            raise InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
        if destination_arn is not None:
            destination = _queue(destination_arn)
            if destination is None:
                raise ResourceNotFound(_NOT_FOUND.format("DestinationArn"))
            if destination is source:
                raise InvalidParameterValue("Source queue arn and destination queue arn cannot be the same.")
            if destination.fifo_queue != source.fifo_queue:
                raise InvalidParameterValue(
                    f"Value {destination_arn} for parameter DestinationArn is invalid. "
                    "Reason: the destination queue must be the same type as the source queue."
                )
        tasks = _state.tasks.setdefault(source_arn, [])
        if any(task.status == RUNNING for task in tasks):
            raise InvalidParameterValue(
                "There is already a task running. Only one active task is allowed for a source queue arn at a "
                "given time."
            )
        clock = get_clock()
        _listen(clock)
        task = MoveTask(
            task_id=str(uuid.uuid4()),
            source_arn=source_arn,
            destination_arn=destination_arn,
            rate=rate,
            clock=clock,
            started=clock.now(),
            messages=list(source.messages),  # the visible ones, oldest first
        )
        tasks.append(task)
        return task


def list_tasks(source_arn: str | None, max_results: int | None) -> list[dict[str, Any]]:
    with _lock:
        if _queue(source_arn) is None or source_arn is None:
            raise ResourceNotFound(_NOT_FOUND.format("SourceArn"))
        limit = 1 if max_results is None else max_results
        if not 1 <= limit <= MAX_LISTED:
            raise InvalidParameterValue(
                f"Value {limit} for parameter MaxResults is invalid. Reason: must be between 1 and {MAX_LISTED}, "
                "if provided."
            )
        tasks = _state.tasks.get(source_arn, [])
        return [task.entry() for task in reversed(tasks[-limit:])]


def cancel_task(handle: str | None) -> int:
    with _lock:
        try:
            document = json.loads(base64.b64decode(handle or "", validate=True))
            task_id, source_arn = str(document["taskId"]), str(document["sourceArn"])
        except (binascii.Error, ValueError, TypeError, KeyError):
            raise InvalidParameterValue("Value for parameter TaskHandle is invalid.") from None
        if _queue(source_arn) is None:
            raise ResourceNotFound(_NOT_FOUND.format("SourceArn"))
        for task in _state.tasks.get(source_arn, []):
            if task.task_id == task_id and task.status == RUNNING:
                task.status = CANCELLED
                return task.moved
        raise ResourceNotFound("Task does not exist.")


def _listen(clock: VirtualClock) -> None:
    if clock not in _state.listening:
        _state.listening.add(clock)
        clock.on_advance(lambda now: _advance(clock, now))


def _advance(clock: VirtualClock, now: datetime) -> None:
    with _lock:
        for tasks in _state.tasks.values():
            for task in tasks:
                if task.clock is clock and task.status == RUNNING:
                    _run(task, now)


def _run(task: MoveTask, now: datetime) -> None:
    """Give every message whose time has come its turn, then finish the task if none is left."""
    elapsed = (now - task.started).total_seconds()
    if elapsed <= 0:
        return
    due = len(task.messages) if task.rate is None else min(len(task.messages), math.floor(elapsed * task.rate + 1e-9))
    while task.turns < due:
        message = task.messages[task.turns]
        failure = _move(task, message)
        if failure is not None:
            task.status, task.failure_reason = FAILED, failure
            return
        task.turns += 1
    if task.turns == len(task.messages):
        task.status = COMPLETED


def _move(task: MoveTask, message: Message) -> str | None:
    """Move one message; the reason the task fails, if it cannot."""
    source = _queue(task.source_arn)
    if source is None:
        return NO_QUEUE
    source_backend = sqs_backends[source.account_id][source.region]
    held = any(kept is message for kept in source._messages)
    if (
        not held
        or not message.visible
        or not source_backend.is_message_valid_based_on_retention_period(source.name, message)
    ):
        return None  # deleted, in flight or past its retention period by its turn: skipped
    destination_arn = task.destination_arn or dead_letter_source(message)
    if destination_arn is None:
        return NO_SOURCE
    destination = _queue(destination_arn)
    if destination is None:
        return NO_QUEUE
    backend = sqs_backends[destination.account_id][destination.region]
    fifo = destination.fifo_queue
    try:
        # A new message, stamped as any message sent at this moment (see localcloud.sqs on the two clocks).
        backend.send_message(
            destination.name,
            message.body,
            message_attributes=dict(message.message_attributes),
            group_id=message.group_id if fifo else None,
            # A FIFO dead-letter queue's message carries its original message id as deduplication id (see the
            # redrive page cited above); a redriven message keeps it.
            deduplication_id=(message.deduplication_id or message.id) if fifo else None,
            system_attributes=dict(message.system_attributes),
        )
    except SQSException as error:
        return str(error.code)
    with source._messages_lock:
        source._messages = [held for held in source._messages if held is not message]
    source.pending_messages.discard(message)
    task.moved += 1
    return None


# -- the API ---------------------------------------------------------------------------------------------


def _start_message_move_task(self: SQSResponse) -> ActionResult:
    task = start_task(
        self._get_param("SourceArn"), self._get_param("DestinationArn"), self._get_param("MaxNumberOfMessagesPerSecond")
    )
    return ActionResult({"TaskHandle": task.handle})


def _list_message_move_tasks(self: SQSResponse) -> ActionResult:
    return ActionResult({"Results": list_tasks(self._get_param("SourceArn"), self._get_param("MaxResults"))})


def _cancel_message_move_task(self: SQSResponse) -> ActionResult:
    return ActionResult({"ApproximateNumberOfMessagesMoved": cancel_task(self._get_param("TaskHandle"))})


_HANDLERS: dict[str, Callable[[SQSResponse], ActionResult]] = {
    "start_message_move_task": _start_message_move_task,
    "list_message_move_tasks": _list_message_move_tasks,
    "cancel_message_move_task": _cancel_message_move_task,
}


def install() -> None:
    """Add the move-task actions to moto's SQS and record dead-letter sources (once); forget every task (every
    time: a new cloud has none)."""
    with _lock:
        _state.tasks.clear()
        if _original_receive:
            return
        _original_receive.append(SQSBackend.receive_message)
        SQSBackend.receive_message = _receive_recording_sources  # type: ignore[method-assign]
        for name, handler in _HANDLERS.items():
            setattr(SQSResponse, name, handler)
