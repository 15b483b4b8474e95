"""Loading a SAM template and translating it to the CloudFormation template AWS would deploy.

``translate(template_path, parameters)`` is the public entry point (contract tests lint its result);
the harness uses :func:`translate_template`, which also says where each function's code lives locally.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
import yaml

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_STACK_NAME = "domain-steward"

# Local artifacts become S3 locations in this bucket, keyed by their path relative to the template, so
# the translation reads like a packaged template and the harness can still find the code on disk.
LOCAL_ARTIFACT_BUCKET = "localcloud-local-artifacts"

_SHORT_FORM_FUNCTIONS = (
    "And", "Base64", "Cidr", "Contains", "EachMemberEquals", "EachMemberIn", "Equals", "FindInMap",
    "GetAZs", "If", "ImportValue", "Join", "Length", "Not", "Or", "RefAll", "Select", "Split", "Sub",
    "ToJsonString", "Transform", "ValueOf", "ValueOfAll",
)  # fmt: skip


class TemplateError(ValueError):
    """The template, or a parameter given for it, is invalid; the message says what and where."""


# -- YAML with CloudFormation short-form tags ----------------------------------------------------------


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_node(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise TemplateError(f"unexpected YAML node {node!r}")


def _function_constructor(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {f"Fn::{name}": _construct_node(loader, node)}

    return construct


def _construct_ref(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Ref": _construct_node(loader, node)}


def _construct_condition(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Condition": _construct_node(loader, node)}


def _construct_get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct_node(loader, node)
    if isinstance(value, str):
        resource, _, attribute = value.partition(".")
        if not attribute:
            raise TemplateError(f"!GetAtt {value!r} needs the form Resource.Attribute")
        return {"Fn::GetAtt": [resource, attribute]}
    return {"Fn::GetAtt": value}


for _name in _SHORT_FORM_FUNCTIONS:
    _CfnLoader.add_constructor(f"!{_name}", _function_constructor(_name))
_CfnLoader.add_constructor("!Ref", _construct_ref)
_CfnLoader.add_constructor("!Condition", _construct_condition)
_CfnLoader.add_constructor("!GetAtt", _construct_get_att)


def load_template(path: Path) -> dict[str, Any]:
    """Read a JSON or YAML template (short-form tags become their long form)."""
    return parse_template(path.read_text(encoding="utf-8"), str(path))


def parse_template(text: str, source: str = "the template") -> dict[str, Any]:
    """Parse JSON or YAML template text, as CloudFormation accepts a TemplateBody."""
    try:
        loaded = yaml.load(text, Loader=_CfnLoader)
    except yaml.YAMLError as error:
        raise TemplateError(f"{source} is not valid JSON or YAML: {error}") from error
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise TemplateError(f"{source} is not a template: it has no Resources section")
    return loaded


# -- parameters ------------------------------------------------------------------------------------------


def pseudo_parameters(region: str, account_id: str, stack_name: str) -> dict[str, Any]:
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return {
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::StackName": stack_name,
        "AWS::StackId": f"arn:{partition}:cloudformation:{region}:{account_id}:stack/{stack_name}/"
        "00000000-0000-0000-0000-000000000000",
        "AWS::Partition": partition,
        "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
        "AWS::NotificationARNs": [],
    }


def resolve_parameters(template: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as CloudFormation would accept them: defaults, overrides, every constraint checked."""
    declared: dict[str, Any] = template.get("Parameters") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"parameters not declared in the template: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    missing: list[str] = []
    for name, spec in declared.items():
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            missing.append(name)
            continue
        values[name] = _check_parameter(name, spec, raw)
    if missing:
        raise TemplateError(f"parameters must have values: {', '.join(missing)}")
    return values


def _check_parameter(name: str, spec: Mapping[str, Any], raw: Any) -> Any:
    kind = str(spec.get("Type", "String"))
    if isinstance(raw, list):
        raw = ",".join(str(item) for item in raw)
    text = str(raw).lower() if isinstance(raw, bool) else str(raw)
    is_list = kind.startswith("List<") or kind == "CommaDelimitedList"
    items = [item.strip() for item in text.split(",")] if is_list else [text]
    allowed = spec.get("AllowedValues")
    for item in items:
        if allowed is not None and item not in [str(a).lower() if isinstance(a, bool) else str(a) for a in allowed]:
            raise TemplateError(f"parameter {name}: {item!r} is not one of the AllowedValues {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and re.fullmatch(str(pattern), item) is None:
            raise TemplateError(f"parameter {name}: {item!r} does not match AllowedPattern {pattern!r}")
        if kind in ("Number", "List<Number>"):
            try:
                number = float(item)
            except ValueError:
                raise TemplateError(f"parameter {name}: {item!r} is not a Number") from None
            if "MinValue" in spec and number < float(spec["MinValue"]):
                raise TemplateError(f"parameter {name}: {item} is below MinValue {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                raise TemplateError(f"parameter {name}: {item} is above MaxValue {spec['MaxValue']}")
    if "MinLength" in spec and len(text) < int(spec["MinLength"]):
        raise TemplateError(f"parameter {name}: {text!r} is shorter than MinLength {spec['MinLength']}")
    if "MaxLength" in spec and len(text) > int(spec["MaxLength"]):
        raise TemplateError(f"parameter {name}: {text!r} is longer than MaxLength {spec['MaxLength']}")
    return items if is_list else text


# -- SAM translation -------------------------------------------------------------------------------------


@dataclass
class Translation:
    """The CloudFormation template, the parameter values used, and where local artifacts live."""

    template: dict[str, Any]
    parameters: dict[str, Any]
    base_dir: Path
    artifacts: dict[str, Path] = field(default_factory=dict)

    def local_path(self, location: Any) -> Path | None:
        """The local directory or file behind an S3 location produced for a local artifact, if it is one."""
        if isinstance(location, Mapping):
            bucket = location.get("S3Bucket", location.get("Bucket"))
            key = location.get("S3Key", location.get("Key"))
            if bucket == LOCAL_ARTIFACT_BUCKET and isinstance(key, str):
                return self.artifacts.get(key)
        return None


_SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
_ARTIFACT_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
}


def _is_local(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith("s3://")


def _artifact_uri(base_dir: Path, value: str, artifacts: dict[str, Path]) -> str:
    local = (base_dir / value).resolve()
    if not local.exists():
        raise TemplateError(f"local artifact {value!r} does not exist (looked for {local})")
    key = PurePosixPath(value).as_posix().strip("/") or "."
    artifacts[key] = local
    return f"s3://{LOCAL_ARTIFACT_BUCKET}/{key}"


def _load_definition(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=_CfnLoader)


def _localize_artifacts(template: dict[str, Any], base_dir: Path, artifacts: dict[str, Path]) -> None:
    # samtranslator only accepts S3 locations; SAM CLI would upload the directories during `sam package`.
    globals_function = (template.get("Globals") or {}).get("Function") or {}
    if _is_local(globals_function.get("CodeUri")):
        globals_function["CodeUri"] = _artifact_uri(base_dir, globals_function["CodeUri"], artifacts)
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type")
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        if kind == "AWS::Serverless::StateMachine" and _is_local(properties.get("DefinitionUri")):
            definition_path = (base_dir / properties["DefinitionUri"]).resolve()
            if not definition_path.is_file():
                raise TemplateError(f"{logical_id}: DefinitionUri {definition_path} does not exist")
            try:
                definition = _load_definition(definition_path)
            except (ValueError, yaml.YAMLError):
                # Only valid once substituted (``"Seconds": ${Wait}``): CloudFormation substitutes the
                # text of the S3 object, so keep it as one.
                properties["DefinitionUri"] = _artifact_uri(base_dir, properties["DefinitionUri"], artifacts)
                continue
            # Inline the ASL so the translation is self-contained; substitutions still apply to its text.
            del properties["DefinitionUri"]
            properties["Definition"] = definition
            continue
        prop = _ARTIFACT_PROPERTIES.get(str(kind))
        if prop and _is_local(properties.get(prop)):
            properties[prop] = _artifact_uri(base_dir, properties[prop], artifacts)


def translate_template(
    template_path: Path | str,
    parameters: Mapping[str, Any] | None = None,
    *,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT,
    stack_name: str = DEFAULT_STACK_NAME,
) -> Translation:
    """Translate the SAM template at ``template_path`` offline, as CloudFormation's SAM transform would."""
    path = Path(template_path).resolve()
    sam = load_template(path)
    values = resolve_parameters(sam, dict(parameters or {}))
    artifacts: dict[str, Path] = {}
    transforms = sam.get("Transform")
    transform_list = transforms if isinstance(transforms, list) else [transforms] if transforms else []
    if _SAM_TRANSFORM not in transform_list:
        return Translation(sam, values, path.parent, artifacts)
    unsupported = [t for t in transform_list if t != _SAM_TRANSFORM]
    if unsupported:
        raise TemplateError(f"transforms other than SAM cannot be applied offline: {unsupported}")
    sam = copy.deepcopy(sam)
    _localize_artifacts(sam, path.parent, artifacts)
    translated = _run_samtranslator(sam, values, region, account_id, stack_name)
    return Translation(translated, values, path.parent, artifacts)


def translate(template_path: Path | str, parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The CloudFormation template that the SAM transform makes of ``template_path`` with ``parameters``."""
    return translate_template(template_path, parameters).template


def _run_samtranslator(
    sam: dict[str, Any], values: Mapping[str, Any], region: str, account_id: str, stack_name: str
) -> dict[str, Any]:
    from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import to_py27_compatible_template, undo_mark_unicode_str_in_template

    pseudo = pseudo_parameters(region, account_id, stack_name)
    # The transform in CloudFormation knows only the Region and the partition; passing more would
    # resolve pseudo parameters (AWS::StackName...) that CloudFormation resolves later, after the transform.
    parameter_values: dict[str, Any] = {
        "AWS::Region": pseudo["AWS::Region"],
        "AWS::Partition": pseudo["AWS::Partition"],
        **{k: ",".join(v) if isinstance(v, list) else v for k, v in values.items()},
    }
    policies = get_bundled_managed_policy_map(pseudo["AWS::Partition"]) or {}
    to_py27_compatible_template(sam, parameter_values)
    # An explicit session keeps samtranslator from looking up a Region (or anything else) on its own.
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        translated = translator.translate(
            sam, parameter_values=parameter_values, get_managed_policy_map=lambda: policies
        )
    except InvalidDocumentException as error:
        causes = "; ".join(str(cause) for cause in error.causes)
        raise TemplateError(f"SAM translation failed: {causes}") from error
    finally:
        # Metrics go to a dummy publisher; publishing empties them, which silences a warning at exit.
        translator.metrics.publish()
    result: dict[str, Any] = undo_mark_unicode_str_in_template(translated)
    return result
