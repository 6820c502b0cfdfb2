"""``lookaloud describe``: run the pipeline over image files, print, speak and log each result."""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lookaloud.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    choice_and_config,
    make_describer,
    print_json_line,
)
from lookaloud.core.assembly import ModelChoice, describes_one_at_a_time
from lookaloud.core.cancel import CancelToken
from lookaloud.core.describer import Describer
from lookaloud.core.errors import LookaloudError
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.prompt import templates
from lookaloud.core.pipeline.result import Event, Result, RetryEvent, SentenceEvent
from lookaloud.core.pipeline.write import CONNECTION_RULE
from lookaloud.core.settings import Settings, load_settings
from lookaloud.core.speech.base import Speaker
from lookaloud.core.storage.logs import RequestLog


@dataclass
class _Reporter:
    """Prints results and tells each notice once, on stderr (and aloud when speaking)."""

    as_json: bool
    out: TextIO
    err: TextIO
    speaker: Speaker | None
    lang: str
    told: set[str] = field(default_factory=set)

    def notice(self, text: str) -> None:
        if text in self.told:
            return
        self.told.add(text)
        print(f"lookaloud: {text}", file=self.err)
        if self.speaker is not None:
            self.speaker.say(templates(self.lang).section("spoken")["notice"].format(notice=text))

    def result(self, result: Result) -> None:
        if self.as_json:
            print_json_line(result.to_json_dict(), self.out)
        elif result.ok:
            print(f"{result.image}: {result.description}", file=self.out, flush=True)
        if result.error is not None:
            print(f"lookaloud: {result.image}: {result.error.message}", file=self.err, flush=True)
            if self.speaker is not None:
                self.speaker.say(result.error.message)
        for notice in result.notices:
            self.notice(notice)


@dataclass
class _SpeechSink:
    """Hands each checked sentence to the speaker; says so when a spoken attempt is retried."""

    speaker: Speaker | None
    lang: str
    spoken_attempts: set[int] = field(default_factory=set)

    def __call__(self, event: Event) -> None:
        if self.speaker is None:
            return
        if isinstance(event, SentenceEvent):
            self.spoken_attempts.add(event.attempt)
            self.speaker.say(event.text)
        elif isinstance(event, RetryEvent) and event.attempt in self.spoken_attempts:
            key = "retry_connection" if event.rule == CONNECTION_RULE else "retry"
            self.speaker.say(templates(self.lang).section("spoken")[key])


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    loaded = load_settings()
    settings = loaded.settings
    choice, config = choice_and_config(settings, args)
    speaker = _speaker(args, settings)
    reporter = _Reporter(args.json, sys.stdout, sys.stderr, speaker, config.lang)
    for notice in loaded.notices:
        reporter.notice(notice)
    describer = make_describer(choice, config, use_cache=not args.no_cache, notice=reporter.notice)
    log = _RunLog(RequestLog(), choice) if settings.logging.request_log else None
    workers = _workers(choice, args.concurrency, len(args.images), reporter)
    try:
        if workers > 1:
            failures = _describe_in_parallel(args.images, describer, reporter, log, workers)
        else:
            failures = _describe_all(args.images, describer, reporter, log)
    finally:
        _finish_speech(speaker)
    return EXIT_FAILED if failures else EXIT_OK


def _workers(choice: ModelChoice, asked: int | None, images: int, r: _Reporter) -> int:
    """How many images to describe at once: 1 locally, up to the concurrency with a server
    (--concurrency, else the settings')."""
    if describes_one_at_a_time(choice.backend):
        if asked is not None and asked > 1:
            r.notice(
                tr(
                    "The local models describe one image at a time; --concurrency applies to "
                    "the remote backends.",
                    "notice",
                )
            )
        return 1
    requested = choice.remote.concurrency if choice.remote else 1
    return max(1, min(requested, images))


def _describe_in_parallel(
    images: list[Path], describer: Describer, reporter: _Reporter, log: _RunLog | None, workers: int
) -> int:
    """Several images at once, reported (and spoken whole) in the order they were given.

    Sentences of different images would interleave, so speech here waits for each result.
    """
    cancel, failures = CancelToken(), 0
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="describe")

    def describe(image: Path) -> Result:
        return describer.describe(image, cancel=cancel.child())

    try:
        for result in pool.map(describe, images):
            if reporter.speaker is not None and result.ok:
                reporter.speaker.say(result.description)
            reporter.result(result)
            failures += not result.ok
            if log is not None:
                log.record(result, describer.pipeline.config)
    except KeyboardInterrupt:
        cancel.cancel()
        if reporter.speaker is not None:
            reporter.speaker.stop()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return failures


def _describe_all(
    images: list[Path], describer: Describer, reporter: _Reporter, log: _RunLog | None
) -> int:
    failures = 0
    for image in images:
        result = _describe_one(image, describer, reporter)
        reporter.result(result)
        failures += not result.ok
        if log is not None:
            log.record(result, describer.pipeline.config)
    return failures


def _describe_one(image: Path, describer: Describer, reporter: _Reporter) -> Result:
    cancel = CancelToken()
    sink = _SpeechSink(reporter.speaker, reporter.lang)
    try:
        return describer.describe(image, cancel=cancel, on_event=sink)
    except KeyboardInterrupt:
        cancel.cancel()
        if reporter.speaker is not None:
            reporter.speaker.stop()
        raise


def _speaker(args: argparse.Namespace, settings: Settings) -> Speaker | None:
    from lookaloud.core.speech.registry import make_speaker

    if args.speak_to is not None:
        return make_speaker("wav", wav_path=args.speak_to, rate=settings.speech.rate).speaker
    if args.speak:
        chosen = make_speaker(
            settings.speech.backend, rate=settings.speech.rate, voice=settings.speech.voice
        )
        if chosen.notice:
            print(f"lookaloud: {chosen.notice}", file=sys.stderr)
        return chosen.speaker
    return None


def _finish_speech(speaker: Speaker | None) -> None:
    if speaker is None:
        return
    try:
        speaker.wait(timeout=600)
    finally:
        speaker.close()


@dataclass(frozen=True)
class _RunLog:
    log: RequestLog
    choice: ModelChoice

    def record(self, result: Result, config: PipelineConfig) -> None:
        self.log.record(
            **_log_fields(result, config),
            caption_model=self.choice.caption_model,
            writer_model=self.choice.local_writing_model,
        )


def _log_fields(result: Result, config: PipelineConfig) -> dict[str, object]:
    error: LookaloudError | None = result.error
    return {
        "image": result.image,
        "image_sha256": result.sha256,
        "ok": result.ok,
        "attempts": result.attempts,
        "fallback": result.fallback,
        "backend": result.backend,
        "quality": result.quality.total if result.quality else None,
        "timings_ms": result.timings_ms,
        "lang": config.lang,
        "detail": config.detail.value,
        "prompt_version": result.prompt_version,
        "error_code": error.code if error else None,
        "rejected": list(result.rejected),
    }
