"""Smoke test of the deployed teardown: a small domain goes completely, in one execution, and the admins hear
about it. The scenario matrix of issue 6 is in the other test_teardown_*.py modules."""

from __future__ import annotations

import json

from localcloud import LocalCloud
from tests.integration.conftest import Notifications, StudioBuilder, Teardown, domain_residue


def test_a_small_domain_is_deleted_with_its_residue_and_reported(
    cloud: LocalCloud, studio: StudioBuilder, teardown: Teardown, notifications: Notifications
):
    domain_id = studio.domain()
    studio.populate(domain_id, profiles=2, private_spaces=1, shared_spaces=1, apps={"InService": 3, "Failed": 1})
    file_system_id = cloud.client("sagemaker").describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]

    execution = teardown.run({"DomainId": domain_id, "Confirm": domain_id, "HomeEfsFileSystem": "Delete"})

    report = execution.report()
    assert report["Status"] == "SUCCEEDED"
    assert [stage["Stage"] for stage in report["Stages"]] == ["Apps", "Spaces", "UserProfiles", "Domain", "Leftovers"]
    # A Failed app needs no delete (AWS-FACTS §1, docs.aws.amazon.com/sagemaker/latest/dg/gs-studio-delete-domain.html).
    assert report["Counts"]["Deleted"]["Apps"] == 3
    assert report["Counts"]["Deleted"]["UserProfiles"] == 2
    assert cloud.client("sagemaker").list_domains()["Domains"] == []
    assert domain_residue(cloud, domain_id, file_system_id) == {
        "FileSystems": [],
        "MountTargets": [],
        "SecurityGroups": [],
    }
    [notice] = notifications.received()
    assert notice["Subject"] == f"Domain Steward teardown SUCCEEDED: {domain_id}"
    assert json.loads(notice["Message"].split("Summary:\n", 1)[1])["Counts"] == report["Counts"]
