"""A corpus of odd and broken files, built in a test's folder (nothing binary is checked in).

Each entry is a file and what ``lookaloud describe --json`` must answer for it: ``None`` for a
description (``ok`` true), or the error code of a refusal. Categories: every mode Pillow writes,
formats beyond the usual six, animations and pages, broken and cut-off files, lying headers,
documents, special files and links, and extreme sizes and shapes.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

Expected = str | None  # None: described; else the error code


def _picture(size: tuple[int, int] = (96, 64), mode: str = "RGB") -> Image.Image:
    base = Image.new("RGB", size, (250, 250, 250))
    draw = ImageDraw.Draw(base)
    draw.rectangle(
        (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill=(200, 30, 30)
    )
    draw.text((4, 4), "Odd", fill=(0, 0, 0))
    return base.convert(mode) if mode != "RGB" else base


def _saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _png_with_huge_header() -> bytes:
    """A real PNG whose header says 100 000 × 100 000 pixels (the data is for 96 × 64)."""
    png = _saved(_picture(), "PNG")
    ihdr = b"IHDR" + struct.pack(">II", 100_000, 100_000) + png[24:29]
    return png[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def _exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90° clockwise to view"
    return _saved(_picture(), "JPEG", exif=exif)


def _animated(fmt: str) -> bytes:
    frames = [_picture(), _picture().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    return _saved(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def _files() -> dict[str, tuple[Callable[[], bytes], Expected]]:
    png = _saved(_picture(), "PNG")
    jpeg = _saved(_picture(), "JPEG")
    return {
        # modes and bit depths
        "rgb.png": (lambda: png, None),
        "rgba.png": (lambda: _saved(_picture(mode="RGBA"), "PNG"), None),
        "la.png": (lambda: _saved(_picture(mode="LA"), "PNG"), None),
        "l.png": (lambda: _saved(_picture(mode="L"), "PNG"), None),
        "one-bit.png": (lambda: _saved(_picture(mode="1"), "PNG"), None),
        "palette.png": (lambda: _saved(_picture(mode="P"), "PNG", transparency=0), None),
        "sixteen-bit.png": (lambda: _saved(_picture(mode="I;16"), "PNG"), None),
        "int32.tiff": (lambda: _saved(_picture(mode="I"), "TIFF"), None),
        "float.tiff": (lambda: _saved(_picture(mode="F"), "TIFF"), None),
        "cmyk.jpg": (lambda: _saved(_picture(mode="CMYK"), "JPEG"), None),
        "ycbcr.jpg": (lambda: _saved(_picture(mode="YCbCr"), "JPEG"), None),
        "grey.jpg": (lambda: _saved(_picture(mode="L"), "JPEG"), None),
        # formats
        "photo.jpeg": (lambda: jpeg, None),
        "picture.webp": (lambda: _saved(_picture(), "WEBP"), None),
        "lossless.webp": (lambda: _saved(_picture(), "WEBP", lossless=True), None),
        "picture.avif": (lambda: _saved(_picture(), "AVIF"), None),
        "picture.bmp": (lambda: _saved(_picture(), "BMP"), None),
        "picture.tif": (lambda: _saved(_picture(), "TIFF"), None),
        "picture.gif": (lambda: _saved(_picture(), "GIF"), None),
        "icon.ico": (lambda: _saved(_picture((64, 64)), "ICO"), None),
        "picture.ppm": (lambda: _saved(_picture(), "PPM"), None),
        "picture.pgm": (lambda: _saved(_picture(mode="L"), "PPM"), None),
        "picture.tga": (lambda: _saved(_picture(), "TGA"), None),
        "picture.pcx": (lambda: _saved(_picture(), "PCX"), None),
        "picture.qoi": (lambda: _saved(_picture(), "QOI"), None),
        "picture.jp2": (lambda: _saved(_picture(), "JPEG2000"), None),
        "picture.dds": (lambda: _saved(_picture(mode="RGBA"), "DDS"), None),
        "picture.sgi": (lambda: _saved(_picture(), "SGI"), None),
        "picture.xbm": (lambda: _saved(_picture(mode="1"), "XBM"), None),
        "picture.dib": (lambda: _saved(_picture(), "DIB"), None),
        "exif-rotated.jpg": (_exif_rotated, None),
        # animations and pages
        "animated.gif": (lambda: _animated("GIF"), None),
        "animated.webp": (lambda: _animated("WEBP"), None),
        "animated.png": (lambda: _animated("PNG"), None),
        "pages.tiff": (lambda: _animated("TIFF"), None),
        # sizes and shapes
        "one-pixel.png": (lambda: _saved(Image.new("RGB", (1, 1), (9, 9, 9)), "PNG"), None),
        "tall-strip.png": (lambda: _saved(_picture((60, 6000)), "PNG"), None),
        "wide-strip.png": (lambda: _saved(_picture((6000, 60)), "PNG"), None),
        "blank-black.png": (lambda: _saved(Image.new("RGB", (640, 400)), "PNG"), None),
        "huge-header.png": (_png_with_huge_header, "image_too_large"),
        # broken and cut off
        "truncated.png": (lambda: png[: len(png) // 2], "image_truncated"),
        "truncated.jpg": (lambda: jpeg[: len(jpeg) // 2], "image_truncated"),
        "header-only.png": (lambda: png[:12], "image_truncated"),
        "garbage.png": (lambda: os.urandom(4096), "not_an_image"),
        "zero.png": (lambda: b"", "image_empty"),
        "text.jpg": (lambda: b"Shopping list\nmilk\nbread\n" * 50, "not_an_image"),
        "html.png": (lambda: b"<!DOCTYPE html><html><body>Not found</body></html>", "not_an_image"),
        "png-named.jpg": (lambda: png, None),  # the contents decide, not the name
        "bad-crc.png": (lambda: png[:20] + bytes([png[20] ^ 0xFF]) + png[21:], "image_truncated"),
        # documents and formats that are not pictures to describe
        "document.pdf": (lambda: _saved(_picture(), "PDF"), "unsupported_format"),
        "drawing.svg": (
            lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "unsupported_format",
        ),
        "bare.svg": (
            lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9"/>',
            "unsupported_format",
        ),
        "print.eps": (
            lambda: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",
            "unsupported_format",
        ),
        "phone.heic": (lambda: b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64, "unsupported_format"),
        "future.jxl": (lambda: b"\xff\x0a" + b"\x00" * 64, "unsupported_format"),
    }


def build_corpus(folder: Path) -> dict[Path, Expected]:
    """Writes the corpus into ``folder``; each path with its expected outcome."""
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[Path, Expected] = {}
    for name, (make, outcome) in _files().items():
        path = folder / name
        path.write_bytes(make())
        expected[path] = outcome
    expected.update(_special_files(folder, next(iter(expected))))
    return expected


def _special_files(folder: Path, good: Path) -> dict[Path, Expected]:
    pipe = folder / "pipe.png"
    os.mkfifo(pipe)
    loop = folder / "loop.png"
    loop.symlink_to(loop)
    dangling = folder / "dangling.png"
    dangling.symlink_to(folder / "deleted.png")
    link = folder / "link-to-good.png"
    link.symlink_to(good)
    sub = folder / "a-folder.png"
    sub.mkdir()
    return {
        pipe: "not_a_regular_file",
        loop: "broken_link",
        dangling: "broken_link",
        link: None,
        sub: "image_is_directory",
        Path("/dev/zero"): "not_a_regular_file",
    }
