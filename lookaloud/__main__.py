"""Entry point: ``lookaloud`` with a command runs the CLI; with none, it opens the desktop app."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        from lookaloud.desktop.launch import launch

        return launch()
    from lookaloud.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
