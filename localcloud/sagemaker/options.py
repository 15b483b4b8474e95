"""Choices for SageMaker Studio behaviour that AWS documents loosely, so code can be tested against each answer.

    LocalCloud(studio=StudioOptions(relaunch_rstudio_server=True))
    python -m localcloud serve --relaunch-rstudio-server

Both relaunches are off by default: the local cloud then does only what AWS documents step by step (an
app that is deleted stays deleted). A relaunch, when it happens, is SageMaker's own ``CreateApp``: a new
app record with the same type, name and owner, ``Pending`` and then ``InService`` after the app create
latency, tagged as at creation; the deleted record stays listed as ``Deleted`` for about 24 h.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StudioOptions:
    """How the emulated SageMaker relaunches apps by itself.

    ``relaunch_rstudio_server``: the ``domain-shared`` ``RStudioServerPro`` app named ``default`` is launched
    again when it reaches ``Deleted`` or ``Failed``, while its domain is ``InService`` or ``Updating`` and
    still has ``RStudioServerProDomainSettings``. AWS's RStudio set-up guide says the domain execution role
    "allows Amazon SageMaker AI to automatically launch an RStudioServerPro app when the existing
    RStudioServerPro app is in a Deleted or Failed status"
    (https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-create-cli.html), while its shut-down guide
    deletes and re-creates the app by hand (https://docs.aws.amazon.com/sagemaker/latest/dg/rstudio-shutdown.html):
    unconfirmed, hence optional.

    ``relaunch_jupyter_server``: a user profile's Studio Classic ``JupyterServer`` app named ``default`` is
    launched again when it reaches ``Deleted`` while a browser tab of Studio Classic is open for that
    profile (``LocalCloud.open_browser_tab``) and the profile and domain are ``InService`` or ``Updating``.
    AWS: "If you delete the JupyterServer application while the Studio Classic UI is still open in the
    browser, SageMaker AI automatically re-creates the JupyterServer application"
    (https://docs.aws.amazon.com/sagemaker/latest/dg/studio-tasks-update-studio.html). A failed JupyterServer
    app is not relaunched (AWS says nothing about failures).

    ``relaunch_delay``: seconds from the old app's end (``Deleted`` or ``Failed``) to the new app's launch.
    AWS publishes none. With 0 (the default) the new app exists from the instant the old one ends, so
    ``DeleteDomain`` / ``DeleteUserProfile`` never find a moment without a live app: the hardest case for a
    teardown. A positive delay leaves that window open.
    """

    relaunch_rstudio_server: bool = False
    relaunch_jupyter_server: bool = False
    relaunch_delay: float = 0.0

    def __post_init__(self) -> None:
        if self.relaunch_delay < 0:
            raise ValueError(f"relaunch_delay must not be negative, got {self.relaunch_delay}")
