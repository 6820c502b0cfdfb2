"""The ``lookaloud`` command line, a front end like ``lookaloud.desktop``: it uses
``lookaloud.core`` and nothing in core imports it.

``main`` parses and dispatches; ``common`` holds exit codes, output and the flags merged into
the settings; each command has its own module (describe, batch, models, stats, cache, remote).
"""

from __future__ import annotations

from lookaloud.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
