"""Bad records, bad configuration and throttling (issue 7, "Events" and "Configuration")."""

from __future__ import annotations

import json

import pytest

from localcloud import LocalCloud
from localcloud.harness.lambdas import FunctionError
from tests.integration.onboarding_support import CONFIG_PARAMETER, Onboarding, group_config, onboarding_fixture  # noqa: F401


def test_malformed_records_reach_the_dead_letter_queue_and_the_others_are_processed(
    onboarding: Onboarding, capsys: pytest.CaptureFixture[str]
):
    domain = onboarding.iam_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("Analysts")]}])
    group = onboarding.directory.group("Analysts")
    user = onboarding.directory.user("hana")
    onboarding.directory.add(group, user)
    not_json = "this is not an event"
    not_cloudtrail = json.dumps({"version": "0", "id": "e-2", "detail-type": "Something else", "detail": {}})
    no_ids = json.dumps(
        {
            "version": "0",
            "id": "e-3",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.sso-directory",
            "account": "123456789012",
            "time": "2025-03-03T09:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"eventSource": "sso-directory.amazonaws.com", "eventName": "AddMemberToGroup"},
        }
    )

    onboarding.send_raw(not_json, not_cloudtrail, no_ids)
    onboarding.send(onboarding.events.join("console", group, user))  # in the same batch as the bad ones

    assert "hana" in onboarding.profiles(domain)
    # Retried up to the queue's maxReceiveCount (5), then moved to the dead-letter queue (SQS redrive:
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
    assert onboarding.queue_depths() == (0, 3)
    output = capsys.readouterr().out  # Powertools writes metrics to stdout in the embedded metric format
    assert '"EventsRejected"' in output
    assert '"ProfilesCreated":[1.0]' in output.replace(" ", "")


@pytest.mark.parametrize("config", ["missing", "invalid"])
def test_without_a_valid_configuration_nothing_acts_and_the_messages_stay(
    onboarding: Onboarding, cloud: LocalCloud, config: str, capsys: pytest.CaptureFixture[str]
):
    domain = onboarding.iam_domain()
    if config == "invalid":
        # An unknown key: the strict model names its path (INTERFACES.md "The configuration").
        onboarding.configure(text=f"version: 1\ndomains:\n  - domain_id: {domain}\n    grups: []\n")
    group = onboarding.directory.group("Analysts")
    user = onboarding.directory.user("ivan")
    onboarding.directory.add(group, user)
    stack = onboarding.stack
    stack.put_events([onboarding.events.join("console", group, user)], drain=False)
    sqs = cloud.client("sqs")
    queue_url = stack.outputs["IdentityCenterEventsQueueUrl"]
    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": stack.attribute("IdentityCenterEventsQueue", "Arn"),
        "awsRegion": "us-east-1",
    }

    # The whole invocation fails before any record is looked at: Lambda's SQS poller then deletes nothing
    # and every message of the batch comes back after the visibility timeout
    # (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
    before = len(cloud.calls)
    with pytest.raises(FunctionError) as failure:
        stack.invoke("OnboardingFunction", {"Records": [record]})

    assert "ConfigInvalid" in str(failure.value)
    assert '"ConfigInvalid":[1.0]' in capsys.readouterr().out.replace(" ", "")
    acted = [c for c in list(cloud.calls)[before:] if c.service in {"sagemaker", "identitystore", "sso-admin"}]
    assert acted == []
    assert onboarding.profiles(domain) == {}
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"  # still there, in flight


def test_thirty_percent_throttling_is_absorbed(onboarding: Onboarding, cloud: LocalCloud):
    domain = onboarding.sso_domain()
    onboarding.configure([{"domain_id": domain, "groups": [group_config("DataScientists", space=True)]}])
    group = onboarding.directory.group("DataScientists")
    users = [onboarding.directory.user(f"user{i}") for i in range(10)]
    for user in users:
        onboarding.directory.add(group, user)
    for service in ("sagemaker", "identitystore", "sso-admin"):
        cloud.faults.add(service, "*", "throttling", rate=0.3)

    onboarding.send(*(onboarding.events.join("console", group, user) for user in users))
    cloud.faults.clear()
    onboarding.reconcile()  # whatever a record could not finish, the reconciliation does

    assert sorted(onboarding.profiles(domain)) == [f"user{i}" for i in range(10)]
    assert onboarding.assigned(domain) == set(users)
    assert sorted(onboarding.spaces(domain)) == [f"user{i}-space" for i in range(10)]
    assert sum(1 for c in cloud.calls if c.fault) > 0
