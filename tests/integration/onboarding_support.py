"""Helpers and fixtures of the onboarding integration tests (issue 7): an Identity Center directory on the
local cloud, real-shaped CloudTrail events of the three sources, the configuration in SSM, and a view of what
the deployed stack provisioned. Test modules import the fixtures they use from here.

The event shapes follow AWS-FACTS §3 and the samples in events/: console (``sso-directory``) records nest the
member in ``AddMemberToGroup`` and are read flat in ``RemoveMemberFromGroup``; API (``identitystore``)
records carry ``memberId.userId`` and the new ``membershipId``; SCIM (``identitystore-scim``) record shapes
are not documented by AWS and are modelled on the API's (unverified).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from localcloud import LocalCloud
from localcloud.harness.stack import Stack
from tests.integration.conftest import LATENCIES, ROLE, StudioBuilder

CONFIG_PARAMETER = "/domain-steward/config"  # the template's ConfigParameterName default
OTHER_ROLE = "arn:aws:iam::123456789012:role/SageMakerAnalysts"
MASKED = "HIDDEN_DUE_TO_SECURITY_REASONS"  # how SCIM records mask names (AWS-FACTS §3)
SOURCES = {
    "console": ("sso-directory.amazonaws.com", "aws.sso-directory"),
    "api": ("identitystore.amazonaws.com", "aws.identitystore"),
    # The SCIM source's EventBridge `source` is undocumented; the rule matches detail.eventSource only.
    "scim": ("identitystore-scim.amazonaws.com", "aws.identitystore-scim"),
}


class Directory:
    """The Identity Center instance's identity store, driven through the identitystore API."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.client = cloud.client("identitystore")
        instance = cloud.client("sso-admin").list_instances()["Instances"][0]
        self.store_id: str = instance["IdentityStoreId"]

    def user(self, user_name: str) -> str:
        return self.cloud.identity_center_user(user_name)

    def group(self, name: str) -> str:
        return str(self.client.create_group(IdentityStoreId=self.store_id, DisplayName=name)["GroupId"])

    def add(self, group_id: str, user_id: str) -> str:
        response = self.client.create_group_membership(
            IdentityStoreId=self.store_id, GroupId=group_id, MemberId={"UserId": user_id}
        )
        return str(response["MembershipId"])

    def remove(self, membership_id: str) -> None:
        self.client.delete_group_membership(IdentityStoreId=self.store_id, MembershipId=membership_id)

    def delete_user(self, user_id: str) -> None:
        self.client.delete_user(IdentityStoreId=self.store_id, UserId=user_id)


def cloudtrail_event(
    source: str,
    event_name: str,
    request: Mapping[str, Any] | None,
    response: Mapping[str, Any] | None = None,
    *,
    error_code: str | None = None,
) -> dict[str, Any]:
    """An "AWS API Call via CloudTrail" event as EventBridge delivers it (see events/*.json)."""
    event_source, bus_source = SOURCES[source]
    detail: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "accountId": "123456789012"},
        "eventTime": "2025-03-03T09:00:00Z",
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "tests",
        "requestParameters": dict(request) if request is not None else None,
        "responseElements": dict(response) if response is not None else None,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "123456789012",
        "eventCategory": "Management",
    }
    if error_code:
        detail["errorCode"] = error_code
        detail["errorMessage"] = "The request failed."
    return {"Source": bus_source, "DetailType": "AWS API Call via CloudTrail", "Detail": detail}


def envelope(event: Mapping[str, Any], event_id: str) -> str:
    """The EventBridge event as the rule puts it on the queue (the message body), with a chosen event id."""
    return json.dumps(
        {
            "version": "0",
            "id": event_id,
            "detail-type": event["DetailType"],
            "source": event["Source"],
            "account": "123456789012",
            "time": "2025-03-03T09:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": event["Detail"],
        }
    )


@dataclass
class Events:
    """Real-shaped join and leave events of each source for one identity store."""

    store_id: str

    def join(self, source: str, group_id: str, user_id: str, membership_id: str = "") -> dict[str, Any]:
        if source == "console":
            request = {"identityStoreId": self.store_id, "groupId": group_id, "member": {"memberId": user_id}}
            return cloudtrail_event("console", "AddMemberToGroup", request)
        if source == "api":
            request = {"identityStoreId": self.store_id, "groupId": group_id, "memberId": {"userId": user_id}}
            response = {"membershipId": membership_id, "identityStoreId": self.store_id}
            return cloudtrail_event("api", "CreateGroupMembership", request, response)
        return self.scim_patch_group(group_id)

    def leave(self, source: str, group_id: str, user_id: str, membership_id: str = "") -> dict[str, Any]:
        if source == "console":
            # Read flat by the public aws-samples/sso-sync-to-amazon-rds delete handler (AWS-FACTS §3).
            request = {"identityStoreId": self.store_id, "groupId": group_id, "memberId": user_id}
            return cloudtrail_event("console", "RemoveMemberFromGroup", request)
        if source == "api":
            request = {"identityStoreId": self.store_id, "membershipId": membership_id}
            return cloudtrail_event("api", "DeleteGroupMembership", request)
        return self.scim_patch_group(group_id)

    def scim_patch_group(self, group_id: str) -> dict[str, Any]:
        """SCIM masks the operations of a PatchGroup: only the group id is readable (unverified shape)."""
        request = {"identityStoreId": self.store_id, "groupId": group_id, "operations": [{"op": MASKED}]}
        return cloudtrail_event("scim", "PatchGroup", request)

    def delete_user(self, user_id: str, source: str = "api") -> dict[str, Any]:
        return cloudtrail_event(source, "DeleteUser", {"identityStoreId": self.store_id, "userId": user_id})

    def disable_user(self, user_id: str) -> dict[str, Any]:
        return cloudtrail_event("console", "DisableUser", {"identityStoreId": self.store_id, "userId": user_id})


def group_config(group: str, role: str = ROLE, *, space: bool = False, **extra: Any) -> dict[str, Any]:
    mapping: dict[str, Any] = {"group": group, "execution_role": role, "tags": {"team": group.lower()}, **extra}
    if space:
        mapping["default_space"] = {"app_type": "JupyterLab", "instance_type": "ml.t3.medium", "ebs_size_gb": 5}
    return mapping


class Onboarding:
    """The deployed stack seen from the onboarding side."""

    def __init__(self, cloud: LocalCloud, stack: Stack, studio: StudioBuilder) -> None:
        self.cloud, self.stack, self.studio = cloud, stack, studio
        self.directory = Directory(cloud)
        self.events = Events(self.directory.store_id)
        self.sagemaker = cloud.client("sagemaker")
        self.sso_admin = cloud.client("sso-admin")

    # -- set-up ---------------------------------------------------------------------------------------

    def configure(self, domains: list[dict[str, Any]] | None = None, *, text: str | None = None) -> None:
        value = text if text is not None else yaml.safe_dump({"version": 1, "domains": domains or []})
        self.cloud.client("ssm").put_parameter(Name=CONFIG_PARAMETER, Value=value, Type="String", Overwrite=True)

    def sso_domain(self, name: str = "sso-studio", tags: Mapping[str, str] | None = None) -> str:
        network = self.studio.network()
        params: dict[str, Any] = {
            "DomainName": name,
            "AuthMode": "SSO",
            "DefaultUserSettings": {"ExecutionRole": ROLE},
            "VpcId": network.vpc_id,
            "SubnetIds": network.subnet_ids,
        }
        if tags:
            params["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        domain_id = str(self.sagemaker.create_domain(**params)["DomainId"])
        self.cloud.clock.advance(LATENCIES.domain_create)
        return domain_id

    def iam_domain(self, name: str = "iam-studio", tags: Mapping[str, str] | None = None) -> str:
        return self.studio.domain(name, tags=tags)

    # -- driving ------------------------------------------------------------------------------------

    def send(self, *events: dict[str, Any]) -> None:
        """Put the events on the bus: rule → queue → OnboardingFunction, then let workflows finish."""
        response = self.stack.put_events(list(events))
        assert response["FailedEntryCount"] == 0, response
        self.settle()

    def settle(self) -> None:
        """Let every provisioning workflow the function started finish (they wait on the virtual clock)."""
        sfn = self.stack.client("stepfunctions")
        arn = self.stack.state_machine_arn("ProvisionProfileStateMachine")
        for execution in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
            self.stack.wait_for_execution(execution["executionArn"])
        self.cloud.clock.advance(LATENCIES.user_profile_create)

    def reconcile(self, dry_run: bool = False) -> dict[str, Any]:
        if dry_run:
            report: dict[str, Any] = self.stack.invoke("ReconcileFunction", {"DryRun": True})
        else:
            (delivery,) = self.stack.run_schedule("ReconcileFunctionSchedule")
            assert delivery.error is None, delivery.error
            report = delivery.result
        self.settle()
        return report

    # -- reading ------------------------------------------------------------------------------------

    def profiles(self, domain_id: str) -> dict[str, dict[str, Any]]:
        """Every profile of the domain: DescribeUserProfile plus ``Tags`` as a dict."""
        found: dict[str, dict[str, Any]] = {}
        for page in self.sagemaker.get_paginator("list_user_profiles").paginate(DomainIdEquals=domain_id):
            for summary in page["UserProfiles"]:
                name = summary["UserProfileName"]
                description = self.sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=name)
                tags = self.sagemaker.list_tags(ResourceArn=description["UserProfileArn"])["Tags"]
                found[name] = {**description, "Tags": {t["Key"]: t["Value"] for t in tags}}
        return found

    def spaces(self, domain_id: str) -> dict[str, dict[str, Any]]:
        spaces = self.sagemaker.list_spaces(DomainIdEquals=domain_id)["Spaces"]
        return {s["SpaceName"]: s for s in spaces}

    def assigned(self, domain_id: str) -> set[str]:
        application = self.sagemaker.describe_domain(DomainId=domain_id)["SingleSignOnApplicationArn"]
        listing = self.sso_admin.list_application_assignments(ApplicationArn=application)
        return {a["PrincipalId"] for a in listing["ApplicationAssignments"]}

    def queue_depths(self) -> tuple[int, int]:
        """(messages in IdentityCenterEventsQueue, messages in its dead-letter queue)."""
        sqs = self.cloud.client("sqs")

        def depth(output: str) -> int:
            attributes = sqs.get_queue_attributes(
                QueueUrl=self.stack.outputs[output],
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            return int(attributes["ApproximateNumberOfMessages"]) + int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            )

        return depth("IdentityCenterEventsQueueUrl"), depth("IdentityCenterEventsDeadLetterQueueUrl")

    def dead_letters(self) -> list[dict[str, Any]]:
        sqs = self.cloud.client("sqs")
        url = self.stack.outputs["IdentityCenterEventsDeadLetterQueueUrl"]
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
        return [json.loads(m["Body"]) if m["Body"].startswith("{") else {"raw": m["Body"]} for m in messages]

    def notices(self) -> list[dict[str, Any]]:
        """Every notice published to NotificationsTopic so far, oldest first (read from the call log, so a test
        sees the Subject and Message exactly as the function sent them)."""
        topic = self.stack.physical_id("NotificationsTopic")
        return [
            {"Subject": call.params.get("Subject"), "Message": call.params["Message"]}
            for call in self.cloud.calls.calls("sns", "Publish")
            if call.params.get("TopicArn") == topic
        ]

    def send_raw(self, *bodies: str) -> None:
        """Put message bodies straight on IdentityCenterEventsQueue (what a broken producer could send)."""
        sqs = self.cloud.client("sqs")
        for body in bodies:
            sqs.send_message(QueueUrl=self.stack.outputs["IdentityCenterEventsQueueUrl"], MessageBody=body)


@pytest.fixture(name="onboarding")
def onboarding_fixture(cloud: LocalCloud, stack: Stack, studio: StudioBuilder) -> Onboarding:
    return Onboarding(cloud, stack, studio)
