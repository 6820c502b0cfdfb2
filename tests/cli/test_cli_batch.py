"""``lookaloud batch`` on a generated folder of 200 images, killed with SIGKILL and resumed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from helpers.render import photo_like_image, render_blank

IMAGES = 200
BROKEN = ("broken-00.png", "broken-01.jpg", "sub/broken-02.png", "sub/deeper/broken-03.gif")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """190 small photo-like images (10 of them byte-for-byte duplicates) in nested folders,
    4 broken files with image names, 6 blank ones, and a text file that is skipped."""
    root = tmp_path_factory.mktemp("album")
    (root / "sub" / "deeper").mkdir(parents=True)
    for index in range(180):
        where = ("", "sub/", "sub/deeper/")[index % 3]
        suffix = (".jpg", ".png")[index % 2]
        photo_like_image((48, 40), seed=index).save(root / f"{where}photo-{index:03}{suffix}")
    for index in range(10):
        shutil.copy(
            root / f"photo-{index * 3:03}{('.jpg', '.png')[index * 3 % 2]}",
            root / f"copy-{index}.jpg",
        )
    for index in range(6):
        render_blank(root / f"blank-{index}.png")
    (root / BROKEN[0]).write_bytes((root / "photo-000.jpg").read_bytes()[:50])
    (root / BROKEN[1]).write_text("not a picture at all")
    (root / BROKEN[2]).write_bytes(b"")
    (root / BROKEN[3]).write_bytes(b"GIF89a\x10\x00")
    (root / "readme.txt").write_text("holiday pictures")
    return root


@pytest.fixture
def env(tmp_path: Path, tiny_blip_dir: Path, tiny_qwen_dir: Path) -> dict[str, str]:
    config = tmp_path / "config" / "lookaloud"
    config.mkdir(parents=True)
    (config / "settings.toml").write_text(
        "version = 1\n[pipeline]\nmax_new_tokens = 16\nmax_attempts = 1\nocr = false\n"
        f'[models]\ncaption_model = "{tiny_blip_dir}"\nwriter_model = "{tiny_qwen_dir}"\n'
    )
    return dict(
        os.environ,
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        HF_HUB_OFFLINE="1",
        OMP_NUM_THREADS="1",
    )


def batch(folder: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "lookaloud",
        "batch",
        str(folder),
        "--recursive",
        "--out",
        str(out),
        *extra,
    ]


def lines_of(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_killed_and_resumed_batch_lists_every_image_exactly_once(
    folder: Path, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "results.jsonl"
    process = subprocess.Popen(batch(folder, out, "--sidecar"), env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 40):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    first = out.read_text().count("\n")
    assert 40 <= first < IMAGES, "the kill should land in the middle of the run"

    began = time.monotonic()
    done = subprocess.run(
        batch(folder, out, "--sidecar", "--resume"),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.monotonic() - began
    records = lines_of(out)
    counts = Counter(str(r["image"]) for r in records)
    assert len(counts) == IMAGES and set(counts.values()) == {1}
    assert done.returncode == 1  # the broken files
    assert "were already done" in done.stderr and "Described" in done.stderr
    rate = (IMAGES - first) / elapsed
    print(f"resumed {IMAGES - first} images in {elapsed:.1f} s: {rate:.1f} images/s")

    failed = {Path(str(r["image"])).relative_to(folder).as_posix() for r in records if not r["ok"]}
    assert failed == set(BROKEN)
    for record in records:
        sidecar = Path(str(record["image"]) + ".txt")
        assert sidecar.exists() == bool(record["ok"])
        if record["ok"]:
            assert sidecar.read_text().strip() == str(record["description"]).strip()
    assert not any(str(r["image"]).endswith("readme.txt") for r in records)


def test_progress_bar_and_stdout_without_out(
    folder: Path, env: dict[str, str], tmp_path: Path
) -> None:
    sub = folder / "sub" / "deeper"
    done = subprocess.run(
        [sys.executable, "-m", "lookaloud", "batch", str(sub)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 61  # 60 photos and one broken GIF, not recursive
    assert "image/s" in done.stderr or "s/image" in done.stderr  # tqdm's rate
    assert "broken-03.gif" in done.stderr


def test_resume_needs_an_output_file(folder: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lookaloud", "batch", str(folder), "--resume"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--out" in done.stderr
