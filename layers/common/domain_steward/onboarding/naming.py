"""Profile and space names derived from Identity Center user names.

SageMaker's UserProfileName and SpaceName are ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``: at most 63 letters,
digits and single-or-more hyphens between them (botocore's sagemaker model,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateUserProfile.html).
"""

from __future__ import annotations

import hashlib
import re

MAX_LENGTH = 63
_OTHERS = re.compile(r"[^a-z0-9]+")
_SUFFIX_LENGTH = 8


def profile_name(user_name: str) -> str:
    """``jane.doe@corp.com`` → ``jane-doe-corp-com``: lower case, runs of other characters become one ``-``,
    no ``-`` at either end, at most 63 characters. A name with no letter or digit becomes ``user``."""
    name = _OTHERS.sub("-", user_name.lower()).strip("-")[:MAX_LENGTH].rstrip("-")
    return name or "user"


def _with_suffix(base: str, key: str, reserve: int = 0) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:_SUFFIX_LENGTH]
    head = base[: MAX_LENGTH - reserve - _SUFFIX_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}"


def collision_name(user_name: str, user_id: str) -> str:
    """The name of a later user whose derived name is taken: the derived name, shortened if needed, plus a
    suffix from the user id, so the same user always gets the same name (a profile is never renamed)."""
    return _with_suffix(profile_name(user_name), user_id)


def space_name(profile: str) -> str:
    """The member's default private space: ``<profile>-space``, or a shortened name with a suffix from the
    whole profile name when that would pass 63 characters (two long profile names never share a space)."""
    name = f"{profile}-space"
    if len(name) <= MAX_LENGTH:
        return name
    return f"{_with_suffix(profile, profile, reserve=len('-space'))}-space"
