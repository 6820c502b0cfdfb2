"""``lookaloud batch FOLDER``: alt text for every image in a folder, with a progress bar."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from lookaloud.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    choice_and_config,
    make_describer,
    tell,
    user_settings,
)
from lookaloud.core.assembly import describes_one_at_a_time
from lookaloud.core.batch import BatchSummary, JsonLinesOutput, find_images, run_batch
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.result import Result


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        parser.error(f"{args.folder} is not a folder; give the folder that holds the images.")
    if args.resume and args.out is None:
        parser.error("--resume needs --out FILE.jsonl, the results file to continue.")
    choice, config = choice_and_config(user_settings(), args)
    describer = make_describer(choice, config, use_cache=not args.no_cache, notice=tell)
    output = JsonLinesOutput(args.out, sys.stdout)
    todo, already = _images_to_do(args, output)
    output.open(append=args.resume)
    # One image at a time unless asked: a batch should not load a server by surprise.
    asked = choice.remote.concurrency if args.concurrency and choice.remote else 1
    concurrency = _concurrency(asked, describer.pipeline.models.backend)
    try:
        summary = _run_with_progress(todo, describer.describe, output, args, concurrency)
    finally:
        output.close()
    tell(_summary_sentence(summary, already, args.out))
    return EXIT_FAILED if summary.failed else EXIT_OK


def _images_to_do(args: argparse.Namespace, output: JsonLinesOutput) -> tuple[list[Path], int]:
    images = find_images(args.folder, recursive=args.recursive, on_unreadable=tell)
    done = output.done_images() if args.resume else set()
    todo = [image for image in images if str(image) not in done]
    return todo, len(images) - len(todo)


def _run_with_progress(
    todo: list[Path],
    describe: Callable[[Path], Result],
    output: JsonLinesOutput,
    args: argparse.Namespace,
    concurrency: int,
) -> BatchSummary:
    bar = tqdm(total=len(todo), unit="image", file=sys.stderr, dynamic_ncols=True, mininterval=0.5)

    def on_done(result: Result) -> None:
        bar.update(1)
        if result.error is not None:
            bar.write(f"lookaloud: {result.image}: {result.error.message}", file=sys.stderr)

    with bar:
        return run_batch(
            todo,
            describe,
            output,
            sidecar=args.sidecar,
            concurrency=concurrency,
            on_done=on_done,
        )


def _concurrency(requested: int, backend: str) -> int:
    if describes_one_at_a_time(backend) and requested > 1:
        tell(
            tr(
                "The local models describe one image at a time; --concurrency applies to "
                "remote backends.",
                "notice",
            )
        )
        return 1
    return requested


def _summary_sentence(summary: BatchSummary, already: int, out: Path | None) -> str:
    parts = [tr("Described {count} images", "batch summary", count=summary.described)]
    if summary.failed:
        if out:
            parts.append(
                tr("{count} could not be described (see {out})", count=summary.failed, out=out)
            )
        else:
            parts.append(tr("{count} could not be described", count=summary.failed))
    if already:
        parts.append(tr("{count} were already done", "batch summary", count=already))
    return tr(", ", "between the parts of a summary").join(parts) + tr(".", "a full stop")
