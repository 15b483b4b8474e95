"""CreateUserProfile, DescribeUserProfile, ListUserProfiles, UpdateUserProfile and DeleteUserProfile."""

from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ResourceInUseException, ValidationError

from localcloud import ssoadmin
from localcloud.sagemaker.base import (
    StudioBase,
    merge_settings,
    merge_tags,
    validate_input,
)
from localcloud.sagemaker.lifecycle_configs import check_settings as check_lifecycle_configs
from localcloud.sagemaker.models import (
    App,
    Domain,
    UserProfile,
)
from localcloud.sagemaker.validation import check_jupyter_server_settings, check_name


class UserProfileOperations(StudioBase):
    """CreateUserProfile, DescribeUserProfile, ListUserProfiles, UpdateUserProfile and DeleteUserProfile."""

    def create_user_profile(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("CreateUserProfile", params)
        name = params["UserProfileName"]
        check_name(name, "UserProfileName")
        check_jupyter_server_settings(params.get("UserSettings"))
        check_lifecycle_configs(self.store, params.get("UserSettings"))
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
            self._check_identity_center_user(domain, value)
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
            tags=merge_tags([], params.get("Tags") or []),
            domain_id=domain.domain_id,
            name=name,
            home_uid=domain.allocate_home_uid(),
            user_settings=params.get("UserSettings"),
            sso_identifier=identifier,
            sso_value=value,
        )
        store.add_profile(profile)
        return {"UserProfileArn": arn}

    @staticmethod
    def _check_identity_center_user(domain: Domain, user_name: str) -> None:
        """``SingleSignOnUserValue`` "must match a valid username of a user in your directory" (botocore's
        CreateUserProfile model; https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateUserProfile.html).
        AWS's error for an unknown user is not documented: a ValidationException, in our own words."""
        application = domain.single_sign_on_application_arn
        if application is None or ssoadmin.user_id_for_name(application, user_name) is None:
            raise ValidationError(
                f"SingleSignOnUserValue '{user_name}' does not match the user name of any user in the "
                f"IAM Identity Center directory of domain {domain.domain_id}."
            )

    def describe_user_profile(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("DescribeUserProfile", params)
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

    def list_user_profiles(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("ListUserProfiles", params)
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
        validate_input("UpdateUserProfile", params)
        profile = self._profile(params["DomainId"], params["UserProfileName"])
        now = self.now
        self._check_updatable(profile, now, "User profile")
        check_jupyter_server_settings(params.get("UserSettings"))
        check_lifecycle_configs(self.store, params.get("UserSettings"))
        self._check_security_groups_change(profile, params.get("UserSettings"))
        profile.user_settings = merge_settings(profile.user_settings, params.get("UserSettings"))
        self._plan_update(profile, "user_profile", now)
        return {"UserProfileArn": profile.arn}

    def _check_security_groups_change(self, profile: UserProfile, update: dict[str, Any] | None) -> None:
        """``UserSettings.SecurityGroups`` cannot change while the profile runs apps.

        Sources: AWS documents the same rule for the settings apps are launched with ("can only be updated
        if there are no applications running", https://docs.aws.amazon.com/sagemaker/latest/dg/domain-edit.html;
        UpdateDomain's network members: "no apps in the InService, Pending, or Deleting state", botocore's
        model); the security groups apply to the user's apps and to the private spaces the user creates
        (UserSettings.SecurityGroups in botocore's model). We found no page that words the rule for
        UpdateUserProfile, nor its error: ResourceInUse (the operation's modelled error for a resource in
        use), with our own wording. Apps that are Pending count as well (stricter: they start with the old
        groups, as ExecutionRoleIdentityConfig's "no apps in the InService or Pending state" has it).
        """
        if update is None or "SecurityGroups" not in update:
            return
        current = set((profile.user_settings or {}).get("SecurityGroups") or [])
        if set(update["SecurityGroups"] or []) == current:
            return
        running = self._running_apps(profile)
        if running:
            names = ", ".join(f"{app.app_type}/{app.name} ({app.owner})" for app in running)
            raise ResourceInUseException(
                f"Unable to update SecurityGroups of UserProfile [{profile.arn}] while it has running App(s): "
                f"{names}. Delete them first."
            )

    def _running_apps(self, profile: UserProfile) -> list[App]:
        """The Pending or InService apps of the profile and of the private spaces it owns."""
        store, now, domain_id = self.store, self.now, profile.domain_id
        apps = store.apps_of(domain_id, ("user", profile.name.lower()), now)
        for space in store.spaces_owned_by(domain_id, profile.name, now):
            if space.sharing_type == "Private":
                apps += store.apps_of(domain_id, ("space", space.name.lower()), now)
        return [app for app in apps if app.status(now) in ("Pending", "InService")]

    def delete_user_profile(self, params: dict[str, Any]) -> None:
        validate_input("DeleteUserProfile", params)
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
