"""Keep AWS's built-in idle shutdown of JupyterLab and Code Editor in step with the domain's auto-stop policy.

``AppLifecycleManagement.IdleSettings`` exists only for JupyterLab and Code Editor (AWS-FACTS §1;
https://docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-idle-shutdown.html) with
``IdleTimeoutInMinutes`` between 60 and 525600
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_IdleSettings.html). With
``sync_builtin_idle_settings: true`` the domain's defaults are set to the policy's ``idle_minutes`` for each of
the two types (raised to 60 if lower), with one ``UpdateDomain`` only when they differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain_steward.config import AutoStopPolicy

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

SETTINGS_KEYS = {"JupyterLab": "JupyterLabAppSettings", "CodeEditor": "CodeEditorAppSettings"}
MIN_IDLE_TIMEOUT = 60
MAX_IDLE_TIMEOUT = 525600


def desired_idle_settings(policy: AutoStopPolicy, app_type: str, current: dict[str, Any]) -> dict[str, Any]:
    minutes = min(max(policy.for_app_type(app_type).idle_minutes, MIN_IDLE_TIMEOUT), MAX_IDLE_TIMEOUT)
    settings = {**current, "LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": minutes}
    # A user's own choice must stay allowed to include the domain's value: widen the range, never narrow it.
    if "MinIdleTimeoutInMinutes" in current:
        settings["MinIdleTimeoutInMinutes"] = min(int(current["MinIdleTimeoutInMinutes"]), minutes)
    if "MaxIdleTimeoutInMinutes" in current:
        settings["MaxIdleTimeoutInMinutes"] = max(int(current["MaxIdleTimeoutInMinutes"]), minutes)
    return settings


def sync_builtin_idle(sagemaker: SageMakerClient, domain_id: str, policy: AutoStopPolicy, *, dry_run: bool) -> str:
    """Bring the domain's default IdleSettings in line with ``policy``; returns what was done, for the log."""
    domain = sagemaker.describe_domain(DomainId=domain_id)
    if domain.get("Status") != "InService":
        return f"domain is {domain.get('Status')}: IdleSettings are left for the next sweep"
    defaults: dict[str, Any] = dict(domain.get("DefaultUserSettings") or {})
    update: dict[str, Any] = {}
    for app_type, key in SETTINGS_KEYS.items():
        app_settings: dict[str, Any] = dict(defaults.get(key) or {})
        lifecycle: dict[str, Any] = dict(app_settings.get("AppLifecycleManagement") or {})
        current: dict[str, Any] = dict(lifecycle.get("IdleSettings") or {})
        desired = desired_idle_settings(policy, app_type, current)
        if desired != current:
            # The whole app settings go back, so nothing else in them depends on how UpdateDomain merges.
            update[key] = {**app_settings, "AppLifecycleManagement": {**lifecycle, "IdleSettings": desired}}
    if not update:
        return "IdleSettings already match the policy"
    changed = ", ".join(sorted(update))
    if dry_run:
        return f"dry run: would update {changed}"
    sagemaker.update_domain(DomainId=domain_id, DefaultUserSettings=update)  # type: ignore[arg-type]
    return f"updated {changed}"
