"""SQS message move tasks (dead-letter queue redrive): StartMessageMoveTask, ListMessageMoveTasks and
CancelMessageMoveTask on the virtual clock, in-process and over HTTP.

Sources (see localcloud/sqs_move_tasks.py for the choices where AWS documents nothing):
- API: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html,
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasks.html,
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasksResultEntry.html,
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CancelMessageMoveTask.html
- Redrive: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
- Failure reasons: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/troubleshooting-dlq-redrive.html
- Error codes and messages as AWS answered them:
  https://github.com/localstack/localstack/blob/main/tests/aws/services/sqs/test_sqs_move_task.snapshot.json
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from localcloud.fidelity import watch_client
from localcloud.server import LocalCloudServer

MAX_RECEIVES = 2


class Queues:
    """A source queue whose RedrivePolicy names a dead-letter queue, and helpers to fill the latter."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.dlq_url, self.dlq_arn = self.create("dead-letters")
        self.source_url, self.source_arn = self.create("events", dead_letter_arn=self.dlq_arn)

    def create(self, name: str, dead_letter_arn: str | None = None, **attributes: str) -> tuple[str, str]:
        if dead_letter_arn is not None:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": MAX_RECEIVES}
            )
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def dead_letter(self, *bodies: str, source_url: str | None = None, **send: Any) -> None:
        """Send ``bodies`` to a source queue and receive them until SQS moves them to the dead-letter queue."""
        url = source_url or self.source_url
        for body in bodies:
            self.sqs.send_message(QueueUrl=url, MessageBody=body, **send)
        # Each receive beyond maxReceiveCount moves the messages (moto moves them on the next receive).
        for _ in range(MAX_RECEIVES + 1):
            self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)

    def bodies(self, url: str) -> list[str]:
        """The bodies of every message in the queue, in order; leaves them in flight for 5 minutes."""
        received = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)
        return [message["Body"] for message in received.get("Messages", [])]

    def count(self, url: str) -> int:
        """The messages available in the queue (``ApproximateNumberOfMessages``: neither in flight nor delayed)."""
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def tasks(self, max_results: int = 1) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.sqs.list_message_move_tasks(
            SourceArn=self.dlq_arn, MaxResults=max_results
        )["Results"]
        return results


@pytest.fixture
def queues(client: Callable[..., Any]) -> Queues:
    return Queues(client("sqs"))


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


# -- the runbook's redrive -------------------------------------------------------------------------------


def test_a_redrive_without_destination_returns_a_dead_lettered_message_to_its_source_queue(
    cloud: LocalCloud, queues: Queues
):
    # `aws sqs start-message-move-task --source-arn <dead-letter queue ARN>`. Without DestinationArn, messages
    # are "redriven back to their respective original source queues" (API reference). (The README's runbook names
    # the destination: its dead-letter queue also holds records EventBridge could not deliver.)
    queues.dead_letter("poisoned")
    assert queues.bodies(queues.source_url) == []
    dead = queues.sqs.receive_message(QueueUrl=queues.dlq_url, VisibilityTimeout=0)["Messages"]
    assert [message["Body"] for message in dead] == ["poisoned"]

    started = int(cloud.clock.timestamp() * 1000)  # StartedTimestamp: epoch milliseconds (see the module)
    handle = queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn)["TaskHandle"]

    # An asynchronous task ("Starts an asynchronous task"): nothing has moved when the call returns.
    [running] = queues.tasks()
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"] == handle
    assert running["ApproximateNumberOfMessagesMoved"] == 0
    assert running["ApproximateNumberOfMessagesToMove"] == 1
    assert running["StartedTimestamp"] == started

    cloud.clock.advance(1)

    [task] = queues.tasks()
    assert task == {
        "Status": "COMPLETED",
        "SourceArn": queues.dlq_arn,
        "ApproximateNumberOfMessagesMoved": 1,
        "ApproximateNumberOfMessagesToMove": 1,
        "StartedTimestamp": started,
    }  # no TaskHandle once it is not RUNNING; no DestinationArn or rate, none were given
    assert queues.bodies(queues.source_url) == ["poisoned"]
    assert queues.bodies(queues.dlq_url) == []


def test_each_message_goes_back_to_the_queue_it_came_from(cloud: LocalCloud, queues: Queues):
    other_url, _ = queues.create("other-events", dead_letter_arn=queues.dlq_arn)
    queues.dead_letter("from-events")
    queues.dead_letter("from-other-events", source_url=other_url)

    queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn)
    cloud.clock.advance(1)

    assert queues.bodies(queues.source_url) == ["from-events"]
    assert queues.bodies(other_url) == ["from-other-events"]
    assert queues.tasks()[0]["ApproximateNumberOfMessagesMoved"] == 2


def test_a_redriven_message_is_a_new_message_with_its_body_and_attributes(cloud: LocalCloud, queues: Queues):
    # "All redriven messages are considered new messages with a new messageID" (redrive page).
    attributes = {"ERROR_CODE": {"DataType": "String", "StringValue": "Throttled"}}
    queues.dead_letter("poisoned", MessageAttributes=attributes)
    [dead] = queues.sqs.receive_message(QueueUrl=queues.dlq_url, VisibilityTimeout=0)["Messages"]

    queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn)
    cloud.clock.advance(1)

    [back] = queues.sqs.receive_message(
        QueueUrl=queues.source_url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert back["Body"] == "poisoned"
    assert back["MessageAttributes"] == attributes
    assert back["MessageId"] != dead["MessageId"]
    assert back["Attributes"]["ApproximateReceiveCount"] == "1"


def test_messages_move_oldest_first_at_the_given_rate(cloud: LocalCloud, queues: Queues):
    # MaxNumberOfMessagesPerSecond fixes the rate; "Dead-letter queues redrive messages in the order they are
    # received, starting with the oldest message" (redrive page).
    queues.dead_letter("first", "second", "third")
    queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn, MaxNumberOfMessagesPerSecond=2)

    cloud.clock.advance(0.5)
    [task] = queues.tasks()
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("RUNNING", 1)
    assert task["MaxNumberOfMessagesPerSecond"] == 2
    assert queues.bodies(queues.source_url) == ["first"]

    cloud.clock.advance(0.5)
    assert queues.tasks()[0]["ApproximateNumberOfMessagesMoved"] == 2

    cloud.clock.advance(0.5)
    [task] = queues.tasks()
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 3)
    assert queues.bodies(queues.source_url) == ["second", "third"]


def test_a_custom_destination_receives_the_messages(cloud: LocalCloud, queues: Queues):
    destination_url, destination_arn = queues.create("replay")
    queues.dead_letter("poisoned")

    queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn, DestinationArn=destination_arn)
    cloud.clock.advance(1)

    assert queues.bodies(destination_url) == ["poisoned"]
    assert queues.bodies(queues.source_url) == []
    assert queues.tasks()[0]["DestinationArn"] == destination_arn


def test_the_count_to_move_is_taken_when_the_task_starts(cloud: LocalCloud, queues: Queues):
    # ApproximateNumberOfMessagesToMove "is obtained at the time of starting the message movement task".
    queues.dead_letter("before")
    queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn)
    queues.dead_letter("after")
    cloud.clock.advance(1)

    [task] = queues.tasks()
    assert (task["ApproximateNumberOfMessagesToMove"], task["ApproximateNumberOfMessagesMoved"]) == (1, 1)
    assert queues.bodies(queues.dlq_url) == ["after"]


def test_messages_received_from_the_dead_letter_queue_meanwhile_are_not_moved(cloud: LocalCloud, queues: Queues):
    # AWS documents nothing here; the task skips a message in flight at its turn and does not count it moved.
    queues.dead_letter("first", "second")
    queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn)
    assert queues.bodies(queues.dlq_url) == ["first", "second"]  # now in flight for 5 minutes (real time)

    cloud.clock.advance(1)

    [task] = queues.tasks()
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 0)
    assert task["ApproximateNumberOfMessagesToMove"] == 2
    assert queues.bodies(queues.source_url) == []


# -- one task at a time, listing, cancelling -------------------------------------------------------------


def test_only_one_task_runs_per_source_queue_and_the_most_recent_is_listed_first(cloud: LocalCloud, queues: Queues):
    queues.dead_letter("one")
    queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn, MaxNumberOfMessagesPerSecond=1)
    # "Only one active message movement task is supported per queue at any given time."
    with pytest.raises(ClientError) as raised:
        queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn)
    assert _error(raised) == (
        "InvalidParameterValue",
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
    )

    cloud.clock.advance(1)
    queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn, MaxNumberOfMessagesPerSecond=5)

    # "The default is 1, which provides the most recent message movement task. The upper limit is 10."
    assert [task["MaxNumberOfMessagesPerSecond"] for task in queues.tasks()] == [5]
    assert [task["MaxNumberOfMessagesPerSecond"] for task in queues.tasks(max_results=10)] == [5, 1]


def test_a_cancelled_task_keeps_what_it_moved_and_moves_nothing_more(cloud: LocalCloud, queues: Queues):
    # "Cancelling a message movement task does not revert the messages that have already been moved. It can
    # only stop the messages that have not been moved yet." (CancelMessageMoveTask)
    queues.dead_letter("first", "second", "third")
    handle = queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    cloud.clock.advance(1)

    assert queues.sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"] == 1
    cloud.clock.advance(10)

    [task] = queues.tasks()
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("CANCELLED", 1)
    assert "TaskHandle" not in task
    assert queues.bodies(queues.source_url) == ["first"]
    assert queues.bodies(queues.dlq_url) == ["second", "third"]
    # Only a RUNNING task can be cancelled; AWS documents no error for the others (see the module).
    with pytest.raises(ClientError) as raised:
        queues.sqs.cancel_message_move_task(TaskHandle=handle)
    assert _error(raised) == ("ResourceNotFoundException", "Task does not exist.")


# -- failed tasks ----------------------------------------------------------------------------------------


def test_a_message_sent_straight_to_the_dead_letter_queue_fails_a_redrive_to_its_source(
    cloud: LocalCloud, queues: Queues
):
    # "The CouldNotDetermineMessageSource error occurs when ... An Amazon SQS message sent directly to the DLQ
    # with SendMessage" (troubleshooting page): the case of records EventBridge could not deliver.
    queues.dead_letter("dead-lettered")
    queues.sqs.send_message(QueueUrl=queues.dlq_url, MessageBody="sent-directly")

    queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn)
    cloud.clock.advance(1)

    [task] = queues.tasks()
    assert (task["Status"], task["FailureReason"]) == ("FAILED", "CouldNotDetermineMessageSource")
    assert task["ApproximateNumberOfMessagesMoved"] == 1  # the one SQS had dead-lettered itself, oldest first
    assert queues.count(queues.dlq_url) == 1

    # The remedy the page gives: redrive to a custom destination.
    destination_url, destination_arn = queues.create("replay")
    queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn, DestinationArn=destination_arn)
    cloud.clock.advance(1)
    assert queues.tasks()[0]["Status"] == "COMPLETED"
    assert queues.bodies(destination_url) == ["sent-directly"]


def test_a_destination_deleted_while_the_task_runs_fails_it(cloud: LocalCloud, queues: Queues):
    # A deleted queue fails the task with "Failed: AWS.SimpleQueueService.NonExistentQueue" (troubleshooting page).
    destination_url, destination_arn = queues.create("replay")
    queues.dead_letter("first", "second")
    queues.sqs.start_message_move_task(
        SourceArn=queues.dlq_arn, DestinationArn=destination_arn, MaxNumberOfMessagesPerSecond=1
    )
    cloud.clock.advance(1)
    queues.sqs.delete_queue(QueueUrl=destination_url)
    cloud.clock.advance(1)

    [task] = queues.tasks()
    assert (task["Status"], task["FailureReason"]) == ("FAILED", "AWS.SimpleQueueService.NonExistentQueue")
    assert task["ApproximateNumberOfMessagesMoved"] == 1
    assert queues.count(queues.dlq_url) == 1


# -- request errors --------------------------------------------------------------------------------------


def test_the_source_must_exist_and_be_a_dead_letter_queue(queues: Queues):
    with pytest.raises(ClientError) as raised:
        queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn + "-missing")
    assert _error(raised) == (
        "ResourceNotFoundException",
        "The resource that you specified for the SourceArn parameter doesn't exist.",
    )
    # "Currently, only ARNs of dead-letter queues (DLQs) whose sources are other Amazon SQS queues are accepted."
    with pytest.raises(ClientError) as raised:
        queues.sqs.start_message_move_task(SourceArn=queues.source_arn)
    assert _error(raised) == ("InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.")
    with pytest.raises(ClientError) as raised:
        queues.sqs.list_message_move_tasks(SourceArn=queues.dlq_arn + "-missing")
    assert _error(raised)[0] == "ResourceNotFoundException"


def test_the_destination_must_exist_and_be_of_the_source_queue_type(queues: Queues):
    with pytest.raises(ClientError) as raised:
        queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn, DestinationArn=queues.source_arn + "-missing")
    assert _error(raised) == (
        "ResourceNotFoundException",
        "The resource that you specified for the DestinationArn parameter doesn't exist.",
    )
    # "if the dead-letter queue is a FIFO queue, the redrive destination queue must be a FIFO queue as well"
    # (redrive page); AWS documents no wording for this error.
    _, fifo_arn = queues.create("replay.fifo", FifoQueue="true")
    with pytest.raises(ClientError) as raised:
        queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn, DestinationArn=fifo_arn)
    assert _error(raised)[0] == "InvalidParameterValue"


@pytest.mark.parametrize("rate", [0, 501])
def test_the_rate_is_between_1_and_500(queues: Queues, rate: int):
    # "The maximum value for messages per second is 500." AWS documents no wording for this error.
    with pytest.raises(ClientError) as raised:
        queues.sqs.start_message_move_task(SourceArn=queues.dlq_arn, MaxNumberOfMessagesPerSecond=rate)
    assert _error(raised)[0] == "InvalidParameterValue"


def test_at_most_10_tasks_are_listed(queues: Queues):
    with pytest.raises(ClientError) as raised:
        queues.tasks(max_results=11)
    assert _error(raised)[0] == "InvalidParameterValue"


def test_a_task_handle_names_a_task_of_an_existing_queue(queues: Queues):
    with pytest.raises(ClientError) as raised:
        queues.sqs.cancel_message_move_task(TaskHandle="foobared")
    assert _error(raised) == ("InvalidParameterValue", "Value for parameter TaskHandle is invalid.")

    def handle(source_arn: str) -> str:
        document = {"taskId": "10f57157-fc38-4da9-a113-4de7e12d05aa", "sourceArn": source_arn}
        return base64.b64encode(json.dumps(document).encode()).decode()

    with pytest.raises(ClientError) as raised:
        queues.sqs.cancel_message_move_task(TaskHandle=handle(queues.dlq_arn + "-missing"))
    assert _error(raised) == (
        "ResourceNotFoundException",
        "The resource that you specified for the SourceArn parameter doesn't exist.",
    )
    with pytest.raises(ClientError) as raised:
        queues.sqs.cancel_message_move_task(TaskHandle=handle(queues.dlq_arn))
    assert _error(raised) == ("ResourceNotFoundException", "Task does not exist.")


# -- over HTTP -------------------------------------------------------------------------------------------


def test_a_redrive_over_http_completes_when_the_server_clock_advances():
    with LocalCloudServer(port=0) as server:
        sqs = watch_client(
            boto3.client(
                "sqs",
                region_name="us-east-1",
                endpoint_url=server.url,
                config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
            )
        )
        queues = Queues(sqs)
        queues.dead_letter("poisoned")

        sqs.start_message_move_task(SourceArn=queues.dlq_arn)
        assert queues.tasks()[0]["Status"] == "RUNNING"
        request = urllib.request.Request(
            f"{server.url}/_localcloud/clock/advance", data=json.dumps({"seconds": 1}).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

        assert queues.tasks()[0]["Status"] == "COMPLETED"
        assert queues.bodies(queues.source_url) == ["poisoned"]


# -- a deployed stack ------------------------------------------------------------------------------------

HARNESS_TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "harness" / "template.yaml"


def test_a_message_the_stack_dead_lettered_is_redriven_to_its_queue(cloud: LocalCloud, client: Callable[..., Any]):
    # The runbook on a deployed stack: the function fails on an event until the queue's maxReceiveCount, the
    # event source mapping's queue moves it to the dead-letter queue, and a redrive without DestinationArn puts
    # it back on the queue it came from.
    stack = cloud.deploy(HARNESS_TEMPLATE)
    sqs = client("sqs")
    stack.put_events(
        [{"Source": "harness.test", "DetailType": "Work Requested", "Detail": {"id": "bad", "fail": True}}]
    )
    dlq_url, work_url = stack.physical_id("WorkDeadLetterQueue"), stack.physical_id("WorkQueue")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    sqs.start_message_move_task(SourceArn=dlq_arn)
    cloud.clock.advance(1)

    assert sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["Status"] == "COMPLETED"
    [message] = sqs.receive_message(QueueUrl=work_url)["Messages"]
    assert json.loads(message["Body"])["detail"]["id"] == "bad"
