"""Deleting what a harness stack created, as CloudFormation deletes a stack's resources: in reverse order of
creation, each through its service's API, a resource already gone counting as deleted.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-console-delete-stack.html
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from localcloud.harness.stack import Stack as HarnessStack

LOG = logging.getLogger(__name__)

# Error codes that mean the resource is already gone: CloudFormation then records the delete as complete.
_GONE = {
    "NoSuchEntity", "ResourceNotFoundException", "NotFoundException", "NotFound", "ParameterNotFound",
    "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NoSuchBucket", "StateMachineDoesNotExist",
}  # fmt: skip


def _delete_role(stack: HarnessStack, name: str) -> None:
    iam = stack.client("iam")
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


def _delete_managed_policy(stack: HarnessStack, arn: str) -> None:
    iam = stack.client("iam")
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    for role in entities.get("PolicyRoles", []):
        iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
    for user in entities.get("PolicyUsers", []):
        iam.detach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    for group in entities.get("PolicyGroups", []):
        iam.detach_group_policy(GroupName=group["GroupName"], PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


def _delete_layer(stack: HarnessStack, arn: str) -> None:
    name, version = arn.split(":")[-2:]
    stack.client("lambda").delete_layer_version(LayerName=name, VersionNumber=int(version))


def _delete_rule(stack: HarnessStack, ref: str) -> None:
    bus, _, name = ref.rpartition("|")
    bus = bus or "default"
    events = stack.client("events")
    targets = [t["Id"] for t in events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]]
    if targets:
        events.remove_targets(Rule=name, EventBusName=bus, Ids=targets)
    events.delete_rule(Name=name, EventBusName=bus)


_DELETERS: dict[str, Callable[[HarnessStack, str], Any]] = {
    "AWS::IAM::Role": _delete_role,
    "AWS::IAM::ManagedPolicy": _delete_managed_policy,
    "AWS::Lambda::Function": lambda s, ref: s.client("lambda").delete_function(FunctionName=ref),
    "AWS::Lambda::LayerVersion": _delete_layer,
    "AWS::Lambda::EventSourceMapping": lambda s, ref: s.client("lambda").delete_event_source_mapping(UUID=ref),
    "AWS::SQS::Queue": lambda s, ref: s.client("sqs").delete_queue(QueueUrl=ref),
    "AWS::SNS::Topic": lambda s, ref: s.client("sns").delete_topic(TopicArn=ref),
    "AWS::SNS::Subscription": lambda s, ref: s.client("sns").unsubscribe(SubscriptionArn=ref),
    "AWS::SSM::Parameter": lambda s, ref: s.client("ssm").delete_parameter(Name=ref),
    "AWS::DynamoDB::Table": lambda s, ref: s.client("dynamodb").delete_table(TableName=ref),
    "AWS::Logs::LogGroup": lambda s, ref: s.client("logs").delete_log_group(logGroupName=ref),
    "AWS::CloudWatch::Alarm": lambda s, ref: s.client("cloudwatch").delete_alarms(AlarmNames=[ref]),
    "AWS::Events::Rule": _delete_rule,
    "AWS::Events::EventBus": lambda s, ref: s.client("events").delete_event_bus(Name=ref),
    "AWS::Scheduler::Schedule": lambda s, ref: s.client("scheduler").delete_schedule(Name=ref),
    "AWS::StepFunctions::StateMachine": lambda s, ref: s.client("stepfunctions").delete_state_machine(
        stateMachineArn=ref
    ),
    # A key is never deleted at once: CloudFormation schedules its deletion (PendingWindowInDays, default 30).
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html
    "AWS::KMS::Key": lambda s, ref: s.client("kms").schedule_key_deletion(KeyId=ref, PendingWindowInDays=30),
    "AWS::KMS::Alias": lambda s, ref: s.client("kms").delete_alias(AliasName=ref),
    "AWS::SageMaker::StudioLifecycleConfig": lambda s, ref: s.client("sagemaker").delete_studio_lifecycle_config(
        StudioLifecycleConfigName=ref
    ),
    # A bucket that still holds objects cannot be deleted, so the stack's delete fails, as in CloudFormation.
    "AWS::S3::Bucket": lambda s, ref: s.client("s3").delete_bucket(Bucket=ref),
}


def delete_resource(stack: HarnessStack, kind: str, physical_id: str) -> str | None:
    """Delete one resource; returns why it could not be deleted, or None. Resources that live inside another
    (permissions, policies attached to a queue or topic, versions, aliases) go with it."""
    delete = _DELETERS.get(kind)
    if delete is None:
        return None
    try:
        delete(stack, physical_id)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _GONE:
            LOG.info("%s %s was already gone", kind, physical_id)
            return None
        return str(error)
    return None
