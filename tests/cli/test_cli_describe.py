"""``lookaloud describe`` and friends, run as a user runs them: a real process on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from helpers.render import render_blank, render_dialog, render_photo_like


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A fresh user: empty config, log and cache folders, and no model hub."""
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        env[var] = str(tmp_path / var.lower())
    env["HF_HUB_OFFLINE"] = "1"
    env["HF_HOME"] = str(tmp_path / "hf")
    return env


def lookaloud(
    args: list[str], env: dict[str, str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lookaloud", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def four_files(tmp_path: Path) -> list[Path]:
    photo = render_photo_like(tmp_path / "photo.jpg")
    dialog = render_dialog(tmp_path / "dialog.png")
    blank = render_blank(tmp_path / "blank.png")
    notes = tmp_path / "notes.txt"
    notes.write_text("Remember to buy milk.\n")
    return [photo, dialog, blank, notes]


def test_describe_four_files_as_json_lines(
    four_files: list[Path], tiny_blip_dir: Path, tiny_qwen_dir: Path, user_env: dict[str, str]
) -> None:
    args = ["describe", *map(str, four_files), "--json", "--max-attempts", "2"]
    args += ["--caption-model", str(tiny_blip_dir), "--writer-model", str(tiny_qwen_dir)]
    done = lookaloud(args, user_env)
    assert done.returncode == 1, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [Path(r["image"]).name for r in records] == [
        "photo.jpg",
        "dialog.png",
        "blank.png",
        "notes.txt",
    ]
    photo, dialog, blank, notes = records
    for record in (photo, dialog, blank):
        assert record["ok"] and record["description"] and record["error"] is None
        assert record["summary"] and record["prompt_version"] == "blind-reader-5/en"
        assert record["backend"] == "local" and "total" in record["timings_ms"]
    assert blank["blank"] and blank["description"].startswith(
        "The image is almost entirely dark grey"
    )
    texts = [line["text"] for line in dialog["text_lines"]]
    joined = " | ".join(texts).lower()
    positions = [joined.find(t.lower()) for t in ("Save changes?", "unsaved changes", "Cancel")]
    assert -1 not in positions and positions == sorted(positions)
    assert all(
        len(line["box"]) == 4 and 0 < line["confidence"] <= 1 for line in dialog["text_lines"]
    )
    assert [r["position"] for r in dialog["regions"]] == ["left", "centre", "right"]
    assert not notes["ok"] and notes["error"]["code"] == "not_an_image"
    assert "notes.txt" in done.stderr
    assert set(photo) >= {
        "image",
        "ok",
        "description",
        "summary",
        "caption",
        "regions",
        "text_lines",
        "blank",
        "attempts",
        "fallback",
        "backend",
        "quality",
        "prompt_version",
        "timings_ms",
        "error",
    }


def test_describe_without_models_still_reads_the_text_and_says_how_to_get_them(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    dialog = render_dialog(tmp_path / "dialog.png")
    done = lookaloud(["describe", str(dialog), "--json"], user_env)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["fallback"] and "Save changes?" in record["description"]
    assert "lookaloud models pull" in done.stderr
    assert (
        "Qwen/Qwen3-0.6B" in done.stderr and "Salesforce/blip-image-captioning-base" in done.stderr
    )


def test_speak_to_wav_file(tmp_path: Path, user_env: dict[str, str]) -> None:
    blank = render_blank(tmp_path / "blank.png")
    wav = tmp_path / "speech.wav"
    done = lookaloud(["describe", str(blank), "--speak-to", str(wav)], user_env)
    assert done.returncode == 0, done.stderr
    with wave.open(str(wav)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    assert 1.5 < seconds < 15


def test_describe_does_not_import_qt(tmp_path: Path, user_env: dict[str, str]) -> None:
    blank = render_blank(tmp_path / "blank.png")
    code = (
        "import sys; from lookaloud.__main__ import main; rc = main(['describe', sys.argv[1]]); "
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'torch'))); "
        "print(qt); sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(blank)],
        env=user_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("[]")  # neither Qt nor torch for a blank image


@pytest.mark.parametrize(
    "args",
    [
        ["describe"],
        ["describe", "x.png", "--max-attempts", "0"],
        ["describe", "x.png", "--lang", "fr"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(args: list[str], user_env: dict[str, str]) -> None:
    assert lookaloud(args, user_env, timeout=60).returncode == 2


def test_missing_file_is_named_on_stderr(tmp_path: Path, user_env: dict[str, str]) -> None:
    done = lookaloud(["describe", str(tmp_path / "gone.png")], user_env, timeout=60)
    assert done.returncode == 1 and "gone.png" in done.stderr


def test_models_status_lists_both_models(user_env: dict[str, str]) -> None:
    done = lookaloud(["models", "status"], user_env, timeout=60)
    assert done.returncode == 0
    assert "Qwen/Qwen3-0.6B" in done.stdout and "not on this computer" in done.stdout


def test_models_pull_without_a_hub_says_so_in_one_sentence(user_env: dict[str, str]) -> None:
    env = dict(user_env, HF_HUB_OFFLINE="0", HF_ENDPOINT="http://127.0.0.1:9")
    done = lookaloud(["models", "pull"], env, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.count("\n") <= 3


def test_stats_after_describing(tmp_path: Path, user_env: dict[str, str]) -> None:
    blank = render_blank(tmp_path / "blank.png")
    assert lookaloud(["describe", str(blank), str(blank)], user_env, timeout=60).returncode == 0
    done = lookaloud(["stats"], user_env, timeout=60)
    assert done.returncode == 0 and "2" in done.stdout


def _prefill_cache(user_env: dict[str, str], image: Path, models: tuple[Path, Path]) -> None:
    """Put a written description of ``image`` in the user's cache, under the CLI's fingerprint."""
    from helpers.results import described
    from lookaloud.core.assembly import ModelChoice, config_from_settings, output_fingerprint
    from lookaloud.core.pipeline.files import file_sha256
    from lookaloud.core.settings import Settings
    from lookaloud.core.storage.cache import DescriptionCache

    choice = ModelChoice(str(models[0]), str(models[1]))
    cache = DescriptionCache(
        Path(user_env["XDG_CACHE_HOME"]) / "lookaloud" / "descriptions.sqlite3"
    )
    config = config_from_settings(Settings())  # what the CLI runs with by default
    cache.put(described(sha256=file_sha256(image)), output_fingerprint(choice, config))


def test_cached_image_is_answered_without_importing_torch(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    image = render_dialog(tmp_path / "dialog.png")
    models = (tmp_path / "blip", tmp_path / "qwen")
    _prefill_cache(user_env, image, models)
    code = (
        "import sys, time; from lookaloud.__main__ import main; t = time.perf_counter(); "
        "rc = main(sys.argv[1:]); "
        "print('torch' in sys.modules, file=sys.stderr); sys.exit(rc)"
    )
    args = [
        "describe",
        str(image),
        "--json",
        "--caption-model",
        str(models[0]),
        "--writer-model",
        str(models[1]),
    ]
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=user_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["cached"] and record["description"].startswith(
        'A dialog box asks "Save changes?"'
    )
    assert record["image"] == str(image) and done.stderr.strip().endswith("False")
    assert record["timings_ms"]["total"] < 100
    again = lookaloud([*args, "--no-cache"], user_env)
    assert not json.loads(again.stdout)["cached"]


def test_search_and_cache_commands(tmp_path: Path, user_env: dict[str, str]) -> None:
    image = render_dialog(tmp_path / "dialog.png")
    _prefill_cache(user_env, image, (tmp_path / "blip", tmp_path / "qwen"))
    found = lookaloud(["search", "Cancel"], user_env, timeout=60)
    assert found.returncode == 0 and found.stdout.startswith("dialog.png: A dialog box asks")
    assert lookaloud(["search", "giraffe"], user_env, timeout=60).returncode == 1
    stats = lookaloud(["cache", "stats"], user_env, timeout=60)
    assert "Descriptions stored: 1" in stats.stdout
    assert "Removed 1" in lookaloud(["cache", "clear"], user_env, timeout=60).stdout
    assert "Descriptions stored: 0" in lookaloud(["cache", "stats"], user_env, timeout=60).stdout


# What may stay in Latin letters in Chinese help: what the user types (the command and its
# sub-commands, option names and their fixed choices) and names of formats, protocols and
# products.
LATIN_ALLOWED = {
    "lookaloud", "Lookaloud", "describe", "batch", "models", "stats", "cache", "search",
    "remote", "check", "set", "key", "status", "pull", "clear", "en", "zh", "brief", "standard",
    "detailed", "local", "vlm", "JSON", "WAV", "wav", "jsonl", "txt", "URL", "N", "OpenAI",
    "API", "h", "help", "auto", "llamacpp", "transformers", "llama", "cpp", "gguf", "convert",
    "Qwen", "Hugging", "Face", "FOLDER", "OUT", "WEIGHTS", "bf", "q", "_0",
}  # fmt: skip


def latin_words(help_text: str) -> set[str]:
    import re

    without_options = re.sub(r"--?[a-z][a-z-]*", " ", help_text)
    return set(re.findall(r"[A-Za-z][A-Za-z_]*", without_options)) - LATIN_ALLOWED


@pytest.mark.parametrize("command", [[], ["describe"], ["batch"], ["remote", "check"]])
def test_help_is_in_chinese_with_the_language_set_to_zh(
    command: list[str], user_env: dict[str, str]
) -> None:
    done = lookaloud([*command, "--help"], dict(user_env, LOOKALOUD_LANG="zh"), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "用法" in done.stdout and "选项" in done.stdout
    assert latin_words(done.stdout) == set()
    english = lookaloud([*command, "--help"], user_env, timeout=60).stdout
    assert "usage:" in english and latin_words(english)  # the check sees English when it is there


def test_usage_errors_are_in_chinese_too(user_env: dict[str, str]) -> None:
    done = lookaloud(["describe"], dict(user_env, LOOKALOUD_LANG="zh"), timeout=60)
    assert done.returncode == 2
    assert "错误：缺少以下必需参数：图片" in done.stderr


def test_special_files_and_broken_links_do_not_stop_the_others(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    import os

    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)  # opening it to read would wait forever
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)  # Path.resolve() raised RuntimeError on this one
    dangling = tmp_path / "dangling.png"
    dangling.symlink_to(tmp_path / "deleted.png")
    good = render_blank(tmp_path / "good.png")
    files = [pipe, loop, dangling, tmp_path, good]
    done = lookaloud(["describe", *map(str, files), "--json", "--no-ocr"], user_env, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    codes = [record["error"]["code"] if record["error"] else None for record in records]
    assert codes == ["not_a_regular_file", "broken_link", "broken_link", "image_is_directory", None]
    assert records[-1]["ok"] and records[-1]["blank"]


def test_a_word_read_in_small_interface_text_is_found_by_search(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    """13-pixel text, as on a 96-dpi screen: OCR keeps "ticket 017 zebra" three words, so the
    search index (the description and the text read) finds the picture by any of them; it once
    read "ticket017zebra". The description, from a scripted vision server on loopback, names
    none of them."""
    from helpers.fault_server import fault_server, stream, words
    from helpers.render import require_font, text_image

    require_font("latin")
    image = tmp_path / "tickets.png"
    lines = ("Open tickets", "ticket 017 zebra", "backup export 3.5 MB, done.")
    text_image(lines, size=13, width=480).save(image)
    told = "A short list in a plain window. It has a heading and two entries below it."
    with fault_server([stream(words(told))]) as server:
        args = ["describe", str(image), "--json", "--backend", "remote-vlm"]
        done = lookaloud([*args, "--base-url", server.url, "--model", "m"], user_env)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["written_by"] == "remote-vlm", record
    assert "ticket 017 zebra" in [line["text"] for line in record["text_lines"]]
    for word in ("zebra", "017", "backup"):
        found = lookaloud(["search", word], user_env, timeout=60)
        assert found.returncode == 0, found.stderr
        assert Path(found.stdout.split(": ")[0]).name == "tickets.png", found.stdout
