"""The ``lookaloud`` command line: describe images, manage models, read the metrics.

Exit status of ``describe``: 0 when every image got a description (the facts-only fallback
counts), 1 when any image failed (the others are still processed), 2 on usage errors, 130 when
the user pressed Ctrl+C.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from lookaloud.core.errors import Cancelled, LookaloudError, SettingsError
from lookaloud.core.settings import Settings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lookaloud",
        description="Describe screenshots and images for blind and low-vision people, offline.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_describe(commands)
    _add_models(commands)
    commands.add_parser("stats", help="show counters from the request log")
    return parser


def _add_describe(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    describe = commands.add_parser("describe", help="describe image files")
    describe.add_argument("images", nargs="+", metavar="IMAGE", type=Path)
    describe.add_argument("--json", action="store_true", help="one JSON object per image per line")
    describe.add_argument("--lang", choices=("en", "zh"), help="output language")
    describe.add_argument("--detail", choices=("brief", "standard", "detailed"))
    describe.add_argument("--caption-model", metavar="ID_OR_DIR")
    describe.add_argument("--writer-model", metavar="ID_OR_DIR")
    describe.add_argument("--no-ocr", action="store_true", help="do not read text in the image")
    describe.add_argument("--max-attempts", type=_attempts, metavar="N")
    describe.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    speech = describe.add_mutually_exclusive_group()
    speech.add_argument("--speak", action="store_true", help="read aloud")
    speech.add_argument(
        "--speak-to", type=Path, metavar="FILE.wav", help="write speech to a WAV file"
    )


def _attempts(value: str) -> int:
    number = int(value) if value.isdigit() else 0
    if not 1 <= number <= 10:
        raise argparse.ArgumentTypeError("must be a whole number from 1 to 10")
    return number


def _add_models(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = commands.add_parser("models", help="see or download the models")
    action = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    action.add_parser("status", help="which models are on this computer, and where")
    action.add_parser("pull", help="download the configured models")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except KeyboardInterrupt:
        print("lookaloud: stopped.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Cancelled:
        return EXIT_INTERRUPTED
    except SettingsError as exc:
        print(f"lookaloud: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except LookaloudError as exc:
        print(f"lookaloud: {exc.message}", file=sys.stderr)
        return EXIT_FAILED


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "describe":
        from lookaloud.core.cli_describe import run_describe

        return run_describe(args)
    if args.command == "models":
        return _models(args.models_command)
    if args.command == "stats":
        return _stats(sys.stdout)
    parser.print_help()
    return EXIT_USAGE


def _models(action: str) -> int:
    from lookaloud.core.models import model_status, pull_models

    settings = _settings()
    ids = [settings.models.caption_model, settings.models.writer_model]
    if action == "pull":
        pull_models(ids)
        print("The models are ready.")
        return EXIT_OK
    for status in model_status(ids):
        where = str(status.where) if status.present else "not on this computer"
        print(f"{status.id}: {where}")
    return EXIT_OK


def _settings() -> Settings:
    loaded = load_settings()
    for notice in loaded.notices:
        print(f"lookaloud: {notice}", file=sys.stderr)
    return loaded.settings


def _stats(out: TextIO) -> int:
    from lookaloud.core.logs import compute_metrics, request_log_path

    for line in compute_metrics(request_log_path()).to_lines():
        print(line, file=out)
    return EXIT_OK


def print_json_line(record: dict[str, object], out: TextIO) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
