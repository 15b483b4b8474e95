"""Notices to administrators on ``NotificationsTopic``: one per onboarding and per offboarding."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from domain_steward.onboarding.actions import NOTIFIED, Action

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

# SNS Subject: at most 100 printable ASCII characters (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
_SUBJECT_LIMIT = 100


def notify(sns: SNSClient, topic_arn: str, actions: Iterable[Action]) -> int:
    """Publish one notice per onboarding/offboarding action; returns how many were published."""
    published = 0
    for action in actions:
        if action.action not in NOTIFIED:
            continue
        subject = f"Domain Steward {NOTIFIED[action.action]}: {action.profile_name} in {action.domain_id}"
        text = (
            f"{NOTIFIED[action.action].capitalize()}: user {action.user_name or action.user_id} "
            f"(Identity Center user id {action.user_id}), user profile {action.profile_name} "
            f"in domain {action.domain_id}. {action.detail}".strip()
        )
        sns.publish(
            TopicArn=topic_arn,
            Subject=subject.encode("ascii", "replace").decode()[:_SUBJECT_LIMIT],
            Message=f"{text}\n\nSummary:\n{json.dumps(action.as_dict(), sort_keys=True)}",
        )
        published += 1
    return published
