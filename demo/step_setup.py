"""Step 1: an Identity Center directory, an SSO domain in a VPC, and the configuration that maps two groups."""

from __future__ import annotations

from typing import Any

import yaml

from demo.narrative import Narrator
from demo.world import LATENCIES, PEOPLE, ROLES, Person, World

# The template's ConfigParameterName default: where the functions read the configuration.
CONFIG_PARAMETER = "/domain-steward/config"
# The tags each group's profiles get (and their apps, which inherit profile tags: AWS-FACTS §4).
TEAMS = {"DataScientists": "data-science", "Analysts": "analytics"}


def run(world: World, story: Narrator) -> None:
    story.chapter(
        "Identity Center, an SSO domain and the configuration",
        "An administrator has IAM Identity Center with two groups, and creates a Studio domain that signs people in "
        "through it.",
    )
    _directory(world)
    story.table(
        "Identity Center users",
        ("User name", "Group", "Joins through", "User id"),
        ((p.user_name, p.group, p.source, p.user_id) for p in world.people),
    )
    _domain(world)
    domain = world.client("sagemaker").describe_domain(DomainId=world.domain_id)
    story.table(
        "Studio domain",
        ("Domain", "Auth", "VPC", "Subnets", "Home EFS", "Status"),
        [
            (
                world.domain_id,
                domain["AuthMode"],
                domain["VpcId"],
                ", ".join(domain["SubnetIds"]),
                domain["HomeEfsFileSystemId"],
                domain["Status"],
            )
        ],
    )
    config = configuration(world.domain_id)
    apply_configuration(world, config)
    story.say(f"The configuration, put into SSM parameter [bold]{CONFIG_PARAMETER}[/bold]:")
    story.say(yaml.safe_dump(config, sort_keys=False).rstrip())
    story.check("the domain is InService with SSO sign-in", domain["Status"] == "InService", domain["Status"])
    story.check(
        "the domain registered an Identity Center application",
        bool(domain.get("SingleSignOnApplicationArn")),
        domain.get("SingleSignOnApplicationArn", "none"),
    )
    stored = world.client("ssm").get_parameter(Name=CONFIG_PARAMETER)["Parameter"]["Value"]
    story.check("the configuration is in SSM", yaml.safe_load(stored) == config, CONFIG_PARAMETER)


def _directory(world: World) -> None:
    identity_store = world.client("identitystore")
    instance = world.client("sso-admin").list_instances()["Instances"][0]
    world.store_id = str(instance["IdentityStoreId"])
    for name in ROLES:
        response = identity_store.create_group(IdentityStoreId=world.store_id, DisplayName=name)
        world.groups[name] = str(response["GroupId"])
    for user_name, group, source in PEOPLE:
        person = Person(user_name, group, source, user_id=world.cloud.identity_center_user(user_name))
        world.people.append(person)


def _domain(world: World) -> None:
    ec2 = world.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{world.cloud.region}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate("ab")
    ]
    sagemaker = world.client("sagemaker")
    world.domain_id = str(
        sagemaker.create_domain(
            DomainName="research-studio",
            AuthMode="SSO",
            DefaultUserSettings={"ExecutionRole": ROLES["DataScientists"]},
            VpcId=vpc_id,
            SubnetIds=subnets,
        )["DomainId"]
    )
    # CreateDomain returns at once; the domain is Pending until SageMaker has built its EFS and network.
    # (docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeDomain.html lists the statuses.)
    world.cloud.clock.advance(LATENCIES.domain_create)
    world.home_efs = str(sagemaker.describe_domain(DomainId=world.domain_id)["HomeEfsFileSystemId"])


def configuration(domain_id: str) -> dict[str, Any]:
    """The configuration of config/example.yaml's shape, for this domain (README "Configuration")."""
    return {
        "version": 1,
        "domains": [
            {
                "domain_id": domain_id,
                "offboarding": "retain",
                "groups": [
                    {
                        "group": "DataScientists",
                        "execution_role": ROLES["DataScientists"],
                        "tags": {"team": TEAMS["DataScientists"]},
                        "default_space": {"app_type": "JupyterLab", "instance_type": "ml.t3.medium", "ebs_size_gb": 5},
                    },
                    {
                        "group": "Analysts",
                        "execution_role": ROLES["Analysts"],
                        "tags": {"team": TEAMS["Analysts"]},
                        "default_space": {"app_type": "CodeEditor", "instance_type": "ml.t3.medium", "ebs_size_gb": 5},
                    },
                ],
                "autostop": {"idle_minutes": 60, "warn_minutes": 15, "max_runtime_hours": 12},
            }
        ],
    }


def apply_configuration(world: World, config: dict[str, Any]) -> None:
    """Put the configuration where the functions read it.

    The operator CLI (issue 9, `domain-steward config apply FILE`) is being built alongside this demo; once
    ``domain_steward_cli`` exists, switch this to ``domain_steward_cli.main(["config", "apply", path])`` so the demo
    shows the command operators use.
    """
    world.client("ssm").put_parameter(
        Name=CONFIG_PARAMETER, Value=yaml.safe_dump(config, sort_keys=False), Type="String", Overwrite=True
    )
