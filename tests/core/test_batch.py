from __future__ import annotations

import io
import json
from pathlib import Path

from helpers.results import described
from lookaloud.core.batch import JsonLinesOutput, find_images, run_batch, write_sidecar
from lookaloud.core.pipeline.result import Result


def test_find_images_sorted_with_and_without_subfolders(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.PNG", "a.jpg", "notes.txt", "sub/c.webp"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in find_images(tmp_path, recursive=False)] == ["a.jpg", "b.PNG"]
    assert [p.name for p in find_images(tmp_path, recursive=True)] == ["a.jpg", "b.PNG", "c.webp"]


def test_resume_cuts_a_half_written_last_line(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    out.write_text('{"image": "a.png", "ok": true}\n{"image": "b.png", "ok": tr')
    output = JsonLinesOutput(out, io.StringIO())
    assert output.done_images() == {"a.png"}
    assert out.read_text() == '{"image": "a.png", "ok": true}\n'


def test_lines_are_appended_whole(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    output = JsonLinesOutput(out, io.StringIO())
    output.open(append=False)
    output.write({"image": "a.png", "description": "Ünïcode ✓"})
    output.close()
    assert json.loads(out.read_text(encoding="utf-8"))["description"] == "Ünïcode ✓"


def test_sidecar_sits_beside_the_image(tmp_path: Path) -> None:
    image = tmp_path / "photo.jpg"
    image.write_bytes(b"x")
    assert write_sidecar(image, "A cat.\n").read_text() == "A cat.\n"
    assert (tmp_path / "photo.jpg.txt").exists()


def test_run_batch_writes_each_result_and_counts_failures(tmp_path: Path) -> None:
    stream = io.StringIO()
    failed = Result(image="bad.png", ok=False)

    def describe(image: Path) -> Result:
        return failed if image.name == "bad.png" else described(image=str(image))

    images = [tmp_path / "a.png", tmp_path / "bad.png"]
    done: list[str] = []
    summary = run_batch(
        images,
        describe,
        JsonLinesOutput(None, stream),
        sidecar=True,
        concurrency=2,
        on_done=lambda r: done.append(r.image),
    )
    assert (summary.described, summary.failed) == (1, 1)
    assert sorted(json.loads(line)["image"] for line in stream.getvalue().splitlines()) == sorted(
        [str(images[0]), "bad.png"]
    )
    assert (tmp_path / "a.png.txt").exists() and not (tmp_path / "bad.png.txt").exists()
    assert len(done) == 2
