"""SQS retention on the virtual clock: a message a handler sends (stamped with virtual time) is not dropped as
too old when a test reads it, and retention still applies once the virtual clock passes it.

SQS deletes a message that has been in the queue longer than ``MessageRetentionPeriod``
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
"""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from localcloud import LocalCloud

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # well before real time, as the local cloud's tests start


def _send_on_the_virtual_clock(cloud: LocalCloud, queue_url: str, body: str) -> None:
    # What a handler does: the harness makes time.time() read the virtual clock during an invocation.
    with time_machine.travel(cloud.clock.now(), tick=False):
        cloud.client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)


def test_a_message_sent_on_the_virtual_clock_is_received():
    with LocalCloud(start=START) as cloud:
        sqs = cloud.client("sqs")
        queue_url = sqs.create_queue(QueueName="notices", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        _send_on_the_virtual_clock(cloud, queue_url, "hello")
        [message] = sqs.receive_message(QueueUrl=queue_url)["Messages"]
        assert message["Body"] == "hello"


def test_retention_counts_virtual_time():
    with LocalCloud(start=START) as cloud:
        sqs = cloud.client("sqs")
        queue_url = sqs.create_queue(QueueName="notices", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        _send_on_the_virtual_clock(cloud, queue_url, "stale")
        cloud.clock.advance(61)
        assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []


def test_an_sns_notice_published_on_the_virtual_clock_reaches_its_queue():
    with LocalCloud(start=START) as cloud:
        sqs, sns = cloud.client("sqs"), cloud.client("sns")
        queue_url = sqs.create_queue(QueueName="admins")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        topic = sns.create_topic(Name="notifications")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        with time_machine.travel(cloud.clock.now(), tick=False):
            sns.publish(TopicArn=topic, Message="teardown finished")
        [message] = sqs.receive_message(QueueUrl=queue_url)["Messages"]
        assert "teardown finished" in message["Body"]
