"""Test controls for a user's browser: Studio Classic open in a tab, or closed.

- :func:`open_browser_tab` — the user opens Studio Classic: if they have no live ``JupyterServer`` app
  named ``default``, SageMaker launches one, as CreateApp "is automatically invoked by Amazon SageMaker upon
  access to the associated Domain" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateApp.html).
  While the tab stays open, and ``StudioOptions(relaunch_jupyter_server=True)``, deleting that app brings it
  back (see :mod:`.relaunch`).
- :func:`close_browser_tab` — the user closes it; a deleted app then stays deleted.
"""

from __future__ import annotations

from localcloud.clock import get_clock
from localcloud.sagemaker.apps import AppOperations
from localcloud.sagemaker.models import UserProfile
from localcloud.sagemaker.store import StudioStore, get_store

# Studio Classic opens only for a profile, and in a domain, that can run apps.
_USABLE = frozenset({"InService", "Updating"})


def _profile(store: StudioStore, domain_id: str, user_profile_name: str) -> UserProfile:
    profile = store.profile(domain_id, user_profile_name, get_clock().now())
    if profile is None:
        raise LookupError(f"no user profile {user_profile_name} in domain {domain_id}")
    return profile


def open_browser_tab(account_id: str, region: str, domain_id: str, user_profile_name: str) -> None:
    """The user opens Studio Classic now (ValueError unless the profile and its domain can run apps)."""
    store = get_store(account_id, region)
    now = get_clock().now()
    with store.lock:
        store.settle(now)
        profile = _profile(store, domain_id, user_profile_name)
        domain = store.domains[profile.domain_id]
        for resource, label in ((domain, "domain"), (profile, "user profile")):
            status = resource.status(now)
            if status not in _USABLE:
                raise ValueError(f"Studio Classic cannot open while the {label} is {status}")
        profile.browser_tab_open = True
        AppOperations(store).launch_studio_classic(domain, profile)


def close_browser_tab(account_id: str, region: str, domain_id: str, user_profile_name: str) -> None:
    """The user closes Studio Classic now; their apps keep running."""
    store = get_store(account_id, region)
    with store.lock:
        _profile(store, domain_id, user_profile_name).browser_tab_open = False
