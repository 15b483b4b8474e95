"""CreateApp, DescribeApp, ListApps and DeleteApp."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from moto.sagemaker.exceptions import ResourceInUseException, ValidationError

from localcloud.sagemaker.base import (
    DOMAIN_SHARED,
    FINISHED_APP,
    StudioBase,
    merge_tags,
    not_found,
    validate_input,
)
from localcloud.sagemaker.listing import paginate, sort_items
from localcloud.sagemaker.models import (
    DELETED_APP_RETENTION,
    GONE,
    App,
    Domain,
    OwnerKind,
    Space,
    UserProfile,
)
from localcloud.sagemaker.store import AppKey
from localcloud.sagemaker.validation import check_max_results, check_name

# Apps that only run in a space, only on a user profile, or only on domain-shared (AWS-FACTS §1).
SPACE_ONLY_APPS = frozenset({"JupyterLab", "CodeEditor"})
PROFILE_ONLY_APPS = frozenset({"Canvas", "RStudioServerPro"})


class AppOperations(StudioBase):
    """CreateApp, DescribeApp, ListApps and DeleteApp."""

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
            raise not_found("App", arn)
        return app

    def create_app(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("CreateApp", params)
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
        if existing is not None and existing.status(now) not in FINISHED_APP:
            raise ResourceInUseException(f"App [{arn}] already exists.")

        timeline = self._pending("app", now)
        # Profile and space tags propagate to the apps launched from them (AWS-FACTS §4); the app's own win.
        inherited = owner_record.tags if owner_record is not None else []
        app = App(
            arn=arn,
            created=now,
            sequence=store.next_sequence(),
            timeline=timeline,
            tags=merge_tags(inherited, params.get("Tags") or []),
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
        validate_input("DescribeApp", params)
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
        validate_input("ListApps", params)
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
        validate_input("DeleteApp", params)
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
