"""The one boto3 session and retry configuration that every local-cloud client is made from.

Kept apart from :mod:`localcloud.cloud` so that the harness (which ``LocalCloud`` drives) can make its
clients without importing ``LocalCloud`` back.
"""

from __future__ import annotations

from functools import cache

import boto3
from botocore.config import Config

# Faults are injected on purpose; a client that retries them silently would hide them from tests.
# Code under test builds its own clients with its own retry configuration.
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@cache
def shared_session() -> boto3.session.Session:
    """One boto3 session for every local-cloud client in the process.

    botocore caches the service models a session loads; a fresh session per client re-reads the JSON
    models (about 0.2 s for EC2) every time. moto intercepts through handlers that every botocore session
    carries, so a session made before a cloud starts still reaches that cloud.
    """
    return boto3.session.Session()
