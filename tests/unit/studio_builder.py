"""What the jobs' unit tests share: a builder that makes Studio resources through the API, as users do, and
settles them on the local cloud's virtual clock. Each job's ``support`` module extends it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud import LocalCloud
from localcloud.sagemaker import Latencies

ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LATENCIES = Latencies()


@dataclass
class StudioBuilder:
    """Makes Studio resources through the API, as users do, and settles them on the virtual clock."""

    cloud: LocalCloud
    vpc: dict[str, Any]

    @property
    def sagemaker(self) -> Any:
        return self.cloud.client("sagemaker")

    def domain(self, name: str = "studio", **extra: Any) -> str:
        domain_id = self.sagemaker.create_domain(
            DomainName=name, AuthMode="IAM", DefaultUserSettings={"ExecutionRole": ROLE}, **self.vpc, **extra
        )["DomainId"]
        self.cloud.clock.advance(LATENCIES.domain_create)
        return str(domain_id)
