"""Step 4: someone leaves their group and is offboarded (``retain``); the reconciliation then finds nothing to do."""

from __future__ import annotations

from demo.narrative import Narrator
from demo.step_onboarding import assignments, managed_profiles, settle
from demo.world import World

LEAVER = "omar.haddad@example.com"
OFFBOARDED_TAG = "domain-steward:offboarded"  # INTERFACES.md: when a retained profile was offboarded
RECONCILE = "ReconcileFunctionSchedule"


def run(world: World, story: Narrator) -> None:
    leaver = world.person(LEAVER)
    story.chapter(
        "Leaving: offboarding with `retain`, then a reconciliation",
        f"{LEAVER} moves to another team: a script removes them from {leaver.group} through the Identity Store API "
        "(DeleteGroupMembership, whose record names only the membership). The domain's offboarding is `retain`: "
        "stop their apps and take their access away, keep their profile, spaces and files.",
    )
    world.client("identitystore").delete_group_membership(
        IdentityStoreId=world.store_id, MembershipId=leaver.membership_id
    )
    response = world.cloud.put_events([world.trail.membership_deleted(world.cloud.clock.now(), leaver.membership_id)])
    settle(world)

    profile = managed_profiles(world).get(leaver.profile, {})
    sagemaker = world.client("sagemaker")
    apps = sagemaker.list_apps(DomainIdEquals=world.domain_id, UserProfileNameEquals=leaver.profile)["Apps"]
    spaces = [s["SpaceName"] for s in sagemaker.list_spaces(DomainIdEquals=world.domain_id)["Spaces"]]
    assigned = assignments(world)
    story.table(
        f"{leaver.profile} after leaving",
        ("Profile", "Offboarded at", "Apps", "Space kept", "Assigned"),
        [
            (
                profile.get("Status", "gone"),
                profile.get("Tags", {}).get(OFFBOARDED_TAG, "-"),
                ", ".join(f"{a['AppType']} {a['Status']}" for a in apps) or "-",
                "yes" if f"{leaver.profile}-space" in spaces else "no",
                "yes" if leaver.user_id in assigned else "no",
            )
        ],
    )
    failed = response["FailedEntryCount"]
    story.check("the leave event was accepted by EventBridge", failed == 0, f"{failed} failed")
    story.check(
        "the profile is kept and tagged as offboarded",
        profile.get("Status") == "InService" and OFFBOARDED_TAG in profile.get("Tags", {}),
        profile.get("Tags", {}).get(OFFBOARDED_TAG, "no tag"),
    )
    story.check(
        "their apps are stopped and their space is kept",
        all(a["Status"] in {"Deleting", "Deleted"} for a in apps) and f"{leaver.profile}-space" in spaces,
        ", ".join(f"{a['AppType']}: {a['Status']}" for a in apps),
    )
    story.check(
        "only they lost their assignment",
        assigned == {p.user_id for p in world.people if p.user_name != LEAVER},
        f"{len(assigned)} assignments",
    )

    story.clock(world.cloud.clock.now(), "The hourly reconciliation compares group members with managed profiles.")
    (delivery,) = world.cloud.run_schedule(RECONCILE)
    if delivery.error is not None:
        raise RuntimeError(f"the reconciliation failed: {delivery.error}")
    report = delivery.result
    settle(world)
    story.table(
        "Reconciliation",
        ("Domain", "Differences"),
        ((d.get("domain_id", world.domain_id), len(d["differences"])) for d in report["Domains"]),
    )
    story.check("the reconciliation finds nothing to repair", report["Differences"] == 0, report["Differences"])
