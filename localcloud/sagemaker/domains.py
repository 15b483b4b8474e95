"""CreateDomain, DescribeDomain, ListDomains, UpdateDomain and DeleteDomain."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import botocore.session
from botocore.model import StructureShape
from moto.sagemaker.exceptions import ResourceInUseException, ValidationError

from localcloud import ssoadmin
from localcloud.sagemaker import network
from localcloud.sagemaker.apps import AppOperations
from localcloud.sagemaker.base import (
    DOMAIN_SHARED,
    StudioBase,
    merge_settings,
    merge_tags,
    validate_input,
)
from localcloud.sagemaker.lifecycle_configs import check_settings as check_lifecycle_configs
from localcloud.sagemaker.listing import paginate
from localcloud.sagemaker.models import (
    Domain,
    Timeline,
)
from localcloud.sagemaker.validation import check_jupyter_server_settings, check_name

_UPDATE_DOMAIN_OPTIONS = (
    "AppSecurityGroupManagement",
    "AppNetworkAccessType",
    "TagPropagation",
    "HomeEfsFileSystemCreation",
)
_CREATE_DOMAIN_OPTIONS = (
    "AppNetworkAccessType",
    "HomeEfsFileSystemKmsKeyId",
    "KmsKeyId",
    "AppSecurityGroupManagement",
    "HomeEfsFileSystemCreation",
    "TagPropagation",
)


def _domain_settings_members() -> frozenset[str]:
    shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("DomainSettings")
    assert isinstance(shape, StructureShape)
    return frozenset(shape.members)


_DOMAIN_SETTINGS = _domain_settings_members()
_RSTUDIO = "RStudioServerProDomainSettings"


def _runs_rstudio(domain: Domain) -> bool:
    return bool((domain.domain_settings or {}).get(_RSTUDIO))


class DomainOperations(StudioBase):
    """CreateDomain, DescribeDomain, ListDomains, UpdateDomain and DeleteDomain."""

    def create_domain(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("CreateDomain", params)
        check_name(params["DomainName"], "DomainName")
        vpc_id, subnet_ids = params.get("VpcId"), params.get("SubnetIds")
        if not vpc_id or not subnet_ids:
            # The model marks them optional, but a domain's home EFS and apps need a VPC; AWS asks for both.
            raise ValidationError("VpcId and SubnetIds are required.")
        store, now = self.store, self.now
        network.validate(store.account_id, store.region, vpc_id, subnet_ids)
        check_jupyter_server_settings(params["DefaultUserSettings"])
        check_jupyter_server_settings(params.get("DefaultSpaceSettings"))
        check_lifecycle_configs(store, params["DefaultUserSettings"], params.get("DefaultSpaceSettings"))

        domain_id = store.new_domain_id()
        arn = store.arn(f"domain/{domain_id}")
        created_in = self._draw("domain", "create")
        timeline = Timeline(now, "Pending")
        timeline.plan(now, (created_in, "InService"))
        domain = Domain(
            arn=arn,
            created=now,
            sequence=store.next_sequence(),
            timeline=timeline,
            tags=merge_tags([], params.get("Tags") or []),
            domain_id=domain_id,
            name=params["DomainName"],
            auth_mode=params["AuthMode"],
            vpc_id=vpc_id,
            subnet_ids=list(subnet_ids),
            url=f"https://{domain_id}.studio.{store.region}.sagemaker.aws",
            settings={key: params[key] for key in _CREATE_DOMAIN_OPTIONS if params.get(key) is not None},
            default_user_settings=dict(params["DefaultUserSettings"]),
            default_space_settings=params.get("DefaultSpaceSettings"),
            domain_settings=params.get("DomainSettings"),
        )
        if params.get("HomeEfsFileSystemCreation") != "Disabled":
            home = network.create_security_groups(store.account_id, store.region, domain_id, arn, vpc_id)
            domain.inbound_security_group_id = home.inbound_security_group_id
            domain.outbound_security_group_id = home.outbound_security_group_id
            domain.home_efs_file_system_id = network.create_home_file_system(
                store.account_id,
                store.region,
                domain_id,
                arn,
                network=home,
                kms_key_id=params.get("HomeEfsFileSystemKmsKeyId"),
            )
            network.add_mount_targets(store.account_id, store.region, home, domain.subnet_ids)
        if domain.auth_mode == "SSO":
            domain.single_sign_on_application_arn = ssoadmin.register_application(
                store.account_id, store.region, f"SageMakerStudioDomain-{domain_id}", f"SageMaker Studio {domain.name}"
            )
            domain.single_sign_on_managed_application_instance_id = "ins-" + "".join(
                store.random.choice("0123456789abcdef") for _ in range(16)
            )
        store.add_domain(domain)
        if _runs_rstudio(domain):
            # Launched as part of creating the domain, which "checks for a valid RStudio license ... and fails
            # domain creation if the license is not found" (rstudio-create-cli.html): so it is InService no
            # earlier than the domain.
            AppOperations(store).launch_rstudio_server(domain, max(created_in, self._draw("app", "create")))
        return {"DomainArn": arn, "DomainId": domain_id, "Url": domain.url}

    def _domain_view(self, domain: Domain) -> dict[str, Any]:
        now = self.now
        view: dict[str, Any] = {
            "DomainArn": domain.arn,
            "DomainId": domain.domain_id,
            "DomainName": domain.name,
            "Status": domain.status(now),
            "CreationTime": domain.created,
            "LastModifiedTime": domain.last_modified(now),
            "AuthMode": domain.auth_mode,
            "DefaultUserSettings": domain.default_user_settings,
            "SubnetIds": list(domain.subnet_ids),
            "Url": domain.url,
            "VpcId": domain.vpc_id,
            "AppNetworkAccessType": "PublicInternetOnly",
            "TagPropagation": "DISABLED",
            **domain.settings,
        }
        optional = {
            "HomeEfsFileSystemId": domain.home_efs_file_system_id,
            "SingleSignOnApplicationArn": domain.single_sign_on_application_arn,
            "SingleSignOnManagedApplicationInstanceId": domain.single_sign_on_managed_application_instance_id,
            "FailureReason": domain.failure_reason,
            "DomainSettings": domain.domain_settings,
            "DefaultSpaceSettings": domain.default_space_settings,
        }
        view.update({key: value for key, value in optional.items() if value is not None})
        return view

    def describe_domain(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("DescribeDomain", params)
        return self._domain_view(self._domain(params["DomainId"]))

    def list_domains(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("ListDomains", params)
        now = self.now
        domains = sorted(self.store.live_domains(now), key=lambda d: (d.created, d.sequence))
        page, token = paginate(domains, params.get("MaxResults"), params.get("NextToken"), {"op": "ListDomains"})
        summaries = [
            {
                "DomainArn": d.arn,
                "DomainId": d.domain_id,
                "DomainName": d.name,
                "Status": d.status(now),
                "CreationTime": d.created,
                "LastModifiedTime": d.last_modified(now),
                "Url": d.url,
            }
            for d in page
        ]
        return {"Domains": summaries, **({"NextToken": token} if token else {})}

    def update_domain(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("UpdateDomain", params)
        domain = self._domain(params["DomainId"])
        now, store = self.now, self.store
        self._check_updatable(domain, now, "Domain")
        new_subnets = [s for s in params.get("SubnetIds") or [] if s not in domain.subnet_ids]
        if new_subnets:
            network.validate(store.account_id, store.region, domain.vpc_id, new_subnets)
        check_jupyter_server_settings(params.get("DefaultUserSettings"))
        check_jupyter_server_settings(params.get("DefaultSpaceSettings"))
        check_lifecycle_configs(store, params.get("DefaultUserSettings"), params.get("DefaultSpaceSettings"))
        had_rstudio = _runs_rstudio(domain)
        domain.default_user_settings = (
            merge_settings(domain.default_user_settings, params.get("DefaultUserSettings")) or {}
        )
        domain.default_space_settings = merge_settings(
            domain.default_space_settings, params.get("DefaultSpaceSettings")
        )
        for_update = params.get("DomainSettingsForUpdate")
        if for_update:
            renamed = {
                ("RStudioServerProDomainSettings" if key == "RStudioServerProDomainSettingsForUpdate" else key): value
                for key, value in for_update.items()
            }
            domain.domain_settings = merge_settings(
                domain.domain_settings, {k: v for k, v in renamed.items() if k in _DOMAIN_SETTINGS}
            )
        for key in _UPDATE_DOMAIN_OPTIONS:
            if params.get(key) is not None:
                domain.settings[key] = params[key]
        if new_subnets:
            domain.subnet_ids.extend(new_subnets)
            if domain.home_efs_file_system_id:
                home = network.HomeNetwork(
                    file_system_id=domain.home_efs_file_system_id,
                    inbound_security_group_id=domain.inbound_security_group_id,
                    outbound_security_group_id=domain.outbound_security_group_id,
                )
                network.add_mount_targets(store.account_id, store.region, home, new_subnets)
        updated_in = self._draw("domain", "update")
        domain.timeline.plan(now, (0.0, "Updating"), (updated_in, "InService"))
        if _runs_rstudio(domain) and not had_rstudio:
            # Adding RStudio to a domain launches its server app: AWS's guide checks it is InService once the
            # update is done (https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-add-existing.html).
            AppOperations(store).launch_rstudio_server(domain, max(updated_in, self._draw("app", "create")))
        return {"DomainArn": domain.arn}

    def delete_domain(self, params: dict[str, Any]) -> None:
        validate_input("DeleteDomain", params)
        domain = self._domain(params["DomainId"])
        now, store = self.now, self.store
        # Undocumented; a second delete of a domain on its way out is a conflict.
        self._check_not_deleting(domain, now, "Domain")
        domain_id = domain.domain_id
        if store.domain_profiles(domain_id, now) or store.domain_spaces(domain_id, now):
            raise ResourceInUseException(
                f"Unable to delete Domain [{domain.arn}] because UserProfile(s) or Space(s) are associated with it."
            )
        if self._holds_apps(domain_id, ("user", DOMAIN_SHARED), now):
            raise ResourceInUseException(
                f"Unable to delete Domain [{domain.arn}] because App(s) of {DOMAIN_SHARED} are associated with it."
            )
        policy = (params.get("RetentionPolicy") or {}).get("HomeEfsFileSystem", "Retain")
        domain.delete_home_file_system = policy == "Delete"
        duration = self._plan_delete(domain, "domain", now)
        store.at(now + timedelta(seconds=duration), lambda: self._domain_gone(domain))
        store.settle(now)

    def _domain_gone(self, domain: Domain) -> None:
        """What happens when a deleted domain finally disappears: never the security groups (AWS-FACTS §2)."""
        store = self.store
        if not domain.timeline.gone(self.now):
            return  # still Deleting or Delete_Failed (a test control of controls.py holds or failed it)
        if domain.delete_home_file_system and domain.home_efs_file_system_id:
            network.delete_home_file_system(store.account_id, store.region, domain.home_efs_file_system_id)
        if domain.single_sign_on_application_arn:
            ssoadmin.unregister_application(domain.single_sign_on_application_arn)
