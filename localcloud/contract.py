"""Contract checks on a translated template and its state machines: what `sam validate --lint` misses.

cfn-lint does not look inside SAM resources, so these run on the CloudFormation that samtranslator
produces (see :func:`localcloud.harness.template.translate`). Each check returns a list of problems,
empty when the contract holds, so a test can show them all at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

# ${Name} placeholders that DefinitionSubstitutions fill; ${$.path} and ${!Literal} are not ours.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.]+)\}")

# Resource types whose policy documents grant permissions, and where the documents sit.
_POLICY_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
    "AWS::SQS::QueuePolicy": ("PolicyDocument",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::Events::EventBusPolicy": ("Statement",),
}

# AWS managed policies that grant everything (or everything in a service).
_BROAD_MANAGED_POLICIES = re.compile(r"AdministratorAccess|PowerUserAccess|FullAccess")


def lint_cloudformation(template: Mapping[str, Any], regions: list[str] | None = None) -> list[str]:
    """cfn-lint's findings (errors and warnings) on a plain CloudFormation template."""
    from cfnlint.api import lint

    matches = lint(json.dumps(template), regions=regions or ["us-east-1"])
    return [f"{m.rule.id} {'/'.join(str(p) for p in m.path)}: {m.message}" for m in matches]


def asl_placeholders(definition_text: str) -> set[str]:
    return set(PLACEHOLDER.findall(definition_text))


def lint_asl(path: Path) -> list[str]:
    """statelint's findings on an ASL file, with each ``${Placeholder}`` standing in as an ARN."""
    from statelint.linter import Linter

    text = path.read_text()
    filled = PLACEHOLDER.sub(lambda m: f"arn:aws:placeholder:us-east-1:123456789012:{m.group(1)}", text)
    try:
        json.loads(filled)
    except json.JSONDecodeError as error:
        return [f"{path.name}: not valid JSON: {error}"]
    return [f"{path.name}: {problem}" for problem in Linter.validate(filled)]


def state_machines(sam_template: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for logical_id, resource in (sam_template.get("Resources") or {}).items():
        if resource.get("Type") == "AWS::Serverless::StateMachine":
            yield logical_id, resource.get("Properties") or {}


def substitution_problems(sam_template: Mapping[str, Any], template_dir: Path) -> list[str]:
    """Every ``${…}`` in an ASL file needs a DefinitionSubstitutions entry, and every entry a use."""
    problems: list[str] = []
    for logical_id, properties in state_machines(sam_template):
        uri = properties.get("DefinitionUri")
        if not isinstance(uri, str):
            problems.append(f"{logical_id}: DefinitionUri must name a local ASL file in statemachine/")
            continue
        used = asl_placeholders((template_dir / uri).read_text())
        given = set((properties.get("DefinitionSubstitutions") or {}).keys())
        problems += [f"{logical_id}: ${{{name}}} in {uri} has no substitution" for name in sorted(used - given)]
        problems += [f"{logical_id}: substitution {name} is not used in {uri}" for name in sorted(given - used)]
    return problems


def _statements(document: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(document, Mapping):
        statements = document.get("Statement", document)
        if isinstance(statements, Mapping):
            yield statements
        elif isinstance(statements, list):
            yield from (s for s in statements if isinstance(s, Mapping))


def _policy_documents(template: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type")
        properties = resource.get("Properties") or {}
        if kind == "AWS::IAM::Role":
            for policy in properties.get("Policies") or []:
                yield f"{logical_id}/{policy.get('PolicyName')}", policy.get("PolicyDocument")
        elif kind in _POLICY_DOCUMENTS:
            for key in _POLICY_DOCUMENTS[kind]:
                yield logical_id, {"Statement": properties.get(key)} if key == "Statement" else properties.get(key)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def wildcard_grants(template: Mapping[str, Any]) -> list[str]:
    """Allow statements whose actions are not named one by one, and broad managed policies."""
    problems: list[str] = []
    for where, document in _policy_documents(template):
        for statement in _statements(document):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement:
                problems.append(f"{where}: NotAction grants every other action")
            for action in _as_list(statement.get("Action")):
                if isinstance(action, str) and "*" in action:
                    problems.append(f"{where}: wildcard action {action!r}")
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        for arn in (resource.get("Properties") or {}).get("ManagedPolicyArns") or []:
            text = json.dumps(arn)  # may still be an intrinsic such as {"Fn::Sub": ...}
            if _BROAD_MANAGED_POLICIES.search(text):
                problems.append(f"{logical_id}: broad managed policy {text}")
    return problems


# --- least privilege -------------------------------------------------------------------------------


def _iam_statements(template: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Allow statements of identity policies (role inline policies, IAM policies, managed policies); resource
    policies (queues, topics, keys) are left out: their ``Resource`` is the resource they are attached to."""
    for where, document in _policy_documents(template):
        kind = (template.get("Resources") or {}).get(where.split("/", 1)[0], {}).get("Type")
        if kind not in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        for statement in _statements(document):
            if statement.get("Effect") == "Allow":
                yield where, statement


def _resource_level_actions() -> dict[str, dict[str, Any]]:
    """cfn-lint's copy of the Service Authorization Reference: per service prefix, each action (lower case)
    with the resource types it can be scoped to (none when it supports no resource-level permissions)."""
    from cfnlint.data import AdditionalSpecs
    from cfnlint.helpers import load_resource

    services: dict[str, dict[str, Any]] = load_resource(AdditionalSpecs, "Policies.json")
    return services


def resource_wildcards(template: Mapping[str, Any]) -> list[str]:
    """Actions granted on ``"*"`` although IAM lets them be scoped to resources (least privilege)."""
    services = _resource_level_actions()
    problems: list[str] = []
    for where, statement in _iam_statements(template):
        if "*" not in _as_list(statement.get("Resource")):
            continue
        for action in _as_list(statement.get("Action")):
            if not isinstance(action, str) or ":" not in action:
                continue
            prefix, name = action.split(":", 1)
            resources = services.get(prefix, {}).get("Actions", {}).get(name.lower(), {}).get("Resources")
            if resources:
                problems.append(f"{where}: {action} can be scoped to {', '.join(resources)} but is granted on *")
    return problems


def missing_conditions(template: Mapping[str, Any], required: Mapping[str, str]) -> list[str]:
    """Statements granting an action of ``required`` without a condition on that action's key."""
    problems: list[str] = []
    for where, statement in _iam_statements(template):
        keys = {key for operator in (statement.get("Condition") or {}).values() for key in (operator or {})}
        for action in _as_list(statement.get("Action")):
            key = required.get(action) if isinstance(action, str) else None
            if key is not None and key not in keys:
                problems.append(f"{where}: {action} is granted without a {key} condition")
    return problems


def _resolved(value: Any, pseudo: Mapping[str, str]) -> list[str]:
    """A policy ``Resource`` with ``Fn::Sub`` pseudo parameters filled in; other intrinsics are left out."""
    resolved: list[str] = []
    for item in _as_list(value):
        text = item.get("Fn::Sub") if isinstance(item, Mapping) else item
        if isinstance(text, str):
            resolved.append(re.sub(r"\$\{([A-Za-z:]+)\}", lambda m: pseudo.get(m.group(1), m.group(0)), text))
    return resolved


def _iam_match(pattern: str, arn: str) -> bool:
    """IAM's ARN matching: ``*`` is any run of characters (slashes included), ``?`` any one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, arn) is not None


def ungranted(
    template: Mapping[str, Any], where: str, wanted: Mapping[str, list[str]], pseudo: Mapping[str, str]
) -> list[str]:
    """Which (action, ARN) pairs of ``wanted`` the policies of role ``where`` do not allow: catches a resource
    pattern that looks right but cannot match the service's real ARN format."""
    statements = [s for name, s in _iam_statements(template) if name.split("/", 1)[0] == where]
    problems: list[str] = []
    for action, arns in wanted.items():
        for arn in arns:
            if not any(
                action in _as_list(s.get("Action"))
                and any(_iam_match(p, arn) for p in _resolved(s.get("Resource"), pseudo))
                for s in statements
            ):
                problems.append(f"{where}: {action} is not allowed on {arn}")
    return problems
