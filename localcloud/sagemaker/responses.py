"""The Studio operations as methods of moto's ``SageMakerResponse``.

moto dispatches a request to the method named after its action in snake_case, so adding methods is all
it takes; going through moto's dispatch means the local cloud's call log and fault injection see every
call. The tag operations handle Studio ARNs and hand every other ARN to moto's own implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.responses import SageMakerResponse

from localcloud.clock import get_clock
from localcloud.sagemaker.backend import StudioBackend
from localcloud.sagemaker.store import get_store

Operation = Callable[[StudioBackend, dict[str, Any]], "dict[str, Any] | None"]
Handler = Callable[[SageMakerResponse], Any]

OPERATIONS: dict[str, Operation] = {
    "create_domain": StudioBackend.create_domain,
    "describe_domain": StudioBackend.describe_domain,
    "list_domains": StudioBackend.list_domains,
    "update_domain": StudioBackend.update_domain,
    "delete_domain": StudioBackend.delete_domain,
    "create_user_profile": StudioBackend.create_user_profile,
    "describe_user_profile": StudioBackend.describe_user_profile,
    "list_user_profiles": StudioBackend.list_user_profiles,
    "update_user_profile": StudioBackend.update_user_profile,
    "delete_user_profile": StudioBackend.delete_user_profile,
    "create_space": StudioBackend.create_space,
    "describe_space": StudioBackend.describe_space,
    "list_spaces": StudioBackend.list_spaces,
    "update_space": StudioBackend.update_space,
    "delete_space": StudioBackend.delete_space,
    "create_app": StudioBackend.create_app,
    "describe_app": StudioBackend.describe_app,
    "list_apps": StudioBackend.list_apps,
    "delete_app": StudioBackend.delete_app,
    "create_studio_lifecycle_config": StudioBackend.create_studio_lifecycle_config,
    "describe_studio_lifecycle_config": StudioBackend.describe_studio_lifecycle_config,
    "list_studio_lifecycle_configs": StudioBackend.list_studio_lifecycle_configs,
    "delete_studio_lifecycle_config": StudioBackend.delete_studio_lifecycle_config,
}

TAG_OPERATIONS: dict[str, Operation] = {
    "add_tags": StudioBackend.add_tags,
    "list_tags": StudioBackend.list_tags,
    "delete_tags": StudioBackend.delete_tags,
}

# moto's own tag handlers, captured once before they are replaced.
_moto_tag_handlers: dict[str, Handler] = {}


def _run(response: SageMakerResponse, operation: Operation) -> Any:
    backend = StudioBackend(get_store(response.current_account, response.region))
    params = dict(response.params or {})
    with backend.store.lock:
        backend.store.settle(get_clock().now())
        result = operation(backend, params)
    return EmptyResult() if result is None else ActionResult(result)


def _handler(name: str, operation: Operation) -> Handler:
    def handle(self: SageMakerResponse) -> Any:
        return _run(self, operation)

    handle.__name__ = name
    return handle


def _tag_handler(name: str, operation: Operation, moto_handler: Handler) -> Handler:
    def handle(self: SageMakerResponse) -> Any:
        backend = StudioBackend(get_store(self.current_account, self.region))
        if not backend.owns_arn(str(self._get_param("ResourceArn") or "")):
            return moto_handler(self)
        return _run(self, operation)

    handle.__name__ = name
    return handle


def install_handlers() -> None:
    """Put the Studio operations on ``SageMakerResponse`` (idempotent)."""
    for name in TAG_OPERATIONS:
        _moto_tag_handlers.setdefault(name, getattr(SageMakerResponse, name))
    for name, operation in OPERATIONS.items():
        setattr(SageMakerResponse, name, _handler(name, operation))
    for name, operation in TAG_OPERATIONS.items():
        setattr(SageMakerResponse, name, _tag_handler(name, operation, _moto_tag_handlers[name]))
