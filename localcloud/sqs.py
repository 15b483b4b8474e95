"""SQS message retention measured on the local cloud's clock.

Handlers run on the virtual clock (:mod:`localcloud.harness.virtual_time`), so a message a handler sends
(directly, or through an SNS subscription) is stamped with virtual time, while moto compares its age with
real time when it is read. A cloud whose clock starts in the past would then drop every such message as
older than the queue's ``MessageRetentionPeriod``. SQS deletes a message once it has been in the queue
longer than that period (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html,
``MessageRetentionPeriod``); here its age is read on the same clock that stamped it. Messages sent outside
handlers carry real time and, against a clock that is behind real time, are never too old: a test that
wants retention to bite advances the clock past it.

Only retention follows the virtual clock: visibility timeouts and long polls stay on real time, because a
test polling a queue outside any handler must not wait on a clock that only moves when told to.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.sqs.models import SQSBackend

from localcloud import sqs_move_tasks
from localcloud.clock import get_clock

_lock = threading.Lock()
_installed: list[bool] = []


def _valid_on_the_virtual_clock(self: SQSBackend, queue_name: str, message: Any) -> bool:
    retention = self.get_queue_attributes(queue_name, ["MessageRetentionPeriod"])["MessageRetentionPeriod"]
    retain_until = int(retention) + message.sent_timestamp / 1000
    return bool(retain_until > get_clock().timestamp())


def install() -> None:
    """Patch moto's SQS backend (idempotent) and add message move tasks (:mod:`localcloud.sqs_move_tasks`)."""
    with _lock:
        if not _installed:
            SQSBackend.is_message_valid_based_on_retention_period = _valid_on_the_virtual_clock  # type: ignore[method-assign]
            _installed.append(True)
    sqs_move_tasks.install()
