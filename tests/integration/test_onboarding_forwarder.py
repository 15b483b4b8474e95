"""The cross-Region forwarder (forwarder/template.yaml): Identity Center events reach EventBridge only in the
home Region (AWS-FACTS §3), so a stack elsewhere needs them forwarded; the forwarder must match exactly what
the main stack's rule matches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from localcloud import LocalCloud
from localcloud.harness import translate

ROOT = Path(__file__).resolve().parents[2]
EVENTS = sorted((ROOT / "events").glob("*.json"))


def _pattern(template: str, logical_id: str, parameters: dict[str, str] | None = None) -> dict[str, Any]:
    pattern: dict[str, Any] = translate(ROOT / template, parameters or {})["Resources"][logical_id]["Properties"][
        "EventPattern"
    ]
    return pattern


def test_the_forwarder_matches_what_the_stacks_rule_matches():
    assert _pattern("forwarder/template.yaml", "ForwardIdentityCenterEventsRule") == _pattern(
        "template.yaml", "IdentityCenterEventsRule"
    )


@pytest.mark.parametrize("sample", EVENTS, ids=lambda path: path.name)
def test_every_identity_center_sample_is_forwarded_and_nothing_else(sample: Path):
    event = json.loads(sample.read_text())
    pattern = EventPattern.load(json.dumps(_pattern("forwarder/template.yaml", "ForwardIdentityCenterEventsRule")))
    is_change = event.get("detail-type") == "AWS API Call via CloudTrail"
    failed = "errorCode" in event.get("detail", {})
    assert pattern.matches_event(event) == (is_change and not failed)


def test_deployed_on_its_own_it_sends_the_events_to_the_stacks_region():
    with LocalCloud() as cloud:
        stack = cloud.deploy(ROOT / "forwarder/template.yaml", {"TargetRegion": "eu-west-1"})
        sample = json.loads((ROOT / "events" / "identitystore-CreateGroupMembership.json").read_text())

        stack.put_events([sample])

        (delivery,) = stack.deliveries
        assert delivery.target_arn == "arn:aws:events:eu-west-1:123456789012:event-bus/default"
        assert stack.outputs["ForwardRuleArn"] == delivery.rule
