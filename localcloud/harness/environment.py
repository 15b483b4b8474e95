"""A handler's environment variables, seen by the handler's own threads only.

Lambda gives every function an environment of its own. Here handlers share one process, and setting
``os.environ`` for the length of a call made the variables appear and vanish under every other thread: the
test, moto's server threads and its Step Functions workers. botocore reads the environment while it builds
requests (``urllib.request.getproxies_environment`` iterates ``os.environ.items()``), and a variable removed
between listing the keys and reading one raised ``KeyError`` in that other thread (seen once as a Step Functions
task failing with ``States.Runtime: 'AWS_LAMBDA_FUNCTION_NAME'``).

So ``os.environ`` gets an overlay: the variables of the running invocation, visible to the threads in handler
time (:func:`localcloud.harness.virtual_time.in_handler_time`: the invoking thread and the threads it starts)
and to no other. An invocation never changes the process environment itself; a handler that sets a variable of
its own environment changes the overlay, as a Lambda environment would keep it to itself.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping

from localcloud.harness import virtual_time

# One overlay per invocation in progress; a handler that invokes another function synchronously stacks one.
_OVERLAYS: list[dict[str, str]] = []
_LOCK = threading.Lock()
_PLAIN_ENVIRON_CLASS = type(os.environ)


class _HandlerEnviron(_PLAIN_ENVIRON_CLASS):  # type: ignore[valid-type,misc]
    """``os.environ``, plus the running invocation's variables for its threads."""

    def _overlay(self) -> dict[str, str] | None:
        if _OVERLAYS and virtual_time.in_handler_time():
            return _OVERLAYS[-1]
        return None

    def __getitem__(self, key: str) -> str:
        overlay = self._overlay()
        if overlay is not None and key in overlay:
            return overlay[key]
        return str(super().__getitem__(key))

    def __setitem__(self, key: str, value: str) -> None:
        overlay = self._overlay()
        if overlay is not None and key in overlay:
            overlay[key] = value
            return
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        overlay = self._overlay()
        if overlay is not None and key in overlay:
            del overlay[key]
            return
        super().__delitem__(key)

    def __iter__(self) -> Iterator[str]:
        overlay = self._overlay()
        keys = [self.decodekey(key) for key in list(self._data)]  # a snapshot: other threads may change it
        if overlay is None:
            return iter(keys)
        return iter(dict.fromkeys([*keys, *overlay]))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> dict[str, str]:
        overlay = self._overlay()
        data = {self.decodekey(key): self.decodevalue(value) for key, value in list(self._data.items())}
        return {**data, **overlay} if overlay is not None else data


def install() -> None:
    """Give ``os.environ`` the overlay (idempotent). Without an invocation running it reads as before."""
    with _LOCK:
        if type(os.environ) is _PLAIN_ENVIRON_CLASS:
            os.environ.__class__ = _HandlerEnviron


@contextlib.contextmanager
def handler_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """``variables`` over the process environment, for the threads in handler time, for the ``with`` body."""
    install()
    overlay = dict(variables)
    _OVERLAYS.append(overlay)
    try:
        yield
    finally:
        # Invocations nest strictly (one at a time, under the harness's invocation lock), so this is the top.
        popped = _OVERLAYS.pop()
        assert popped is overlay
