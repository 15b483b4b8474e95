"""The teardown's input (INTERFACES.md): validated strictly, so that a typo never deletes with a default.

{"DomainId": "d-…", "Confirm": "d-…", "HomeEfsFileSystem": "Retain" | "Delete", "DryRun": false,
 "StageTimeoutMinutes": 60}
{"DomainId": "d-…", "UserProfileName": "…", "Confirm": "<the profile name>"}   # one person's resources
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_pascal

from domain_steward.teardown.errors import InvalidInput

# botocore's patterns for DomainId and UserProfileName (SageMaker API model), anchored.
DOMAIN_ID_PATTERN = r"^d-(-*[a-z0-9]){1,61}$"
PROFILE_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"


class TeardownRequest(BaseModel):
    model_config = ConfigDict(alias_generator=to_pascal, extra="forbid", strict=True, frozen=True)

    domain_id: str = Field(pattern=DOMAIN_ID_PATTERN, max_length=63)
    user_profile_name: str | None = Field(default=None, pattern=PROFILE_NAME_PATTERN, max_length=63)
    confirm: str
    home_efs_file_system: Literal["Retain", "Delete"] | None = None
    dry_run: bool = False
    stage_timeout_minutes: int = Field(default=60, ge=1, le=1440)

    @model_validator(mode="after")
    def _scope(self) -> TeardownRequest:
        if self.user_profile_name is not None and self.home_efs_file_system is not None:
            raise ValueError("HomeEfsFileSystem applies to a whole domain; leave it out when UserProfileName is given")
        return self

    @property
    def profile_scope(self) -> bool:
        return self.user_profile_name is not None

    @property
    def retention(self) -> Literal["Retain", "Delete"]:
        """What happens to the home EFS and its network: AWS's own default is Retain (DeleteDomain)."""
        return self.home_efs_file_system or "Retain"

    @property
    def target(self) -> str:
        """What ``Confirm`` must repeat: the domain id, or the profile name in the user-profile scope."""
        return self.user_profile_name or self.domain_id

    def normalised(self) -> dict[str, Any]:
        """The request with every default filled in, as the workflow carries it."""
        body = self.model_dump(by_alias=True)
        if not self.profile_scope:
            body["HomeEfsFileSystem"] = self.retention
        return body


def parse_request(event: Any) -> TeardownRequest:
    """The request in ``event``, or :class:`InvalidInput` naming every problem with its field."""
    if not isinstance(event, dict):
        raise InvalidInput(f"The input must be a JSON object, not {type(event).__name__}.")
    try:
        return TeardownRequest.model_validate(event)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'input'}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        )
        raise InvalidInput(f"The teardown input is not valid: {problems}.") from None
