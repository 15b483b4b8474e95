"""Studio lifecycle configurations: CreateStudioLifecycleConfig, DescribeStudioLifecycleConfig,
ListStudioLifecycleConfigs and DeleteStudioLifecycleConfig, and the rules of the settings and apps that name them.

Sources: the API reference (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateStudioLifecycleConfig.html,
API_DescribeStudioLifecycleConfig.html, API_ListStudioLifecycleConfigs.html, API_DeleteStudioLifecycleConfig.html)
and botocore's model. AWS documents how configurations are attached
(https://docs.aws.amazon.com/sagemaker/latest/dg/jl-lcc-create.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/code-editor-use-lifecycle-configurations-studio-create.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/studio-lcc-defaults.html) but not the errors a wrong attachment
gets: those are ValidationExceptions in our own words (the operations that take settings model no NotFound error
for them), and where a rule is undocumented the stricter plausible one is enforced, as said beside it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError

from localcloud.sagemaker.base import FINISHED_APP, StudioBase, merge_tags, validate_input
from localcloud.sagemaker.lifecycle_config_model import StudioLifecycleConfig
from localcloud.sagemaker.listing import paginate, sort_items
from localcloud.sagemaker.models import Domain, Space, Timeline, UserProfile
from localcloud.sagemaker.store import StudioStore

# The app types a lifecycle configuration can be for (StudioLifecycleConfigAppType in botocore's model), and the
# member of user, space and domain settings where each is attached.
APP_SETTINGS = {
    "JupyterServer": "JupyterServerAppSettings",
    "KernelGateway": "KernelGatewayAppSettings",
    "JupyterLab": "JupyterLabAppSettings",
    "CodeEditor": "CodeEditorAppSettings",
}


def _decodes_as_base64(content: str) -> bool:
    try:
        base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _when(value: Any) -> datetime:
    """A timestamp member as moto hands it over: epoch seconds from JSON clients, or ISO 8601 text."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    try:
        return _when(float(value))
    except ValueError:
        return _when(datetime.fromisoformat(str(value)))


_TIME_FILTERS = ("CreationTimeBefore", "CreationTimeAfter", "ModifiedTimeBefore", "ModifiedTimeAfter")


def _within(created: datetime, bounds: Mapping[str, datetime]) -> bool:
    # A configuration is never modified: its LastModifiedTime is its CreationTime.
    checks = {
        "CreationTimeBefore": lambda at: created <= at,
        "CreationTimeAfter": lambda at: created >= at,
        "ModifiedTimeBefore": lambda at: created < at,
        "ModifiedTimeAfter": lambda at: created > at,
    }
    return all(checks[key](at) for key, at in bounds.items())


def _view(config: StudioLifecycleConfig, *, content: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "StudioLifecycleConfigArn": config.arn,
        "StudioLifecycleConfigName": config.name,
        "CreationTime": config.created,
        # "equivalent to CreationTime because ... Lifecycle Configurations are immutable"
        # (API_DescribeStudioLifecycleConfig.html).
        "LastModifiedTime": config.created,
        "StudioLifecycleConfigAppType": config.app_type,
    }
    if content:
        view["StudioLifecycleConfigContent"] = config.content
    return view


# ========================================================================== rules of the resources that name them


def _attached(settings: Mapping[str, Any] | None, app_type: str) -> Iterator[tuple[str, str]]:
    """(where, ARN) of every configuration ``settings`` attach for ``app_type``: its LifecycleConfigArns and its
    DefaultResourceSpec.LifecycleConfigArn."""
    key = APP_SETTINGS[app_type]
    app_settings = (settings or {}).get(key) or {}
    for arn in app_settings.get("LifecycleConfigArns") or []:
        yield f"{key}.LifecycleConfigArns", arn
    default = (app_settings.get("DefaultResourceSpec") or {}).get("LifecycleConfigArn")
    if default:
        yield f"{key}.DefaultResourceSpec.LifecycleConfigArn", default


def _existing(store: StudioStore, arn: str, where: str) -> StudioLifecycleConfig:
    config = store.find_arn(arn)
    if not isinstance(config, StudioLifecycleConfig):
        raise ValidationError(f"{where}: Studio lifecycle config [{arn}] does not exist.")
    return config


def check_settings(store: StudioStore, *all_settings: Mapping[str, Any] | None) -> None:
    """The lifecycle configurations named in user, default user, space or default space settings.

    - Each must exist and be for the app type of the settings it is in: a configuration is created first with
      the app type it is for, then its ARN is attached in that app's settings (jl-lcc-create.html; "be sure to
      specify that the studio-lifecycle-config-app-type is CodeEditor ... provide this ARN within the
      LifecycleConfigArns list of CodeEditorAppSettings",
      code-editor-use-lifecycle-configurations-studio-create.html). What AWS answers otherwise is undocumented.
    - JupyterServerAppSettings.LifecycleConfigArns: "If you use this parameter, the DefaultResourceSpec parameter
      is also required" (botocore's model,
      https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_JupyterServerAppSettings.html).
    - A default (DefaultResourceSpec.LifecycleConfigArn) given next to a LifecycleConfigArns list must be one of
      them: AWS's examples always list the default too (studio-lcc-defaults.html); undocumented as a rule, so
      the stricter reading.
    """
    for settings in all_settings:
        _check_one(store, settings)


def _check_one(store: StudioStore, settings: Mapping[str, Any] | None) -> None:
    for app_type, key in APP_SETTINGS.items():
        for where, arn in _attached(settings, app_type):
            config = _existing(store, arn, where)
            if config.app_type != app_type:
                raise ValidationError(
                    f"{where}: Studio lifecycle config [{config.arn}] is for {config.app_type} apps, not {app_type}."
                )
        app_settings = (settings or {}).get(key) or {}
        listed = app_settings.get("LifecycleConfigArns")
        default_spec = app_settings.get("DefaultResourceSpec")
        if app_type == "JupyterServer" and listed and not default_spec:
            raise ValidationError(
                "JupyterServerAppSettings.DefaultResourceSpec is required when LifecycleConfigArns is given."
            )
        default = (default_spec or {}).get("LifecycleConfigArn")
        if default and listed is not None and default.lower() not in {arn.lower() for arn in listed}:
            raise ValidationError(
                f"{key}.DefaultResourceSpec.LifecycleConfigArn [{default}] must also be in {key}.LifecycleConfigArns."
            )


def check_app_spec(
    store: StudioStore,
    app_type: str,
    spec: Mapping[str, Any] | None,
    *,
    domain: Domain,
    owner: UserProfile | Space | None,
    now: datetime,
) -> None:
    """CreateApp's ``ResourceSpec.LifecycleConfigArn``: an existing configuration for the app's type, attached
    where the app is launched.

    Only JupyterServer, KernelGateway, JupyterLab and CodeEditor apps take one (StudioLifecycleConfigAppType's
    enum). Users pick among the configurations attached to their domain or user profile (jl-lcc-create.html:
    "attach the lifecycle configuration to a domain or user profile", then choose it when running a space);
    AWS does not document what CreateApp does with one that is not attached: refused here (stricter).
    """
    arn = (spec or {}).get("LifecycleConfigArn")
    if not arn:
        return
    where = "ResourceSpec.LifecycleConfigArn"
    if app_type not in APP_SETTINGS:
        raise ValidationError(f"{where}: {app_type} apps do not run Studio lifecycle configurations.")
    config = _existing(store, arn, where)
    if config.app_type != app_type:
        raise ValidationError(f"{where}: Studio lifecycle config [{config.arn}] is for {config.app_type} apps.")
    candidates: list[Mapping[str, Any] | None] = [domain.default_user_settings]
    if isinstance(owner, UserProfile):
        candidates.append(owner.user_settings)
    elif isinstance(owner, Space):
        candidates += [owner.space_settings, domain.default_space_settings]
        owner_profile = store.profile(domain.domain_id, owner.owner, now) if owner.owner else None
        if owner_profile is not None:
            candidates.append(owner_profile.user_settings)
    attached = {found.lower() for settings in candidates for _, found in _attached(settings, app_type)}
    if config.arn.lower() not in attached:
        raise ValidationError(
            f"{where}: Studio lifecycle config [{config.arn}] is not attached to the domain, user profile or space."
        )


def _users(store: StudioStore, config: StudioLifecycleConfig, now: datetime) -> Iterator[str]:
    """What still names ``config``: settings of domains, profiles and spaces, and apps that are not finished."""
    arn = config.arn.lower()

    def names(settings: Mapping[str, Any] | None) -> bool:
        return any(found.lower() == arn for _, found in _attached(settings, config.app_type))

    for domain in store.live_domains(now):
        if names(domain.default_user_settings) or names(domain.default_space_settings):
            yield domain.arn
        for profile in store.domain_profiles(domain.domain_id, now):
            if names(profile.user_settings):
                yield profile.arn
        for space in store.domain_spaces(domain.domain_id, now):
            if names(space.space_settings):
                yield space.arn
        for app in store.domain_apps(domain.domain_id, now):
            spec_arn = str((app.resource_spec or {}).get("LifecycleConfigArn") or "").lower()
            if spec_arn == arn and app.status(now) not in FINISHED_APP:
                yield app.arn


# ========================================================================== the operations


class LifecycleConfigOperations(StudioBase):
    """CreateStudioLifecycleConfig, DescribeStudioLifecycleConfig, ListStudioLifecycleConfigs and
    DeleteStudioLifecycleConfig (their tags go through :mod:`.tags`)."""

    def _lifecycle_config(self, name: str) -> StudioLifecycleConfig:
        config = self.store.lifecycle_config(name)
        if config is None:
            arn = self.store.arn(f"studio-lifecycle-config/{name}")
            raise ResourceNotFound(f"Studio lifecycle config [{arn}] does not exist.")
        return config

    def create_studio_lifecycle_config(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("CreateStudioLifecycleConfig", params)
        name, content = params["StudioLifecycleConfigName"], params["StudioLifecycleConfigContent"]
        if not _decodes_as_base64(content):
            # "This content must be base64 encoded" (API_CreateStudioLifecycleConfig.html); the wording is ours.
            raise ValidationError("StudioLifecycleConfigContent must be base64 encoded.")
        store, now = self.store, self.now
        arn = store.arn(f"studio-lifecycle-config/{name}")
        if store.lifecycle_config(name) is not None:
            # ResourceInUse is CreateStudioLifecycleConfig's only modelled error; names match whatever their case,
            # as the lower-cased ARNs would otherwise collide.
            raise ResourceInUseException(f"Studio lifecycle config [{arn}] already exists.")
        config = StudioLifecycleConfig(
            arn=arn,
            created=now,
            sequence=store.next_sequence(),
            timeline=Timeline(now, "InService"),
            tags=merge_tags([], params.get("Tags") or []),
            name=name,
            app_type=params["StudioLifecycleConfigAppType"],
            content=content,
        )
        store.add_lifecycle_config(config)
        return {"StudioLifecycleConfigArn": arn}

    def describe_studio_lifecycle_config(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("DescribeStudioLifecycleConfig", params)
        return _view(self._lifecycle_config(params["StudioLifecycleConfigName"]), content=True)

    def list_studio_lifecycle_configs(self, params: dict[str, Any]) -> dict[str, Any]:
        """Filters as API_ListStudioLifecycleConfigs.html words them: creation "on or before" / "on or after",
        modification strictly "before" / "after"; sorted by CreationTime, Descending, unless asked otherwise."""
        validate_input("ListStudioLifecycleConfigs", params)
        contains = (params.get("NameContains") or "").lower()
        app_type = params.get("AppTypeEquals")
        bounds = {k: _when(params[k]) for k in _TIME_FILTERS if params.get(k) is not None}
        items = [
            config
            for config in self.store.lifecycle_configs.values()
            if contains in config.name.lower()
            and (app_type is None or config.app_type == app_type)
            and _within(config.created, bounds)
        ]
        ordered = sort_items(
            items,
            params.get("SortBy"),
            params.get("SortOrder") or "Descending",
            {
                "CreationTime": lambda c: (c.created, c.sequence),
                "LastModifiedTime": lambda c: (c.created, c.sequence),
                "Name": lambda c: (c.name, c.sequence),
            },
        )
        query = {k: params.get(k) for k in ("NameContains", "AppTypeEquals", "SortBy", "SortOrder", *_TIME_FILTERS)}
        page, token = paginate(
            ordered, params.get("MaxResults"), params.get("NextToken"), {"op": "ListStudioLifecycleConfigs", **query}
        )
        return {
            "StudioLifecycleConfigs": [_view(config, content=False) for config in page],
            **({"NextToken": token} if token else {}),
        }

    def delete_studio_lifecycle_config(self, params: dict[str, Any]) -> None:
        """ "there must be no running apps using the Lifecycle Configuration. You must also remove the Lifecycle
        Configuration from UserSettings in all Domains and UserProfiles" (botocore's model,
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteStudioLifecycleConfig.html, whose
        modelled errors include ResourceInUse). Space settings and default space settings count too (stricter:
        AWS names only UserSettings, but spaces attach configurations the same way)."""
        validate_input("DeleteStudioLifecycleConfig", params)
        config = self._lifecycle_config(params["StudioLifecycleConfigName"])
        users = list(_users(self.store, config, self.now))
        if users:
            raise ResourceInUseException(
                f"Unable to delete Studio lifecycle config [{config.arn}] because it is in use by: {', '.join(users)}."
            )
        self.store.remove_lifecycle_config(config)
