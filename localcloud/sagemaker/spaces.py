"""CreateSpace, DescribeSpace, ListSpaces, UpdateSpace and DeleteSpace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto.sagemaker.exceptions import ResourceInUseException, ValidationError

from localcloud.sagemaker.base import (
    StudioBase,
    merge_settings,
    merge_tags,
    validate_input,
)
from localcloud.sagemaker.lifecycle_configs import check_settings as check_lifecycle_configs
from localcloud.sagemaker.models import (
    Space,
)
from localcloud.sagemaker.validation import check_jupyter_server_settings, check_name


class SpaceOperations(StudioBase):
    """CreateSpace, DescribeSpace, ListSpaces, UpdateSpace and DeleteSpace."""

    def create_space(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("CreateSpace", params)
        check_jupyter_server_settings(params.get("SpaceSettings"))
        check_lifecycle_configs(self.store, params.get("SpaceSettings"))
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
            tags=merge_tags([], params.get("Tags") or []),
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
        validate_input("DescribeSpace", params)
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
        validate_input("ListSpaces", params)
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
        validate_input("UpdateSpace", params)
        check_jupyter_server_settings(params.get("SpaceSettings"))
        check_lifecycle_configs(self.store, params.get("SpaceSettings"))
        space = self._space(params["DomainId"], params["SpaceName"])
        now = self.now
        self._check_updatable(space, now, "Space")
        space.space_settings = merge_settings(space.space_settings, params.get("SpaceSettings"))
        if params.get("SpaceDisplayName") is not None:
            space.display_name = params["SpaceDisplayName"]
        self._plan_update(space, "space", now)
        return {"SpaceArn": space.arn}

    def delete_space(self, params: dict[str, Any]) -> None:
        validate_input("DeleteSpace", params)
        space = self._space(params["DomainId"], params["SpaceName"])
        now = self.now
        self._check_not_deleting(space, now, "Space")
        if self._holds_apps(space.domain_id, ("space", space.name.lower()), now):
            raise ResourceInUseException(f"Unable to delete Space [{space.arn}] because App(s) are associated with it.")
        self._plan_delete(space, "space", now)
