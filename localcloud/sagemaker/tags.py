"""AddTags, ListTags and DeleteTags on Studio resources (moto keeps tagging everything else)."""

from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ResourceNotFound, ValidationError

from localcloud.sagemaker.base import (
    StudioBase,
    merge_tags,
    tags_view,
    validate_input,
)
from localcloud.sagemaker.listing import paginate
from localcloud.sagemaker.models import (
    Resource,
)

# TagList's maximum in the model: a resource carries at most 50 tags.
MAX_TAGS = 50


class TagOperations(StudioBase):
    """AddTags, ListTags and DeleteTags on Studio resources (moto keeps tagging everything else)."""

    def owns_arn(self, arn: str) -> bool:
        """Whether ``arn`` names a Studio resource (ours) rather than something moto's own backend tags."""
        prefix = f"arn:aws:sagemaker:{self.store.region}:{self.store.account_id}:".lower()
        lowered = arn.lower()
        if not lowered.startswith(prefix):
            return False
        return lowered[len(prefix) :].split("/", 1)[0] in (
            "domain",
            "user-profile",
            "space",
            "app",
            "studio-lifecycle-config",
        )

    def _tagged(self, arn: str) -> Resource:
        resource = self.store.find_arn(arn)
        if resource is None or resource.status(self.now) is None:
            raise ResourceNotFound(f"Resource [{arn}] does not exist.")
        return resource

    def add_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("AddTags", params)
        resource = self._tagged(params["ResourceArn"])
        merged = merge_tags(resource.tags, params["Tags"])
        if len(merged) > MAX_TAGS:
            raise ValidationError(
                f"A resource can have at most {MAX_TAGS} tags; [{resource.arn}] would have {len(merged)}."
            )
        resource.tags = merged
        return {"Tags": tags_view(resource.tags)}

    def list_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("ListTags", params)
        resource = self._tagged(params["ResourceArn"])
        page, token = paginate(
            resource.tags,
            params.get("MaxResults"),
            params.get("NextToken"),
            {"op": "ListTags", "arn": resource.arn},
            default_limit=50,
        )
        return {"Tags": tags_view(page), **({"NextToken": token} if token else {})}

    def delete_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        validate_input("DeleteTags", params)
        resource = self._tagged(params["ResourceArn"])
        keys = set(params["TagKeys"])
        resource.tags = [tag for tag in resource.tags if tag["Key"] not in keys]
        return {}
