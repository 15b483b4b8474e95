"""What the onboarding and reconcile handlers share: the stack's settings (environment variables set by
template.yaml) and the invocation's context built from lazily created clients."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from domain_steward import aws_clients
from domain_steward.config import StewardConfig
from domain_steward.identity import Directory, find_instance
from domain_steward.onboarding.context import Context, Workflows
from domain_steward.onboarding.records import Records

CONFIG_PARAMETER = "CONFIG_PARAMETER_NAME"
RECORDS_TABLE = "RECORDS_TABLE_NAME"
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE_NAME"
NOTIFICATIONS_TOPIC = "NOTIFICATIONS_TOPIC_ARN"
TEARDOWN_STATE_MACHINE = "TEARDOWN_STATE_MACHINE_ARN"
PROVISION_STATE_MACHINE = "PROVISION_STATE_MACHINE_ARN"
# Identity Center lives in its home Region (AWS-FACTS §3); empty when that is the function's own.
IDENTITY_CENTER_REGION = "IDENTITY_CENTER_REGION"


def now() -> datetime:
    # In the local cloud this reads the virtual clock.
    return datetime.now(UTC)


def build_context(config: StewardConfig) -> Context:
    """A fresh context per invocation: group ids and domain facts are cached for this invocation only."""
    home = os.environ.get(IDENTITY_CENTER_REGION) or None
    sso_admin = aws_clients.sso_admin(home)
    instance = find_instance(sso_admin, config)
    return Context(
        config=config,
        sagemaker=aws_clients.sagemaker(),
        sso_admin=sso_admin,
        stepfunctions=aws_clients.stepfunctions(),
        directory=Directory(aws_clients.identitystore(home), instance.identity_store_id),
        records=Records(aws_clients.dynamodb_table(os.environ[RECORDS_TABLE])),
        now=now,
        workflows=Workflows(
            teardown_arn=os.environ.get(TEARDOWN_STATE_MACHINE) or None,
            provision_arn=os.environ.get(PROVISION_STATE_MACHINE) or None,
        ),
    )
