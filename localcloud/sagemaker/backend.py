"""The SageMaker Studio operations: domains, user profiles, spaces, apps, lifecycle configurations and their tags,
one module each.

Each method takes the request's parameters (as moto parsed them) and returns the response body, or None
for operations without output. The shared rules and lookups are in :mod:`localcloud.sagemaker.base`.
"""

from __future__ import annotations

from localcloud.sagemaker.apps import AppOperations
from localcloud.sagemaker.base import DOMAIN_SHARED
from localcloud.sagemaker.domains import DomainOperations
from localcloud.sagemaker.lifecycle_configs import LifecycleConfigOperations
from localcloud.sagemaker.spaces import SpaceOperations
from localcloud.sagemaker.tags import TagOperations
from localcloud.sagemaker.user_profiles import UserProfileOperations
from localcloud.sagemaker.validation import APP_TYPES


class StudioBackend(
    DomainOperations,
    UserProfileOperations,
    SpaceOperations,
    AppOperations,
    LifecycleConfigOperations,
    TagOperations,
):
    """The Studio operations, over one account's and Region's :class:`~localcloud.sagemaker.store.StudioStore`."""


__all__ = ["APP_TYPES", "DOMAIN_SHARED", "StudioBackend"]
