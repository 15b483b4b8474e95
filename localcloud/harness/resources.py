"""Creating each CloudFormation resource type on the local cloud, as CloudFormation would.

Every creator takes the resource's resolved properties and returns what ``Ref`` and ``Fn::GetAtt``
give for it. Resources are created through boto3, so moto validates them as the real APIs would.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from localcloud.harness.lambdas import REGISTRY, LocalFunction
from localcloud.harness.schedules import validate_schedule_expression
from localcloud.harness.template import TemplateError

if TYPE_CHECKING:
    from localcloud.harness.stack import Stack

LOG = logging.getLogger(__name__)


class DeployError(TemplateError):
    """A resource could not be created; the message names the resource and the reason."""


@dataclass
class Created:
    """What CloudFormation knows of a created resource."""

    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)
    kind: str = ""


@dataclass
class EventInvokeConfig:
    """Asynchronous invocation settings of a function (``AWS::Lambda::EventInvokeConfig``)."""

    maximum_retry_attempts: int = 2
    dead_letter: str | None = None
    on_failure: str | None = None
    on_success: str | None = None


Creator = Callable[["Stack", str, dict[str, Any]], Created]
CREATORS: dict[str, Creator] = {}


def creator(*kinds: str) -> Callable[[Creator], Creator]:
    def register(function: Creator) -> Creator:
        for kind in kinds:
            CREATORS[kind] = function
        return function

    return register


def physical_name(stack: Stack, logical_id: str, limit: int, suffix: str = "") -> str:
    """A name like CloudFormation generates (``stack-Logical-RANDOM``), but repeatable between runs."""
    random_part = hashlib.sha256(f"{stack.name}/{logical_id}".encode()).hexdigest()[:12].upper()
    prefix_room = limit - len(random_part) - len(suffix) - 2
    prefix = f"{stack.name}-{logical_id}"[:prefix_room]
    return f"{prefix}-{random_part}{suffix}"


def _tags_dict(tags: Any) -> dict[str, str]:
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t["Value"]) for t in tags or []}


def _tags_list(tags: Any) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in _tags_dict(tags).items()]


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _attribute_text(value: Any) -> str:
    """A property value as an API's string attribute: JSON for objects, ``true``/``false`` for booleans."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _policy_text(document: Any) -> str:
    # IAM takes a document without Version as 2008-10-17 (SAM's policy templates omit it); moto refuses it.
    if isinstance(document, dict) and "Version" not in document:
        document = {"Version": "2012-10-17", **document}
    return _json_text(document)


def _arn(stack: Stack, service: str, resource: str, region: bool = True, account: bool = True) -> str:
    return (
        f"arn:{stack.partition}:{service}:{stack.region if region else ''}:"
        f"{stack.account_id if account else ''}:{resource}"
    )


# -- SQS / SNS / SSM / DynamoDB / logs ---------------------------------------------------------------------

_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication", "DeduplicationScope", "DelaySeconds", "FifoQueue", "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds", "KmsMasterKeyId", "MaximumMessageSize", "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds", "RedriveAllowPolicy", "RedrivePolicy", "SqsManagedSseEnabled",
    "VisibilityTimeout",
)  # fmt: skip


@creator("AWS::SQS::Queue")
def create_queue(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    fifo = str(props.get("FifoQueue", "false")).lower() == "true"
    name = props.get("QueueName") or physical_name(stack, logical_id, 80, ".fifo" if fifo else "")
    attributes = {}
    for key in _QUEUE_ATTRIBUTES:
        if key in props:
            value = props[key]
            attributes[key] = _attribute_text(value)
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes, tags=_tags_dict(props.get("Tags")))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Created(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


@creator("AWS::SQS::QueuePolicy")
def create_queue_policy(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    sqs = stack.client("sqs")
    for url in props.get("Queues", []):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _json_text(props["PolicyDocument"])})
    return Created(physical_name(stack, logical_id, 128))


@creator("AWS::SNS::Topic")
def create_topic(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    fifo = str(props.get("FifoTopic", "false")).lower() == "true"
    name = props.get("TopicName") or physical_name(stack, logical_id, 256, ".fifo" if fifo else "")
    attributes = {
        k: _attribute_text(props[k])
        for k in ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication")
        if k in props
    }
    sns = stack.client("sns")
    arn = sns.create_topic(Name=name, Attributes=attributes, Tags=_tags_list(props.get("Tags")))["TopicArn"]
    for subscription in props.get("Subscription", []):
        sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"])
    return Created(arn, {"TopicArn": arn, "TopicName": name})


@creator("AWS::SNS::Subscription")
def create_subscription(stack: Stack, _logical_id: str, props: dict[str, Any]) -> Created:
    attributes = {
        k: _attribute_text(props[k])
        for k in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy")
        if k in props
    }
    arn = stack.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return Created(arn, {"Arn": arn})


@creator("AWS::SNS::TopicPolicy")
def create_topic_policy(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    sns = stack.client("sns")
    for topic in props.get("Topics", []):
        sns.set_topic_attributes(
            TopicArn=topic, AttributeName="Policy", AttributeValue=_json_text(props["PolicyDocument"])
        )
    return Created(physical_name(stack, logical_id, 128))


@creator("AWS::SSM::Parameter")
def create_parameter(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    name = props.get("Name") or f"CFN-{logical_id}-{physical_name(stack, logical_id, 64).rsplit('-', 1)[-1]}"
    kind = props.get("Type", "String")
    if kind not in ("String", "StringList"):
        raise DeployError(f"{logical_id}: AWS::SSM::Parameter Type must be String or StringList, not {kind!r}")
    arguments: dict[str, Any] = {"Name": name, "Value": str(props["Value"]), "Type": kind}
    for key in ("Description", "AllowedPattern", "Tier", "DataType"):
        if key in props:
            arguments[key] = props[key]
    if props.get("Tags"):
        arguments["Tags"] = _tags_list(props["Tags"])
    stack.client("ssm").put_parameter(**arguments)
    return Created(name, {"Type": kind, "Value": str(props["Value"])})


_TABLE_KEYS = (
    "AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes", "KeySchema", "LocalSecondaryIndexes",
    "ProvisionedThroughput", "SSESpecification", "StreamSpecification", "TableClass", "DeletionProtectionEnabled",
)  # fmt: skip


@creator("AWS::DynamoDB::Table")
def create_table(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    name = props.get("TableName") or physical_name(stack, logical_id, 255)
    arguments: dict[str, Any] = {"TableName": name, **{k: props[k] for k in _TABLE_KEYS if k in props}}
    if arguments.get("SSESpecification"):
        arguments["SSESpecification"] = {
            "Enabled": arguments["SSESpecification"].get("SSEEnabled", False),
            **{k: v for k, v in arguments["SSESpecification"].items() if k in ("SSEType", "KMSMasterKeyId")},
        }
    if props.get("Tags"):
        arguments["Tags"] = _tags_list(props["Tags"])
    dynamodb = stack.client("dynamodb")
    description = dynamodb.create_table(**arguments)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    return Created(name, {"Arn": description["TableArn"], "StreamArn": description.get("LatestStreamArn", "")})


@creator("AWS::Logs::LogGroup")
def create_log_group(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    name = props.get("LogGroupName") or physical_name(stack, logical_id, 512)
    logs = stack.client("logs")
    logs.create_log_group(logGroupName=name, tags=_tags_dict(props.get("Tags")))
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    return Created(name, {"Arn": _arn(stack, "logs", f"log-group:{name}:*")})


@creator("AWS::CloudWatch::Alarm")
def create_alarm(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    name = props.get("AlarmName") or physical_name(stack, logical_id, 255)
    arguments = {k: v for k, v in props.items() if k not in ("AlarmName", "Tags")}
    for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
        if key in arguments:
            arguments[key] = int(arguments[key])
    if "Threshold" in arguments:
        arguments["Threshold"] = float(arguments["Threshold"])
    stack.client("cloudwatch").put_metric_alarm(AlarmName=name, **arguments)
    return Created(name, {"Arn": _arn(stack, "cloudwatch", f"alarm:{name}")})


# -- IAM -----------------------------------------------------------------------------------------------------


@creator("AWS::IAM::Role")
def create_role(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    name = props.get("RoleName") or physical_name(stack, logical_id, 64)
    iam = stack.client("iam")
    arguments: dict[str, Any] = {
        "RoleName": name,
        "AssumeRolePolicyDocument": _json_text(props["AssumeRolePolicyDocument"]),
        "Path": props.get("Path", "/"),
    }
    if props.get("Tags"):
        arguments["Tags"] = _tags_list(props["Tags"])
    if "MaxSessionDuration" in props:
        arguments["MaxSessionDuration"] = int(props["MaxSessionDuration"])
    if "PermissionsBoundary" in props:
        arguments["PermissionsBoundary"] = props["PermissionsBoundary"]
    role = iam.create_role(**arguments)["Role"]
    for policy in props.get("Policies", []):
        iam.put_role_policy(
            RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=_policy_text(policy["PolicyDocument"])
        )
    for policy_arn in props.get("ManagedPolicyArns", []):
        _attach(stack, policy_arn, role=name)
    return Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})


def _attach(stack: Stack, policy_arn: str, *, role: str) -> None:
    try:
        stack.client("iam").attach_role_policy(RoleName=role, PolicyArn=policy_arn)
    except ClientError as error:
        # moto does not load AWS managed policies; the attachment only matters to real IAM.
        if error.response["Error"]["Code"] == "NoSuchEntity" and ":iam::aws:policy/" in policy_arn:
            LOG.debug("AWS managed policy %s is not loaded in moto; not attached to %s", policy_arn, role)
            return
        raise


@creator("AWS::IAM::Policy")
def create_policy(stack: Stack, _logical_id: str, props: dict[str, Any]) -> Created:
    iam = stack.client("iam")
    for role in props.get("Roles", []):
        iam.put_role_policy(
            RoleName=role, PolicyName=props["PolicyName"], PolicyDocument=_policy_text(props["PolicyDocument"])
        )
    return Created(props["PolicyName"])


@creator("AWS::IAM::ManagedPolicy")
def create_managed_policy(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    name = props.get("ManagedPolicyName") or physical_name(stack, logical_id, 128)
    arn = stack.client("iam").create_policy(
        PolicyName=name, Path=props.get("Path", "/"), PolicyDocument=_policy_text(props["PolicyDocument"])
    )["Policy"]["Arn"]
    for role in props.get("Roles", []):
        _attach(stack, arn, role=role)
    return Created(arn, {"PolicyArn": arn})


# -- Lambda ----------------------------------------------------------------------------------------------


def _placeholder_zip() -> bytes:
    # moto stores a deployment package; the real code runs from its local directory instead.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("localcloud_placeholder.py", "# code runs in-process from its local directory\n")
    return buffer.getvalue()


def _layer_dirs(content_dir: Path) -> list[Path]:
    # Lambda puts /opt/python on the path; a package kept at the ContentUri root is copied there by sam build.
    python = content_dir / "python"
    return [content_dir, python] if python.is_dir() else [content_dir]


@creator("AWS::Lambda::LayerVersion")
def create_layer(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    local = stack.translation.local_path(props.get("Content"))
    name = props.get("LayerName") or logical_id
    response = stack.client("lambda").publish_layer_version(
        LayerName=name,
        Description=props.get("Description", ""),
        Content={"ZipFile": _placeholder_zip()},
        CompatibleRuntimes=props.get("CompatibleRuntimes", []),
    )
    arn = response["LayerVersionArn"]
    if local is None:
        LOG.warning("%s: layer content is not a local directory; handlers will not see it", logical_id)
    else:
        stack.layer_dirs[arn] = _layer_dirs(local)
    return Created(arn, {"LayerVersionArn": arn})


@creator("AWS::Lambda::Function")
def create_function(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    name = props.get("FunctionName") or physical_name(stack, logical_id, 64)
    local = stack.translation.local_path(props.get("Code"))
    if local is None or not local.is_dir():
        raise DeployError(f"{logical_id}: the function's code is not a local directory (Code={props.get('Code')})")
    handler = props.get("Handler")
    if not handler:
        raise DeployError(f"{logical_id}: a zip function needs a Handler")
    runtime = props.get("Runtime", "python3.11")
    if not str(runtime).startswith("python"):
        raise DeployError(f"{logical_id}: only Python functions run in-process, not {runtime}")
    environment = {k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()}
    layers = [arn for arn in props.get("Layers", []) if arn in stack.layer_dirs]
    arguments: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": runtime,
        "Role": props["Role"],
        "Handler": handler,
        "Code": {"ZipFile": _placeholder_zip()},
        "Timeout": int(props.get("Timeout", 3)),
        "MemorySize": int(props.get("MemorySize", 128)),
        "Environment": {"Variables": environment},
        "Layers": layers,
        "Tags": _tags_dict(props.get("Tags")),
    }
    for key in ("Description", "DeadLetterConfig", "TracingConfig", "Architectures", "EphemeralStorage"):
        if key in props:
            arguments[key] = props[key]
    try:
        arn = stack.client("lambda").create_function(**arguments)["FunctionArn"]
    except ClientError as error:
        raise DeployError(f"{logical_id}: {error}") from error
    function = LocalFunction(
        name=name,
        arn=arn,
        handler=str(handler),
        code_dir=local,
        layer_dirs=[path for arn in layers for path in stack.layer_dirs[arn]],
        environment=environment,
        timeout_seconds=int(props.get("Timeout", 3)),
        memory_mb=int(props.get("MemorySize", 128)),
        region=stack.region,
    )
    REGISTRY.add(stack.account_id, function)
    stack.functions[logical_id] = function
    dead_letter = (props.get("DeadLetterConfig") or {}).get("TargetArn")
    if dead_letter:
        stack.invoke_configs.setdefault(name, EventInvokeConfig()).dead_letter = dead_letter
    return Created(name, {"Arn": arn})


@creator("AWS::Lambda::Permission")
def create_permission(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    arguments = {
        "FunctionName": props["FunctionName"],
        "StatementId": logical_id,
        "Action": props["Action"],
        "Principal": props["Principal"],
    }
    for key in ("SourceArn", "SourceAccount", "EventSourceToken"):
        if key in props:
            arguments[key] = props[key]
    stack.client("lambda").add_permission(**arguments)
    return Created(logical_id)


@creator("AWS::Lambda::Version")
def create_version(stack: Stack, _logical_id: str, props: dict[str, Any]) -> Created:
    version = stack.client("lambda").publish_version(FunctionName=props["FunctionName"])
    return Created(version["FunctionArn"], {"Version": version["Version"]})


@creator("AWS::Lambda::Alias")
def create_alias(stack: Stack, _logical_id: str, props: dict[str, Any]) -> Created:
    alias = stack.client("lambda").create_alias(
        FunctionName=props["FunctionName"], Name=props["Name"], FunctionVersion=str(props["FunctionVersion"])
    )
    return Created(alias["AliasArn"])


@creator("AWS::Lambda::EventInvokeConfig")
def create_event_invoke_config(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    from localcloud.harness.lambdas import function_name_from

    name = function_name_from(str(props["FunctionName"]))
    config = stack.invoke_configs.setdefault(name, EventInvokeConfig())
    if "MaximumRetryAttempts" in props:
        config.maximum_retry_attempts = int(props["MaximumRetryAttempts"])
    destinations = props.get("DestinationConfig") or {}
    config.on_failure = (destinations.get("OnFailure") or {}).get("Destination", config.on_failure)
    config.on_success = (destinations.get("OnSuccess") or {}).get("Destination")
    return Created(logical_id)


@creator("AWS::Lambda::EventSourceMapping")
def create_event_source_mapping(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    source = str(props.get("EventSourceArn", ""))
    if ":sqs:" not in source:
        LOG.warning("%s: only SQS event sources are driven by the harness, not %s", logical_id, source)
    arguments: dict[str, Any] = {
        "FunctionName": props["FunctionName"],
        "EventSourceArn": source,
        "Enabled": str(props.get("Enabled", True)).lower() == "true",
    }
    for key in ("BatchSize", "MaximumBatchingWindowInSeconds"):
        if key in props:
            arguments[key] = int(props[key])
    for key in ("FunctionResponseTypes", "FilterCriteria", "ScalingConfig", "StartingPosition"):
        if key in props:
            arguments[key] = props[key]
    mapping = stack.client("lambda").create_event_source_mapping(**arguments)
    _detach_from_moto_queue(stack, source, mapping["FunctionArn"])
    stack.event_source_mappings.append(mapping["UUID"])
    return Created(
        mapping["UUID"], {"Id": mapping["UUID"], "EventSourceMappingArn": mapping.get("EventSourceMappingArn", "")}
    )


def _detach_from_moto_queue(stack: Stack, queue_arn: str, function_arn: str) -> None:
    # moto would invoke the function on every SendMessage, one message at a time; the harness polls
    # the queue itself (stack.drain) with the mapping's batch size and failure semantics instead.
    from moto.sqs.models import sqs_backends

    for queue in sqs_backends[stack.account_id][stack.region].queues.values():
        if queue.queue_arn == queue_arn:
            queue.lambda_event_source_mappings.pop(function_arn, None)


# -- EventBridge and Scheduler ---------------------------------------------------------------------------


@creator("AWS::Events::EventBus")
def create_event_bus(stack: Stack, _logical_id: str, props: dict[str, Any]) -> Created:
    arn = stack.client("events").create_event_bus(Name=props["Name"])["EventBusArn"]
    return Created(props["Name"], {"Arn": arn, "Name": props["Name"]})


_TARGET_KEYS = (
    "Id",
    "Arn",
    "Input",
    "InputPath",
    "InputTransformer",
    "RoleArn",
    "DeadLetterConfig",
    "RetryPolicy",
    "SqsParameters",
)


@creator("AWS::Events::Rule")
def create_rule(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    pattern, schedule = props.get("EventPattern"), props.get("ScheduleExpression")
    if not pattern and not schedule:
        raise DeployError(f"{logical_id}: a rule needs an EventPattern or a ScheduleExpression")
    if schedule:
        try:
            validate_schedule_expression(str(schedule), allow_at=False)
        except ValueError as error:
            raise DeployError(f"{logical_id}: {error}") from error
    name = props.get("Name") or physical_name(stack, logical_id, 64)
    bus = props.get("EventBusName", "default")
    bus_name = str(bus).split("/")[-1] if str(bus).startswith("arn:") else str(bus)
    arguments: dict[str, Any] = {"Name": name, "EventBusName": bus_name, "State": props.get("State", "ENABLED")}
    if pattern:
        arguments["EventPattern"] = _json_text(pattern)
    if schedule:
        arguments["ScheduleExpression"] = schedule
    for key in ("Description", "RoleArn"):
        if key in props:
            arguments[key] = props[key]
    events = stack.client("events")
    try:
        arn = events.put_rule(**arguments)["RuleArn"]
    except ClientError as error:
        raise DeployError(f"{logical_id}: {error}") from error
    targets = [
        {k: (_json_text(v) if k == "Input" else v) for k, v in t.items() if k in _TARGET_KEYS}
        for t in props.get("Targets", [])
    ]
    if targets:
        events.put_targets(Rule=name, EventBusName=bus_name, Targets=targets)
    stack.rules[logical_id] = (bus_name, name)
    ref = name if bus_name == "default" else f"{bus_name}|{name}"
    return Created(ref, {"Arn": arn})


@creator("AWS::Scheduler::Schedule")
def create_schedule(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    try:
        validate_schedule_expression(str(props["ScheduleExpression"]), allow_at=True)
    except ValueError as error:
        raise DeployError(f"{logical_id}: {error}") from error
    name = props.get("Name") or physical_name(stack, logical_id, 64)
    arguments: dict[str, Any] = {
        "Name": name,
        "ScheduleExpression": props["ScheduleExpression"],
        "FlexibleTimeWindow": props.get("FlexibleTimeWindow", {"Mode": "OFF"}),
        "Target": props["Target"],
        "State": props.get("State", "ENABLED"),
    }
    for key in ("Description", "GroupName", "ScheduleExpressionTimezone", "KmsKeyArn"):
        if key in props:
            arguments[key] = props[key]
    arn = stack.client("scheduler").create_schedule(**arguments)["ScheduleArn"]
    stack.schedules[logical_id] = (name, arn, props["Target"])
    return Created(name, {"Arn": arn})


# -- Step Functions ----------------------------------------------------------------------------------------


def _substitute(definition: str, substitutions: Mapping[str, Any]) -> str:
    for key, value in substitutions.items():
        definition = definition.replace("${" + key + "}", _attribute_text(value))
    return definition


@creator("AWS::StepFunctions::StateMachine")
def create_state_machine(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    if "DefinitionString" in props:
        definition = str(props["DefinitionString"])
    elif "Definition" in props:
        definition = json.dumps(props["Definition"])
    elif stack.translation.local_path(props.get("DefinitionS3Location")) is not None:
        local = stack.translation.local_path(props["DefinitionS3Location"])
        assert local is not None
        definition = local.read_text(encoding="utf-8")
    else:
        raise DeployError(f"{logical_id}: the local cloud needs the definition in the template (DefinitionString)")
    definition = _substitute(definition, props.get("DefinitionSubstitutions") or {})
    try:
        json.loads(definition)
    except ValueError as error:
        raise DeployError(f"{logical_id}: the state machine definition is not valid JSON: {error}") from error
    name = props.get("StateMachineName") or physical_name(stack, logical_id, 80)
    arguments: dict[str, Any] = {
        "name": name,
        "definition": definition,
        "roleArn": props["RoleArn"],
        "type": props.get("StateMachineType", "STANDARD"),
    }
    if props.get("Tags"):
        arguments["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in _tags_list(props["Tags"])]
    try:
        arn = stack.client("stepfunctions").create_state_machine(**arguments)["stateMachineArn"]
    except ClientError as error:
        raise DeployError(f"{logical_id}: {error}") from error
    stack.state_machines[logical_id] = arn
    return Created(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": arn})


# -- KMS ------------------------------------------------------------------------------------------------------


@creator("AWS::KMS::Key")
def create_key(stack: Stack, _logical_id: str, props: dict[str, Any]) -> Created:
    """Ref gives the key id; GetAtt gives Arn and KeyId
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html)."""
    kms = stack.client("kms")
    arguments: dict[str, Any] = {}
    if "KeyPolicy" in props:
        arguments["Policy"] = _json_text(props["KeyPolicy"])
    for key in ("Description", "KeyUsage", "KeySpec", "Origin"):
        if key in props:
            arguments[key] = props[key]
    if "MultiRegion" in props:
        arguments["MultiRegion"] = _attribute_text(props["MultiRegion"]) == "true"
    if props.get("Tags"):
        arguments["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in _tags_list(props["Tags"])]
    metadata = kms.create_key(**arguments)["KeyMetadata"]
    key_id = metadata["KeyId"]
    if _attribute_text(props.get("EnableKeyRotation", False)) == "true":
        kms.enable_key_rotation(KeyId=key_id)
    if _attribute_text(props.get("Enabled", True)) == "false":
        kms.disable_key(KeyId=key_id)
    return Created(key_id, {"Arn": metadata["Arn"], "KeyId": key_id})


@creator("AWS::KMS::Alias")
def create_key_alias(stack: Stack, _logical_id: str, props: dict[str, Any]) -> Created:
    """Ref gives the alias name, ``alias/...``
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-alias.html)."""
    stack.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
    return Created(props["AliasName"])


# -- SageMaker -----------------------------------------------------------------------------------------------


@creator("AWS::SageMaker::StudioLifecycleConfig")
def create_studio_lifecycle_config(stack: Stack, _logical_id: str, props: dict[str, Any]) -> Created:
    """Ref gives the name, GetAtt StudioLifecycleConfigArn the ARN
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-studiolifecycleconfig.html;
    the name is the resource's primary identifier, which Ref returns for registry-schema resources, as the
    Cloud Control get of the type is keyed by it:
    https://www.pulumi.com/registry/packages/aws-native/api-docs/sagemaker/getstudiolifecycleconfig/)."""
    arguments: dict[str, Any] = {
        "StudioLifecycleConfigName": props["StudioLifecycleConfigName"],
        "StudioLifecycleConfigAppType": props["StudioLifecycleConfigAppType"],
        "StudioLifecycleConfigContent": props["StudioLifecycleConfigContent"],
    }
    if props.get("Tags"):
        arguments["Tags"] = _tags_list(props["Tags"])
    arn = stack.client("sagemaker").create_studio_lifecycle_config(**arguments)["StudioLifecycleConfigArn"]
    return Created(props["StudioLifecycleConfigName"], {"StudioLifecycleConfigArn": arn})


# -- S3 (sam deploy's managed stack, aws-sam-cli-managed-default, holds its artifact bucket) --------------------


@creator("AWS::S3::Bucket")
def create_bucket(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    """Ref gives the name; a generated one is lower case, as bucket names must be.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html"""
    # Bucket names are global, so the generated one differs between accounts and Regions (as CloudFormation's
    # random part does): SAM CLI's managed stack has the same stack and logical names in every Region.
    unique = hashlib.sha256(f"{stack.account_id}/{stack.region}/{stack.name}/{logical_id}".encode()).hexdigest()[:12]
    name = props.get("BucketName") or f"{stack.name}-{logical_id}"[:50].lower() + f"-{unique}"
    s3 = stack.client("s3")
    arguments: dict[str, Any] = {"Bucket": name}
    if stack.region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": stack.region}
    s3.create_bucket(**arguments)
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
    if "PublicAccessBlockConfiguration" in props:
        block = {k: str(v).lower() == "true" for k, v in props["PublicAccessBlockConfiguration"].items()}
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    if props.get("Tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags_list(props["Tags"])})
    arn = _arn(stack, "s3", name, region=False, account=False)
    return Created(
        name,
        {
            "Arn": arn,
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{stack.region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{stack.region}.amazonaws.com",
        },
    )


@creator("AWS::S3::BucketPolicy")
def create_bucket_policy(stack: Stack, logical_id: str, props: dict[str, Any]) -> Created:
    document = dict(props["PolicyDocument"])
    # moto enforces bucket policies but ignores their Conditions (moto/iam/access_control.py: "TODO add support
    # for the Resource and Condition parts"), so SAM CLI's managed bucket, which denies s3:* to requests without
    # TLS, would refuse every upload; the local cloud is only reached without TLS, so such statements are left out.
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html (aws:SecureTransport)
    document["Statement"] = [
        statement
        for statement in document.get("Statement", [])
        if "aws:SecureTransport" not in json.dumps(statement.get("Condition", {}))
    ]
    stack.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=_policy_text(document))
    return Created(physical_name(stack, logical_id, 128))
