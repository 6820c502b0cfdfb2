"""Loading pictures safely and looking at them cheaply before any model does.

``load_image`` turns a file or raw bytes into a plain RGB picture, upright and without
transparency, or raises an :class:`~lookaloud.core.errors.ImageError` whose message names the file
and says what to do. ``downscale``, ``image_kind`` and ``detect_blank`` are fast checks that run on
that picture before perception.

Every format this Pillow can open is accepted (PNG, JPEG, WebP, AVIF, BMP, TIFF, GIF, ICO,
PPM/PGM, TGA, PSD, …), except the documents, drawings, video and data files of
:data:`REFUSED_FORMATS`; PDF and SVG, which Pillow cannot open, are named in their refusal too.
Animations and multi-page files give their first frame.

Pillow's own global limits are left alone: the pixel limit is checked here against an explicit
``max_pixels`` argument (Pillow still emits its ``DecompressionBombWarning`` for pictures above
its own 89 megapixels while reading the header), and ``ImageFile.LOAD_TRUNCATED_IMAGES`` must stay
``False`` (its default) for truncated files to be detected.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import logging
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from lookaloud.core.errors import (
    ImageEmpty,
    ImageError,
    ImageTooLarge,
    ImageTruncated,
    NotAnImage,
    UnsupportedImageFormat,
)
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.facts import BlankInfo, ImageKind
from lookaloud.core.pipeline.files import DEFAULT_MAX_FILE_BYTES, read_file

log = logging.getLogger(__name__)

MAX_PIXELS = 100_000_000
"""Largest picture accepted (100 megapixels): above any screen, and above nearly every camera."""

# Every format Pillow can open is described, except these: documents, drawings, video and data
# files that only look like pictures to Pillow (or need programs Lookaloud does not ship).
REFUSED_FORMATS = {
    "EPS": "EPS (PostScript)",
    "MPEG": "MPEG video",
    "WMF": "WMF/EMF drawing",
    "BUFR": "BUFR weather data",
    "GRIB": "GRIB weather data",
    "HDF5": "HDF5 data",
    "IPTC": "IPTC metadata",
}
# Formats whose frames are an animation; the frames of the others (TIFF, ICO…) are pages or sizes.
ANIMATED_FORMATS = frozenset({"GIF", "WebP", "PNG", "FLI", "AVIF"})
# The formats messages suggest to save as.
SUGGESTED_FORMATS = ("PNG", "JPEG")

# Pillow's format names as people call them; MPO is how Pillow labels the JPEG files written by
# many phones and cameras (a JPEG with extra preview frames).
_NAMES = {"MPO": "JPEG", "WEBP": "WebP", "JPEG2000": "JPEG 2000"}


@cache
def register_plugins() -> None:
    """Formats Pillow reads through a plugin, where one is installed: HEIC/HEIF photos from
    phones with ``pillow-heif`` (AVIF is built into this Pillow)."""
    try:
        from pillow_heif import register_heif_opener  # optional; not a dependency
    except ImportError:
        return
    register_heif_opener()


@cache
def image_suffixes() -> tuple[str, ...]:
    """The file name endings of every format Lookaloud describes (what batch, browse mode and the
    open dialog look for), from the formats this Pillow can open."""
    register_plugins()
    Image.init()
    openable = set(Image.OPEN) - set(REFUSED_FORMATS)
    return tuple(
        sorted(ext for ext, fmt in Image.registered_extensions().items() if fmt in openable)
    )


# Signatures of real image or document formats Pillow cannot open (or that we refuse anyway),
# so that the user hears "not supported" rather than "not an image".
_KNOWN_UNSUPPORTED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"<svg", "SVG"),
    (b"8BPS", "PSD"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"hevc", b"avif")

# Signatures of accepted formats: a file that starts like one of these but cannot be decoded is
# damaged or cut off, not "not an image".
_ACCEPTED_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)

_WHITE = (255, 255, 255)
# How damaged files fail inside Pillow's decoders: beyond OSError and the like, its plugins let
# TypeError ("Missing dimensions" from a broken TIFF, found by the fuzzer), KeyError, IndexError
# and struct.error through.
_DECODE_ERRORS: tuple[type[Exception], ...] = (
    SyntaxError,
    ValueError,
    OSError,
    EOFError,
    TypeError,
    KeyError,
    IndexError,
    struct.error,
    ZeroDivisionError,
)


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A decoded picture ready for perception.

    ``image`` is RGB at full resolution, already turned upright by its EXIF orientation;
    ``width``/``height`` are measured after that turn. ``sha256`` is the hex digest of the original
    bytes (the cache key), ``format`` one of :data:`SUPPORTED_FORMATS`, ``name`` what messages call
    the picture.
    """

    image: Image.Image
    width: int
    height: int
    format: str
    sha256: str
    name: str
    frames: int = 1  # the first is the one decoded
    animated: bool = False  # frames of an animation, not pages


def load_image(
    source: Path | bytes,
    *,
    name: str | None = None,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> LoadedImage:
    """Read, validate and normalise one picture from a file path or from raw encoded bytes.

    A path is looked at before it is read (see :mod:`.files`): only a regular file of at most
    ``max_bytes`` is opened. Raises a subclass of :class:`~lookaloud.core.errors.ImageError` for
    every problem a user can meet; its ``message`` names the picture and says what to do.
    """
    if isinstance(source, bytes):
        label = name or tr("The image", "names a picture without a file name")
        data, sha256 = source, hashlib.sha256(source).hexdigest()
    else:
        label = name or Path(source).name or str(source)
        read = read_file(Path(source), label, max_bytes)
        data, sha256 = read.data, read.sha256
    if not data:
        raise ImageEmpty(
            tr("{label} is an empty file (0 bytes); choose another picture.", "error", label=label)
        )
    image, fmt, frames = _decode(data, label, max_pixels)
    return LoadedImage(
        image=image,
        width=image.width,
        height=image.height,
        format=fmt,
        sha256=sha256,
        name=label,
        frames=frames,
        animated=frames > 1 and fmt in ANIMATED_FORMATS,
    )


def _decode(data: bytes, label: str, max_pixels: int) -> tuple[Image.Image, str, int]:
    """The first frame as RGB, the format's name, and how many frames or pages there are."""
    opened = _open(data, label)
    fmt = _accepted_format(opened, data, label)
    if opened.width * opened.height > max_pixels:
        raise ImageTooLarge(_too_large_message(label, opened.width, opened.height, max_pixels))
    frames = _frame_count(opened)
    _force_load(opened, label)  # Pillow opens at the first frame and decodes only that one
    upright = _exif_upright(opened)
    return flatten_to_rgb(upright), fmt, frames


def _frame_count(image: Image.Image) -> int:
    """How many frames or pages; 1 when a damaged file cannot even say (its first still counts)."""
    try:
        return max(int(getattr(image, "n_frames", 1) or 1), 1)
    except _DECODE_ERRORS:
        return 1


def _open(data: bytes, label: str) -> Image.Image:
    """Read only the header; decoding happens later, after the size check."""
    register_plugins()
    try:
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        # Pillow refuses pictures above twice its own limit before we can look at the size.
        raise ImageTooLarge(
            tr(
                "{label} declares far too many pixels to open safely; use a smaller copy of "
                "the picture.",
                "error",
                label=label,
            )
        ) from exc
    except _DECODE_ERRORS as exc:  # UnidentifiedImageError is an OSError
        raise _unreadable_error(data, label) from exc


def _unreadable_error(data: bytes, label: str) -> ImageError:
    known = _known_unsupported_format(data)
    if known is not None:
        return UnsupportedImageFormat(_unsupported_message(label, known))
    if data.startswith(_ACCEPTED_SIGNATURES) or _is_webp(data):
        return ImageTruncated(_truncated_message(label))
    return NotAnImage(
        tr(
            "{label} is not a picture Lookaloud can read; choose a {formats} file.",
            "error",
            label=label,
            formats=_formats_phrase(),
        )
    )


def _known_unsupported_format(data: bytes) -> str | None:
    head = data[:512].lstrip()
    for signature, fmt in _KNOWN_UNSUPPORTED_SIGNATURES:
        if head.startswith(signature):
            return fmt
    if head.startswith(b"<?xml") and b"<svg" in head:
        return "SVG"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "AVIF" if data[8:12] == b"avif" else "HEIC"
    return None


def _is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _accepted_format(image: Image.Image, data: bytes, label: str) -> str:
    pillow_format = image.format or ""
    if pillow_format and pillow_format not in REFUSED_FORMATS:
        return _NAMES.get(pillow_format, pillow_format)
    shown = REFUSED_FORMATS.get(pillow_format) or _known_unsupported_format(data) or pillow_format
    raise UnsupportedImageFormat(_unsupported_message(label, shown or "this"))


def _force_load(image: Image.Image, label: str) -> None:
    """Decode every pixel now: Pillow is lazy, and a cut-off file only fails while decoding."""
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(
            tr(
                "{label} is too large to open safely; use a smaller copy of the picture.",
                "error",
                label=label,
            )
        ) from exc
    except _DECODE_ERRORS as exc:
        raise ImageTruncated(_truncated_message(label)) from exc


def _exif_upright(image: Image.Image) -> Image.Image:
    try:
        upright = ImageOps.exif_transpose(image)
    except (ValueError, SyntaxError, OSError, KeyError, TypeError) as exc:
        # Broken EXIF data should not cost the user the whole picture; it just stays unturned.
        log.warning("Ignoring unreadable EXIF orientation: %s", exc)
        return image
    return upright if upright is not None else image


def flatten_to_rgb(image: Image.Image) -> Image.Image:
    """Return an RGB copy; transparent parts become white, 16-bit and float greys are rescaled."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return _wide_grey_to_rgb(image)
    if image.mode != "RGBA" and image.has_transparency_data:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _wide_grey_to_rgb(image: Image.Image) -> Image.Image:
    """Scale 16/32-bit integer or float greys into 0..255; Pillow's own convert clips them."""
    values = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        peak = 1.0 if values.max(initial=0.0) <= 1.0 else 255.0
    else:
        peak = 255.0 if values.max(initial=0.0) <= 255 else 65535.0
    grey = np.clip(values / peak * 255.0, 0, 255).round().astype(np.uint8)
    return Image.fromarray(grey).convert("RGB")


def _formats_phrase() -> str:
    return tr(
        "{some} or {last}",
        "a list of picture formats",
        some=tr(", ", "between the parts of a summary").join(SUGGESTED_FORMATS[:-1]),
        last=SUGGESTED_FORMATS[-1],
    )


def _unsupported_message(label: str, fmt: str) -> str:
    return tr(
        "{label} is in {format} format, which Lookaloud does not read; save it as {formats} "
        "and try again.",
        "error",
        label=label,
        format=fmt,
        formats=_formats_phrase(),
    )


def _truncated_message(label: str) -> str:
    return tr(
        "{label} is damaged or cut off (the file ends too early); copy or download it again "
        "and retry.",
        "error",
        label=label,
    )


def _too_large_message(label: str, width: int, height: int, max_pixels: int) -> str:
    return tr(
        "{label} is {width} by {height} pixels, more than the {megapixels} megapixels "
        "Lookaloud opens safely; use a smaller copy of the picture.",
        "error",
        label=label,
        width=width,
        height=height,
        megapixels=max_pixels // 1_000_000,
    )


# --- size ---------------------------------------------------------------------------------------


def downscale(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink so the longer side is at most ``max_side``, keeping the aspect ratio.

    Never enlarges: a picture that already fits is returned as it is (the same object).
    """
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    longest = max(image.width, image.height)
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # reducing_gap first box-shrinks by an integer factor, which makes 4K inputs several times
    # faster with no visible difference after LANCZOS.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


# --- screenshot or photo ------------------------------------------------------------------------

SCREENSHOT_FLAT_SHARE = 0.5
"""Share of exactly equal neighbouring pixels above which a picture counts as a screenshot."""

_KIND_SAMPLE_ROWS = 256


def image_kind(image: Image.Image) -> ImageKind:
    """Guess whether a picture is a screenshot (flat, drawn) or a photo (camera noise everywhere).

    User interfaces are drawn: large areas of one exact colour, so most horizontally neighbouring
    pixels are identical. Photos carry sensor noise and soft gradients, so exact neighbours are rare
    even in a blue sky. The measure is taken at full resolution (downscaling would blend
    neighbours) on up to 256 evenly spaced rows, which keeps it to a few milliseconds on 4K.
    """
    return (
        ImageKind.SCREENSHOT
        if flat_neighbour_share(image) >= SCREENSHOT_FLAT_SHARE
        else ImageKind.PHOTO
    )


def flat_neighbour_share(image: Image.Image) -> float:
    """Fraction of horizontally adjacent pixel pairs that are exactly the same colour."""
    pixels = np.asarray(image.convert("RGB"))
    if pixels.shape[1] < 2:
        return 1.0
    step = max(1, pixels.shape[0] // _KIND_SAMPLE_ROWS)
    rows = pixels[::step]
    equal = np.all(rows[:, 1:] == rows[:, :-1], axis=2)
    return float(equal.mean())


# --- blank detection ----------------------------------------------------------------------------

BLANK_WORK_SIDE = 640
"""Longer side of the copy blank detection works on; text of 10 px on a 4K screen still shows."""

BLANK_MAX_SPREAD = 16.0
"""Largest per-channel standard deviation (0..255) of a picture that can still count as blank."""

BLANK_EDGE_STEP = 32
"""Brightness step between neighbouring pixels that counts as an edge (text, borders, objects)."""

BLANK_MAX_EDGE_PIXELS = 6
"""A blank picture has fewer edge pixels than this: one isolated speck makes four, a two-letter
word of 10 px text on a 4K screen already makes more. A mouse pointer (about 30) counts as content,
so screen captures should leave the pointer out (mss does)."""


def detect_blank(image: Image.Image) -> BlankInfo:
    """Tell whether a picture is (nearly) one colour, and name its dominant colour.

    Blank means both a small colour spread (noise, JPEG artefacts and gentle gradients stay under
    :data:`BLANK_MAX_SPREAD`) and almost no sharp edges; the edge count is what keeps a white page
    with one short line of text from being called blank. Works on a box-reduced copy at most
    :data:`BLANK_WORK_SIDE` pixels long, so it costs milliseconds even on 4K screenshots.
    """
    pixels = np.asarray(_blank_work_copy(image), dtype=np.int16)
    spread = float(pixels.reshape(-1, 3).std(axis=0).max())
    edges = _edge_pixel_count(pixels)
    dominant = np.median(pixels.reshape(-1, 3), axis=0)
    blank = spread <= BLANK_MAX_SPREAD and edges < BLANK_MAX_EDGE_PIXELS
    return BlankInfo(blank=blank, colour_name=colour_name(_rgb_tuple(dominant)), spread=spread)


def _blank_work_copy(image: Image.Image) -> Image.Image:
    rgb = image.convert("RGB")
    factor = -(-max(rgb.width, rgb.height) // BLANK_WORK_SIDE)  # ceiling division
    # Box averaging (reduce) softens noise but keeps text strokes as clear local steps.
    return rgb.reduce(factor) if factor > 1 else rgb


def _edge_pixel_count(pixels: np.ndarray) -> int:
    right = np.abs(pixels[:, 1:] - pixels[:, :-1]).max(axis=2) >= BLANK_EDGE_STEP
    down = np.abs(pixels[1:, :] - pixels[:-1, :]).max(axis=2) >= BLANK_EDGE_STEP
    return int(right.sum() + down.sum())


def _rgb_tuple(values: np.ndarray) -> tuple[int, int, int]:
    red, green, blue = (round(float(v)) for v in values[:3])
    return red, green, blue


# --- colour names -------------------------------------------------------------------------------

# Hue ranges in degrees, checked in order; the first whose upper bound exceeds the hue wins.
_HUES: tuple[tuple[float, str], ...] = (
    (15, "red"),
    (40, "orange"),
    (70, "yellow"),
    (165, "green"),
    (195, "teal"),
    (255, "blue"),
    (315, "purple"),
    (345, "pink"),
    (361, "red"),
)

COLOUR_NAMES_ZH: dict[str, str] = {
    "black": "黑色",
    "dark grey": "深灰色",
    "grey": "灰色",
    "light grey": "浅灰色",
    "white": "白色",
    "brown": "棕色",
    "red": "红色",
    "dark red": "深红色",
    "light red": "浅红色",
    "orange": "橙色",
    "light orange": "浅橙色",
    "yellow": "黄色",
    "dark yellow": "深黄色",
    "light yellow": "浅黄色",
    "green": "绿色",
    "dark green": "深绿色",
    "light green": "浅绿色",
    "teal": "青色",
    "dark teal": "深青色",
    "light teal": "浅青色",
    "blue": "蓝色",
    "dark blue": "深蓝色",
    "light blue": "浅蓝色",
    "purple": "紫色",
    "dark purple": "深紫色",
    "light purple": "浅紫色",
    "pink": "粉色",
    "dark pink": "深粉色",
    "light pink": "浅粉色",
}
"""Simplified Chinese for every name :func:`colour_name` can return."""


def colour_name(rgb: tuple[int, int, int]) -> str:
    """A plain English colour word for an RGB colour: ``black``, ``dark grey``, ``dark blue``...

    Every possible result is a key of :data:`COLOUR_NAMES_ZH`.
    """
    hue, lightness, saturation = colorsys.rgb_to_hls(*(channel / 255 for channel in rgb))
    chroma = (max(rgb) - min(rgb)) / 255
    # Very dark or very bright colours read as black or white whatever their tint.
    if chroma < 0.12 or saturation < 0.15 or lightness < 0.1 or lightness > 0.95:
        return _grey_name(lightness)
    base = next(name for bound, name in _HUES if hue * 360 < bound)
    if lightness < 0.3:
        return "brown" if base == "orange" else f"dark {base}"
    if lightness > 0.75:
        return f"light {base}"
    return base


def _grey_name(lightness: float) -> str:
    if lightness < 0.12:
        return "black"
    if lightness < 0.38:
        return "dark grey"
    if lightness < 0.62:
        return "grey"
    if lightness < 0.9:
        return "light grey"
    return "white"


def colour_name_zh(name: str) -> str:
    """The Simplified Chinese word for a name returned by :func:`colour_name`."""
    return COLOUR_NAMES_ZH.get(name, name)
