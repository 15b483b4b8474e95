"""Step 2: people join the mapped groups; their CloudTrail records reach the deployed rule, queue and function."""

from __future__ import annotations

from typing import Any

from demo.narrative import Narrator
from demo.step_setup import TEAMS
from demo.world import LATENCIES, ROLES, World

USER_ID_TAG = "domain-steward:user-id"  # INTERFACES.md: the Identity Center user a managed profile belongs to


def run(world: World, story: Narrator) -> None:
    story.chapter(
        "Joining: profiles, default spaces and access appear",
        "Each person is added to their group: by an admin in the console, by a script through the Identity Store "
        "API, or by the IdP over SCIM. CloudTrail records each change; EventBridge routes it to the stack's queue "
        "and OnboardingFunction.",
    )
    identity_store = world.client("identitystore")
    events = []
    for person in world.people:
        person.membership_id = str(
            identity_store.create_group_membership(
                IdentityStoreId=world.store_id, GroupId=world.groups[person.group], MemberId={"UserId": person.user_id}
            )["MembershipId"]
        )
        now = world.cloud.clock.now()
        events.append(
            world.trail.join(person.source, now, world.groups[person.group], person.user_id, person.membership_id)
        )
    response = world.cloud.put_events(events)
    story.say(f"{len(events)} CloudTrail events put on the bus; the queue was drained into OnboardingFunction.")
    settle(world)

    profiles = managed_profiles(world)
    for person in world.people:
        person.profile = next(
            (name for name, p in profiles.items() if p["Tags"].get(USER_ID_TAG) == person.user_id), ""
        )
    spaces = {
        s["SpaceName"]: s for s in world.client("sagemaker").list_spaces(DomainIdEquals=world.domain_id)["Spaces"]
    }
    owned = {s["OwnershipSettingsSummary"]["OwnerUserProfileName"]: s for s in spaces.values()}
    assigned = assignments(world)
    story.table(
        "Provisioned by OnboardingFunction and the provisioning workflow",
        ("User", "Profile", "Group", "Default space", "Assigned"),
        (
            (
                p.user_name,
                p.profile or "-",
                p.group,
                owned[p.profile]["SpaceName"] if p.profile in owned else "-",
                "yes" if p.user_id in assigned else "no",
            )
            for p in world.people
        ),
    )
    failed = response["FailedEntryCount"]
    story.check("every event was accepted by EventBridge", failed == 0, f"{failed} failed")
    story.check(
        "every member has an InService profile signed in by user name",
        all(
            p.profile
            and profiles[p.profile]["Status"] == "InService"
            and profiles[p.profile].get("SingleSignOnUserValue") == p.user_name
            for p in world.people
        ),
        f"{len(profiles)} profiles",
    )
    story.check(
        "every profile has its group's execution role and tags",
        all(
            profiles[p.profile]["UserSettings"].get("ExecutionRole") == ROLES[p.group]
            and profiles[p.profile]["Tags"].get("team") == TEAMS[p.group]
            for p in world.people
            if p.profile
        ),
        ", ".join(sorted({ROLES[p.group].rsplit("/", 1)[-1] for p in world.people})),
    )
    story.check(
        "every member owns an InService private space",
        all(
            p.profile in owned
            and owned[p.profile]["Status"] == "InService"
            and owned[p.profile]["SpaceSharingSettingsSummary"]["SharingType"] == "Private"
            for p in world.people
        ),
        f"{len(spaces)} spaces",
    )
    story.check(
        "every member is assigned to the domain's Identity Center application",
        assigned == {p.user_id for p in world.people},
        f"{len(assigned)} assignments",
    )
    dead = queue_depth(world, "IdentityCenterEventsDeadLetterQueueUrl")
    story.check("no event went to the dead-letter queue", dead == 0, f"{dead} dead letters")


def settle(world: World) -> None:
    """Let the provisioning workflows the function started finish; they wait on the virtual clock."""
    sfn = world.client("stepfunctions")
    arn = world.stack.state_machine_arn("ProvisionProfileStateMachine")
    for execution in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
        world.stack.wait_for_execution(execution["executionArn"])
    world.cloud.clock.advance(LATENCIES.space_create)


def managed_profiles(world: World) -> dict[str, dict[str, Any]]:
    """Every profile of the domain: DescribeUserProfile with its tags as a dict."""
    sagemaker = world.client("sagemaker")
    found: dict[str, dict[str, Any]] = {}
    for page in sagemaker.get_paginator("list_user_profiles").paginate(DomainIdEquals=world.domain_id):
        for summary in page["UserProfiles"]:
            name = summary["UserProfileName"]
            description = sagemaker.describe_user_profile(DomainId=world.domain_id, UserProfileName=name)
            tags = sagemaker.list_tags(ResourceArn=description["UserProfileArn"])["Tags"]
            found[name] = {**description, "Tags": {t["Key"]: t["Value"] for t in tags}}
    return found


def assignments(world: World) -> set[str]:
    """Who may sign in: the principals assigned to the domain's Identity Center application (AWS-FACTS §4)."""
    application = world.client("sagemaker").describe_domain(DomainId=world.domain_id)["SingleSignOnApplicationArn"]
    listing = world.client("sso-admin").list_application_assignments(ApplicationArn=application)
    return {str(a["PrincipalId"]) for a in listing["ApplicationAssignments"]}


def queue_depth(world: World, output: str) -> int:
    attributes = world.client("sqs").get_queue_attributes(
        QueueUrl=world.stack.outputs[output],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])
