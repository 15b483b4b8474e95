"""What onboarding costs in AWS API calls, on the local cloud with the deployed stack.

    python -m benchmarks.onboarding [--members N] [--output FILE]          (make bench)

Printed, and written to ``.bench/onboarding.json`` (or ``--output``):

- ``join``: calls for one member joining a mapped group of an SSO domain whose group has a default space
  (rule → queue → OnboardingFunction, then the provisioning workflow), by operation. ``marginal`` is the
  cost per join inside a batch of 10, once the invocation's lookups (configuration, Identity Center
  instance, group id, domain and its tags) are shared. Target: at most 6.
- ``leave``: the same for one member leaving (``retain``: stop apps, unassign, tag).
- ``reconcile``: one reconciliation of 1,000 members (``--members``) in steady state (nothing to repair) and as a
  backfill, against the lower bound: one page per 100 members, per 100 profiles, per 100 spaces and per 100
  application assignments, plus the per-run lookups, plus one call per repair it makes.

Counted: calls to SageMaker, IAM Identity Center (identitystore, sso-admin), Step Functions, SNS and SSM;
the stack's own DynamoDB tables (records, idempotency) are counted apart.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from localcloud import LocalCloud
from localcloud.harness.stack import Stack
from localcloud.sagemaker import Latencies

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
RESULTS = ROOT / ".bench" / "onboarding.json"  # .bench/ is git-ignored
ROLE = "arn:aws:iam::123456789012:role/SageMakerExecution"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
CONTROL = {"sagemaker", "identitystore", "sso-admin", "stepfunctions", "sns", "ssm"}
PAGE = 100


class Bench:
    def __init__(self, cloud: LocalCloud, stack: Stack) -> None:
        self.cloud, self.stack = cloud, stack
        self.ids = cloud.client("identitystore")
        self.store = cloud.client("sso-admin").list_instances()["Instances"][0]["IdentityStoreId"]
        self.sagemaker = cloud.client("sagemaker")

    def sso_domain(self) -> str:
        ec2 = self.cloud.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
        domain = self.sagemaker.create_domain(
            DomainName="bench",
            AuthMode="SSO",
            DefaultUserSettings={"ExecutionRole": ROLE},
            VpcId=vpc,
            SubnetIds=[subnet["SubnetId"]],
        )["DomainId"]
        self.cloud.clock.advance(Latencies().domain_create)
        return str(domain)

    def configure(self, domain: str) -> None:
        group = {"group": "DataScientists", "execution_role": ROLE, "default_space": {"app_type": "JupyterLab"}}
        config = {"version": 1, "domains": [{"domain_id": domain, "groups": [group]}]}
        self.cloud.client("ssm").put_parameter(
            Name="/domain-steward/config", Value=yaml.safe_dump(config), Type="String"
        )

    def event(self, name: str, request: dict[str, Any]) -> dict[str, Any]:
        detail = {"eventSource": "sso-directory.amazonaws.com", "eventName": name, "requestParameters": request}
        return {"Source": "aws.sso-directory", "DetailType": "AWS API Call via CloudTrail", "Detail": detail}

    def measure(self, events: list[dict[str, Any]]) -> tuple[Counter[str], int]:
        """Control-plane calls by operation, and DynamoDB calls, for delivering ``events`` in one batch."""
        before = len(self.cloud.calls)
        self.stack.put_events(events)
        sfn = self.stack.client("stepfunctions")
        machine = self.stack.state_machine_arn("ProvisionProfileStateMachine")
        for execution in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
            self.stack.wait_for_execution(execution["executionArn"])
        calls = list(self.cloud.calls)[before:]
        control = Counter(f"{c.service}:{c.operation}" for c in calls if c.service in CONTROL)
        control -= Counter({"stepfunctions:ListExecutions": 99, "stepfunctions:DescribeExecution": 99})
        return control, sum(1 for c in calls if c.service == "dynamodb")

    def members(self, group: str, count: int, prefix: str) -> list[str]:
        users = [self.cloud.identity_center_user(f"{prefix}{i:04d}") for i in range(count)]
        for user in users:
            self.ids.create_group_membership(IdentityStoreId=self.store, GroupId=group, MemberId={"UserId": user})
        return users

    def reconcile(self) -> tuple[Counter[str], dict[str, Any]]:
        before = len(self.cloud.calls)
        (delivery,) = self.stack.run_schedule("ReconcileFunctionSchedule")
        sfn = self.stack.client("stepfunctions")
        machine = self.stack.state_machine_arn("ProvisionProfileStateMachine")
        for execution in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
            self.stack.wait_for_execution(execution["executionArn"])
        calls = list(self.cloud.calls)[before:]
        control = Counter(f"{c.service}:{c.operation}" for c in calls if c.service in CONTROL)
        control -= Counter({"stepfunctions:ListExecutions": 99, "stepfunctions:DescribeExecution": 99})
        return control, delivery.result


def run(members: int = 1000) -> dict[str, Any]:
    with LocalCloud(start=START, latencies=Latencies()) as cloud:
        stack = cloud.deploy(TEMPLATE)
        bench = Bench(cloud, stack)
        domain = bench.sso_domain()
        bench.configure(domain)
        group = bench.ids.create_group(IdentityStoreId=bench.store, DisplayName="DataScientists")["GroupId"]

        (first,) = bench.members(group, 1, "solo")
        add = {"identityStoreId": bench.store, "groupId": group}
        join, join_db = bench.measure([bench.event("AddMemberToGroup", {**add, "member": {"memberId": first}})])
        cloud.clock.advance(600)
        batch = bench.members(group, 10, "batch")
        joins, _ = bench.measure([bench.event("AddMemberToGroup", {**add, "member": {"memberId": u}}) for u in batch])
        cloud.clock.advance(600)

        membership = bench.ids.get_group_membership_id(
            IdentityStoreId=bench.store, GroupId=group, MemberId={"UserId": first}
        )["MembershipId"]
        bench.ids.delete_group_membership(IdentityStoreId=bench.store, MembershipId=membership)
        leave, leave_db = bench.measure([bench.event("RemoveMemberFromGroup", {**add, "memberId": first})])

        bench.members(group, members - len(batch), "member")
        backfill, backfill_report = bench.reconcile()
        cloud.clock.advance(600)
        bench.reconcile()  # records each profile's LastModifiedTime once InService
        steady, steady_report = bench.reconcile()

    lookups = Counter({"ssm:GetParameter": 1, "sso-admin:ListInstances": 1, "identitystore:GetGroupId": 1})
    lookups += Counter({"sagemaker:DescribeDomain": 1, "sagemaker:ListTags": 1})
    per_join = {op: n - lookups.get(op, 0) for op, n in joins.items() if n - lookups.get(op, 0) > 0}
    members = steady_report["Domains"][0]["members"]
    lower_bound = 4 * math.ceil(members / PAGE) + sum(lookups.values())
    repairs = sum(len(d["actions"]) for d in backfill_report["Domains"][0]["differences"])
    return {
        "join": {
            "calls": sum(join.values()),
            "by_operation": dict(sorted(join.items())),
            "dynamodb_calls": join_db,
            "marginal_in_a_batch_of_10": round(sum(per_join.values()) / len(batch), 2),
            # What provisioning needs, without the administrators' notice (SNS Publish).
            "provisioning_per_join": round(sum(n for op, n in per_join.items() if op != "sns:Publish") / len(batch), 2),
            "marginal_by_operation": {op: n / len(batch) for op, n in sorted(per_join.items())},
            "target": 6,
        },
        "leave": {
            "calls": sum(leave.values()),
            "by_operation": dict(sorted(leave.items())),
            "dynamodb_calls": leave_db,
        },
        "reconcile": {
            "members": members,
            "steady_state_calls": sum(steady.values()),
            "steady_state_by_operation": dict(sorted(steady.items())),
            "lower_bound": lower_bound,
            "backfill_calls": sum(backfill.values()),
            "backfill_repair_actions": repairs,
            "backfill_by_operation": dict(sorted(backfill.items())),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=1000, help="group members to reconcile (default 1,000)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON figures")
    args = parser.parse_args(argv)
    if args.members < 11:
        parser.error("--members must be at least 11 (the join batch of 10 and the leaver are members too)")
    output: Path = args.output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    # The functions log JSON lines on stdout, as in Lambda: kept in a file so the figures stay readable.
    functions_log = output.with_name(output.stem + "-functions.log")
    with functions_log.open("w") as log, contextlib.redirect_stdout(log):
        results = run(args.members)
    output.write_text(json.dumps(results, indent=2) + "\n")
    join, leave, reconcile = results["join"], results["leave"], results["reconcile"]
    print(
        f"join:  {join['calls']} calls alone; per join in a batch of 10: {join['provisioning_per_join']} to "
        f"provision (target <= {join['target']}), plus the notice: {join['marginal_by_operation']}"
    )
    print(f"leave: {leave['calls']} calls: {leave['by_operation']}")
    print(
        f"reconcile {reconcile['members']} members: steady {reconcile['steady_state_calls']} calls "
        f"(lower bound {reconcile['lower_bound']}); backfill {reconcile['backfill_calls']} calls for "
        f"{reconcile['backfill_repair_actions']} repair actions"
    )
    print(f"written to {output} (the functions' log lines: {functions_log})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
