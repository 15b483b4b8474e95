"""``create_studio_vpc``: the network a domain needs, in the client's Region."""

from __future__ import annotations

from localcloud import LocalCloud
from localcloud.network import create_studio_vpc


def test_a_studio_vpc_has_one_subnet_per_zone_in_the_clients_region():
    with LocalCloud(region="eu-west-1") as cloud:
        ec2 = cloud.client("ec2")
        network = create_studio_vpc(ec2, cidr_prefix="10.7", zones=3)
        subnets = ec2.describe_subnets(SubnetIds=network["SubnetIds"])["Subnets"]
        assert sorted(s["AvailabilityZone"] for s in subnets) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
        assert {s["VpcId"] for s in subnets} == {network["VpcId"]}
        assert sorted(s["CidrBlock"] for s in subnets) == ["10.7.0.0/24", "10.7.1.0/24", "10.7.2.0/24"]
        # What CreateDomain takes, as it is.
        cloud.client("sagemaker").create_domain(
            DomainName="studio",
            AuthMode="IAM",
            DefaultUserSettings={"ExecutionRole": "arn:aws:iam::123456789012:role/x"},
            **network,
        )
