"""Loading real files of every accepted and refused kind, and the cheap looks taken at them."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFile

from helpers.render import (
    blank_image,
    dialog_image,
    photo_like_image,
    render_blank,
    render_dialog,
    render_photo_like,
    small_text_image,
)
from lookaloud.core.errors import (
    ImageEmpty,
    ImageIsDirectory,
    ImageNotFound,
    ImageTooLarge,
    ImageTruncated,
    NotAnImage,
    UnsupportedImageFormat,
)
from lookaloud.core.pipeline.facts import ImageKind
from lookaloud.core.pipeline.load import (
    COLOUR_NAMES_ZH,
    SUGGESTED_FORMATS,
    colour_name,
    colour_name_zh,
    detect_blank,
    downscale,
    image_kind,
    image_suffixes,
    load_image,
)

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def _pattern(size: tuple[int, int] = (120, 80)) -> Image.Image:
    """Left half red, right half blue: easy to check after saving, turning and loading."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def _noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Noise compresses badly, so cutting the file is sure to cut pixel data."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


# --- errors -------------------------------------------------------------------------------------


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ImageNotFound) as caught:
        load_image(tmp_path / "holiday.png")
    assert "holiday.png" in caught.value.message


def test_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "pictures"
    folder.mkdir()
    with pytest.raises(ImageIsDirectory) as caught:
        load_image(folder)
    assert "pictures" in caught.value.message
    assert "folder" in caught.value.message


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    with pytest.raises(ImageEmpty) as caught:
        load_image(_write_bytes(tmp_path / "empty.png", b""))
    assert "empty.png" in caught.value.message


def test_empty_bytes_are_empty() -> None:
    with pytest.raises(ImageEmpty):
        load_image(b"", name="Clipboard image")


def test_text_file_is_not_an_image(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path / "notes.png", b"Shopping list:\nmilk\nbread\n" * 20)
    with pytest.raises(NotAnImage) as caught:
        load_image(path)
    assert "notes.png" in caught.value.message
    assert "PNG" in caught.value.message


def test_documents_are_refused_with_their_name_and_what_to_save_them_as(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    _pattern((64, 64)).save(path)  # Pillow writes PDF, but cannot read it back
    with pytest.raises(UnsupportedImageFormat) as caught:
        load_image(path)
    message = caught.value.message
    assert "report.pdf is in PDF format" in message
    assert all(name in message for name in SUGGESTED_FORMATS)


@pytest.mark.parametrize(
    ("suffix", "expected_format"),
    [(".ico", "ICO"), (".ppm", "PPM"), (".pgm", "PPM"), (".tga", "TGA"), (".avif", "AVIF")],
)
def test_every_format_pillow_opens_is_described(
    tmp_path: Path, suffix: str, expected_format: str
) -> None:
    path = tmp_path / f"pattern{suffix}"
    picture = _pattern((64, 64))
    (picture.convert("L") if suffix == ".pgm" else picture).save(path)
    loaded = load_image(path)
    assert loaded.format == expected_format and loaded.image.mode == "RGB"
    assert suffix in image_suffixes()  # batch, browse mode and the open dialog look for it


def test_refused_formats_are_not_looked_for_in_folders() -> None:
    suffixes = image_suffixes()
    assert {".png", ".jpg", ".webp", ".gif", ".tif", ".bmp", ".ico", ".ppm"} <= set(suffixes)
    assert not {".eps", ".ps", ".mpeg", ".wmf", ".pdf", ".svg"} & set(suffixes)


def test_svg_is_unsupported_not_garbage(tmp_path: Path) -> None:
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10"></svg>'
    with pytest.raises(UnsupportedImageFormat) as caught:
        load_image(_write_bytes(tmp_path / "logo.svg", svg))
    assert "SVG" in caught.value.message


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file_is_detected(tmp_path: Path, fmt: str) -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    data = _encoded(_noise((300, 200)), fmt)
    path = _write_bytes(tmp_path / f"cut.{fmt.lower()}", data[: len(data) // 2])
    with pytest.raises(ImageTruncated) as caught:
        load_image(path)
    assert f"cut.{fmt.lower()}" in caught.value.message


def test_file_cut_inside_its_header_is_truncated_not_garbage(tmp_path: Path) -> None:
    data = _encoded(_pattern(), "PNG")
    with pytest.raises(ImageTruncated):
        load_image(_write_bytes(tmp_path / "stub.png", data[:20]))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_large_declared_size_is_refused_before_decoding(tmp_path: Path) -> None:
    # 12000 x 12000 one-bit pixels: 144 megapixels in a file of a few kilobytes.
    path = tmp_path / "bomb.png"
    Image.new("1", (12_000, 12_000)).save(path)
    assert path.stat().st_size < 100_000
    pixel_limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageTooLarge) as caught:
        load_image(path)
    assert "bomb.png" in caught.value.message
    assert "12000 by 12000" in caught.value.message
    assert pixel_limit == Image.MAX_IMAGE_PIXELS


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def test_crafted_header_far_beyond_pillows_limit_is_too_large(tmp_path: Path) -> None:
    # A header claiming 50000 x 50000 RGB pixels that Pillow itself refuses at open time.
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )
    with pytest.raises(ImageTooLarge):
        load_image(_write_bytes(tmp_path / "crafted.png", data))


def test_pixel_limit_is_an_explicit_argument(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    _pattern((100, 100)).save(path)
    assert load_image(path, max_pixels=10_000).width == 100
    with pytest.raises(ImageTooLarge):
        load_image(path, max_pixels=9_999)


# --- formats and normalisation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "expected_format", "options"),
    [
        (".png", "PNG", {}),
        (".webp", "WebP", {"lossless": True}),
        (".tiff", "TIFF", {}),
        (".bmp", "BMP", {}),
        (".jpg", "JPEG", {"quality": 95}),
    ],
)
def test_accepted_formats_round_trip(
    tmp_path: Path, suffix: str, expected_format: str, options: dict[str, Any]
) -> None:
    path = tmp_path / f"pattern{suffix}"
    _pattern().save(path, **options)
    loaded = load_image(path)
    assert (loaded.width, loaded.height, loaded.format) == (120, 80, expected_format)
    assert loaded.image.mode == "RGB"
    assert _close(loaded.image.getpixel((10, 40)), RED, 8)  # type: ignore[arg-type]
    assert _close(loaded.image.getpixel((110, 40)), BLUE, 8)  # type: ignore[arg-type]
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.name == f"pattern{suffix}"


def test_bytes_source_gets_hash_and_name() -> None:
    data = _encoded(_pattern(), "PNG")
    loaded = load_image(data, name="Clipboard image")
    assert loaded.sha256 == hashlib.sha256(data).hexdigest()
    assert loaded.name == "Clipboard image"
    assert loaded.format == "PNG"


def test_gif_uses_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (40, 30), colour) for colour in (RED, (0, 200, 0), BLUE)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    loaded = load_image(path)
    assert loaded.format == "GIF" and (loaded.frames, loaded.animated) == (3, True)
    assert _close(loaded.image.getpixel((20, 15)), RED, 4)  # type: ignore[arg-type]


def test_animated_webp_and_apng_use_the_first_frame_and_count_the_rest(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (40, 30), colour) for colour in (RED, BLUE)]
    for name in ("anim.webp", "anim.png"):
        frames[0].save(tmp_path / name, save_all=True, append_images=frames[1:], duration=100)
        loaded = load_image(tmp_path / name)
        assert (loaded.frames, loaded.animated) == (2, True), name
        assert _close(loaded.image.getpixel((20, 15)), RED, 8), name  # type: ignore[arg-type]


def test_a_multipage_tiff_gives_its_first_page_and_the_page_count(tmp_path: Path) -> None:
    pages = [Image.new("RGB", (40, 30), colour) for colour in (BLUE, RED, RED)]
    pages[0].save(tmp_path / "scan.tiff", save_all=True, append_images=pages[1:])
    loaded = load_image(tmp_path / "scan.tiff")
    assert (loaded.frames, loaded.animated) == (3, False)
    assert _close(loaded.image.getpixel((20, 15)), BLUE, 4)  # type: ignore[arg-type]


def test_cmyk_jpeg_is_turned_into_rgb(tmp_path: Path) -> None:
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(tmp_path / "print.jpg")  # pure red ink
    loaded = load_image(tmp_path / "print.jpg")
    assert loaded.image.mode == "RGB"
    assert _close(loaded.image.getpixel((20, 15)), RED, 16)  # type: ignore[arg-type]


def test_exif_orientation_turns_the_picture(tmp_path: Path) -> None:
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: stored sideways, shown turned 90 degrees clockwise.
    _pattern((200, 100)).save(path, quality=95, exif=exif)
    loaded = load_image(path)
    assert (loaded.width, loaded.height) == (100, 200)
    # Turning clockwise moves the stored left half (red) to the top.
    assert _close(loaded.image.getpixel((50, 20)), RED, 12)  # type: ignore[arg-type]
    assert _close(loaded.image.getpixel((50, 180)), BLUE, 12)  # type: ignore[arg-type]


def test_rgba_transparency_is_flattened_onto_white(tmp_path: Path) -> None:
    image = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    image.paste((255, 0, 0, 128), (10, 0, 20, 10))
    path = tmp_path / "alpha.png"
    image.save(path)
    loaded = load_image(path).image
    assert loaded.getpixel((2, 5)) == (255, 255, 255)
    assert _close(loaded.getpixel((15, 5)), (255, 127, 127), 2)  # type: ignore[arg-type]


def test_grey_with_alpha_is_flattened_onto_white(tmp_path: Path) -> None:
    image = Image.new("LA", (10, 10), (0, 0))
    image.paste((0, 255), (0, 0, 5, 10))
    path = tmp_path / "grey-alpha.png"
    image.save(path)
    loaded = load_image(path).image
    assert loaded.getpixel((2, 2)) == (0, 0, 0)
    assert loaded.getpixel((8, 2)) == (255, 255, 255)


def test_palette_transparency_is_flattened_onto_white(tmp_path: Path) -> None:
    image = Image.new("P", (10, 10), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (5, 0, 10, 10))
    path = tmp_path / "icon.gif"
    image.save(path, transparency=0)
    loaded = load_image(path).image
    assert loaded.getpixel((2, 2)) == (255, 255, 255)
    assert loaded.getpixel((8, 2)) == RED


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.array([[0, 32_896, 65_535]], dtype=np.uint16)
    path = tmp_path / "scan.png"
    Image.fromarray(values).save(path)
    loaded = load_image(path).image
    assert [loaded.getpixel((x, 0))[0] for x in range(3)] == [0, 128, 255]  # type: ignore[index]


# --- downscale and kind -------------------------------------------------------------------------


def test_downscale_keeps_aspect() -> None:
    small = downscale(Image.new("RGB", (4000, 1000)), 1000)
    assert small.size == (1000, 250)


def test_downscale_never_enlarges() -> None:
    image = Image.new("RGB", (300, 200))
    assert downscale(image, 1000) is image
    assert downscale(Image.new("RGB", (10, 3000)), 300).size == (1, 300)


def test_dialog_is_a_screenshot_even_as_jpeg() -> None:
    assert image_kind(dialog_image()) is ImageKind.SCREENSHOT
    as_jpeg = Image.open(io.BytesIO(_encoded(dialog_image(), "JPEG", quality=85)))
    assert image_kind(as_jpeg) is ImageKind.SCREENSHOT


def test_photo_like_is_a_photo() -> None:
    assert image_kind(photo_like_image()) is ImageKind.PHOTO
    as_jpeg = Image.open(io.BytesIO(_encoded(photo_like_image(), "JPEG", quality=85)))
    assert image_kind(as_jpeg) is ImageKind.PHOTO


# --- blank --------------------------------------------------------------------------------------


def _noisy(mean: int, sigma: float, seed: int = 3) -> Image.Image:
    values = np.random.default_rng(seed).normal(mean, sigma, (600, 800, 3))
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8))


def test_uniform_dark_grey_is_blank(tmp_path: Path) -> None:
    info = detect_blank(load_image(render_blank(tmp_path / "blank.png")).image)
    assert info.blank
    assert info.colour_name == "dark grey"
    assert info.spread == pytest.approx(0.0)


def test_black_screen_is_blank() -> None:
    info = detect_blank(blank_image((0, 0, 0)))
    assert (info.blank, info.colour_name) == (True, "black")


def test_slight_noise_and_jpeg_artefacts_are_still_blank() -> None:
    noisy = _noisy(128, 6.0)
    assert detect_blank(noisy).blank
    as_jpeg = Image.open(io.BytesIO(_encoded(noisy, "JPEG", quality=60)))
    info = detect_blank(as_jpeg)
    assert (info.blank, info.colour_name) == (True, "grey")


def test_gentle_gradient_is_blank() -> None:
    ramp = np.broadcast_to(np.linspace(20, 50, 1024)[None, :, None], (768, 1024, 3))
    info = detect_blank(Image.fromarray(ramp.astype(np.uint8)))
    assert (info.blank, info.colour_name) == (True, "dark grey")


def test_dialog_and_photo_are_not_blank(tmp_path: Path) -> None:
    assert not detect_blank(load_image(render_dialog(tmp_path / "dialog.png")).image).blank
    assert not detect_blank(load_image(render_photo_like(tmp_path / "photo.png")).image).blank


def test_one_small_line_of_text_on_white_is_not_blank() -> None:
    info = detect_blank(small_text_image())
    assert not info.blank
    assert info.colour_name == "white"


def test_one_small_line_on_a_4k_screen_is_not_blank() -> None:
    screen = Image.new("RGB", (3840, 2160), (255, 255, 255))
    screen.paste(small_text_image((400, 40)), (1700, 1000))
    assert not detect_blank(screen).blank


def test_strong_smooth_gradient_is_not_blank() -> None:
    # No sharp edge anywhere, but black fading to white is not "one colour".
    ramp = np.broadcast_to(np.linspace(0, 255, 1024)[None, :, None], (768, 1024, 3))
    assert not detect_blank(Image.fromarray(ramp.astype(np.uint8))).blank


def test_two_colour_halves_are_not_blank() -> None:
    assert not detect_blank(_pattern((800, 600))).blank


# --- colour names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((0, 0, 0), "black"),
        ((255, 255, 255), "white"),
        ((64, 64, 64), "dark grey"),
        ((128, 128, 128), "grey"),
        ((200, 200, 200), "light grey"),
        ((220, 20, 20), "red"),
        ((10, 20, 120), "dark blue"),
        ((150, 200, 255), "light blue"),
        ((30, 160, 40), "green"),
        ((120, 70, 10), "brown"),
        ((250, 220, 20), "yellow"),
        ((150, 40, 190), "purple"),
        ((60, 0, 70), "dark purple"),
        ((255, 105, 180), "pink"),
    ],
)
def test_colour_names(rgb: tuple[int, int, int], name: str) -> None:
    assert colour_name(rgb) == name


def test_every_colour_name_has_chinese() -> None:
    steps = range(0, 256, 15)
    names = {colour_name((r, g, b)) for r in steps for g in steps for b in steps}
    assert names <= set(COLOUR_NAMES_ZH)
    assert colour_name_zh("dark grey") == "深灰色"


def test_the_frame_count_reaches_the_json_and_comes_back_from_the_cache(tmp_path: Path) -> None:
    from lookaloud.core.pipeline.facts import Facts
    from lookaloud.core.pipeline.result import Result

    facts = Facts(40, 30, ImageKind.PHOTO, caption="a flag", frames=3, animated=True)
    result = Result(image="anim.gif", ok=True, description="A flag.", facts=facts)
    data = result.to_json_dict()
    assert (data["frames"], data["animated"]) == (3, True)
    back = Result.from_json_dict(data).facts
    assert back is not None and (back.frames, back.animated) == (3, True)
