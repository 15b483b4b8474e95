"""The configuration every job reads: the YAML (or JSON) value of the SSM parameter ``ConfigParameterName``.

The format is part of the product (INTERFACES.md, "The configuration"). Parsing is strict on purpose: an
unknown key, a wrong type, a bad ARN or id, a group listed twice for one domain, or two ``"*"`` entries is an
error that names its key path, and a job that cannot read a valid configuration acts on nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

# Patterns from botocore's service models (sagemaker DomainId and RoleArn, sso-admin InstanceArn,
# identitystore IdentityStoreId), anchored: the model patterns are matched whole by the services.
DOMAIN_ID = r"^d-(-*[a-z0-9]){1,61}$"
ROLE_ARN = r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$"
INSTANCE_ARN = r"^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$"
IDENTITY_STORE_ID = r"^(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
EVERY_OTHER_DOMAIN = "*"

# Tag keys Domain Steward sets itself, and AWS's reserved prefix: an admin's group tags may use neither.
_RESERVED_TAG_PREFIXES = ("domain-steward:", "aws:")
# SageMaker's TagKey/TagValue shapes: 1..128 and 0..256 characters of letters, spaces, digits and _.:/=+-@.
_TAG_TEXT = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)

AppType = Literal[
    "JupyterServer",
    "KernelGateway",
    "DetailedProfiler",
    "TensorBoard",
    "CodeEditor",
    "JupyterLab",
    "RStudioServerPro",
    "RSessionGateway",
    "Canvas",
]

Minutes = Annotated[int, Field(ge=1, le=525600)]  # up to a year, the range of AWS's own idle settings


class ConfigInvalid(Exception):
    """The configuration is missing or invalid; ``problems`` name each key path and what is wrong with it."""

    def __init__(self, problems: list[str], source: str = "the configuration") -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"{source} is invalid: " + "; ".join(problems))


class _Strict(BaseModel):
    # strict: "60" is not a number and "true" is not a boolean; forbid: a misspelt key is an error, not ignored.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class IdentityCenter(_Strict):
    instance_arn: Annotated[str, StringConstraints(pattern=INSTANCE_ARN)]
    identity_store_id: Annotated[str, StringConstraints(pattern=IDENTITY_STORE_ID)]


class DefaultSpace(_Strict):
    """One private space per member, owned by their profile."""

    app_type: Literal["JupyterLab", "CodeEditor"] = "JupyterLab"
    instance_type: Annotated[str, StringConstraints(pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")] = "ml.t3.medium"
    # SpaceStorageSettings.EbsStorageSettings.EbsVolumeSizeInGb: 5..16384 in SageMaker's model.
    ebs_size_gb: Annotated[int, Field(ge=5, le=16384)] = 5


class GroupMapping(_Strict):
    """Members of ``group`` (display name or group id) get a profile with this role and these tags."""

    group: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    execution_role: Annotated[str, StringConstraints(pattern=ROLE_ARN)]
    tags: dict[str, str] = Field(default_factory=dict)
    default_space: DefaultSpace | None = None

    @field_validator("tags")
    @classmethod
    def _tags_are_valid_and_not_reserved(cls, tags: dict[str, str]) -> dict[str, str]:
        for key, value in tags.items():
            if not 1 <= len(key) <= 128 or not _TAG_TEXT.match(key):
                raise ValueError(f"tag key {key!r} is not a valid SageMaker tag key")
            if len(value) > 256 or not _TAG_TEXT.match(value):
                raise ValueError(f"tag value {value!r} of {key!r} is not a valid SageMaker tag value")
            if key.lower().startswith(_RESERVED_TAG_PREFIXES):
                raise ValueError(f"tag key {key!r} uses a reserved prefix ({', '.join(_RESERVED_TAG_PREFIXES)})")
        return tags


class AutoStopOverride(_Strict):
    """Per-app-type overrides of the domain's auto-stop keys (INTERFACES.md: ``app_types``)."""

    idle_minutes: Minutes | None = None
    max_runtime_hours: Annotated[int, Field(ge=1, le=8760)] | None = None
    warn_minutes: Annotated[int, Field(ge=0, le=10080)] | None = None
    max_stops_per_sweep: Annotated[int, Field(ge=1, le=10000)] | None = None
    dry_run: bool | None = None


class AppTypePolicy(BaseModel):
    """The auto-stop policy that applies to one app type, overrides resolved."""

    model_config = ConfigDict(frozen=True)

    idle_minutes: int
    max_runtime_hours: int | None
    warn_minutes: int
    max_stops_per_sweep: int
    dry_run: bool


class AutoStopPolicy(_Strict):
    idle_minutes: Minutes
    max_runtime_hours: Annotated[int, Field(ge=1, le=8760)] | None = None  # backstop for apps with no signal
    warn_minutes: Annotated[int, Field(ge=0, le=10080)] = 0  # 0: stop without a warning sweep first
    max_stops_per_sweep: Annotated[int, Field(ge=1, le=10000)] = 50
    dry_run: bool = False
    # Also set the domain's built-in IdleSettings of JupyterLab and Code Editor to idle_minutes, so AWS's
    # mechanism and ours agree (an extension of INTERFACES.md's keys; off unless asked for).
    sync_builtin_idle_settings: bool = False
    app_types: dict[AppType, AutoStopOverride] = Field(default_factory=dict)

    def for_app_type(self, app_type: str) -> AppTypePolicy:
        """This policy with ``app_type``'s overrides applied."""
        override = self.app_types.get(app_type)  # type: ignore[call-overload]
        merged: dict[str, Any] = {
            "idle_minutes": self.idle_minutes,
            "max_runtime_hours": self.max_runtime_hours,
            "warn_minutes": self.warn_minutes,
            "max_stops_per_sweep": self.max_stops_per_sweep,
            "dry_run": self.dry_run,
        }
        if override is not None:
            merged.update(override.model_dump(exclude_none=True))
        return AppTypePolicy(**merged)


class DomainConfig(_Strict):
    domain_id: str
    offboarding: Literal["retain", "delete"] = "retain"
    # The first group in this list that a user is in decides role and tags.
    groups: list[GroupMapping] = Field(default_factory=list)
    autostop: AutoStopPolicy | None = None  # absent: auto-stop is off for this domain

    @field_validator("domain_id")
    @classmethod
    def _domain_id_or_star(cls, value: str) -> str:
        if value != EVERY_OTHER_DOMAIN and not re.match(DOMAIN_ID, value):
            raise ValueError(f"{value!r} is neither a SageMaker domain id (d-...) nor {EVERY_OTHER_DOMAIN!r}")
        return value

    @model_validator(mode="after")
    def _groups_are_listed_once(self) -> DomainConfig:
        seen: set[str] = set()
        for group in self.groups:
            key = group.group.casefold()
            if key in seen:
                raise ValueError(f"group {group.group!r} is listed twice for domain {self.domain_id}")
            seen.add(key)
        if self.domain_id == EVERY_OTHER_DOMAIN and self.groups:
            raise ValueError(f'the "{EVERY_OTHER_DOMAIN}" entry is for auto-stop only: it cannot map groups')
        if self.domain_id == EVERY_OTHER_DOMAIN and self.offboarding != "retain":
            raise ValueError(f'the "{EVERY_OTHER_DOMAIN}" entry is for auto-stop only: it has no offboarding')
        return self

    @property
    def is_every_other_domain(self) -> bool:
        return self.domain_id == EVERY_OTHER_DOMAIN


class StewardConfig(_Strict):
    version: Literal[1]
    identity_center: IdentityCenter | None = None  # absent: found with sso-admin ListInstances
    domains: list[DomainConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _domains_are_listed_once(self) -> StewardConfig:
        seen: set[str] = set()
        for domain in self.domains:
            if domain.domain_id in seen:
                what = f'two "{EVERY_OTHER_DOMAIN}" entries' if domain.is_every_other_domain else "listed twice"
                raise ValueError(f"domain {domain.domain_id}: {what}")
            seen.add(domain.domain_id)
        return self

    def domain(self, domain_id: str) -> DomainConfig | None:
        """The entry naming ``domain_id`` itself (not the ``"*"`` entry)."""
        return next((d for d in self.domains if d.domain_id == domain_id), None)

    @property
    def mapped_domains(self) -> list[DomainConfig]:
        """The domains that onboarding manages: named, with at least one group."""
        return [d for d in self.domains if not d.is_every_other_domain and d.groups]

    def autostop_policies(self, existing_domain_ids: Iterable[str]) -> dict[str, AutoStopPolicy]:
        """The auto-stop policy of every domain that has one: named domains, and through ``"*"`` every other
        domain in ``existing_domain_ids`` (those the Region has)."""
        policies = {d.domain_id: d.autostop for d in self.domains if not d.is_every_other_domain and d.autostop}
        named = {d.domain_id for d in self.domains}
        fallback = next((d.autostop for d in self.domains if d.is_every_other_domain), None)
        if fallback is not None:
            for domain_id in existing_domain_ids:
                if domain_id not in named:
                    policies[domain_id] = fallback
        return policies


def _key_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "(top level)"


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for detail in error.errors():
        # Literal/union members add their own names to the location; the key path is what the admin wrote.
        location = tuple(part for part in detail["loc"] if not str(part).startswith(("literal[", "function-")))
        message = detail["msg"].removeprefix("Value error, ")
        problems.append(f"{_key_path(location)}: {message}")
    return problems


def parse_config(text: str, source: str = "the configuration") -> StewardConfig:
    """Parse the configuration's text (YAML, or JSON, which is YAML too). Raises :class:`ConfigInvalid`."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigInvalid([f"(top level): not valid YAML or JSON: {error}"], source) from error
    if not isinstance(document, Mapping):
        raise ConfigInvalid(["(top level): expected a mapping with version and domains"], source)
    try:
        return StewardConfig.model_validate(document)
    except ValidationError as error:
        raise ConfigInvalid(_problems(error), source) from error


# How long a warm function reuses the parameter it read: an admin's change reaches every job within this.
CACHE_SECONDS = 300


def load_config(parameter_name: str, *, max_age: int = CACHE_SECONDS) -> StewardConfig:
    """Read and parse the configuration from SSM Parameter Store (Powertools Parameters, cached ``max_age`` s).

    A missing parameter is as much an error as an invalid one: the job must not act without its policy.
    """
    from aws_lambda_powertools.utilities import parameters

    source = f"SSM parameter {parameter_name}"
    try:
        text = parameters.get_parameter(parameter_name, max_age=max_age)
    except parameters.exceptions.GetParameterError as error:
        raise ConfigInvalid([f"(parameter): cannot be read: {error}"], source) from error
    return parse_config(str(text), source)
