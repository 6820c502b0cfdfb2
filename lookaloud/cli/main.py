"""The ``lookaloud`` command line: the parser and the dispatch to one module per command.

Exit status of ``describe``: 0 when every image got a description (the facts-only fallback
counts), 1 when any image failed (the others are still processed), 2 on usage errors, 130 when
the user pressed Ctrl+C.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from pathlib import Path

from lookaloud.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, tell
from lookaloud.core.errors import Cancelled, LookaloudError, SettingsError

# The module under lookaloud.cli that runs each command; imported only when that command runs,
# so `lookaloud stats` or `--help` never pays for what `describe` needs.
COMMAND_MODULES = {
    "describe": "describe",
    "batch": "batch",
    "models": "models",
    "stats": "stats",
    "cache": "cache",
    "search": "cache",
    "remote": "remote",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lookaloud",
        description="Describe screenshots and images for blind and low-vision people, offline.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_describe(commands)
    _add_batch(commands)
    _add_models(commands)
    commands.add_parser("stats", help="show counters from the request log")
    _add_cache_and_search(commands)
    _add_remote(commands)
    return parser


def _add_remote(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    remote = commands.add_parser("remote", help="check or set up a remote server")
    action = remote.add_subparsers(dest="remote_command", metavar="ACTION", required=True)
    check = action.add_parser(
        "check", help="list the server's models, send one tiny request, print the latency"
    )
    _add_server_options(check, backend=False)
    set_key = action.add_parser(
        "set-key", help="keep the server's API key in the keyring (read from standard input)"
    )
    set_key.add_argument("--base-url", metavar="URL", help="the server the key is for")


def _add_cache_and_search(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cache = commands.add_parser("cache", help="see or empty the description cache")
    action = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    action.add_parser("stats", help="how many descriptions are cached, and the cache's size")
    action.add_parser("clear", help="forget every cached description")
    search = commands.add_parser("search", help="find described images by words")
    search.add_argument("query", nargs="+", help="words to look for in descriptions and text")


def _add_describe(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    describe = commands.add_parser("describe", help="describe image files")
    describe.add_argument("images", nargs="+", metavar="IMAGE", type=Path)
    describe.add_argument("--json", action="store_true", help="one JSON object per image per line")
    _add_description_options(describe)
    describe.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="with a remote backend, send up to N images to the server at once",
    )
    speech = describe.add_mutually_exclusive_group()
    speech.add_argument("--speak", action="store_true", help="read aloud")
    speech.add_argument(
        "--speak-to", type=Path, metavar="FILE.wav", help="write speech to a WAV file"
    )


def _add_description_options(parser: argparse.ArgumentParser) -> None:
    """Options that shape a description, shared by ``describe`` and ``batch``."""
    parser.add_argument("--lang", choices=("en", "zh"), help="output language")
    parser.add_argument("--detail", choices=("brief", "standard", "detailed"))
    parser.add_argument("--caption-model", metavar="ID_OR_DIR")
    parser.add_argument("--writer-model", metavar="ID_OR_DIR")
    parser.add_argument("--no-ocr", action="store_true", help="do not read text in the image")
    parser.add_argument("--max-attempts", type=int, metavar="N")
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-cache", action="store_true", help="describe again even if a description is cached"
    )
    _add_server_options(parser, backend=True)


def _add_server_options(parser: argparse.ArgumentParser, *, backend: bool) -> None:
    """Where the remote backends send their requests (settings [remote] give the defaults)."""
    if backend:
        parser.add_argument(
            "--backend",
            choices=("local", "remote", "remote-vlm"),
            help="who writes: this computer (local), a server sent the text found (remote), "
            "or a vision model on a server sent the image itself (remote-vlm)",
        )
    parser.add_argument("--base-url", metavar="URL", help="the OpenAI-compatible server")
    parser.add_argument("--model", metavar="NAME", help="the model's name on the server")
    parser.add_argument(
        "--api-key-env", metavar="VAR", help="environment variable holding the API key"
    )


def _add_batch(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    batch = commands.add_parser("batch", help="write descriptions (alt text) for a whole folder")
    batch.add_argument("folder", type=Path, metavar="FOLDER")
    batch.add_argument("--recursive", action="store_true", help="include sub-folders")
    batch.add_argument("--out", type=Path, metavar="FILE.jsonl", help="write JSON lines here")
    batch.add_argument("--sidecar", action="store_true", help="also write NAME.EXT.txt files")
    batch.add_argument("--resume", action="store_true", help="skip images already in --out")
    batch.add_argument("--concurrency", type=int, metavar="N")
    _add_description_options(batch)


def _add_models(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = commands.add_parser("models", help="see or download the models")
    action = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    action.add_parser("status", help="which models are on this computer, and where")
    action.add_parser("pull", help="download the configured models")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        module = importlib.import_module(f"lookaloud.cli.{COMMAND_MODULES[args.command]}")
        status: int = module.run(parser, args)
        return status
    except KeyboardInterrupt:
        tell("stopped.")
        return EXIT_INTERRUPTED
    except Cancelled:
        return EXIT_INTERRUPTED
    except SettingsError as exc:
        tell(exc.message)
        return EXIT_USAGE
    except LookaloudError as exc:
        tell(exc.message)
        return EXIT_FAILED
