"""Pictures drawn with Pillow for tests: dialogs with known text, photo-like noise, blank screens.

Fonts are real TrueType files found through fontconfig (``fc-list``) or well-known paths; the
Debian packages that provide them are listed in ``scripts/apt-packages.txt``. When no suitable
font exists, :func:`require_font` skips the calling test and says which package to install.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
DARK_GREY = (64, 64, 64)

DIALOG_TITLE = "Save changes?"
DIALOG_BODY = "Your document has unsaved changes."
DIALOG_BUTTONS = ("Save", "Don't Save", "Cancel")
DIALOG_LINES = (DIALOG_TITLE, DIALOG_BODY, *DIALOG_BUTTONS)
"""The dialog's text in reading order: title, body sentence, then the buttons left to right."""

DIALOG_SIZE = (800, 400)

SMALL_TEXT = "Loading, please wait"

_LATIN_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
_CJK_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
_FONT_PACKAGES = {"latin": "fonts-dejavu-core", "cjk": "fonts-wqy-zenhei"}


def find_font(script: str = "latin") -> Path | None:
    """A TrueType font file able to draw ``latin`` or ``cjk`` (Simplified Chinese) text."""
    known = _LATIN_PATHS if script == "latin" else _CJK_PATHS
    for candidate in known:
        if Path(candidate).is_file():
            return Path(candidate)
    return _fontconfig_font(":lang=en" if script == "latin" else ":lang=zh-cn")


def _fontconfig_font(pattern: str) -> Path | None:
    """Ask fontconfig for fonts covering a language; ``fc-list`` only lists fonts that do."""
    if shutil.which("fc-list") is None:
        return None
    listing = subprocess.run(
        ["fc-list", pattern, "file"], capture_output=True, text=True, check=False, timeout=20
    )
    files = sorted(line.strip().rstrip(":") for line in listing.stdout.splitlines())
    usable = [Path(f) for f in files if f.lower().endswith((".ttf", ".ttc", ".otf"))]
    return usable[0] if usable else None


def require_font(script: str = "latin") -> Path:
    """The font for ``script``, or skip the test naming the package that provides one."""
    font = find_font(script)
    if font is None:
        pytest.skip(f"no {script} TrueType font found; install {_FONT_PACKAGES[script]}")
    return font


def load_font(size: int, script: str = "latin") -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(require_font(script)), size)


def _save(image: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def dialog_image() -> Image.Image:
    """An 800x400 light dialog; see :data:`DIALOG_LINES` for its text in reading order.

    Top to bottom: the title "Save changes?" (large) near the top left, the sentence
    "Your document has unsaved changes." below it, then one row of three buttons at the bottom,
    left to right "Save", "Don't Save", "Cancel".
    """
    image = Image.new("RGB", DIALOG_SIZE, (240, 240, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 799, 399), outline=(120, 120, 120), width=2)
    draw.text((40, 40), DIALOG_TITLE, font=load_font(36), fill=BLACK)
    draw.text((40, 130), DIALOG_BODY, font=load_font(26), fill=(30, 30, 30))
    for left, label in zip((40, 290, 560), DIALOG_BUTTONS, strict=True):
        _draw_button(draw, left, label)
    return image


def _draw_button(draw: ImageDraw.ImageDraw, left: int, label: str) -> None:
    draw.rounded_rectangle((left, 290, left + 200, 350), radius=8, fill=WHITE, outline=(90, 90, 90))
    draw.text((left + 100, 320), label, font=load_font(26), fill=BLACK, anchor="mm")


def render_dialog(path: Path) -> Path:
    """Write :func:`dialog_image` to ``path`` (format from the suffix) and return ``path``.

    Words in reading order: "Save changes?" / "Your document has unsaved changes." /
    "Save" "Don't Save" "Cancel" (the buttons, left to right on one row).
    """
    return _save(dialog_image(), path)


def photo_like_image(size: tuple[int, int] = (640, 480), seed: int = 7) -> Image.Image:
    """A camera-like picture with no text: sky-to-ground gradient, soft blobs and sensor noise."""
    rng = np.random.default_rng(seed)
    width, height = size
    rows = np.linspace(0.0, 1.0, height)[:, None, None]
    sky, ground = np.array([110.0, 160.0, 220.0]), np.array([70.0, 120.0, 50.0])
    base = sky * (1 - rows) + ground * rows
    pixels = np.broadcast_to(base, (height, width, 3)).copy()
    image = Image.fromarray(pixels.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        radius = int(rng.integers(30, 90))
        colour = tuple(int(c) for c in rng.integers(40, 230, size=3))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    blurred = np.asarray(image.filter(ImageFilter.GaussianBlur(6)), dtype=np.float64)
    noisy = blurred + rng.normal(0.0, 6.0, blurred.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def render_photo_like(path: Path) -> Path:
    """Write :func:`photo_like_image` (640x480, no text, not blank) to ``path``; returns it."""
    return _save(photo_like_image(), path)


def blank_image(
    colour: tuple[int, int, int] = DARK_GREY, size: tuple[int, int] = (800, 600)
) -> Image.Image:
    return Image.new("RGB", size, colour)


def render_blank(path: Path, colour: tuple[int, int, int] = DARK_GREY) -> Path:
    """Write an 800x600 picture of one colour (dark grey, 64/64/64, by default); no text at all."""
    return _save(blank_image(colour), path)


def small_text_image(size: tuple[int, int] = (1280, 800)) -> Image.Image:
    """A white page with one short line of 14 px text (:data:`SMALL_TEXT`) in the middle."""
    image = Image.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((size[0] // 2, size[1] // 2), SMALL_TEXT, font=load_font(14), fill=BLACK, anchor="mm")
    return image


def text_image(
    lines: tuple[str, ...], *, script: str = "latin", size: int = 32, width: int = 800
) -> Image.Image:
    """Black lines of text on white, one under the other, left-aligned with a margin."""
    font = load_font(size, script)
    line_height = round(size * 1.8)
    image = Image.new("RGB", (width, line_height * len(lines) + size), WHITE)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((30, size // 2 + index * line_height), line, font=font, fill=BLACK)
    return image
