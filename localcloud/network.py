"""The network a SageMaker domain needs, made in one call for tests, benchmarks and demos.

CreateDomain takes a VPC and subnets (``VpcId``, ``SubnetIds``); a domain's home EFS gets one mount target per
Availability Zone, so a realistic domain spans subnets in two zones.
"""

from __future__ import annotations

from typing import Any


def create_studio_vpc(ec2: Any, *, cidr_prefix: str = "10.0", zones: int = 2) -> dict[str, Any]:
    """A VPC ``<cidr_prefix>.0.0/16`` with one /24 subnet in each of ``zones`` Availability Zones of the client's
    Region. Returns ``{"VpcId": ..., "SubnetIds": [...]}``, ready to spread into ``create_domain(**network)``."""
    region = ec2.meta.region_name
    vpc_id = ec2.create_vpc(CidrBlock=f"{cidr_prefix}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{cidr_prefix}.{index}.0/24", AvailabilityZone=f"{region}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for index, zone in enumerate("abcdef"[:zones])
    ]
    return {"VpcId": vpc_id, "SubnetIds": subnets}
