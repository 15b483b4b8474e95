"""Step 1: an Identity Center directory, an SSO domain in a VPC, and the configuration that maps two groups."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path
from typing import Any

import yaml
from rich.text import Text

import domain_steward_cli
from demo.narrative import Narrator
from demo.world import LATENCIES, PEOPLE, ROLES, Person, World
from localcloud.network import create_studio_vpc

# The template's ConfigParameterName default: where the functions read the configuration.
CONFIG_PARAMETER = "/domain-steward/config"
CONFIG_FILE = "domain-steward.yaml"
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
    story.say(f"The administrator applies the configuration with the operator CLI; it goes to {CONFIG_PARAMETER}.")
    code = apply_configuration(story, config)
    story.check("the domain is InService with SSO sign-in", domain["Status"] == "InService", domain["Status"])
    story.check(
        "the domain registered an Identity Center application",
        bool(domain.get("SingleSignOnApplicationArn")),
        domain.get("SingleSignOnApplicationArn", "none"),
    )
    stored = world.client("ssm").get_parameter(Name=CONFIG_PARAMETER)["Parameter"]["Value"]
    story.check("`domain-steward config apply` succeeded", code == 0, f"exit code {code}")
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
    network = create_studio_vpc(world.client("ec2"))
    sagemaker = world.client("sagemaker")
    world.domain_id = str(
        sagemaker.create_domain(
            DomainName="research-studio",
            AuthMode="SSO",
            DefaultUserSettings={"ExecutionRole": ROLES["DataScientists"]},
            **network,
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


def apply_configuration(story: Narrator, config: dict[str, Any]) -> int:
    """Apply the configuration as an operator does, with ``domain-steward config apply FILE --yes`` (validate, show
    the diff, put the parameter). The CLI reaches the local cloud through boto3, as it would reach AWS. Returns its
    exit code; what it prints becomes part of the story."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / CONFIG_FILE
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = domain_steward_cli.main(["config", "apply", str(path), "--yes"])
    story.say(f"[bold]$ domain-steward config apply {CONFIG_FILE} --yes[/bold]")
    story.console.print(Text("\n".join(line.rstrip() for line in printed.getvalue().rstrip().splitlines())))
    return code
