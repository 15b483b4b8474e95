"""The local cloud: AWS for Domain Steward's tests and demo, on one machine, with no AWS account.

``from localcloud import LocalCloud`` is the usual entry; the names are loaded on first use so that a
light import (``localcloud.clock``) does not pull in moto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.calls import Call, CallLog, Faults
    from localcloud.clock import VirtualClock, get_clock
    from localcloud.cloud import LocalCloud

__all__ = ["Call", "CallLog", "Faults", "LocalCloud", "VirtualClock", "get_clock"]

_HOMES = {
    "Call": "localcloud.calls",
    "CallLog": "localcloud.calls",
    "Faults": "localcloud.calls",
    "VirtualClock": "localcloud.clock",
    "get_clock": "localcloud.clock",
    "LocalCloud": "localcloud.cloud",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'localcloud' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
