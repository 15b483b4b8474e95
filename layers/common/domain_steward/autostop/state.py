"""What one sweep leaves for the next, in the auto-stop DynamoDB table.

Items are keyed ``DomainId`` (partition) and ``AppKey`` (sort):

- a warning: ``DomainId`` = the domain, ``AppKey`` = :attr:`SweptApp.key`, ``WarnedAt`` and ``AppCreated``
  (ISO 8601), expiring a week later (``ExpiresAt``, the table's TTL attribute) should the app disappear;
- the cursor: ``DomainId`` = ``#sweep``, ``AppKey`` = ``cursor``, ``NextDomainId``: where a sweep that ran
  out of time stopped, so the next one starts there.

One ``Query`` reads a domain's warnings, so the cost does not grow with the number of apps.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain_steward.autostop.policy import Warning

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CURSOR_PARTITION = "#sweep"
CURSOR_KEY = "cursor"
WARNING_LIFETIME = timedelta(days=7)


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class SweepState:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table = table_name

    def warnings(self, domain_id: str) -> dict[str, Warning]:
        found: dict[str, Warning] = {}
        paginator = self.dynamodb.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="DomainId = :d",
            ExpressionAttributeValues={":d": {"S": domain_id}},
            ConsistentRead=True,
        ):
            for item in page.get("Items", []):
                warned = _time(item.get("WarnedAt", {}).get("S"))
                if warned is not None:
                    created = _time(item.get("AppCreated", {}).get("S"))
                    found[item["AppKey"]["S"]] = Warning(warned_at=warned, app_created=created)
        return found

    def warn(self, domain_id: str, app_key: str, warned_at: datetime, app_created: datetime | None) -> None:
        item: dict[str, Any] = {
            "DomainId": {"S": domain_id},
            "AppKey": {"S": app_key},
            "WarnedAt": {"S": warned_at.isoformat()},
            "ExpiresAt": {"N": str(int((warned_at + WARNING_LIFETIME).timestamp()))},
        }
        if app_created is not None:
            item["AppCreated"] = {"S": app_created.isoformat()}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def forget(self, domain_id: str, app_key: str) -> None:
        self.dynamodb.delete_item(TableName=self.table, Key={"DomainId": {"S": domain_id}, "AppKey": {"S": app_key}})

    def cursor(self) -> str | None:
        item = self.dynamodb.get_item(
            TableName=self.table,
            Key={"DomainId": {"S": CURSOR_PARTITION}, "AppKey": {"S": CURSOR_KEY}},
            ConsistentRead=True,
        ).get("Item")
        return item["NextDomainId"]["S"] if item and "NextDomainId" in item else None

    def set_cursor(self, domain_id: str | None) -> None:
        key = {"DomainId": {"S": CURSOR_PARTITION}, "AppKey": {"S": CURSOR_KEY}}
        if domain_id is None:
            self.dynamodb.delete_item(TableName=self.table, Key=key)
            return
        self.dynamodb.put_item(TableName=self.table, Item={**key, "NextDomainId": {"S": domain_id}})
