"""Request checks SageMaker makes on the server side, with AWS's error wording.

botocore already refuses missing required members and wrong types on the client, but not patterns or
enums, and other clients (the CLI over HTTP, Step Functions' SDK integrations) may skip its checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from moto.sagemaker.exceptions import ValidationError

# UserProfileName, SpaceName, AppName and DomainName all use this pattern (botocore model).
NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")

APP_TYPES = (
    "JupyterServer",
    "KernelGateway",
    "DetailedProfiler",
    "TensorBoard",
    "CodeEditor",
    "JupyterLab",
    "RStudioServerPro",
    "RSessionGateway",
    "Canvas",
)


def _member(field: str) -> str:
    # AWS names the offending member in lowerCamelCase in validation messages.
    return field[:1].lower() + field[1:]


def require(params: Mapping[str, Any], *fields: str) -> None:
    for field in fields:
        if params.get(field) in (None, ""):
            raise ValidationError(
                f"1 validation error detected: Value null at '{_member(field)}' failed to satisfy constraint: "
                "Member must not be null"
            )


def check_name(value: str | None, field: str) -> None:
    if value is None:
        return
    if not _NAME.fullmatch(value):
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{_member(field)}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
        )


def check_enum(value: str | None, field: str, allowed: Iterable[str]) -> None:
    options = list(allowed)
    if value is not None and value not in options:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{_member(field)}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(options)}]"
        )


def check_max_results(value: int | None) -> int:
    """``MaxResults`` is 1..100 for every Studio list operation; the documented default is 10."""
    if value is None:
        return 10
    if not 1 <= value <= 100:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy constraint: "
            "Member must have value between 1 and 100"
        )
    return value


# ResourceSpec.InstanceType: "JupyterServer apps only support the system value" (botocore's model and
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ResourceSpec.html).
JUPYTER_SERVER_INSTANCE_TYPE = "system"


def check_jupyter_server_spec(spec: Mapping[str, Any] | None) -> None:
    """A JupyterServer ResourceSpec names no instance type or ``system``; AWS's wording, as quoted in
    hashicorp/terraform-provider-aws#20470 for CreateDomain and CreateUserProfile."""
    instance_type = (spec or {}).get("InstanceType")
    if instance_type is not None and instance_type != JUPYTER_SERVER_INSTANCE_TYPE:
        raise ValidationError(
            f"Invalid instance type '{instance_type}' for JupyterServer App. "
            f"Only '{JUPYTER_SERVER_INSTANCE_TYPE}' instance type is supported"
        )


def check_jupyter_server_settings(settings: Mapping[str, Any] | None) -> None:
    """``JupyterServerAppSettings.DefaultResourceSpec`` of user, default user, space or default space settings."""
    app_settings = (settings or {}).get("JupyterServerAppSettings") or {}
    check_jupyter_server_spec(app_settings.get("DefaultResourceSpec"))
