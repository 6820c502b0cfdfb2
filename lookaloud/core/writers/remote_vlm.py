"""The remote vision-language describer: the server's model is sent the image itself.

Unlike :class:`~lookaloud.core.writers.remote.RemoteWriter`, which sends only the facts, this
writer sends the downscaled picture as a base64 ``image_url`` data URL, together with the
blind-reader prompt and the OCR text as grounding. The checks, retries and fallbacks of the
write loop apply unchanged.
"""

from __future__ import annotations

import io

from PIL import Image

from lookaloud.core.pipeline.facts import Detail, ImageKind
from lookaloud.core.pipeline.load import downscale, image_kind
from lookaloud.core.writers.base import ImagePart
from lookaloud.core.writers.remote import RemoteWriter

# Vision-language models tile or resize to about this size; sending more only costs upload time.
DEFAULT_IMAGE_SIDE = 1024
_JPEG_QUALITY = 85


class RemoteVlmWriter(RemoteWriter):
    """A remote writer that also sees the image (an :class:`ImageWriter`)."""

    backend_name = "remote-vlm"
    image_side = DEFAULT_IMAGE_SIDE

    def prepare_image(self, image: Image.Image, detail: Detail = Detail.STANDARD) -> ImagePart:
        """PNG for screenshots (sharp text), JPEG for photos (smaller), at most 1024 px at
        every detail level: the server's model chooses its own input size."""
        small = downscale(image, self.image_side).convert("RGB")
        buffer = io.BytesIO()
        # Judged on the full-size picture: scaling blends the flat areas that mark a screenshot.
        if image_kind(image) is ImageKind.SCREENSHOT:
            small.save(buffer, format="PNG")
            mime = "image/png"
        else:
            small.save(buffer, format="JPEG", quality=_JPEG_QUALITY)
            mime = "image/jpeg"
        return ImagePart(buffer.getvalue(), mime, small.width, small.height)
