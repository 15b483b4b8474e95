"""``python -m localcloud serve --port 5000``: the local cloud as an HTTP endpoint on 127.0.0.1."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run moto with the local cloud's emulation on 127.0.0.1")
    serve.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1 (default 5000)")
    serve.add_argument("--seed", type=int, default=0, help="seed for generated ids (default 0)")
    # StudioOptions (localcloud/sagemaker/options.py): apps SageMaker may launch again by itself.
    serve.add_argument(
        "--relaunch-rstudio-server",
        action="store_true",
        help="relaunch a domain's RStudioServerPro app when it is deleted or fails",
    )
    serve.add_argument(
        "--relaunch-jupyter-server",
        action="store_true",
        help="relaunch a user's JupyterServer app when it is deleted while Studio Classic is open in a browser",
    )
    serve.add_argument(
        "--relaunch-delay", type=float, default=0.0, help="seconds from an app's end to its relaunch (default 0)"
    )
    arguments = parser.parse_args(argv)

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # `kill` (SIGTERM) stops the server as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, interrupt)
    from localcloud.sagemaker.options import StudioOptions
    from localcloud.server import serve as run

    studio = StudioOptions(
        relaunch_rstudio_server=arguments.relaunch_rstudio_server,
        relaunch_jupyter_server=arguments.relaunch_jupyter_server,
        relaunch_delay=arguments.relaunch_delay,
    )
    run(arguments.port, seed=arguments.seed, studio=studio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
