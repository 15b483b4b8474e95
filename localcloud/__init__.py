"""The local cloud: AWS for Domain Steward's tests and demo, on one machine, with no AWS account."""

from localcloud.calls import Call, CallLog, Faults
from localcloud.clock import VirtualClock, get_clock
from localcloud.cloud import LocalCloud

__all__ = ["Call", "CallLog", "Faults", "LocalCloud", "VirtualClock", "get_clock"]
