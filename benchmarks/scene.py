"""The benchmark's input: a 1280×800 screenshot-like picture with a dialog, text and shapes.

A document editor fills the screen — title bar, menu bar, a sidebar list, a page of text and a
bar chart — with a modal dialog in the centre. The text is real, drawn with a TrueType font where
one is installed (DejaVu Sans on Debian), so the OCR reads as much text as on a real screen.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZE = (1280, 800)

TITLE = "Quarterly report - Editor"
MENU = ("File", "Edit", "View", "Insert", "Format", "Help")
SIDEBAR = ("Documents", "Recent files", "Shared with me", "Trash")
PAGE = (
    "Sales grew in every region this quarter.",
    "The team opened two new offices.",
    "Customer satisfaction stayed high.",
)
DIALOG_TITLE = "Save changes?"
DIALOG_BODY = "Your document has unsaved changes."
DIALOG_BUTTONS = ("Save", "Don't Save", "Cancel")

_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


def screenshot_png() -> bytes:
    """The picture as PNG bytes, as a screen capture hands it to the pipeline."""
    buffer = io.BytesIO()
    screenshot().save(buffer, format="PNG")
    return buffer.getvalue()


def screenshot() -> Image.Image:
    image = Image.new("RGB", SIZE, (236, 239, 244))
    draw = ImageDraw.Draw(image)
    _window_frame(draw)
    _sidebar(draw)
    _page(draw)
    _chart(draw)
    _dialog(draw)
    return image


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in _FONT_PATHS:
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def _window_frame(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 0, 1279, 44), fill=(45, 62, 90))
    draw.text((20, 10), TITLE, font=_font(22), fill=(255, 255, 255))
    for index, colour in enumerate(((237, 106, 94), (245, 191, 79), (98, 197, 84))):
        left = 1180 + index * 30
        draw.ellipse((left, 14, left + 16, 30), fill=colour)
    draw.rectangle((0, 45, 1279, 85), fill=(250, 250, 252))
    for index, word in enumerate(MENU):
        draw.text((20 + index * 90, 54), word, font=_font(19), fill=(30, 30, 30))


def _sidebar(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((0, 86, 250, 799), fill=(225, 230, 238))
    for index, label in enumerate(SIDEBAR):
        top = 110 + index * 48
        draw.rounded_rectangle((12, top, 238, top + 36), radius=6, fill=(210, 218, 230))
        draw.text((24, top + 7), label, font=_font(18), fill=(25, 35, 50))


def _page(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((290, 110, 1240, 780), fill=(255, 255, 255), outline=(200, 200, 205))
    draw.text((330, 140), "Quarterly report", font=_font(34), fill=(20, 20, 20))
    for index, line in enumerate(PAGE):
        draw.text((330, 210 + index * 40), line, font=_font(20), fill=(40, 40, 40))


def _chart(draw: ImageDraw.ImageDraw) -> None:
    colours = ((66, 133, 244), (52, 168, 83), (251, 188, 5), (234, 67, 53))
    for index, (height, colour) in enumerate(zip((120, 180, 150, 220), colours, strict=True)):
        left = 360 + index * 90
        draw.rectangle((left, 740 - height, left + 60, 740), fill=colour)
    draw.line((340, 741, 740, 741), fill=(90, 90, 90), width=2)
    draw.ellipse((900, 560, 1080, 740), fill=(66, 133, 244))
    draw.pieslice((900, 560, 1080, 740), start=0, end=120, fill=(251, 188, 5))


def _dialog(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((392, 262, 912, 542), fill=(160, 160, 165))  # shadow
    draw.rectangle((380, 250, 900, 530), fill=(246, 246, 248), outline=(120, 120, 125), width=2)
    draw.text((410, 280), DIALOG_TITLE, font=_font(30), fill=(10, 10, 10))
    draw.text((410, 345), DIALOG_BODY, font=_font(21), fill=(40, 40, 40))
    for index, label in enumerate(DIALOG_BUTTONS):
        left = 410 + index * 160
        fill = (40, 110, 220) if index == 0 else (255, 255, 255)
        ink = (255, 255, 255) if index == 0 else (20, 20, 20)
        box = (left, 450, left + 140, 500)
        draw.rounded_rectangle(box, radius=8, fill=fill, outline=(90, 90, 90))
        draw.text((left + 70, 475), label, font=_font(20), fill=ink, anchor="mm")
