"""Looking before reading: pipes, sockets, devices, link circles, dangling links, folders and
huge files are refused at once, with a sentence, and nothing blocks."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from helpers.render import render_blank
from lookaloud.core.batch import find_images
from lookaloud.core.errors import (
    BrokenLink,
    ImageIsDirectory,
    ImageNotFound,
    ImageTooLarge,
    NotARegularFile,
)
from lookaloud.core.pipeline.files import file_sha256, read_file
from lookaloud.core.pipeline.load import load_image

pytestmark = pytest.mark.timeout(30)  # a pipe that is opened for reading would block forever


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "waiting.png"
    os.mkfifo(path)
    return path


def test_a_named_pipe_is_refused_without_being_opened(fifo: Path) -> None:
    with pytest.raises(NotARegularFile, match=r"waiting.png is a named pipe \(FIFO\), not a"):
        load_image(fifo)
    with pytest.raises(NotARegularFile):
        file_sha256(fifo)  # the cache's lookup, too


def test_a_socket_and_a_device_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.png"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(NotARegularFile, match="is a socket"):
            load_image(path)
    with pytest.raises(NotARegularFile, match="is a character device"):
        load_image(Path("/dev/zero"), name="zero.png")  # it would never end


def test_links_that_point_nowhere_or_in_a_circle_are_named(tmp_path: Path) -> None:
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    with pytest.raises(BrokenLink, match="points back to itself"):
        load_image(loop)
    dangling = tmp_path / "gone.png"
    dangling.symlink_to(tmp_path / "deleted.png")
    with pytest.raises(BrokenLink, match=r"is a link to .*deleted.png, which does not exist"):
        load_image(dangling)
    with pytest.raises(ImageNotFound):
        load_image(tmp_path / "never.png")


def test_a_folder_says_to_use_batch(tmp_path: Path) -> None:
    with pytest.raises(ImageIsDirectory, match="lookaloud batch"):
        load_image(tmp_path)


def test_a_file_above_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.png"
    with huge.open("wb") as stream:
        stream.truncate(300 * 1024 * 1024)  # sparse: no 300 MB written
    with pytest.raises(ImageTooLarge, match=r"is 300 MB, larger than the 256 MB Lookaloud reads"):
        load_image(huge)
    small = render_blank(tmp_path / "small.png")
    with pytest.raises(ImageTooLarge, match="larger than the 1 MB"):
        read_file(huge, "huge.png", max_bytes=1024 * 1024)
    assert read_file(small, "small.png").sha256 == file_sha256(small)


def test_folder_listings_skip_special_files_and_report_what_they_cannot_read(
    tmp_path: Path, fifo: Path
) -> None:
    good = render_blank(tmp_path / "good.png")
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    (tmp_path / "circle").symlink_to(tmp_path)  # a link back to the folder is not followed
    assert find_images(tmp_path, recursive=True) == [good]
    told: list[str] = []
    unreadable = tmp_path / "knot"
    unreadable.symlink_to(unreadable)
    assert find_images(unreadable, recursive=True, on_unreadable=told.append) == []
    assert len(told) == 1 and "could not be read" in told[0]
