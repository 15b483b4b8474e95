"""Step 5: the domain is torn down with its home EFS, progress shown as the workflow goes, and nothing remains."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from botocore.exceptions import ClientError

from demo.narrative import Narrator
from demo.world import World

STATE_MACHINE = "TeardownStateMachine"
POLL_SECONDS = 0.5  # real time between looks at the execution (it runs in the local cloud's worker thread)
TIMEOUT_SECONDS = 60.0
HISTORY_PAGE = 25
# The task state that works through the stages, one round at a time; its output carries the progress
# (statemachine/teardown.asl.json). Other task states are shown by name as they start.
ROUND = "Round"
# SageMaker tags what it creates for a domain (home EFS, NFS security groups) with the domain's ARN (AWS-FACTS §2).
MANAGED_BY = "ManagedByAmazonSageMakerResource"


def run(world: World, story: Narrator) -> None:
    story.chapter(
        "Teardown: the domain and everything it left behind",
        "The project ends. The administrator starts TeardownStateMachine with HomeEfsFileSystem: Delete: apps, "
        "spaces, profiles and the domain go in AWS's order, then the home EFS, its mount targets and the NFS "
        "security groups SageMaker created.",
    )
    execution_input = {"DomainId": world.domain_id, "Confirm": world.domain_id, "HomeEfsFileSystem": "Delete"}
    story.say(f"Input: {json.dumps(execution_input)}")
    sfn = world.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=world.stack.state_machine_arn(STATE_MACHINE),
        # AWS names an execution started without a name with a UUID
        # (docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
        name=str(uuid.uuid4()),
        input=json.dumps(execution_input),
    )["executionArn"]
    description = _follow(world, story, arn)
    report = json.loads(description.get("output") or "{}")
    story.table(
        "Teardown report",
        ("Resources", "Planned", "Deleted by the teardown"),
        (
            (kind, report.get("Counts", {}).get("Plan", {}).get(kind, "-"), count)
            for kind, count in report.get("Counts", {}).get("Deleted", {}).items()
        ),
    )
    story.check("the execution succeeded", description["status"] == "SUCCEEDED", description["status"])
    for expectation, left in _remains(world).items():
        story.check(expectation, not left, ", ".join(left) or "none left")


def _follow(world: World, story: Narrator, arn: str) -> dict[str, Any]:
    """Show each stage as the workflow reports it, until the execution ends."""
    sfn = world.client("stepfunctions")
    last_id, shown = 0, ""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        description: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        # The newest events only, newest first (docs.aws.amazon.com/step-functions/latest/apireference/
        # API_GetExecutionHistory.html: reverseOrder, maxResults): reading the whole history on every look costs
        # more as it grows. Sorted by id, so a history returned oldest first (moto ignores both) reads the same.
        latest = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=HISTORY_PAGE)["events"]
        for event in sorted(latest, key=lambda e: int(e["id"])):
            if event["id"] <= last_id:
                continue
            last_id = event["id"]
            line = _progress(event)
            if line and line != shown:
                story.clock(event["timestamp"], line)
                shown = line
        if description["status"] != "RUNNING":
            return description
        if time.monotonic() > deadline:
            raise TimeoutError(f"the teardown {arn} still runs after {TIMEOUT_SECONDS:.0f} s")
        time.sleep(POLL_SECONDS)


def _progress(event: dict[str, Any]) -> str:
    """What a history event says about the teardown's progress: a stage and what is left in it, or a step."""
    if event["type"] == "TaskStateEntered":
        name = str(event["stateEnteredEventDetails"]["name"])
        return "" if name == ROUND else name
    details = event.get("stateExitedEventDetails")
    if event["type"] != "TaskStateExited" or not details or details["name"] != ROUND:
        return ""
    progress = json.loads(details["output"]).get("Teardown", {})
    remaining = progress.get("Remaining") or {}
    left = ", ".join(f"{kind}: {count}" for kind, count in remaining.items()) or "nothing"
    return f"stage {progress.get('Stage')}: {left} to delete"


def _remains(world: World) -> dict[str, list[str]]:
    """What is left of the domain, looked up as a clean-up must find it (AWS-FACTS §2): by id, by SageMaker's
    ManagedByAmazonSageMakerResource tag, and the two NFS security groups by their names."""
    sagemaker, efs, ec2 = world.client("sagemaker"), world.client("efs"), world.client("ec2")
    domain_id = world.domain_id
    try:
        sagemaker.describe_domain(DomainId=domain_id)
        domains = [domain_id]
    except ClientError as error:
        # DescribeDomain of a deleted domain answers ResourceNotFound
        # (docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeDomain.html).
        if error.response["Error"]["Code"] != "ResourceNotFound":
            raise
        domains = []
    apps = [
        f"{a['AppType']}/{a.get('SpaceName') or a.get('UserProfileName')}"
        for a in sagemaker.list_apps(DomainIdEquals=domain_id)["Apps"]
        if a["Status"] != "Deleted"  # a deleted app stays listed about 24 h (AWS-FACTS §1)
    ]
    spaces = [s["SpaceName"] for s in sagemaker.list_spaces(DomainIdEquals=domain_id)["Spaces"]]
    profiles = [p["UserProfileName"] for p in sagemaker.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]]
    suffix = f"/{domain_id}"
    file_systems = [
        fs["FileSystemId"]
        for fs in efs.describe_file_systems()["FileSystems"]
        if fs["FileSystemId"] == world.home_efs
        or any(t["Key"] == MANAGED_BY and t["Value"].endswith(suffix) for t in fs["Tags"])
    ]
    mount_targets = [
        target["MountTargetId"]
        for fs_id in file_systems
        for target in efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
    ]
    names = {f"security-group-for-inbound-nfs-{domain_id}", f"security-group-for-outbound-nfs-{domain_id}"}
    groups = [
        g["GroupId"]
        for g in ec2.describe_security_groups()["SecurityGroups"]
        if g["GroupName"] in names
        or any(
            t["Key"] == "ManagedByAmazonSageMakerResource" and t["Value"].endswith(suffix) for t in g.get("Tags", [])
        )
    ]
    return {
        "no app remains": apps,
        "no space remains": spaces,
        "no user profile remains": profiles,
        "the domain is gone": domains,
        "the home EFS is gone": file_systems,
        "no mount target remains": mount_targets,
        "no NFS security group remains": groups,
    }
