"""Profile and space names (issue 7: readable, stable, valid, at most 63 characters)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from domain_steward.onboarding.naming import collision_name, profile_name, space_name

# UserProfileName and SpaceName pattern of botocore's sagemaker model
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateUserProfile.html).
SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def test_an_email_user_name_becomes_a_readable_profile_name():
    assert profile_name("jane.doe@corp.com") == "jane-doe-corp-com"
    assert profile_name("  Jane__Doe++ ") == "jane-doe"
    assert profile_name("@@@") == "user"


def test_a_collision_name_is_the_derived_name_with_a_suffix_of_the_user_id():
    first = collision_name("jane.doe", "94e80458-9021-70ea-08fa-c3a10a1d8a92")
    assert first.startswith("jane-doe-")
    assert first == collision_name("jane.doe", "94e80458-9021-70ea-08fa-c3a10a1d8a92")  # deterministic
    assert first != collision_name("jane.doe", "117b5560-c041-70cf-2973-8b2ec16f4d4e")


def test_long_names_are_cut_to_63_characters():
    long = "a" * 70 + "@corp.com"
    assert profile_name(long) == "a" * 63
    assert len(collision_name(long, "x")) == 63
    assert len(space_name("a" * 63)) == 63
    assert space_name("a" * 63) != space_name("a" * 62 + "b")


@given(st.text(max_size=200))
def test_every_user_name_gives_valid_names(user_name: str):
    name = profile_name(user_name)
    assert SAGEMAKER_NAME.match(name)
    assert SAGEMAKER_NAME.match(collision_name(user_name, "some-user-id"))
    assert SAGEMAKER_NAME.match(space_name(name))
    assert SAGEMAKER_NAME.match(space_name(collision_name(user_name, "some-user-id")))
