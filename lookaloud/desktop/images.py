"""Images from the clipboard and from Qt pictures, as the PNG bytes the pipeline takes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QRect
from PySide6.QtGui import QImage, QImageWriter, QPixmap

from lookaloud.core.errors import LookaloudError
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.load import image_suffixes


class ClipboardEmpty(LookaloudError):
    code = "clipboard_empty"

    def __init__(self) -> None:
        super().__init__(
            tr(
                "The clipboard holds no image; copy an image or an image file first, then try "
                "again.",
                "error",
            )
        )


def png_bytes(picture: QImage | QPixmap) -> bytes:
    image = picture.toImage() if isinstance(picture, QPixmap) else picture
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    QImageWriter(buffer, QByteArray(b"png")).write(image)
    buffer.close()
    return bytes(data.data())


def crop_png(picture: QPixmap, region: QRect) -> bytes:
    return png_bytes(picture.copy(region))


def clipboard_image(mime: QMimeData | None) -> tuple[Path | bytes, str]:
    """The copied picture as PNG bytes, or a copied image file's path; ClipboardEmpty if none."""
    if mime is None:
        raise ClipboardEmpty()
    if mime.hasImage():
        image = QImage(mime.imageData())
        if not image.isNull():
            return png_bytes(image), "clipboard image"
    for url in mime.urls() if mime.hasUrls() else []:
        path = Path(url.toLocalFile())
        if url.isLocalFile() and path.suffix.lower() in image_suffixes() and path.is_file():
            return path, path.name
    raise ClipboardEmpty()
