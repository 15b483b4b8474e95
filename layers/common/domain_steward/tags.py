"""The ``domain-steward:*`` tags (INTERFACES.md) and small helpers to read SageMaker tags."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

PREFIX = "domain-steward:"
MANAGED = f"{PREFIX}managed"
USER_ID = f"{PREFIX}user-id"
OFFBOARDED = f"{PREFIX}offboarded"
AUTOSTOP = f"{PREFIX}autostop"
PROTECTED = f"{PREFIX}protected"
TEARDOWN = f"{PREFIX}teardown"

# SageMaker tags what it creates for a domain (the home EFS, its NFS security groups) with the domain's ARN.
SAGEMAKER_MANAGED_BY = "ManagedByAmazonSageMakerResource"


def tag_map(tags: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``[{"Key": k, "Value": v}, ...]`` as ``{k: v}``."""
    return {str(tag["Key"]): str(tag.get("Value", "")) for tag in tags}


def sagemaker_tags(sagemaker: SageMakerClient, arn: str) -> dict[str, str]:
    """Every tag of a SageMaker resource (``ListTags`` pages through at most 50 at a time)."""
    tags: dict[str, str] = {}
    for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.update(tag_map(page.get("Tags", [])))
    return tags


def is_protected(tags: Mapping[str, str]) -> bool:
    return tags.get(PROTECTED, "").strip().lower() == "true"
