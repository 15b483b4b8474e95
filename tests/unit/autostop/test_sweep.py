"""What a sweep covers and what it never touches (issue 8, Tests), on the local cloud."""

from __future__ import annotations

import json

from domain_steward.config import parse_config
from localcloud import LocalCloud
from tests.unit.autostop.support import Studio, Sweeper, config, heartbeat
from tests.unit.studio_builder import ROLE

TEARDOWN = "domain-steward:teardown"


def test_a_domain_under_teardown_is_left_alone(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    execution = "arn:aws:states:us-east-1:123456789012:execution:domain-steward-Teardown:t1"
    domain = studio.domain(Tags=[{"Key": TEARDOWN, "Value": execution}])
    studio.profile(domain, "ana")
    canvas = studio.app(domain, "Canvas", UserProfileName="ana")
    cloud.clock.advance(3 * 3600)
    before = cloud.calls.count("sagemaker", "ListApps")

    report = sweeper.run(config(domain, idle_minutes=60))

    assert studio.status(canvas) == "InService"
    assert domain in report.skipped_domains
    assert cloud.calls.count("sagemaker", "ListApps") == before


def test_the_rstudio_server_and_studio_classic_servers_are_never_stopped(
    cloud: LocalCloud, studio: Studio, sweeper: Sweeper
):
    # RStudio domains run the domain-shared RStudioServerPro app
    # (https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-create-cli.html).
    domain = studio.domain(DomainSettings={"RStudioServerProDomainSettings": {"DomainExecutionRoleArn": ROLE}})
    studio.profile(domain, "ana")
    server = {
        "DomainId": domain,
        "AppType": "RStudioServerPro",
        "AppName": "default",
        "UserProfileName": "domain-shared",
    }
    classic = studio.app(domain, "JupyterServer", UserProfileName="ana")
    cloud.clock.advance(48 * 3600)

    report = sweeper.run(config(domain, idle_minutes=60, max_runtime_hours=1))

    assert studio.status(server) == "InService"
    assert studio.status(classic) == "InService"
    assert report.evaluated == 0
    reasons = {line["app_type"]: line["reason"] for line in sweeper.lines if "app_type" in line}
    assert "RStudio server" in reasons["RStudioServerPro"]
    assert "free instance" in reasons["JupyterServer"]


def test_apps_that_are_not_in_service_are_untouched(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    for name in ("pending", "deleting", "failed"):
        studio.profile(domain, name)
    deleting = studio.app(domain, "Canvas", UserProfileName="deleting")
    failed = studio.app(domain, "Canvas", UserProfileName="failed")
    cloud.clock.advance(3 * 3600)
    cloud.fail_app(domain, "Canvas", "default", "Injected failure", user_profile_name="failed")
    cloud.client("sagemaker").delete_app(**deleting)
    pending = studio.app(domain, "Canvas", settle=False, UserProfileName="pending")
    deletes = cloud.calls.count("sagemaker", "DeleteApp")

    report = sweeper.run(config(domain, idle_minutes=1, max_runtime_hours=1))

    assert report.evaluated == 0
    assert cloud.calls.count("sagemaker", "DeleteApp") == deletes
    assert [studio.status(a) for a in (pending, deleting, failed)] == ["Pending", "Deleting", "Failed"]


def test_a_sweep_out_of_time_stops_before_a_domain_and_the_next_carries_on(
    cloud: LocalCloud, studio: Studio, sweeper: Sweeper
):
    domains = sorted(studio.domain(f"studio-{i}") for i in range(2))
    apps = []
    for domain in domains:
        studio.profile(domain, "ana")
        apps.append(studio.app(domain, "Canvas", UserProfileName="ana"))
    cloud.clock.advance(3 * 3600)
    steward = parse_config(
        json.dumps({"version": 1, "domains": [{"domain_id": "*", "autostop": {"idle_minutes": 60}}]})
    )

    # Time enough for the first domain only: the sweep stops before the second and leaves it the cursor.
    starved = sweeper.run(steward, time_left=(900, 900, 10))  # the domain, its stops, the next domain
    assert not starved.complete
    assert starved.domains == domains[:1]
    assert [studio.status(a) for a in apps] == ["Deleting", "InService"]

    carried_on = sweeper.run(steward)
    assert carried_on.complete
    assert carried_on.domains == [domains[1], domains[0]]  # from the cursor on, then round to the start
    assert [studio.status(a) for a in apps] == ["Deleting", "Deleting"]

    cloud.clock.advance(15 * 60)
    assert sweeper.run(steward).domains == domains  # a complete sweep cleared the cursor


def test_the_star_entry_covers_every_other_domain(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    named, other = studio.domain("named"), studio.domain("other")
    for domain in (named, other):
        studio.profile(domain, "ana")
        studio.app(domain, "Canvas", UserProfileName="ana")
    cloud.clock.advance(90 * 60)
    steward = parse_config(
        json.dumps(
            {
                "version": 1,
                "domains": [
                    {"domain_id": named, "autostop": {"idle_minutes": 600}},
                    {"domain_id": "*", "autostop": {"idle_minutes": 60}},
                ],
            }
        )
    )

    report = sweeper.run(steward)

    assert sorted(report.domains) == sorted([named, other])
    by_domain = {line["domain"]: line["decision"] for line in sweeper.lines if "app_type" in line}
    assert by_domain == {named: "keep", other: "stop"}


def test_savings_count_known_prices_and_unknown_types(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    studio.profile(domain, "ana")
    studio.space(domain, "lab", "ana")
    lab = studio.app(domain, "JupyterLab", SpaceName="lab")  # ml.t3.medium
    studio.app(domain, "TensorBoard", UserProfileName="ana")  # no instance type in the table
    heartbeat(cloud, lab, 7200)
    cloud.clock.advance(3 * 3600)
    heartbeat(cloud, lab, 7200 + 3 * 3600)

    report = sweeper.run(config(domain, idle_minutes=60, max_runtime_hours=2))

    assert report.stopped == 2
    assert report.savings.hourly == 0.05  # prices.json: ml.t3.medium, us-east-1
    assert report.savings.unknown == 1


def test_a_summary_goes_to_the_topic_when_a_sweep_stops_something(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    topic = sns.create_topic(Name="notifications")["TopicArn"]
    queue = sqs.create_queue(QueueName="admins")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sweeper.topic_arn = topic
    domain = studio.domain()
    studio.profile(domain, "ana")
    studio.app(domain, "Canvas", UserProfileName="ana")
    cloud.clock.advance(30 * 60)
    policy = config(domain, idle_minutes=60)

    sweeper.run(policy)  # nothing to say
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    cloud.clock.advance(60 * 60)
    sweeper.run(policy)

    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["Subject"].startswith("Domain Steward auto-stop: 1 stopped")
    assert "STOP Canvas/default of user profile ana" in body["Message"]


def test_builtin_idle_settings_are_synced_only_when_they_differ(cloud: LocalCloud, studio: Studio, sweeper: Sweeper):
    domain = studio.domain()
    policy = config(
        domain, idle_minutes=90, sync_builtin_idle_settings=True, app_types={"CodeEditor": {"idle_minutes": 30}}
    )

    sweeper.run(policy)
    cloud.clock.advance(600)
    sweeper.run(policy)

    assert cloud.calls.count("sagemaker", "UpdateDomain") == 1
    settings = cloud.client("sagemaker").describe_domain(DomainId=domain)["DefaultUserSettings"]
    lab = settings["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"]
    code = settings["CodeEditorAppSettings"]["AppLifecycleManagement"]["IdleSettings"]
    assert lab == {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 90}
    # The built-in minimum is 60 minutes (API_IdleSettings.html): a shorter policy leaves ours to act first.
    assert code == {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 60}


def test_a_sweep_out_of_time_between_stops_leaves_the_rest_to_the_next(
    cloud: LocalCloud, studio: Studio, sweeper: Sweeper
):
    domain = studio.domain()
    studio.profile(domain, "ana")
    canvas = studio.app(domain, "Canvas", UserProfileName="ana")
    cloud.clock.advance(3 * 3600)
    policy = config(domain, idle_minutes=60)

    # Time enough to start the domain, none left when its stops would begin.
    starved = sweeper.run(policy, time_left=(900, 10))
    assert (starved.complete, starved.stopped) == (False, 0)
    assert "out of time" in sweeper.decision("default", "ana")["reason"]
    assert studio.status(canvas) == "InService"

    carried_on = sweeper.run(policy)
    assert (carried_on.complete, carried_on.stopped) == (True, 1)
    assert studio.status(canvas) == "Deleting"


def test_tags_are_read_only_for_apps_idle_long_enough_for_a_tag_to_matter(
    cloud: LocalCloud, studio: Studio, sweeper: Sweeper
):
    domain = studio.domain()
    studio.profile(domain, "ana")
    studio.space(domain, "busy", "ana")
    studio.space(domain, "dozing", "ana")
    heartbeat(cloud, studio.app(domain, "JupyterLab", SpaceName="busy"), 0)
    heartbeat(cloud, studio.app(domain, "JupyterLab", SpaceName="dozing"), 600)
    before = len(cloud.calls.calls("sagemaker", "ListTags"))

    sweeper.run(config(domain, idle_minutes=60))

    read = [call.params["ResourceArn"] for call in cloud.calls.calls("sagemaker", "ListTags")[before:]]
    # The domain (for the teardown mark), then the dozing space and its owner: a tag could set 10 minutes.
    assert sorted(arn.split(":")[-1] for arn in read) == sorted(
        [f"domain/{domain}", f"space/{domain}/dozing", f"user-profile/{domain}/ana"]
    )
