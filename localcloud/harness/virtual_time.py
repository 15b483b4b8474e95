"""Handlers run on the local cloud's virtual clock.

While a handler runs (:func:`handler_time`, entered by every invocation path through
:meth:`localcloud.harness.lambdas.LocalFunction.run`):

* the wall clock reads the active :class:`~localcloud.clock.VirtualClock`: ``time.time()``,
  ``datetime.now()``, ``datetime.utcnow()``, ``date.today()``, ``time.gmtime()``/``localtime()``/
  ``strftime()`` and friends, through `time-machine <https://pypi.org/project/time-machine/>`_,
  which patches them at the C level, so ``from time import time`` bindings follow too. It stands
  still unless the clock advances (a sleep below, another thread's ``Wait`` state, a test), and
  follows every advance at once. The time zone is UTC, as in Lambda (``TZ`` is UTC there:
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
* ``time.sleep`` advances the clock instead of waiting, and so do the timed waits of botocore's
  retries (https://docs.aws.amazon.com/boto3/latest/guide/retries.html): the backoff delay of the
  ``legacy``, ``standard`` and ``adaptive`` modes (``botocore.endpoint`` calls ``time.sleep``), the
  ``standard`` handler's own sleep for long polls, and the ``adaptive`` mode's token bucket, which
  waits on a condition for its refill. moto's SQS long poll (``WaitTimeSeconds``) on an empty queue
  advances the clock by its wait instead of blocking, as the caller of a long poll waits in AWS
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html).
* ``time.monotonic()`` adds up the virtual sleeps, so that a deadline measured with it (tenacity's
  ``stop_after_delay``, a hand-written polling loop) ends after the virtual time it asked for
  instead of spinning for real seconds. ``time.perf_counter()`` stays real: it measures the work
  actually done.

Sleeps are virtual only in the thread that runs the handler and in threads it starts while it runs
(a ``ThreadPoolExecutor`` that deletes in parallel): moto's Step Functions workers, pytest and the
test's own threads keep real sleeps, so that nothing outside the handler spins on a clock that only
moves when told. Reading the time is process-wide while a handler runs (time-machine patches the
interpreter), which keeps the timestamps moto writes meanwhile on the same clock as the handler's.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import cache
from typing import Any

import time_machine

from localcloud.clock import VirtualClock, get_clock

_REAL_SLEEP = time.sleep
_REAL_MONOTONIC = time.monotonic
_REAL_MONOTONIC_NS = time.monotonic_ns
_REAL_THREAD_START = threading.Thread.start


class _Scope:
    """The one handler-time scope of the process (handlers run one at a time: see ``lambdas._INVOKE_LOCK``)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.depth = 0
        self.clock: VirtualClock | None = None
        self.travel: time_machine.travel | None = None
        self.traveller: time_machine.Traveller | None = None
        self.synced: datetime | None = None
        # Seconds slept virtually so far: time.monotonic() adds them, and never goes back while in scope.
        self.slept = 0.0
        self.threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
        self.followed: weakref.WeakSet[VirtualClock] = weakref.WeakSet()

    @property
    def active(self) -> bool:
        return self.traveller is not None


_SCOPE = _Scope()


def in_handler_time() -> bool:
    """Whether the current thread runs a handler (or was started by one) while a handler runs."""
    return _SCOPE.active and threading.current_thread() in _SCOPE.threads


@contextlib.contextmanager
def handler_time() -> Iterator[None]:
    """Run the body on the virtual clock (re-entrant: a handler may invoke another function)."""
    install()
    thread = threading.current_thread()
    with _SCOPE.lock:
        added = thread not in _SCOPE.threads
        if added:
            _SCOPE.threads.add(thread)
        if _SCOPE.depth == 0:
            _start()
        _SCOPE.depth += 1
    try:
        yield
    finally:
        with _SCOPE.lock:
            _SCOPE.depth -= 1
            if _SCOPE.depth == 0:
                _stop()
                # Threads the invocation started and left running (a moto worker, say) are no longer the
                # handler's: a later invocation's virtual time must not be advanced by their sleeps.
                _SCOPE.threads.clear()
            elif added:
                _SCOPE.threads.discard(thread)


def _start() -> None:
    clock = get_clock()
    if clock not in _SCOPE.followed:
        clock.on_advance(_follow)
        _SCOPE.followed.add(clock)
    now = clock.now()
    _SCOPE.clock, _SCOPE.synced = clock, now
    _SCOPE.travel = time_machine.travel(now, tick=False)
    _SCOPE.traveller = _SCOPE.travel.start()
    time.sleep = _sleep  # type: ignore[assignment]
    time.monotonic = _monotonic
    time.monotonic_ns = _monotonic_ns
    threading.Thread.start = _thread_start  # type: ignore[method-assign,assignment]


def _stop() -> None:
    threading.Thread.start = _REAL_THREAD_START  # type: ignore[method-assign]
    time.monotonic_ns = _REAL_MONOTONIC_NS
    time.monotonic = _REAL_MONOTONIC
    time.sleep = _REAL_SLEEP
    assert _SCOPE.travel is not None
    _SCOPE.travel.stop()
    _SCOPE.travel = _SCOPE.traveller = None
    _SCOPE.clock = _SCOPE.synced = None


def _follow(_now: datetime) -> None:
    """Clock listener: move the frozen wall clock to the virtual clock's (latest) time."""
    with _SCOPE.lock:
        if _SCOPE.traveller is None or _SCOPE.clock is None or _SCOPE.synced is None:
            return
        # Read the clock again rather than trusting ``_now``: listeners of concurrent advances may
        # run out of order, and the wall clock must never go back.
        now = _SCOPE.clock.now()
        if now > _SCOPE.synced:
            _SCOPE.traveller.shift(now - _SCOPE.synced)
            _SCOPE.synced = now


def virtual_sleep(seconds: float) -> None:
    """Let ``seconds`` of virtual time pass (the clock's listeners run, so emulated resources age)."""
    if seconds > 0:
        # At least one tick of the clock (a microsecond): a sleep never returns before it has begun,
        # and a waiter that sleeps a sub-microsecond remainder (botocore's token bucket) would
        # otherwise never see the time move.
        seconds = math.ceil(seconds * 1_000_000) / 1_000_000
        with _SCOPE.lock:
            _SCOPE.slept += seconds
        get_clock().advance(seconds)


def _sleep(seconds: float) -> None:
    if in_handler_time():
        virtual_sleep(seconds)
    else:
        _REAL_SLEEP(seconds)


def _monotonic() -> float:
    if in_handler_time():
        return _REAL_MONOTONIC() + _SCOPE.slept
    return _REAL_MONOTONIC()


def _monotonic_ns() -> int:
    if in_handler_time():
        return _REAL_MONOTONIC_NS() + round(_SCOPE.slept * 1_000_000_000)
    return _REAL_MONOTONIC_NS()


def _thread_start(thread: threading.Thread) -> None:
    # A thread the handler starts (a pool of workers, say) sleeps on the virtual clock too.
    if in_handler_time():
        _SCOPE.threads.add(thread)
    _REAL_THREAD_START(thread)


class _VirtualCondition(threading.Condition):
    """botocore's token bucket condition: a timed wait in handler time lets the time pass virtually.

    The bucket waits for its refill and then reads ``time.time()``, which stands still in handler
    time: a real wait would never see the refill and would loop for ever.
    """

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is None or not in_handler_time():
            return super().wait(timeout)
        self.release()  # as a real wait does, so that other threads may use the bucket meanwhile
        try:
            virtual_sleep(timeout)
        finally:
            self.acquire()
        return False


def _sleep_at_call_time(seconds: float) -> None:
    time.sleep(seconds)


@cache
def install() -> None:
    """Route botocore's and moto's timed waits through the (virtual, in handler time) sleep; once per process."""
    from botocore.retries import bucket, standard
    from moto.sqs.models import Queue

    original_bucket_init: Callable[..., None] = bucket.TokenBucket.__init__

    def bucket_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_bucket_init(self, *args, **kwargs)
        self._new_fill_rate_condition = _VirtualCondition(self._lock)

    bucket.TokenBucket.__init__ = bucket_init  # type: ignore[method-assign]

    # The standard handler binds ``time.sleep`` as a default argument when botocore is imported;
    # look it up at call time instead, so that handler time reaches it.
    init = standard.RetryHandler.__init__
    defaults = init.__defaults__ or ()
    init.__defaults__ = tuple(_sleep_at_call_time if value is _REAL_SLEEP else value for value in defaults)

    original_wait: Callable[[Any, int], None] = Queue.wait_for_messages

    def wait_for_messages(queue: Any, timeout: int) -> None:
        if not in_handler_time():
            original_wait(queue, timeout)
            return
        with queue._messages_lock:
            empty = not queue.messages
        if empty:
            virtual_sleep(timeout)

    Queue.wait_for_messages = wait_for_messages  # type: ignore[method-assign,assignment]
