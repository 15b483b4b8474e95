"""IAM Identity Center application assignments, added to moto's sso-admin.

moto 5.2 has permission sets and account assignments but no applications. SageMaker Studio domains in
``AuthMode=SSO`` own an Identity Center application (``DescribeDomain.SingleSignOnApplicationArn``) to
which users or groups must be assigned before they can sign in (AWS-FACTS §4). This module adds:

- ``CreateApplicationAssignment`` (idempotent: assigning an already assigned principal succeeds),
- ``DeleteApplicationAssignment`` (``ResourceNotFoundException`` when the principal is not assigned),
- ``DescribeApplicationAssignment``, ``ListApplicationAssignments`` (paginated),
- ``ListApplicationAssignmentsForPrincipal`` (paginated, optional ``Filter.ApplicationArn``),
- ``DescribeApplication``,
- ``ListApplications`` (paginated, optional ``Filter.ApplicationAccount`` / ``Filter.ApplicationProvider``).

Applications are registered by :func:`register_application` (the SageMaker emulation calls it for SSO
domains) and disappear with :func:`unregister_application` when their domain is gone. An unknown
application is ``ResourceNotFoundException``. The principal must exist in the instance's identity store
(moto's identitystore): assigning a user *name* instead of its id is a classic mistake, and it fails.

The handlers are methods on ``moto.ssoadmin.responses.SSOAdminResponse``, which parses its JSON body
itself (no automated parameter parsing) and returns JSON strings.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.identitystore.models import identitystore_backends
from moto.ssoadmin.exceptions import ResourceNotFoundException
from moto.ssoadmin.models import Instance, ssoadmin_backends
from moto.ssoadmin.responses import SSOAdminResponse

from localcloud.clock import get_clock

SAGEMAKER_PROVIDER_ARN = "arn:aws:sso::aws:applicationProvider/sagemaker"
PRINCIPAL_TYPES = ("USER", "GROUP")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


class ValidationException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__(error_type="ValidationException", message=message)


@dataclass
class Application:
    arn: str
    instance_arn: str
    identity_store_id: str
    name: str
    description: str | None
    account_id: str
    region: str
    created: datetime
    provider_arn: str = SAGEMAKER_PROVIDER_ARN
    # (PrincipalType, PrincipalId) in assignment order.
    assignments: dict[tuple[str, str], None] = field(default_factory=dict)


@dataclass
class _State:
    applications: dict[str, Application] = field(default_factory=dict)
    random: random.Random = field(default_factory=lambda: random.Random(0))


_state = _State()
_lock = threading.RLock()


# -- the registry the SageMaker emulation uses ---------------------------------------------------------


def _instance(account_id: str, region: str) -> Any:
    return ssoadmin_backends[account_id][region].instances[0]


def register_application(account_id: str, region: str, name: str, description: str | None = None) -> str:
    """Create an Identity Center application in the account's instance and return its ARN."""
    with _lock:
        instance = _instance(account_id, region)
        instance_id = instance.instance_arn.rsplit("/", 1)[-1]
        suffix = "".join(_state.random.choice(_ALPHABET) for _ in range(16))
        arn = f"arn:aws:sso::{account_id}:application/{instance_id}/apl-{suffix}"
        _state.applications[arn] = Application(
            arn=arn,
            instance_arn=instance.instance_arn,
            identity_store_id=instance.identity_store_id,
            name=name,
            description=description,
            account_id=account_id,
            region=region,
            created=get_clock().now(),
        )
        return arn


def unregister_application(application_arn: str) -> None:
    with _lock:
        _state.applications.pop(application_arn, None)


def _identity_store(account_id: str, region: str, identity_store_id: str) -> Any:
    backend: Any = identitystore_backends[account_id][region]
    return backend.identity_stores.get(identity_store_id)


def user_id_for_name(application_arn: str, user_name: str) -> str | None:
    """The id of the user named ``user_name`` in the identity store of the application's instance, if any.

    Names match exactly: AWS documents that ``SingleSignOnUserValue`` "must match a valid username of a user
    in your directory" (botocore's CreateUserProfile model) and says nothing of case; exact is the stricter."""
    with _lock:
        application = _state.applications.get(application_arn)
        if application is None:
            return None
        store = _identity_store(application.account_id, application.region, application.identity_store_id)
    users = {} if store is None else store.users
    return next((user.UserId for user in users.values() if user.UserName == user_name), None)


def create_user(
    account_id: str,
    region: str,
    user_name: str,
    *,
    given_name: str | None = None,
    family_name: str = "User",
    email: str | None = None,
) -> str:
    """Create a user in the identity store of the account's Identity Center instance; returns its UserId.

    It goes straight to moto's identitystore backend, so tests can set up users without calls in the log."""
    identity_store_id = _instance(account_id, region).identity_store_id
    backend: Any = identitystore_backends[account_id][region]
    emails = [{"Value": email, "Type": "work", "Primary": True}] if email else []
    user_id, _ = backend.create_user(
        identity_store_id,
        user_name,
        {"GivenName": given_name or user_name.split("@", maxsplit=1)[0], "FamilyName": family_name},
        user_name,  # DisplayName
        None,
        None,
        emails,
        [],
        [],
        None,
        None,
        None,
        None,
        None,
    )
    return str(user_id)


def assignments(application_arn: str) -> list[tuple[str, str]]:
    """(PrincipalType, PrincipalId) pairs assigned to an application, for tests and introspection."""
    with _lock:
        application = _state.applications.get(application_arn)
        return list(application.assignments) if application else []


_moto_instance_init = Instance.__init__


def _instance_init(self: Any, account_id: str, region: str) -> None:
    """moto names identity stores ``d-`` + 10 lower-case alphanumerics; AWS (and botocore's pattern
    ``d-[0-9a-f]{10}``) uses hexadecimal digits, which code under test may validate."""
    _moto_instance_init(self, account_id, region)
    self.identity_store_id = "d-" + "".join(_state.random.choice("0123456789abcdef") for _ in range(10))


def install() -> None:
    """Add the application handlers to moto (once) and forget every application (every time)."""
    with _lock:
        _state.applications.clear()
        _state.random = random.Random(0)
        for name, handler in _HANDLERS.items():
            setattr(SSOAdminResponse, name, handler)
        Instance.__init__ = _instance_init  # type: ignore[method-assign]


# -- helpers -------------------------------------------------------------------------------------------


def _params(response: SSOAdminResponse) -> dict[str, Any]:
    try:
        body = json.loads(response.body or "{}")
    except ValueError:
        raise ValidationException("The request body is not valid JSON.") from None
    return body if isinstance(body, dict) else {}


def _require(params: dict[str, Any], *names: str) -> None:
    for name in names:
        if not params.get(name):
            raise ValidationException(f"{name} is required.")


def _application(arn: str) -> Application:
    application = _state.applications.get(arn)
    if application is None:
        raise ResourceNotFoundException(f"Application {arn} does not exist.")
    return application


def _principal(params: dict[str, Any]) -> tuple[str, str]:
    principal_type, principal_id = params["PrincipalType"], params["PrincipalId"]
    if principal_type not in PRINCIPAL_TYPES:
        raise ValidationException(
            f"1 validation error detected: Value '{principal_type}' at 'principalType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [USER, GROUP]"
        )
    return principal_type, principal_id


def _assignment_target(params: dict[str, Any]) -> tuple[Application, tuple[str, str]]:
    """The application and principal an assignment request names (call under ``_lock``).

    The required members are checked first, then the application, then the principal type."""
    _require(params, "ApplicationArn", "PrincipalId", "PrincipalType")
    return _application(params["ApplicationArn"]), _principal(params)


def _check_assigned(application: Application, principal: tuple[str, str]) -> None:
    if principal not in application.assignments:
        raise ResourceNotFoundException(f"Principal {principal[1]} is not assigned to application {application.arn}.")


def _assignment(application_arn: str, principal: tuple[str, str]) -> dict[str, Any]:
    return {"ApplicationArn": application_arn, "PrincipalType": principal[0], "PrincipalId": principal[1]}


def _check_principal_exists(application: Application, principal_type: str, principal_id: str) -> None:
    store = _identity_store(application.account_id, application.region, application.identity_store_id)
    members = {} if store is None else (store.users if principal_type == "USER" else store.groups)
    if principal_id not in members:
        kind = "User" if principal_type == "USER" else "Group"
        raise ResourceNotFoundException(f"{kind} {principal_id} does not exist in the identity store.")


def _page(
    items: list[dict[str, Any]], params: dict[str, Any], scope: str, most: int = 100
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``items`` and the token of the next; ``most`` caps a page below MaxResults' own maximum."""
    limit = params.get("MaxResults") or 100
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ValidationException("MaxResults must be between 1 and 100.")
    limit = min(limit, most)
    offset = 0
    token = params.get("NextToken")
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            offset, token_scope = int(decoded["o"]), decoded["s"]
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise ValidationException("Invalid NextToken.") from None
        if token_scope != scope or offset < 0:
            raise ValidationException("Invalid NextToken.")
    end = offset + limit
    next_token = None
    if end < len(items):
        next_token = base64.urlsafe_b64encode(json.dumps({"o": end, "s": scope}).encode()).decode()
    return items[offset:end], next_token


def _listing(key: str, items: list[dict[str, Any]], next_token: str | None) -> str:
    body: dict[str, Any] = {key: items}
    if next_token:
        body["NextToken"] = next_token
    return json.dumps(body)


# -- handlers (methods of SSOAdminResponse) ------------------------------------------------------------


def create_application_assignment(self: SSOAdminResponse) -> str:
    params = _params(self)
    with _lock:
        application, principal = _assignment_target(params)
        _check_principal_exists(application, *principal)
        application.assignments.setdefault(principal, None)
    return "{}"


def delete_application_assignment(self: SSOAdminResponse) -> str:
    params = _params(self)
    with _lock:
        application, principal = _assignment_target(params)
        _check_assigned(application, principal)
        del application.assignments[principal]
    return "{}"


def describe_application_assignment(self: SSOAdminResponse) -> str:
    params = _params(self)
    with _lock:
        application, principal = _assignment_target(params)
        _check_assigned(application, principal)
    return json.dumps(_assignment(application.arn, principal))


def list_application_assignments(self: SSOAdminResponse) -> str:
    params = _params(self)
    _require(params, "ApplicationArn")
    with _lock:
        application = _application(params["ApplicationArn"])
        items = [_assignment(application.arn, principal) for principal in application.assignments]
    page, next_token = _page(items, params, application.arn)
    return _listing("ApplicationAssignments", page, next_token)


def list_application_assignments_for_principal(self: SSOAdminResponse) -> str:
    params = _params(self)
    _require(params, "InstanceArn", "PrincipalId", "PrincipalType")
    principal = _principal(params)
    only = (params.get("Filter") or {}).get("ApplicationArn")
    with _lock:
        items = [
            _assignment(application.arn, principal)
            for application in _state.applications.values()
            if application.instance_arn == params["InstanceArn"]
            and principal in application.assignments
            and (only is None or application.arn == only)
        ]
    page, next_token = _page(items, params, f"{params['InstanceArn']}|{principal[0]}|{principal[1]}|{only}")
    return _listing("ApplicationAssignments", page, next_token)


def _application_view(application: Application) -> dict[str, Any]:
    """An application as DescribeApplication returns it, and as each item of ListApplications."""
    body: dict[str, Any] = {
        "ApplicationArn": application.arn,
        "ApplicationProviderArn": application.provider_arn,
        "Name": application.name,
        "ApplicationAccount": application.account_id,
        "InstanceArn": application.instance_arn,
        "Status": "ENABLED",
        "PortalOptions": {"Visibility": "ENABLED"},
        "CreatedDate": application.created.timestamp(),
        "CreatedFrom": application.region,
    }
    if application.description:
        body["Description"] = application.description
    return body


def describe_application(self: SSOAdminResponse) -> str:
    params = _params(self)
    _require(params, "ApplicationArn")
    with _lock:
        body = _application_view(_application(params["ApplicationArn"]))
    return json.dumps(body)


# ListApplications returns at most 50 applications a page: botocore's model caps its ``Applications`` list at
# 50 although MaxResults goes to 100, and the API reference says the service may return fewer than asked
# (https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ListApplications.html).
_APPLICATIONS_PAGE = 50


def list_applications(self: SSOAdminResponse) -> str:
    """The applications of an instance, oldest first, optionally only one account's or one provider's."""
    params = _params(self)
    _require(params, "InstanceArn")
    instance_arn = params["InstanceArn"]
    backend: Any = ssoadmin_backends[self.current_account][self.region]
    if not any(instance.instance_arn == instance_arn for instance in backend.instances):
        # Undocumented (the operation has no not-found error in its model); a ValidationException is the
        # error it lists for a bad request.
        raise ValidationException(f"The instance {instance_arn} does not exist.")
    only = params.get("Filter") or {}
    account, provider = only.get("ApplicationAccount"), only.get("ApplicationProvider")
    with _lock:
        items = [
            _application_view(application)
            for application in _state.applications.values()
            if application.instance_arn == instance_arn
            and (account is None or application.account_id == account)
            and (provider is None or application.provider_arn == provider)
        ]
    page, next_token = _page(items, params, f"{instance_arn}|{account}|{provider}", most=_APPLICATIONS_PAGE)
    return _listing("Applications", page, next_token)


_HANDLERS: dict[str, Callable[[SSOAdminResponse], str]] = {
    "create_application_assignment": create_application_assignment,
    "delete_application_assignment": delete_application_assignment,
    "describe_application_assignment": describe_application_assignment,
    "list_application_assignments": list_application_assignments,
    "list_application_assignments_for_principal": list_application_assignments_for_principal,
    "describe_application": describe_application,
    "list_applications": list_applications,
}
