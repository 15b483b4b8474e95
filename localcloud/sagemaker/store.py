"""Where the emulated Studio resources live: one :class:`StudioStore` per account and Region.

Everything is indexed by domain (and by owner for apps and private spaces), so a call touches only the
resources it concerns: a domain with thousands of profiles costs no more per call than one with ten.
Resources that have reached the end of their timeline are dropped lazily, when next looked at.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from localcloud.sagemaker.latency import LatencyModel
from localcloud.sagemaker.lifecycle_config_model import StudioLifecycleConfig
from localcloud.sagemaker.models import App, Domain, OwnerKind, Resource, Space, UserProfile
from localcloud.sagemaker.options import StudioOptions

# Called on every settle with the current time; returns True once it has nothing left to watch.
Watcher = Callable[[datetime], bool]

# (owner kind, owner name lower-cased, app type, app name lower-cased): names are not case-sensitive.
AppKey = tuple[OwnerKind, str, str, str]
OwnerKey = tuple[OwnerKind, str]

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(order=True)
class _Effect:
    due: datetime
    order: int
    action: Callable[[], None] = field(compare=False)


class StudioStore:
    """The Studio resources of one account and Region, plus side effects that are due in the future."""

    def __init__(
        self,
        account_id: str,
        region: str,
        latency: LatencyModel,
        rng: random.Random,
        options: StudioOptions | None = None,
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.latency = latency
        self.random = rng
        self.options = options or StudioOptions()
        self.lock = threading.RLock()
        self._sequence = itertools.count()
        self.domains: dict[str, Domain] = {}
        self.profiles: dict[str, dict[str, UserProfile]] = {}
        self.spaces: dict[str, dict[str, Space]] = {}
        # domain id -> owner profile (lower-cased) -> space name (lower-cased) -> private/owned space
        self.owned_spaces: dict[str, dict[str, dict[str, Space]]] = {}
        self.apps: dict[str, dict[AppKey, App]] = {}
        # domain id -> owner -> app key -> app; lets DeleteUserProfile/DeleteSpace check only their own apps
        self.apps_by_owner: dict[str, dict[OwnerKey, dict[AppKey, App]]] = {}
        # Deleted (or Failed) app records replaced by a newer app of the same key; listed until gone.
        self.retired_apps: dict[str, list[App]] = {}
        # domain id -> SingleSignOnUserValue (lower-cased) -> profile: one Identity Center user per domain
        self.sso_profiles: dict[str, dict[str, UserProfile]] = {}
        self.by_arn: dict[str, Resource] = {}
        # Studio lifecycle configurations belong to the account and Region, not to a domain; keyed by the name
        # lower-cased, as their ARNs are.
        self.lifecycle_configs: dict[str, StudioLifecycleConfig] = {}
        self._effects: list[_Effect] = []
        # Conditions that no single due time captures (an app that may fail at any moment and is then
        # relaunched, see localcloud.sagemaker.relaunch); checked after the effects on every settle.
        self._watchers: list[Watcher] = []

    # -- identifiers ------------------------------------------------------------------------------

    def next_sequence(self) -> int:
        return next(self._sequence)

    def new_domain_id(self) -> str:
        while True:
            domain_id = "d-" + "".join(self.random.choice(_ID_ALPHABET) for _ in range(12))
            if domain_id not in self.domains:
                return domain_id

    def arn(self, resource: str) -> str:
        # SageMaker lower-cases the resource part of its ARNs (e.g. profile "default-20240725T130739"
        # appears as ".../user-profile/d-.../default-20240725t130739" in AWS error messages).
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{resource.lower()}"

    def index_arn(self, resource: Resource) -> None:
        self.by_arn[resource.arn.lower()] = resource

    def find_arn(self, arn: str) -> Resource | None:
        return self.by_arn.get(arn.lower())

    # -- future side effects (EFS clean-up when a domain is finally gone, ...) ----------------------

    def at(self, due: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self._effects, _Effect(due, next(self._sequence), action))

    def watch(self, watcher: Watcher) -> None:
        self._watchers.append(watcher)

    def settle(self, now: datetime) -> None:
        """Run every side effect that is due by ``now``, in order, then the watchers."""
        with self.lock:
            while self._effects and self._effects[0].due <= now:
                heapq.heappop(self._effects).action()
            if self._watchers:
                # A watcher may add watchers (a relaunched app is watched in turn): keep those too.
                watching, self._watchers = self._watchers, []
                self._watchers = [w for w in watching if not w(now)] + self._watchers

    # -- lookups that drop what is gone ------------------------------------------------------------

    def domain(self, domain_id: str, now: datetime) -> Domain | None:
        domain = self.domains.get(domain_id)
        if domain is None:
            return None
        if domain.timeline.gone(now):
            self._drop_domain(domain)
            return None
        return domain

    def live_domains(self, now: datetime) -> list[Domain]:
        return [d for d in list(self.domains.values()) if self.domain(d.domain_id, now) is not None]

    def profile(self, domain_id: str, name: str, now: datetime) -> UserProfile | None:
        profile = self.profiles.get(domain_id, {}).get(name.lower())
        if profile is None:
            return None
        if profile.timeline.gone(now):
            self._drop(self.profiles[domain_id], name.lower(), profile)
            return None
        return profile

    def domain_profiles(self, domain_id: str, now: datetime) -> list[UserProfile]:
        return [p for p in list(self.profiles.get(domain_id, {}).values()) if self.profile(domain_id, p.name, now)]

    def space(self, domain_id: str, name: str, now: datetime) -> Space | None:
        space = self.spaces.get(domain_id, {}).get(name.lower())
        if space is None:
            return None
        if space.timeline.gone(now):
            self._drop(self.spaces[domain_id], name.lower(), space)
            if space.owner:
                self.owned_spaces.get(domain_id, {}).get(space.owner.lower(), {}).pop(name.lower(), None)
            return None
        return space

    def domain_spaces(self, domain_id: str, now: datetime) -> list[Space]:
        return [s for s in list(self.spaces.get(domain_id, {}).values()) if self.space(domain_id, s.name, now)]

    def spaces_owned_by(self, domain_id: str, profile_name: str, now: datetime) -> list[Space]:
        owned = self.owned_spaces.get(domain_id, {}).get(profile_name.lower(), {})
        return [s for s in list(owned.values()) if self.space(domain_id, s.name, now)]

    def app(self, domain_id: str, key: AppKey, now: datetime) -> App | None:
        app = self.apps.get(domain_id, {}).get(key)
        if app is None:
            return None
        if app.timeline.gone(now):
            self._drop_app(domain_id, key, app)
            return None
        return app

    def apps_of(self, domain_id: str, owner: OwnerKey, now: datetime) -> list[App]:
        keys = list(self.apps_by_owner.get(domain_id, {}).get(owner, {}))
        return [app for key in keys if (app := self.app(domain_id, key, now)) is not None]

    def domain_apps(self, domain_id: str, now: datetime) -> Iterator[App]:
        """Every listed app record of a domain, retired ones (deleted, then re-created) included."""
        for key in list(self.apps.get(domain_id, {})):
            app = self.app(domain_id, key, now)
            if app is not None:
                yield app
        retired = self.retired_apps.get(domain_id)
        if retired:
            retired[:] = [app for app in retired if not app.timeline.gone(now)]
            yield from retired

    # -- registration --------------------------------------------------------------------------------

    def add_domain(self, domain: Domain) -> None:
        self.domains[domain.domain_id] = domain
        self.profiles[domain.domain_id] = {}
        self.spaces[domain.domain_id] = {}
        self.owned_spaces[domain.domain_id] = {}
        self.apps[domain.domain_id] = {}
        self.apps_by_owner[domain.domain_id] = {}
        self.retired_apps[domain.domain_id] = []
        self.sso_profiles[domain.domain_id] = {}
        self.index_arn(domain)

    def add_profile(self, profile: UserProfile) -> None:
        self.profiles[profile.domain_id][profile.name.lower()] = profile
        if profile.sso_value:
            self.sso_profiles[profile.domain_id][profile.sso_value.lower()] = profile
        self.index_arn(profile)

    def profile_for_sso_user(self, domain_id: str, user_name: str, now: datetime) -> UserProfile | None:
        profile = self.sso_profiles.get(domain_id, {}).get(user_name.lower())
        if profile is None or self.profile(domain_id, profile.name, now) is not profile:
            return None
        return profile

    def add_space(self, space: Space) -> None:
        self.spaces[space.domain_id][space.name.lower()] = space
        if space.owner:
            owned = self.owned_spaces[space.domain_id].setdefault(space.owner.lower(), {})
            owned[space.name.lower()] = space
        self.index_arn(space)

    def add_app(self, app: App, key: AppKey) -> None:
        previous = self.apps[app.domain_id].get(key)
        if previous is not None and previous.status(app.created) == "Deleted":
            # AWS keeps listing the deleted app next to the new one with the same name.
            self.retired_apps[app.domain_id].append(previous)
        self.apps[app.domain_id][key] = app
        self.apps_by_owner[app.domain_id].setdefault((key[0], key[1]), {})[key] = app
        self.index_arn(app)

    def add_lifecycle_config(self, config: StudioLifecycleConfig) -> None:
        self.lifecycle_configs[config.name.lower()] = config
        self.index_arn(config)

    def lifecycle_config(self, name: str) -> StudioLifecycleConfig | None:
        return self.lifecycle_configs.get(name.lower())

    def remove_lifecycle_config(self, config: StudioLifecycleConfig) -> None:
        self.lifecycle_configs.pop(config.name.lower(), None)
        self._unindex(config)

    # -- removal -------------------------------------------------------------------------------------

    def _unindex(self, resource: Resource) -> None:
        if self.by_arn.get(resource.arn.lower()) is resource:
            del self.by_arn[resource.arn.lower()]

    def _drop(self, table: dict[str, UserProfile] | dict[str, Space], key: str, resource: Resource) -> None:
        table.pop(key, None)
        self._unindex(resource)

    def _drop_app(self, domain_id: str, key: AppKey, app: App) -> None:
        self.apps[domain_id].pop(key, None)
        self.apps_by_owner[domain_id].get((key[0], key[1]), {}).pop(key, None)
        self._unindex(app)

    def _drop_domain(self, domain: Domain) -> None:
        domain_id = domain.domain_id
        del self.domains[domain_id]
        self._unindex(domain)
        # Whatever is left (failed or deleted apps of the reserved domain-shared profile) goes with it.
        leftovers: list[Resource] = list(self.profiles.get(domain_id, {}).values())
        leftovers.extend(self.spaces.get(domain_id, {}).values())
        leftovers.extend(self.apps.get(domain_id, {}).values())
        for resource in leftovers:
            self._unindex(resource)
        for table in (
            self.profiles,
            self.spaces,
            self.owned_spaces,
            self.apps,
            self.apps_by_owner,
            self.retired_apps,
            self.sso_profiles,
        ):
            table.pop(domain_id, None)


# -- the stores of the running local cloud ----------------------------------------------------------------


class Stores:
    """Every account's and Region's store, created on first use with the installed latencies and seed."""

    def __init__(
        self, latency: LatencyModel | None = None, seed: int = 0, options: StudioOptions | None = None
    ) -> None:
        self.latency = latency or LatencyModel()
        self.seed = seed
        self.options = options or StudioOptions()
        self._stores: dict[tuple[str, str], StudioStore] = {}
        self._lock = threading.Lock()

    def get(self, account_id: str, region: str) -> StudioStore:
        with self._lock:
            store = self._stores.get((account_id, region))
            if store is None:
                # Each store gets its own generator so ids do not depend on other Regions' traffic.
                rng = random.Random(f"{self.seed}/{account_id}/{region}")
                store = StudioStore(account_id, region, self.latency, rng, self.options)
                self._stores[(account_id, region)] = store
            return store

    def all(self) -> list[StudioStore]:
        with self._lock:
            return list(self._stores.values())


# ``_current[0]`` is replaced by ``localcloud.sagemaker.install`` for every fresh cloud.
_current: list[Stores] = [Stores()]


def reset(latency: LatencyModel, seed: int, options: StudioOptions | None = None) -> None:
    _current[0] = Stores(latency, seed, options)


def get_store(account_id: str, region: str) -> StudioStore:
    return _current[0].get(account_id, region)


def settle_all(now: datetime) -> None:
    """Run the side effects due by ``now`` in every store (called whenever the clock advances)."""
    for store in _current[0].all():
        store.settle(now)
