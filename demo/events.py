"""CloudTrail records of Identity Center changes, as EventBridge delivers them: the samples in events/ with this
directory's ids, fresh event ids and the virtual clock's time filled in."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events"

# The join sample of each source (events/README.md): console, Identity Store API, SCIM (an IdP's push; its record
# shape is not documented by AWS and the sample is modelled on the API's, so only its group id is read).
JOIN_SAMPLES = {
    "console": "sso-directory-AddMemberToGroup.json",
    "api": "identitystore-CreateGroupMembership.json",
    "scim": "identitystore-scim-PatchGroup.json",
}
# The leave sample: DeleteGroupMembership through the Identity Store API names only the membership (AWS-FACTS §3).
LEAVE_SAMPLE = "identitystore-DeleteGroupMembership.json"
_SAMPLE_FILES = (*JOIN_SAMPLES.values(), LEAVE_SAMPLE)
SAMPLE_ACCOUNT = "111122223333"  # the documentation account id the samples use


class CloudTrail:
    """Builds the records one identity store's changes leave in CloudTrail."""

    def __init__(self, account_id: str, region: str, store_id: str) -> None:
        self.region, self.store_id = region, store_id
        # The samples' account id becomes this account's wherever it appears (userIdentity, recipientAccountId...).
        self._samples = {
            name: json.loads((EVENTS / name).read_text().replace(SAMPLE_ACCOUNT, account_id)) for name in _SAMPLE_FILES
        }

    def join(self, source: str, now: datetime, group_id: str, user_id: str, membership_id: str) -> dict[str, Any]:
        """A member added to a group through ``source`` (console, api or scim)."""
        event = self._event(JOIN_SAMPLES[source], now)
        request = event["detail"]["requestParameters"]
        request["groupId"] = group_id
        if source == "console":
            request["member"] = {"memberId": user_id}
        elif source == "api":
            request["memberId"] = {"userId": user_id}
            event["detail"]["responseElements"] = {"membershipId": membership_id, "identityStoreId": self.store_id}
        return event

    def membership_deleted(self, now: datetime, membership_id: str) -> dict[str, Any]:
        """DeleteGroupMembership through the Identity Store API: the record names only the membership."""
        event = self._event(LEAVE_SAMPLE, now)
        event["detail"]["requestParameters"]["membershipId"] = membership_id
        return event

    def _event(self, sample: str, now: datetime) -> dict[str, Any]:
        event: dict[str, Any] = copy.deepcopy(self._samples[sample])
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        event.update(id=str(uuid.uuid4()), region=self.region, time=stamp)
        detail = event["detail"]
        detail.update(
            eventTime=stamp,
            awsRegion=self.region,
            eventID=str(uuid.uuid4()),
            requestID=str(uuid.uuid4()),
        )
        detail["requestParameters"]["identityStoreId"] = self.store_id
        return event
