"""CreateApp, DescribeApp, ListApps and DeleteApp, and the apps SageMaker launches by itself."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from moto.sagemaker.exceptions import ResourceInUseException, ValidationError

from localcloud.sagemaker import relaunch
from localcloud.sagemaker.base import (
    DOMAIN_SHARED,
    FINISHED_APP,
    StudioBase,
    merge_tags,
    not_found,
    validate_input,
)
from localcloud.sagemaker.lifecycle_configs import check_app_spec as check_app_lifecycle_config
from localcloud.sagemaker.listing import paginate, sort_items
from localcloud.sagemaker.models import (
    DELETED_APP_RETENTION,
    GONE,
    App,
    Domain,
    OwnerKind,
    Space,
    Timeline,
    UserProfile,
)
from localcloud.sagemaker.store import AppKey
from localcloud.sagemaker.validation import check_jupyter_server_spec, check_max_results, check_name

# Apps that only run in a space, only on a user profile, or only on domain-shared (AWS-FACTS §1).
SPACE_ONLY_APPS = frozenset({"JupyterLab", "CodeEditor"})
PROFILE_ONLY_APPS = frozenset({"Canvas", "RStudioServerPro"})
# The app every RStudio domain runs: "The RStudioServerPro app is launched by a special user profile named
# domain-shared" (https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-create-cli.html).
RSTUDIO_SERVER_KEY: AppKey = ("user", DOMAIN_SHARED, "RStudioServerPro", "default")
# Where each app type's default ResourceSpec lives in user, space and domain settings.
_APP_SETTINGS = {
    "JupyterServer": "JupyterServerAppSettings",
    "KernelGateway": "KernelGatewayAppSettings",
    "TensorBoard": "TensorBoardAppSettings",
    "JupyterLab": "JupyterLabAppSettings",
    "CodeEditor": "CodeEditorAppSettings",
}


class AppOperations(StudioBase):
    """CreateApp, DescribeApp, ListApps and DeleteApp, and the apps SageMaker launches by itself."""

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
        requested: dict[str, Any] | None = params.get("ResourceSpec")
        if app_type == "JupyterServer":
            check_jupyter_server_spec(requested)
        domain = self._usable_domain(params["DomainId"])
        store, now = self.store, self.now

        owner_record: UserProfile | Space | None
        if kind == "space":
            owner_record = self._space(domain.domain_id, owner_name)
        else:
            owner_record = self._profile_or_domain_shared(domain.domain_id, owner_name)
        if owner_record is not None:
            self._check_usable(owner_record, now, "")
            owner_name = owner_record.name
        check_app_lifecycle_config(store, app_type, requested, domain=domain, owner=owner_record, now=now)

        arn = self._app_arn(domain.domain_id, owner_name, app_type, name)
        existing = store.app(domain.domain_id, key, now)
        if existing is not None and existing.status(now) not in FINISHED_APP:
            raise ResourceInUseException(f"App [{arn}] already exists.")

        spec = self._resource_spec(domain, owner_record, app_type, requested)
        if app_type == "KernelGateway" and not (spec or {}).get("InstanceType"):
            # "If InstanceType is not specified in any of those three ResourceSpec values for a KernelGateway
            # app, the CreateApp call fails with a request validation error"
            # (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateApp.html); AWS's wording
            # is not public.
            where = "space" if kind == "space" else "user profile"
            raise ValidationError(
                "InstanceType must be specified for a KernelGateway app: in the ResourceSpec of the request, "
                f"or in KernelGatewayAppSettings.DefaultResourceSpec of the {where} or of the domain."
            )
        app = self._launch(
            domain,
            owner_record,
            key,
            owner_name=owner_name,
            app_name=name,
            when=now,
            ready_in=self._draw("app", "create"),
            resource_spec=spec,
            tags=params.get("Tags") or [],
        )
        app.recovery_mode = params.get("RecoveryMode")
        return {"AppArn": app.arn}

    def _profile_or_domain_shared(self, domain_id: str, owner_name: str) -> UserProfile | None:
        """The owning profile. domain-shared needs no profile record; if one was created by that name, it is
        the owner."""
        if owner_name.lower() == DOMAIN_SHARED and self.store.profile(domain_id, owner_name, self.now) is None:
            return None
        return self._profile(domain_id, owner_name)

    def _launch(
        self,
        domain: Domain,
        owner_record: UserProfile | Space | None,
        key: AppKey,
        *,
        owner_name: str,
        app_name: str,
        when: datetime,
        ready_in: float,
        resource_spec: dict[str, Any] | None,
        tags: list[dict[str, str]],
    ) -> App:
        """A new app record, Pending from ``when`` and InService ``ready_in`` seconds later, watched for a
        relaunch if the options ask for one. Names are kept as spelt; ``key`` has them lower-cased."""
        kind, _, app_type, _ = key
        timeline = Timeline(when, "Pending")
        timeline.plan(when, (ready_in, "InService"))
        app = App(
            arn=self._app_arn(domain.domain_id, owner_name, app_type, app_name),
            created=when,
            sequence=self.store.next_sequence(),
            timeline=timeline,
            tags=merge_tags(self._inherited_tags(domain, owner_record), tags),
            domain_id=domain.domain_id,
            owner_kind=kind,
            owner=owner_name,
            app_type=app_type,
            name=app_name,
            resource_spec=resource_spec,
        )
        self.store.add_app(app, key)
        relaunch.watch(self.store, app, self.launch_again)
        return app

    @staticmethod
    def _inherited_tags(domain: Domain, owner: UserProfile | Space | None) -> list[dict[str, str]]:
        """Tags an app takes from where it is launched. "Tags that you specify for the Domain are also added to
        all Apps that the Domain launches", and the same for a User Profile (``Tags`` of CreateDomain and
        CreateUserProfile: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateDomain.html,
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateUserProfile.html). CreateSpace
        documents no such propagation, so space tags stay on the space. The app's own tags win, then the
        profile's, then the domain's."""
        owner_tags = owner.tags if isinstance(owner, UserProfile) else []
        return merge_tags(domain.tags, owner_tags)

    def _resource_spec(
        self,
        domain: Domain,
        owner: UserProfile | Space | None,
        app_type: str,
        requested: dict[str, Any] | None,
    ) -> dict[str, Any] | None:
        """The request's ResourceSpec, else the first default one. "The value of InstanceType passed as part of
        the ResourceSpec in the CreateApp call overrides the value passed as part of the ResourceSpec
        configured for the user profile or the domain" (API_CreateApp.html), so a missing InstanceType comes
        from the most specific default spec that has one."""
        defaults = self._default_resource_specs(domain, owner, app_type)
        spec = dict(requested) if requested else (dict(defaults[0]) if defaults else {})
        if not spec.get("InstanceType"):
            instance_type = next((d["InstanceType"] for d in defaults if d.get("InstanceType")), None)
            if instance_type:
                spec["InstanceType"] = instance_type
        return spec or None

    @staticmethod
    def _default_resource_specs(
        domain: Domain, owner: UserProfile | Space | None, app_type: str
    ) -> list[dict[str, Any]]:
        """``<AppType>AppSettings.DefaultResourceSpec`` of the owner, then of the domain defaults, most specific
        first; the RStudio server's comes from ``RStudioServerProDomainSettings``."""
        if app_type == "RStudioServerPro":
            rstudio = (domain.domain_settings or {}).get("RStudioServerProDomainSettings") or {}
            return [dict(rstudio["DefaultResourceSpec"])] if rstudio.get("DefaultResourceSpec") else []
        settings_key = _APP_SETTINGS.get(app_type)
        if settings_key is None:
            return []
        candidates: list[dict[str, Any] | None] = []
        if isinstance(owner, UserProfile):
            candidates.append(owner.user_settings)
        elif isinstance(owner, Space):
            candidates.append(owner.space_settings)
            candidates.append(domain.default_space_settings)
        candidates.append(domain.default_user_settings)
        specs = [((settings or {}).get(settings_key) or {}).get("DefaultResourceSpec") for settings in candidates]
        return [dict(spec) for spec in specs if spec]

    # ====================================================================== apps SageMaker launches itself

    def launch_rstudio_server(self, domain: Domain, ready_in: float) -> None:
        """The domain-shared RStudioServerPro app ``default``, launched now, InService ``ready_in`` seconds later.

        "The RStudioServerPro app is launched automatically when you create a Amazon SageMaker AI domain using
        the create-domain CLI command with the RStudioServerProDomainSettings parameter specified"
        (https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-create-cli.html); adding those settings with
        UpdateDomain launches it too (https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-add-existing.html
        checks its status after the update). Nothing is launched while a live one exists."""
        now = self.now
        existing = self.store.app(domain.domain_id, RSTUDIO_SERVER_KEY, now)
        if existing is not None and existing.status(now) not in FINISHED_APP:
            return
        owner = self.store.profile(domain.domain_id, DOMAIN_SHARED, now)
        self._launch(
            domain,
            owner,
            RSTUDIO_SERVER_KEY,
            owner_name=owner.name if owner is not None else DOMAIN_SHARED,
            app_name="default",
            when=now,
            ready_in=ready_in,
            resource_spec=self._resource_spec(domain, owner, "RStudioServerPro", None),
            tags=[],
        )

    def launch_studio_classic(self, domain: Domain, profile: UserProfile) -> None:
        """The JupyterServer app ``default`` that opening Studio Classic starts when the user has none live:
        CreateApp "is automatically invoked by Amazon SageMaker upon access to the associated Domain"
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateApp.html)."""
        now = self.now
        key: AppKey = ("user", profile.name.lower(), "JupyterServer", "default")
        existing = self.store.app(domain.domain_id, key, now)
        if existing is not None and existing.status(now) not in FINISHED_APP:
            return
        self._launch(
            domain,
            profile,
            key,
            owner_name=profile.name,
            app_name="default",
            when=now,
            ready_in=self._draw("app", "create"),
            resource_spec=self._resource_spec(domain, profile, "JupyterServer", None),
            tags=[],
        )

    def launch_again(self, old: App, when: datetime) -> None:
        """SageMaker's own CreateApp of an app that ended (see :mod:`.relaunch`): same type, name and owner,
        with the settings and inherited tags of now, launched at ``when``."""
        domain = self.store.domains[old.domain_id]
        owner = self.store.profiles.get(old.domain_id, {}).get(old.owner.lower())
        self._launch(
            domain,
            owner,
            (old.owner_kind, old.owner.lower(), old.app_type, old.name.lower()),
            owner_name=old.owner,
            app_name=old.name,
            when=when,
            ready_in=self._draw("app", "create"),
            resource_spec=self._resource_spec(domain, owner, old.app_type, None),
            tags=[],
        )

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
        # Tools match on AWS's wording for the two finished states: the Terraform AWS provider treats a
        # ValidationException containing "has already been deleted" or "previously failed and was
        # automatically deleted" as success (resourceAppDelete in internal/service/sagemaker/app.go of
        # https://github.com/hashicorp/terraform-provider-aws). The rest of each sentence is not public.
        if status == "Deleted":
            raise ValidationError(f"App [{app.arn}] has already been deleted.")
        if status == "Failed":
            raise ValidationError(f"App [{app.arn}] previously failed and was automatically deleted.")
        if status != "InService":
            # AWS-FACTS §1: only InService apps can be deleted; AWS's wording for Pending and Deleting apps
            # is not public.
            raise ValidationError(f"App [{app.arn}] is in {status} status and cannot be deleted.")
        duration = self._draw("app", "delete")
        app.timeline.plan(
            now,
            (0.0, "Deleting"),
            (duration, "Deleted"),
            (duration + DELETED_APP_RETENTION.total_seconds(), GONE),
        )
