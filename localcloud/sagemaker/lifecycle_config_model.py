"""The emulated Studio lifecycle configuration: a named, immutable script for one app type."""

from __future__ import annotations

from dataclasses import dataclass

from localcloud.sagemaker.models import Resource


@dataclass(eq=False)
class StudioLifecycleConfig(Resource):
    """A lifecycle configuration. It has no status of its own: it exists from CreateStudioLifecycleConfig until
    DeleteStudioLifecycleConfig, and never changes ("Studio Lifecycle Configurations are immutable",
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeStudioLifecycleConfig.html)."""

    name: str = ""
    app_type: str = ""
    content: str = ""  # base64, as given
