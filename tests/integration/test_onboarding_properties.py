"""Property: whatever reaches the queue, the deployed OnboardingFunction never fails a whole batch; each record
is processed or reported failed (issue 7, "Tests": hypothesis on the parser and the handler)."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.onboarding_support import Onboarding, group_config, onboarding_fixture  # noqa: F401

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLES = [
    json.loads(path.read_text())
    for path in sorted(EVENTS.glob("*.json"))
    if json.loads(path.read_text()).get("detail-type") == "AWS API Call via CloudTrail"
]
_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from(["USER", "GROUP"])
_json = st.recursive(
    _leaf,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["userId", "memberId", "groupId", "membershipId", "member"]), children)
    ),
    max_leaves=8,
)


@st.composite
def _body(draw: st.DrawFn) -> str:
    """A sample event, perhaps naming the test's real user and group, perhaps mutated or cut; or junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=200))
    event: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(SAMPLES)))
    event["id"] = str(uuid.UUID(int=draw(st.integers(0, 2**32))))
    request = event["detail"].get("requestParameters")
    if isinstance(request, dict) and request and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(request)))
        request[key] = draw(_json)
    body = json.dumps(event)
    if draw(st.integers(0, 9)) == 0:
        body = body[: draw(st.integers(0, len(body)))]
    return body


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(_body(), min_size=1, max_size=10))
def test_every_record_is_processed_or_reported_failed(onboarding: Onboarding, batch: list[str]):
    if not onboarding.directory.client.list_groups(IdentityStoreId=onboarding.directory.store_id)["Groups"]:
        domain = onboarding.iam_domain()
        onboarding.configure([{"domain_id": domain, "groups": [group_config("Analysts")]}])
        group = onboarding.directory.group("Analysts")
        onboarding.directory.add(group, onboarding.directory.user("kim"))
    records = [
        {
            "messageId": f"m-{index}",
            "receiptHandle": f"r-{index}",
            "body": body.replace('"USER"', '"94e80458-9021-70ea-08fa-c3a10a1d8a92"'),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": onboarding.stack.attribute("IdentityCenterEventsQueue", "Arn"),
            "awsRegion": "us-east-1",
        }
        for index, body in enumerate(batch)
    ]

    response = onboarding.stack.invoke("OnboardingFunction", {"Records": records})  # never raises

    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    assert failed <= {record["messageId"] for record in records}
