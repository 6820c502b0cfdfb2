"""Starting the desktop app. The window itself is built in a later step (issue 4); until then
``lookaloud`` with no command says so plainly and shows what the command line can do."""

from __future__ import annotations

import sys


def launch() -> int:
    from lookaloud.core.cli import build_parser

    print(
        "lookaloud: the desktop window is not built yet; use the commands below, "
        "for example: lookaloud describe screenshot.png --speak",
        file=sys.stderr,
    )
    build_parser().print_help()
    return 2
