"""The SageMaker Studio operations: domains, user profiles, spaces, apps and their tags.

Each method takes the request's parameters (as moto parsed them) and returns the response body, or None
for operations without output. Errors are moto's SageMaker exceptions, so they reach the client with
AWS's codes: ``ResourceNotFound``, ``ResourceInUse``, ``ValidationException``.

Rules that AWS documents are enforced (see AWS-FACTS.md); where AWS's behaviour is not documented the
emulation picks the stricter plausible answer and says so in a comment, so that code tested here also
copes with the real service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

import botocore.session
from botocore.model import StructureShape
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError

from localcloud import ssoadmin
from localcloud.clock import get_clock
from localcloud.fidelity import input_problems
from localcloud.sagemaker import network
from localcloud.sagemaker.latency import Kind
from localcloud.sagemaker.listing import paginate, sort_items
from localcloud.sagemaker.models import (
    DELETED_APP_RETENTION,
    GONE,
    App,
    Domain,
    OwnerKind,
    Resource,
    Space,
    Timeline,
    UserProfile,
)
from localcloud.sagemaker.store import AppKey, StudioStore
from localcloud.sagemaker.validation import APP_TYPES, check_max_results, check_name

# The profile AWS creates for a domain's RStudio server app (AWS-FACTS §1); apps may live under it
# without a profile record, and it is never listed by ListUserProfiles.
DOMAIN_SHARED = "domain-shared"

# Apps that only run in a space, only on a user profile, or only on domain-shared (AWS-FACTS §1).
SPACE_ONLY_APPS = frozenset({"JupyterLab", "CodeEditor"})
PROFILE_ONLY_APPS = frozenset({"Canvas", "RStudioServerPro"})

# TagList's maximum in the model: a resource carries at most 50 tags.
MAX_TAGS = 50

# An owner (domain, profile, space) accepts new children in these states.
_USABLE = frozenset({"InService", "Updating"})
# Apps in these states no longer hold their owner (AWS-FACTS §2: "non-failed apps give ResourceInUse").
_FINISHED_APP = frozenset({"Failed", "Deleted"})

# The resources that live in a domain under a name: they are looked up, listed, updated and deleted alike.
_Child = TypeVar("_Child", UserProfile, Space)

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


def _validate_input(operation: str, params: Mapping[str, Any]) -> None:
    """The input shape's constraints (required members, enums, patterns, lengths, ranges), as AWS checks them."""
    problems = input_problems("sagemaker", operation, params)
    if problems:
        count = len(problems)
        raise ValidationError(f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems))


def _merge(base: dict[str, Any] | None, update: dict[str, Any] | None) -> dict[str, Any] | None:
    """Update* replaces each top-level settings member it is given and keeps the others."""
    if update is None:
        return base
    return {**(base or {}), **update}


def _not_found(kind: str, arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"{kind} [{arn}] does not exist.")


def _tags_view(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return [dict(tag) for tag in tags]


def _merge_tags(tags: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """AddTags overwrites the value of a key that exists and appends the others, keeping order."""
    merged = {tag["Key"]: tag.get("Value", "") for tag in tags}
    for tag in new:
        merged[tag["Key"]] = tag.get("Value", "")
    return [{"Key": key, "Value": value} for key, value in merged.items()]


class StudioBackend:
    """The operations, over one account's and Region's :class:`StudioStore`."""

    def __init__(self, store: StudioStore) -> None:
        self.store = store

    @property
    def now(self) -> datetime:
        return get_clock().now()

    def _draw(self, kind: Any, change: Any) -> float:
        return self.store.latency.draw(kind, change)

    # ====================================================================== lifecycle rules shared by
    # domains, user profiles and spaces (apps follow their own: see create_app and delete_app)

    def _pending(self, kind: Kind, now: datetime) -> Timeline:
        """A new resource's timeline: Pending now, InService once its creation latency has passed."""
        timeline = Timeline(now, "Pending")
        timeline.plan(now, (self._draw(kind, "create"), "InService"))
        return timeline

    @staticmethod
    def _check_usable(resource: Resource, now: datetime, label: str) -> None:
        """An owner accepts new children only while InService or Updating (``label`` names it in the error)."""
        status = resource.status(now)
        if status not in _USABLE:
            what = f"{label} [{resource.arn}]" if label else f"[{resource.arn}]"
            raise ResourceInUseException(f"{what} is in {status} status.")

    @staticmethod
    def _check_updatable(resource: Resource, now: datetime, label: str) -> None:
        status = resource.status(now)
        if status != "InService":
            raise ResourceInUseException(f"{label} [{resource.arn}] is in {status} status and cannot be updated.")

    def _plan_update(self, resource: Resource, kind: Kind, now: datetime) -> None:
        resource.timeline.plan(now, (0.0, "Updating"), (self._draw(kind, "update"), "InService"))

    @staticmethod
    def _check_not_deleting(resource: Resource, now: datetime, label: str) -> None:
        if resource.status(now) == "Deleting":
            raise ResourceInUseException(f"{label} [{resource.arn}] is already being deleted.")

    def _holds_apps(self, domain_id: str, owner: tuple[OwnerKind, str], now: datetime) -> bool:
        """Whether ``owner`` (kind, lower-case name) still has apps that are neither Failed nor Deleted."""
        return any(app.status(now) not in _FINISHED_APP for app in self.store.apps_of(domain_id, owner, now))

    def _plan_delete(self, resource: Resource, kind: Kind, now: datetime) -> float:
        """Deleting now, gone once the deletion latency has passed; returns that latency."""
        duration = self._draw(kind, "delete")
        resource.timeline.plan(now, (0.0, "Deleting"), (duration, GONE))
        return duration

    def _child(
        self,
        domain_id: str,
        name: str,
        find: Callable[[str, str, datetime], _Child | None],
        kind: str,
        arn_prefix: str,
    ) -> _Child:
        """A profile or space of a domain that exists (ResourceNotFound for the domain first, then the child)."""
        self._domain(domain_id)
        child = find(domain_id, name, self.now)
        if child is None:
            raise _not_found(kind, self.store.arn(f"{arn_prefix}/{domain_id}/{name}"))
        return child

    def _list_children(
        self,
        params: Mapping[str, Any],
        operation: str,
        name_contains: str,
        children: Callable[[str, datetime], list[_Child]],
        now: datetime,
    ) -> tuple[list[_Child], str | None]:
        """ListUserProfiles and ListSpaces: filter by domain and name, sort, and return one page and its token."""
        contains = (params.get(name_contains) or "").lower()
        items = [
            child
            for domain_id in self._domains_for(params.get("DomainIdEquals"))
            for child in children(domain_id, now)
            if contains in child.name.lower()
        ]
        ordered = sort_items(
            items,
            params.get("SortBy"),
            params.get("SortOrder"),
            {
                "CreationTime": lambda c: (c.created, c.sequence),
                "LastModifiedTime": lambda c: (c.last_modified(now), c.sequence),
            },
        )
        query = {k: params.get(k) for k in ("DomainIdEquals", name_contains, "SortBy", "SortOrder")}
        return paginate(ordered, params.get("MaxResults"), params.get("NextToken"), {"op": operation, **query})

    # ====================================================================== domains

    def _domain(self, domain_id: str) -> Domain:
        domain = self.store.domain(domain_id, self.now)
        if domain is None:
            raise _not_found("Domain", self.store.arn(f"domain/{domain_id}"))
        return domain

    def _usable_domain(self, domain_id: str) -> Domain:
        domain = self._domain(domain_id)
        # Undocumented; a child of a domain that is not ready is a conflict, not a bad request.
        self._check_usable(domain, self.now, "Domain")
        return domain

    def create_domain(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("CreateDomain", params)
        check_name(params["DomainName"], "DomainName")
        vpc_id, subnet_ids = params.get("VpcId"), params.get("SubnetIds")
        if not vpc_id or not subnet_ids:
            # The model marks them optional, but a domain's home EFS and apps need a VPC; AWS asks for both.
            raise ValidationError("VpcId and SubnetIds are required.")
        store, now = self.store, self.now
        network.validate(store.account_id, store.region, vpc_id, subnet_ids)

        domain_id = store.new_domain_id()
        arn = store.arn(f"domain/{domain_id}")
        timeline = self._pending("domain", now)
        domain = Domain(
            arn=arn,
            created=now,
            sequence=store.next_sequence(),
            timeline=timeline,
            tags=_merge_tags([], params.get("Tags") or []),
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
        _validate_input("DescribeDomain", params)
        return self._domain_view(self._domain(params["DomainId"]))

    def list_domains(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("ListDomains", params)
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
        _validate_input("UpdateDomain", params)
        domain = self._domain(params["DomainId"])
        now, store = self.now, self.store
        self._check_updatable(domain, now, "Domain")
        new_subnets = [s for s in params.get("SubnetIds") or [] if s not in domain.subnet_ids]
        if new_subnets:
            network.validate(store.account_id, store.region, domain.vpc_id, new_subnets)
        domain.default_user_settings = _merge(domain.default_user_settings, params.get("DefaultUserSettings")) or {}
        domain.default_space_settings = _merge(domain.default_space_settings, params.get("DefaultSpaceSettings"))
        for_update = params.get("DomainSettingsForUpdate")
        if for_update:
            renamed = {
                ("RStudioServerProDomainSettings" if key == "RStudioServerProDomainSettingsForUpdate" else key): value
                for key, value in for_update.items()
            }
            domain.domain_settings = _merge(
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
        self._plan_update(domain, "domain", now)
        return {"DomainArn": domain.arn}

    def delete_domain(self, params: dict[str, Any]) -> None:
        _validate_input("DeleteDomain", params)
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
        if domain.delete_home_file_system and domain.home_efs_file_system_id:
            network.delete_home_file_system(store.account_id, store.region, domain.home_efs_file_system_id)
        if domain.single_sign_on_application_arn:
            ssoadmin.unregister_application(domain.single_sign_on_application_arn)

    # ====================================================================== user profiles

    def _profile(self, domain_id: str, name: str) -> UserProfile:
        return self._child(domain_id, name, self.store.profile, "UserProfile", "user-profile")

    def create_user_profile(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("CreateUserProfile", params)
        name = params["UserProfileName"]
        check_name(name, "UserProfileName")
        domain = self._usable_domain(params["DomainId"])
        store, now = self.store, self.now
        identifier, value = params.get("SingleSignOnUserIdentifier"), params.get("SingleSignOnUserValue")
        if domain.auth_mode == "SSO":
            if not identifier or not value:
                raise ValidationError(
                    "SingleSignOnUserIdentifier and SingleSignOnUserValue are required for a domain in SSO AuthMode."
                )
            if identifier != "UserName":
                raise ValidationError("SingleSignOnUserIdentifier must be 'UserName'.")
        elif identifier is not None or value is not None:
            raise ValidationError(
                "SingleSignOnUserIdentifier and SingleSignOnUserValue can only be specified "
                "for a domain in SSO AuthMode."
            )
        arn = store.arn(f"user-profile/{domain.domain_id}/{name}")
        if store.profile(domain.domain_id, name, now) is not None:
            raise ResourceInUseException(f"User profile [{arn}] already exists.")
        if value and (other := store.profile_for_sso_user(domain.domain_id, value, now)) is not None:
            raise ResourceInUseException(
                f"Identity Center user '{value}' already has user profile [{other.arn}] in domain {domain.domain_id}."
            )
        timeline = self._pending("user_profile", now)
        profile = UserProfile(
            arn=arn,
            created=now,
            sequence=store.next_sequence(),
            timeline=timeline,
            tags=_merge_tags([], params.get("Tags") or []),
            domain_id=domain.domain_id,
            name=name,
            home_uid=domain.allocate_home_uid(),
            user_settings=params.get("UserSettings"),
            sso_identifier=identifier,
            sso_value=value,
        )
        store.add_profile(profile)
        return {"UserProfileArn": arn}

    def describe_user_profile(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("DescribeUserProfile", params)
        profile = self._profile(params["DomainId"], params["UserProfileName"])
        now = self.now
        view: dict[str, Any] = {
            "DomainId": profile.domain_id,
            "UserProfileArn": profile.arn,
            "UserProfileName": profile.name,
            "HomeEfsFileSystemUid": profile.home_uid,
            "Status": profile.status(now),
            "LastModifiedTime": profile.last_modified(now),
            "CreationTime": profile.created,
        }
        optional = {
            "FailureReason": profile.failure_reason,
            "SingleSignOnUserIdentifier": profile.sso_identifier,
            "SingleSignOnUserValue": profile.sso_value,
            "UserSettings": profile.user_settings,
        }
        view.update({key: value for key, value in optional.items() if value is not None})
        return view

    def _domains_for(self, domain_id: str | None) -> list[str]:
        if domain_id is None:
            return [d.domain_id for d in self.store.live_domains(self.now)]
        return [domain_id] if self.store.domain(domain_id, self.now) is not None else []

    def list_user_profiles(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("ListUserProfiles", params)
        now = self.now
        page, token = self._list_children(
            params, "ListUserProfiles", "UserProfileNameContains", self.store.domain_profiles, now
        )
        details = [
            {
                "DomainId": p.domain_id,
                "UserProfileName": p.name,
                "Status": p.status(now),
                "CreationTime": p.created,
                "LastModifiedTime": p.last_modified(now),
            }
            for p in page
        ]
        return {"UserProfiles": details, **({"NextToken": token} if token else {})}

    def update_user_profile(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("UpdateUserProfile", params)
        profile = self._profile(params["DomainId"], params["UserProfileName"])
        now = self.now
        self._check_updatable(profile, now, "User profile")
        profile.user_settings = _merge(profile.user_settings, params.get("UserSettings"))
        self._plan_update(profile, "user_profile", now)
        return {"UserProfileArn": profile.arn}

    def delete_user_profile(self, params: dict[str, Any]) -> None:
        _validate_input("DeleteUserProfile", params)
        profile = self._profile(params["DomainId"], params["UserProfileName"])
        now, store = self.now, self.store
        self._check_not_deleting(profile, now, "User profile")
        if self._holds_apps(profile.domain_id, ("user", profile.name.lower()), now):
            # The wording AWS uses (aws/amazon-sagemaker-feedback#113).
            raise ResourceInUseException(
                f"Unable to delete UserProfile [{profile.arn}] because App(s) are associated with it."
            )
        if store.spaces_owned_by(profile.domain_id, profile.name, now):
            # AWS documents deleting spaces before profiles (AWS-FACTS §2); a profile that still owns
            # spaces is refused, so teardown code must follow that order.
            raise ResourceInUseException(
                f"Unable to delete UserProfile [{profile.arn}] because Space(s) are associated with it."
            )
        self._plan_delete(profile, "user_profile", now)

    # ====================================================================== spaces

    def _space(self, domain_id: str, name: str) -> Space:
        return self._child(domain_id, name, self.store.space, "Space", "space")

    def create_space(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("CreateSpace", params)
        name = params["SpaceName"]
        check_name(name, "SpaceName")
        domain = self._usable_domain(params["DomainId"])
        store, now = self.store, self.now
        arn = store.arn(f"space/{domain.domain_id}/{name}")
        if store.space(domain.domain_id, name, now) is not None:
            raise ResourceInUseException(f"Space [{arn}] already exists.")
        owner = (params.get("OwnershipSettings") or {}).get("OwnerUserProfileName")
        sharing = (params.get("SpaceSharingSettings") or {}).get("SharingType")
        if sharing == "Private" and not owner:
            raise ValidationError("OwnershipSettings.OwnerUserProfileName is required for a Private space.")
        if owner:
            owner_profile = self._profile(domain.domain_id, owner)
            self._check_usable(owner_profile, now, "User profile")
            owner = owner_profile.name
        timeline = self._pending("space", now)
        space = Space(
            arn=arn,
            created=now,
            sequence=store.next_sequence(),
            timeline=timeline,
            tags=_merge_tags([], params.get("Tags") or []),
            domain_id=domain.domain_id,
            name=name,
            home_uid=domain.allocate_home_uid(),
            space_settings=params.get("SpaceSettings"),
            owner=owner,
            sharing_type=sharing,
            display_name=params.get("SpaceDisplayName"),
        )
        store.add_space(space)
        return {"SpaceArn": arn}

    def describe_space(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("DescribeSpace", params)
        space = self._space(params["DomainId"], params["SpaceName"])
        now = self.now
        view: dict[str, Any] = {
            "DomainId": space.domain_id,
            "SpaceArn": space.arn,
            "SpaceName": space.name,
            "HomeEfsFileSystemUid": space.home_uid,
            "Status": space.status(now),
            "LastModifiedTime": space.last_modified(now),
            "CreationTime": space.created,
        }
        optional: dict[str, Any] = {
            "FailureReason": space.failure_reason,
            "SpaceSettings": space.space_settings,
            "OwnershipSettings": {"OwnerUserProfileName": space.owner} if space.owner else None,
            "SpaceSharingSettings": {"SharingType": space.sharing_type} if space.sharing_type else None,
            "SpaceDisplayName": space.display_name,
        }
        view.update({key: value for key, value in optional.items() if value is not None})
        return view

    def list_spaces(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("ListSpaces", params)
        now = self.now
        page, token = self._list_children(params, "ListSpaces", "SpaceNameContains", self.store.domain_spaces, now)
        return {"Spaces": [self._space_summary(s, now) for s in page], **({"NextToken": token} if token else {})}

    @staticmethod
    def _space_summary(space: Space, now: datetime) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "DomainId": space.domain_id,
            "SpaceName": space.name,
            "Status": space.status(now),
            "CreationTime": space.created,
            "LastModifiedTime": space.last_modified(now),
        }
        settings = space.space_settings or {}
        summary_keys = ("AppType", "RemoteAccess", "SpaceStorageSettings")
        settings_summary = {k: settings[k] for k in summary_keys if k in settings}
        if settings_summary:
            summary["SpaceSettingsSummary"] = settings_summary
        if space.sharing_type:
            summary["SpaceSharingSettingsSummary"] = {"SharingType": space.sharing_type}
        if space.owner:
            summary["OwnershipSettingsSummary"] = {"OwnerUserProfileName": space.owner}
        if space.display_name:
            summary["SpaceDisplayName"] = space.display_name
        return summary

    def update_space(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("UpdateSpace", params)
        space = self._space(params["DomainId"], params["SpaceName"])
        now = self.now
        self._check_updatable(space, now, "Space")
        space.space_settings = _merge(space.space_settings, params.get("SpaceSettings"))
        if params.get("SpaceDisplayName") is not None:
            space.display_name = params["SpaceDisplayName"]
        self._plan_update(space, "space", now)
        return {"SpaceArn": space.arn}

    def delete_space(self, params: dict[str, Any]) -> None:
        _validate_input("DeleteSpace", params)
        space = self._space(params["DomainId"], params["SpaceName"])
        now = self.now
        self._check_not_deleting(space, now, "Space")
        if self._holds_apps(space.domain_id, ("space", space.name.lower()), now):
            raise ResourceInUseException(f"Unable to delete Space [{space.arn}] because App(s) are associated with it.")
        self._plan_delete(space, "space", now)

    # ====================================================================== apps

    @staticmethod
    def _owner(params: Mapping[str, Any]) -> tuple[OwnerKind, str]:
        profile: str | None = params.get("UserProfileName")
        space: str | None = params.get("SpaceName")
        if profile and not space:
            return "user", profile
        if space and not profile:
            return "space", space
        raise ValidationError("Exactly one of UserProfileName or SpaceName must be specified.")

    def _app_key(self, params: Mapping[str, Any]) -> tuple[OwnerKind, str, AppKey]:
        kind, owner = self._owner(params)
        return kind, owner, (kind, owner.lower(), params["AppType"], params["AppName"].lower())

    def _app_arn(self, domain_id: str, owner: str, app_type: str, name: str) -> str:
        return self.store.arn(f"app/{domain_id}/{owner}/{app_type}/{name}")

    def _app(self, params: Mapping[str, Any]) -> App:
        domain = self._domain(params["DomainId"])
        _, owner, key = self._app_key(params)
        app = self.store.app(domain.domain_id, key, self.now)
        if app is None:
            arn = self._app_arn(domain.domain_id, owner, params["AppType"], params["AppName"])
            raise _not_found("App", arn)
        return app

    def create_app(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("CreateApp", params)
        app_type, name = params["AppType"], params["AppName"]
        check_name(name, "AppName")
        kind, owner_name, key = self._app_key(params)
        check_name(owner_name, "UserProfileName" if kind == "user" else "SpaceName")
        if app_type in SPACE_ONLY_APPS and kind != "space":
            raise ValidationError(f"{app_type} apps can only be created in a space: specify SpaceName.")
        if app_type in PROFILE_ONLY_APPS and kind != "user":
            raise ValidationError(f"{app_type} apps belong to a user profile: specify UserProfileName.")
        if app_type == "RStudioServerPro" and owner_name.lower() != DOMAIN_SHARED:
            raise ValidationError(f"RStudioServerPro apps can only be created for the {DOMAIN_SHARED} user profile.")
        domain = self._usable_domain(params["DomainId"])
        store, now = self.store, self.now

        owner_record: UserProfile | Space | None = None
        if kind == "space":
            owner_record = self._space(domain.domain_id, owner_name)
        elif owner_name.lower() != DOMAIN_SHARED or self.store.profile(domain.domain_id, owner_name, now):
            # domain-shared needs no profile record; if one was created by that name, it is the owner.
            owner_record = self._profile(domain.domain_id, owner_name)
        if owner_record is not None:
            self._check_usable(owner_record, now, "")
            owner_name = owner_record.name

        arn = self._app_arn(domain.domain_id, owner_name, app_type, name)
        existing = store.app(domain.domain_id, key, now)
        if existing is not None and existing.status(now) not in _FINISHED_APP:
            raise ResourceInUseException(f"App [{arn}] already exists.")

        timeline = self._pending("app", now)
        # Profile and space tags propagate to the apps launched from them (AWS-FACTS §4); the app's own win.
        inherited = owner_record.tags if owner_record is not None else []
        app = App(
            arn=arn,
            created=now,
            sequence=store.next_sequence(),
            timeline=timeline,
            tags=_merge_tags(inherited, params.get("Tags") or []),
            domain_id=domain.domain_id,
            owner_kind=kind,
            owner=owner_name,
            app_type=app_type,
            name=name,
            resource_spec=params.get("ResourceSpec") or self._default_resource_spec(domain, owner_record, app_type),
            recovery_mode=params.get("RecoveryMode"),
        )
        store.add_app(app, key)
        return {"AppArn": arn}

    @staticmethod
    def _default_resource_spec(
        domain: Domain, owner: UserProfile | Space | None, app_type: str
    ) -> dict[str, Any] | None:
        """``<AppType>AppSettings.DefaultResourceSpec`` of the owner, else of the domain defaults."""
        settings_key = {
            "JupyterServer": "JupyterServerAppSettings",
            "KernelGateway": "KernelGatewayAppSettings",
            "TensorBoard": "TensorBoardAppSettings",
            "JupyterLab": "JupyterLabAppSettings",
            "CodeEditor": "CodeEditorAppSettings",
        }.get(app_type)
        if settings_key is None:
            return None
        candidates: list[dict[str, Any] | None] = []
        if isinstance(owner, UserProfile):
            candidates.append(owner.user_settings)
        elif isinstance(owner, Space):
            candidates.append(owner.space_settings)
            candidates.append(domain.default_space_settings)
        candidates.append(domain.default_user_settings)
        for settings in candidates:
            spec = ((settings or {}).get(settings_key) or {}).get("DefaultResourceSpec")
            if spec:
                return dict(spec)
        return None

    def describe_app(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("DescribeApp", params)
        app = self._app(params)
        now = self.now
        view: dict[str, Any] = {
            "AppArn": app.arn,
            "AppType": app.app_type,
            "AppName": app.name,
            "DomainId": app.domain_id,
            "Status": app.status(now),
            "CreationTime": app.created,
        }
        optional: dict[str, Any] = {
            "UserProfileName": app.user_profile_name,
            "SpaceName": app.space_name,
            "RecoveryMode": app.recovery_mode,
            "LastHealthCheckTimestamp": app.last_health_check(now),
            "LastUserActivityTimestamp": app.last_user_activity_stamp(now),
            "FailureReason": app.failure_reason,
            "ResourceSpec": app.resource_spec,
        }
        view.update({key: value for key, value in optional.items() if value is not None})
        return view

    def list_apps(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("ListApps", params)
        profile: str | None = params.get("UserProfileNameEquals")
        space: str | None = params.get("SpaceNameEquals")
        if profile and space:
            raise ValidationError("UserProfileNameEquals and SpaceNameEquals cannot both be set.")
        check_max_results(params.get("MaxResults"))
        now, store = self.now, self.store
        apps: list[App] = []
        for domain_id in self._domains_for(params.get("DomainIdEquals")):
            if profile or space:
                owner: tuple[OwnerKind, str] = (
                    ("user", profile.lower()) if profile else ("space", (space or "").lower())
                )
                candidates: list[App] = store.apps_of(domain_id, owner, now)
                candidates += [
                    app
                    for app in store.retired_apps.get(domain_id, [])
                    if (app.owner_kind, app.owner.lower()) == owner and not app.timeline.gone(now)
                ]
            else:
                candidates = list(store.domain_apps(domain_id, now))
            apps.extend(candidates)
        ordered = sort_items(
            apps, params.get("SortBy"), params.get("SortOrder"), {"CreationTime": lambda a: (a.created, a.sequence)}
        )
        filters = ("DomainIdEquals", "UserProfileNameEquals", "SpaceNameEquals", "SortBy", "SortOrder")
        query = {k: params.get(k) for k in filters}
        page, token = paginate(ordered, params.get("MaxResults"), params.get("NextToken"), {"op": "ListApps", **query})
        return {"Apps": [self._app_details(app, now) for app in page], **({"NextToken": token} if token else {})}

    @staticmethod
    def _app_details(app: App, now: datetime) -> dict[str, Any]:
        details: dict[str, Any] = {
            "DomainId": app.domain_id,
            "AppType": app.app_type,
            "AppName": app.name,
            "Status": app.status(now),
            "CreationTime": app.created,
        }
        if app.owner_kind == "user":
            details["UserProfileName"] = app.owner
        else:
            details["SpaceName"] = app.owner
        if app.resource_spec:
            details["ResourceSpec"] = app.resource_spec
        return details

    def delete_app(self, params: dict[str, Any]) -> None:
        _validate_input("DeleteApp", params)
        app = self._app(params)
        now = self.now
        status = app.status(now)
        if status != "InService":
            # AWS-FACTS §1: only InService apps can be deleted; the code follows the brief (the exact
            # wording of AWS's message is not documented).
            raise ValidationError(f"App [{app.arn}] is in {status} status and cannot be deleted.")
        duration = self._draw("app", "delete")
        app.timeline.plan(
            now,
            (0.0, "Deleting"),
            (duration, "Deleted"),
            (duration + DELETED_APP_RETENTION.total_seconds(), GONE),
        )

    # ====================================================================== tags

    def owns_arn(self, arn: str) -> bool:
        """Whether ``arn`` names a Studio resource (ours) rather than something moto's own backend tags."""
        prefix = f"arn:aws:sagemaker:{self.store.region}:{self.store.account_id}:".lower()
        lowered = arn.lower()
        if not lowered.startswith(prefix):
            return False
        return lowered[len(prefix) :].split("/", 1)[0] in ("domain", "user-profile", "space", "app")

    def _tagged(self, arn: str) -> Resource:
        resource = self.store.find_arn(arn)
        if resource is None or resource.status(self.now) is None:
            raise ResourceNotFound(f"Resource [{arn}] does not exist.")
        return resource

    def add_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("AddTags", params)
        resource = self._tagged(params["ResourceArn"])
        merged = _merge_tags(resource.tags, params["Tags"])
        if len(merged) > MAX_TAGS:
            raise ValidationError(
                f"A resource can have at most {MAX_TAGS} tags; [{resource.arn}] would have {len(merged)}."
            )
        resource.tags = merged
        return {"Tags": _tags_view(resource.tags)}

    def list_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("ListTags", params)
        resource = self._tagged(params["ResourceArn"])
        page, token = paginate(
            resource.tags,
            params.get("MaxResults"),
            params.get("NextToken"),
            {"op": "ListTags", "arn": resource.arn},
            default_limit=50,
        )
        return {"Tags": _tags_view(page), **({"NextToken": token} if token else {})}

    def delete_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        _validate_input("DeleteTags", params)
        resource = self._tagged(params["ResourceArn"])
        keys = set(params["TagKeys"])
        resource.tags = [tag for tag in resource.tags if tag["Key"] not in keys]
        return {}


__all__ = ["APP_TYPES", "DOMAIN_SHARED", "StudioBackend"]
