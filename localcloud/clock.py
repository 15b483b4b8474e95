"""The virtual clock that drives every emulated asynchronous status change.

Nothing in the local cloud sleeps in real time: resources store *when* they change state and derive
their status from the clock when read, so advancing the clock moves every resource at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class VirtualClock:
    """A thread-safe clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime.now(UTC)).astimezone(UTC)
        self._lock = threading.RLock()
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def timestamp(self) -> float:
        return self.now().timestamp()

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by ``seconds`` (never backwards) and notify listeners."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, not by {seconds} s")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            now = self._now
            listeners = list(self._listeners)
        for listener in listeners:
            listener(now)
        return now

    def advance_to(self, when: datetime) -> datetime:
        return self.advance(max(0.0, (when.astimezone(UTC) - self.now()).total_seconds()))

    def on_advance(self, listener: Callable[[datetime], None]) -> None:
        """Call ``listener(now)`` after every advance (for example to fire due schedules)."""
        with self._lock:
            self._listeners.append(listener)


_active = VirtualClock()


def get_clock() -> VirtualClock:
    """The clock the emulated services read; :class:`localcloud.LocalCloud` installs a fresh one."""
    return _active


def use_clock(clock: VirtualClock) -> VirtualClock:
    """Make ``clock`` the active clock and return the previous one."""
    global _active
    previous, _active = _active, clock
    return previous
