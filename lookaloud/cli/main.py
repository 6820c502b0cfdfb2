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
from lookaloud.core.i18n import N_, set_language, tr

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

# The writers' registry names them too; it is not imported here, so --help stays quick.
BACKEND_NAMES = ("local", "local-vlm", "remote", "remote-vlm")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lookaloud",
        description=tr("Describe screenshots and images for blind and low-vision people, offline."),
    )
    commands = parser.add_subparsers(dest="command", metavar=tr("COMMAND", "placeholder in --help"))
    _add_describe(commands)
    _add_batch(commands)
    _add_models(commands)
    commands.add_parser("stats", help=tr("show counters from the request log"))
    _add_cache_and_search(commands)
    _add_remote(commands)
    return parser


def _add_remote(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    remote = commands.add_parser("remote", help=tr("check or set up a remote server"))
    action = remote.add_subparsers(
        dest="remote_command", metavar=tr("ACTION", "placeholder in --help"), required=True
    )
    check = action.add_parser(
        "check", help=tr("list the server's models, send one tiny request, print the latency")
    )
    _add_server_options(check, backend=False)
    set_key = action.add_parser(
        "set-key", help=tr("keep the server's API key in the keyring (read from standard input)")
    )
    set_key.add_argument("--base-url", metavar="URL", help=tr("the server the key is for"))


def _add_cache_and_search(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cache = commands.add_parser("cache", help=tr("see or empty the description cache"))
    action = cache.add_subparsers(
        dest="cache_command", metavar=tr("ACTION", "placeholder in --help"), required=True
    )
    action.add_parser("stats", help=tr("how many descriptions are cached, and the cache's size"))
    action.add_parser("clear", help=tr("forget every cached description"))
    search = commands.add_parser("search", help=tr("find described images by words"))
    search.add_argument("query", nargs="+", help=tr("words to look for in descriptions and text"))


def _add_describe(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    describe = commands.add_parser("describe", help=tr("describe image files"))
    describe.add_argument(
        "images",
        nargs="+",
        metavar=tr("IMAGE", "placeholder in --help"),
        type=Path,
        help=tr("the image files to describe"),
    )
    describe.add_argument(
        "--json", action="store_true", help=tr("one JSON object per image per line")
    )
    _add_description_options(describe)
    describe.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help=tr("with a remote backend, send up to N images to the server at once"),
    )
    speech = describe.add_mutually_exclusive_group()
    speech.add_argument("--speak", action="store_true", help=tr("read aloud"))
    speech.add_argument(
        "--speak-to",
        type=Path,
        metavar=tr("FILE.wav", "placeholder in --help"),
        help=tr("write speech to a WAV file"),
    )


def _add_description_options(parser: argparse.ArgumentParser) -> None:
    """Options that shape a description, shared by ``describe`` and ``batch``."""
    parser.add_argument("--lang", choices=("en", "zh"), help=tr("output language"))
    parser.add_argument(
        "--detail",
        choices=("brief", "standard", "detailed"),
        help=tr("how much to say: one sentence, a paragraph, or everything seen"),
    )
    _add_model_options(parser)
    parser.add_argument("--no-ocr", action="store_true", help=tr("do not read text in the image"))
    parser.add_argument(
        "--max-attempts", type=int, metavar="N", help=tr("tries at a good description (1 to 10)")
    )
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-cache", action="store_true", help=tr("describe again even if a description is cached")
    )
    _add_server_options(parser, backend=True)


def _add_server_options(parser: argparse.ArgumentParser, *, backend: bool) -> None:
    """Where the remote backends send their requests (settings [remote] give the defaults)."""
    if backend:
        parser.add_argument(
            "--backend",
            choices=BACKEND_NAMES,
            help=tr(
                "who writes: this computer (local), a vision model on this computer that "
                "looks at the image itself (local-vlm), a server sent the text found "
                "(remote), or a vision model on a server sent the image itself (remote-vlm)"
            ),
        )
    parser.add_argument(
        "--engine",
        choices=("auto", "llamacpp", "transformers"),
        help=tr(
            "what runs the local writer: llama.cpp (a .gguf file), transformers, or auto "
            "(llama.cpp when it is installed and the model has a .gguf file)"
        ),
    )
    parser.add_argument("--base-url", metavar="URL", help=tr("the OpenAI-compatible server"))
    parser.add_argument(
        "--model",
        metavar=tr("NAME", "placeholder in --help"),
        help=tr("the model's name on the server"),
    )
    parser.add_argument(
        "--api-key-env",
        metavar=tr("VAR", "placeholder in --help: a variable name"),
        help=tr("environment variable holding the API key"),
    )


def _add_batch(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    batch = commands.add_parser(
        "batch", help=tr("write descriptions (alt text) for a whole folder")
    )
    batch.add_argument(
        "folder",
        type=Path,
        metavar=tr("FOLDER", "placeholder in --help"),
        help=tr("the folder of images"),
    )
    batch.add_argument("--recursive", action="store_true", help=tr("include sub-folders"))
    batch.add_argument(
        "--out",
        type=Path,
        metavar=tr("FILE.jsonl", "placeholder in --help"),
        help=tr("write JSON lines here"),
    )
    batch.add_argument("--sidecar", action="store_true", help=tr("also write NAME.EXT.txt files"))
    batch.add_argument("--resume", action="store_true", help=tr("skip images already in --out"))
    batch.add_argument("--concurrency", type=int, metavar="N")
    _add_description_options(batch)


def _add_models(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = commands.add_parser("models", help=tr("see or download the models"))
    action = models.add_subparsers(
        dest="models_command", metavar=tr("ACTION", "placeholder in --help"), required=True
    )
    status = action.add_parser("status", help=tr("which models are on this computer, and where"))
    pull = action.add_parser("pull", help=tr("download the configured models"))
    for parser in (status, pull):
        _add_model_choice(parser)
    convert = action.add_parser(
        "convert",
        help=tr("turn a local Qwen3 or Qwen3-VL folder into .gguf files for llama.cpp"),
    )
    convert.add_argument("folder", type=Path, help=tr("the saved Hugging Face folder"))
    convert.add_argument(
        "--weights",
        choices=("q8_0", "q4_0", "bf16"),
        default="q8_0",
        help=tr(
            "8 bits (near-lossless, the default), 4 bits (smaller, faster, less exact), or bf16"
        ),
    )
    convert.add_argument(
        "--out", type=Path, help=tr("the .gguf file to write; by default beside the weights")
    )


def _add_model_choice(parser: argparse.ArgumentParser) -> None:
    """Which models ``models status|pull`` mean: those of the settings, or of these flags."""
    parser.add_argument(
        "--backend",
        choices=BACKEND_NAMES,
        help=tr("the models this writer needs (default from the settings)"),
    )
    _add_model_options(parser)


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    model = tr("ID_OR_DIR", "placeholder in --help: a model id or folder")
    parser.add_argument("--caption-model", metavar=model, help=tr("the captioning model"))
    parser.add_argument("--writer-model", metavar=model, help=tr("the writing model"))
    parser.add_argument(
        "--vlm-model",
        metavar=model,
        help=tr(
            "the vision-language model that looks at the picture (--backend local-vlm): a hub "
            "id, a folder, or its .gguf file with mmproj-… beside it"
        ),
    )


# argparse's own words in --help and its usage errors. argparse looks its messages up through
# the module-level gettext function it imported; pointing that at the catalogue translates them
# with everything else (it has no other hook, and Python ships no Chinese catalogue for it).
ARGPARSE_WORDS = (
    N_("usage: ", "argparse: before the usage line"),
    N_("positional arguments", "argparse: a heading in --help"),
    N_("options", "argparse: a heading in --help"),
    N_("show this help message and exit", "argparse: the help of -h"),
    N_("%(prog)s: error: %(message)s\n", "argparse: a usage error"),
    N_("the following arguments are required: %s", "argparse: a usage error"),
    N_("unrecognized arguments: %s", "argparse: a usage error"),
    N_("invalid choice: %(value)r (choose from %(choices)s)", "argparse: a usage error"),
    N_("invalid %(type)s value: %(value)r", "argparse: a usage error"),
    N_("argument %(argument_name)s: %(message)s", "argparse: a usage error"),
    N_("expected one argument", "argparse: a usage error"),
    N_("not allowed with argument %s", "argparse: a usage error"),
)


def _translate_argparse() -> None:
    argparse._ = tr  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    set_language(_language())
    _translate_argparse()
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "lang", None):
        set_language(args.lang)  # --lang zh: the messages too, not only the descriptions
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        module = importlib.import_module(f"lookaloud.cli.{COMMAND_MODULES[args.command]}")
        status: int = module.run(parser, args)
        return status
    except KeyboardInterrupt:
        tell(tr("stopped."))
        return EXIT_INTERRUPTED
    except Cancelled:
        return EXIT_INTERRUPTED
    except SettingsError as exc:
        tell(exc.message)
        return EXIT_USAGE
    except LookaloudError as exc:
        tell(exc.message)
        return EXIT_FAILED


def _language() -> str:
    """The language setting (settings file or LOOKALOUD_LANG), read before the flags are."""
    from lookaloud.core.settings import load_settings

    return load_settings().settings.general.lang
