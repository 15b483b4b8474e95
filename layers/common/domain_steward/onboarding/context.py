"""Everything one invocation of onboarding works with: configuration, clients, the directory, the records,
and what it has learnt about each domain (read once per invocation)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from domain_steward import tags
from domain_steward.config import StewardConfig
from domain_steward.identity import Directory
from domain_steward.onboarding.records import Records
from domain_steward.studio import error_code

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sso_admin import SSOAdminClient
    from mypy_boto3_stepfunctions import SFNClient


@dataclass(frozen=True)
class DomainFacts:
    domain_id: str
    arn: str
    auth_mode: str
    application_arn: str | None  # the domain's Identity Center application (SSO domains)
    under_teardown: bool  # tagged domain-steward:teardown: onboarding leaves it alone (INTERFACES.md)

    def profile_arn(self, profile_name: str) -> str:
        """``arn:…:user-profile/<domain id>/<name>``, the ARN format of the Service Authorization Reference
        (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html)."""
        return f"{self.arn.replace(':domain/', ':user-profile/', 1)}/{profile_name}"

    @property
    def sso(self) -> bool:
        return self.auth_mode == "SSO"


@dataclass(frozen=True)
class Workflows:
    teardown_arn: str | None = None  # TeardownStateMachine: `delete` offboarding starts its user-profile scope
    provision_arn: str | None = None  # ProvisionProfileStateMachine: the space once the profile is usable


@dataclass
class Context:
    config: StewardConfig
    sagemaker: SageMakerClient
    sso_admin: SSOAdminClient
    stepfunctions: SFNClient
    directory: Directory
    records: Records
    now: Callable[[], datetime]
    workflows: Workflows = field(default_factory=Workflows)
    _domains: dict[str, DomainFacts | None] = field(default_factory=dict)

    def domain(self, domain_id: str) -> DomainFacts | None:
        """DescribeDomain and the domain's tags, once per invocation; ``None`` if the domain does not exist."""
        if domain_id not in self._domains:
            try:
                description = self.sagemaker.describe_domain(DomainId=domain_id)
            except Exception as error:
                if error_code(error) != "ResourceNotFound":
                    raise
                self._domains[domain_id] = None
                return None
            domain_tags = tags.sagemaker_tags(self.sagemaker, description["DomainArn"])
            self._domains[domain_id] = DomainFacts(
                domain_id=domain_id,
                arn=description["DomainArn"],
                auth_mode=description.get("AuthMode", "IAM"),
                application_arn=description.get("SingleSignOnApplicationArn"),
                under_teardown=tags.TEARDOWN in domain_tags,
            )
        return self._domains[domain_id]
