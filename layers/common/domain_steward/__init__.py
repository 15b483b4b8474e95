"""Domain Steward's domain logic, shared by every Lambda handler through the common layer."""

__version__ = "0.1.0"
