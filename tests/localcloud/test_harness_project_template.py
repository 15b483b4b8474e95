"""The project's own template.yaml, deployed on the local cloud and fed the sample Identity Center events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.harness import Stack

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"


def _samples() -> list[Path]:
    return sorted(EVENTS.glob("*.json")) if EVENTS.is_dir() else []


def _cloudtrail_samples(*, failed: bool) -> list[Path]:
    chosen = []
    for path in _samples():
        event = json.loads(path.read_text())
        if event.get("detail-type") == "AWS API Call via CloudTrail" and ("errorCode" in event["detail"]) == failed:
            chosen.append(path)
    return chosen


@pytest.fixture
def stack(cloud: LocalCloud) -> Stack:
    return cloud.deploy(TEMPLATE)


def _queue_bodies(cloud: LocalCloud, url: str) -> list[dict[str, Any]]:
    messages = cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_the_project_template_deploys_with_its_defaults(stack: Stack):
    assert stack.skipped == []
    assert stack.outputs["IdentityCenterEventsQueueUrl"] == stack.physical_id("IdentityCenterEventsQueue")


def test_there_are_sample_identity_center_events():
    assert _cloudtrail_samples(failed=False), f"no CloudTrail sample events in {EVENTS}"


@pytest.mark.parametrize("sample", _cloudtrail_samples(failed=False), ids=lambda p: p.stem)
def test_identity_center_changes_reach_the_events_queue(cloud: LocalCloud, stack: Stack, sample: Path):
    event = json.loads(sample.read_text())

    response = stack.put_events([event], drain=False)

    assert response["FailedEntryCount"] == 0
    [delivered] = _queue_bodies(cloud, stack.outputs["IdentityCenterEventsQueueUrl"])
    assert delivered["detail"] == event["detail"]
    assert delivered["source"] == event["source"]


@pytest.mark.parametrize("sample", _cloudtrail_samples(failed=True), ids=lambda p: p.stem)
def test_failed_api_calls_are_not_routed(cloud: LocalCloud, stack: Stack, sample: Path):
    stack.put_events([json.loads(sample.read_text())], drain=False)

    assert stack.deliveries == []
    assert _queue_bodies(cloud, stack.outputs["IdentityCenterEventsQueueUrl"]) == []


def test_read_only_identity_center_calls_are_not_routed(cloud: LocalCloud, stack: Stack):
    [sample, *_] = _cloudtrail_samples(failed=False)
    event = json.loads(sample.read_text())
    event["detail"]["eventName"] = "ListUsers"

    stack.put_events([event], drain=False)

    assert _queue_bodies(cloud, stack.outputs["IdentityCenterEventsQueueUrl"]) == []
