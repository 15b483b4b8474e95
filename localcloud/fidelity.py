"""Checks data against botocore's service model, so the emulation answers in AWS's exact shapes.

Used by the local cloud's own tests on every emulated response, and available to anyone who wants the
same guarantee: ``watch_client(client)`` checks every response a boto3 client receives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

# botocore adds these to every parsed response; they are not part of any output shape.
_ENVELOPE = {"ResponseMetadata"}


@cache
def service_model(service: str) -> ServiceModel:
    session = botocore.session.get_session()
    return session.get_service_model(service)


def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


def _check(shape: Shape, value: Any, path: str, problems: list[str], allow_unknown: bool) -> None:
    if isinstance(shape, StructureShape):
        _check_structure(shape, value, path, problems, allow_unknown)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        _check_length(shape, len(value), path, problems)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]", problems, allow_unknown)
    elif isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            problems.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        for key, item in value.items():
            _check(shape.key, key, f"{path}<key>", problems, allow_unknown)
            _check(shape.value, item, f"{path}[{key!r}]", problems, allow_unknown)
    elif shape.type_name == "string":
        _check_string(shape, value, path, problems)
    else:
        _check_scalar(shape, value, path, problems)


def _check_structure(shape: StructureShape, value: Any, path: str, problems: list[str], allow_unknown: bool) -> None:
    if not isinstance(value, Mapping):
        problems.append(f"{path}: expected a structure, got {type(value).__name__}")
        return
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(f"{path}.{name}: required member missing")
    for name, member_value in value.items():
        if name in _ENVELOPE and path == "$":
            continue
        if name not in shape.members:
            if not allow_unknown:
                problems.append(f"{path}.{name}: not a member of {shape.name}")
        elif member_value is not None:
            _check(shape.members[name], member_value, f"{path}.{name}", problems, allow_unknown)


def _check_string(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, str):
        problems.append(f"{path}: expected a string, got {type(value).__name__}")
        return
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        problems.append(f"{path}: {value!r} is not one of {sorted(enum)}")
    _check_length(shape, len(value), path, problems)
    pattern = shape.metadata.get("pattern")
    if pattern and not _matches(pattern, value):
        problems.append(f"{path}: {value!r} does not match {pattern}")


# The Python types botocore parses each scalar into (and that our emulation must produce).
_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "timestamp": (datetime, int, float),
    "blob": (bytes, bytearray, str),
}


def _check_scalar(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    expected = _SCALAR_TYPES.get(kind)
    if expected is None:
        return
    numeric = kind in ("integer", "long", "float", "double")
    if not isinstance(value, expected) or (numeric and isinstance(value, bool)):
        problems.append(f"{path}: expected {kind}, got {type(value).__name__}")
    elif numeric and isinstance(value, int | float):
        _check_range(shape, value, path, problems)


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a few model patterns use Java-only syntax; skip those rather than guess
        return None


def _matches(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    # AWS validates with Java's Pattern.matches: the whole value must match.
    return compiled is None or compiled.fullmatch(value) is not None


def _check_length(shape: Shape, length: int, path: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        problems.append(f"{path}: length {length} is below the minimum {low}")
    if high is not None and length > high:
        problems.append(f"{path}: length {length} is above the maximum {high}")


def _check_range(shape: Shape, value: float, path: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        problems.append(f"{path}: {value} is below the minimum {low}")
    if high is not None and value > high:
        problems.append(f"{path}: {value} is above the maximum {high}")


def output_problems(service: str, operation: str, data: Mapping[str, Any], allow_unknown: bool = False) -> list[str]:
    """Every way ``data`` departs from the output shape of ``service``'s ``operation`` (empty when it fits)."""
    shape = operation_model(service, operation).output_shape
    if shape is None:
        extra = set(data) - _ENVELOPE
        return [f"$: {operation} has no output, got {sorted(extra)}"] if extra else []
    problems: list[str] = []
    _check(shape, data, "$", problems, allow_unknown)
    return problems


def input_problems(service: str, operation: str, data: Mapping[str, Any]) -> list[str]:
    """Every way ``data`` departs from the input shape (used to validate requests as AWS would)."""
    shape = operation_model(service, operation).input_shape
    if shape is None:
        return []
    problems: list[str] = []
    _check(shape, data, "$", problems, allow_unknown=False)
    return problems


# Errors any AWS API may return without its model listing them ("common errors" in the API references).
COMMON_ERRORS = frozenset(
    {
        "AccessDeniedException",
        "IncompleteSignature",
        "InternalFailure",
        "InvalidAction",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
        "NotAuthorized",
        "RequestExpired",
        "ServiceUnavailable",
        "ThrottlingException",
        "ValidationError",
        "ValidationException",
    }
)


# Errors the emulation returns although the operation's model omits them, each a deliberate choice.
# SageMaker's models list no not-found error for Create* or the tag operations, yet a missing domain,
# owner profile or space must be answered somehow: the emulation answers ResourceNotFound, the code the
# Describe* operations use. That is *unverified* against AWS, so code built on the emulation must also
# cope with a ValidationException in those places.
UNMODELED_ERRORS: dict[tuple[str, str], frozenset[str]] = {
    ("sagemaker", operation): frozenset({"ResourceNotFound"})
    for operation in ("CreateUserProfile", "CreateSpace", "CreateApp", "AddTags", "ListTags", "DeleteTags")
}
# SQS's message move task models list no InvalidParameterValue, yet AWS answers it (a source that is no
# dead-letter queue, a second running task, a malformed task handle), as recorded against AWS in
# https://github.com/localstack/localstack/blob/main/tests/aws/services/sqs/test_sqs_move_task.snapshot.json
UNMODELED_ERRORS.update(
    {
        ("sqs", operation): frozenset({"InvalidParameterValue"})
        for operation in ("StartMessageMoveTask", "ListMessageMoveTasks", "CancelMessageMoveTask")
    }
)


# Services whose models list no error shapes at all document their codes on one page instead. EC2's:
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (the codes the local cloud
# answers, and those a clean-up of a domain's leftovers must expect).
SERVICE_ERRORS: dict[str, frozenset[str]] = {
    "ec2": frozenset(
        {
            "CannotDelete",
            "DependencyViolation",
            "DryRunOperation",
            "InvalidGroup.Duplicate",
            "InvalidGroup.InUse",
            "InvalidGroup.NotFound",
            "InvalidGroupId.Malformed",
            "InvalidNetworkInterfaceID.NotFound",
            "InvalidParameterValue",
            "InvalidPermission.Duplicate",
            "InvalidPermission.NotFound",
            "InvalidSubnetID.NotFound",
            "InvalidVpcID.NotFound",
            "MissingParameter",
            "RequestLimitExceeded",
            "UnauthorizedOperation",
        }
    ),
}


def error_problems(service: str, operation: str, code: str) -> list[str]:
    """Whether ``code`` is an error ``operation`` may return: one its model lists, a common error, one its
    service documents for every operation (:data:`SERVICE_ERRORS`), or a documented choice of
    :data:`UNMODELED_ERRORS`."""
    modeled = {
        shape.metadata.get("error", {}).get("code", shape.name)
        for shape in operation_model(service, operation).error_shapes
    }
    if (
        code in modeled
        or code in COMMON_ERRORS
        or code in SERVICE_ERRORS.get(service, ())
        or code in UNMODELED_ERRORS.get((service, operation), ())
    ):
        return []
    return [f"{operation} does not return {code}: its model lists {sorted(modeled)} besides the common errors"]


class ShapeMismatch(AssertionError):
    pass


def watch_client(client: Any) -> Any:
    """Check every response ``client`` parses, success or error, against its operation's model; raise on a mismatch."""
    service = client.meta.service_model.service_name

    def check(parsed: dict[str, Any], model: OperationModel, **_: Any) -> None:
        error = parsed.get("Error")
        if error:
            problems = error_problems(service, model.name, str(error.get("Code")))
        else:
            problems = output_problems(service, model.name, parsed)
        if problems:
            raise ShapeMismatch(f"{service}.{model.name} answered outside its model: " + "; ".join(problems))

    client.meta.events.register(f"after-call.{client.meta.service_model.endpoint_prefix}", check)
    return client
