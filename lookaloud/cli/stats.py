"""``lookaloud stats``: averages from the request log."""

from __future__ import annotations

import argparse
import sys

from lookaloud.cli.common import EXIT_OK


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from lookaloud.core.storage.logs import compute_metrics, request_log_path

    for line in compute_metrics(request_log_path()).to_lines():
        print(line, file=sys.stdout)
    return EXIT_OK
