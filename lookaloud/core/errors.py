"""Every error a Lookaloud user can meet, each with a sentence they can act on.

The tree::

    LookaloudError                  base; ``message`` is spoken and shown, ``code`` is stable
    ├── Cancelled                   the user stopped the work; shown as nothing at all
    ├── ImageError                  the input could not be turned into a picture
    │   ├── ImageNotFound
    │   ├── ImageIsDirectory
    │   ├── ImageEmpty
    │   ├── NotAnImage
    │   ├── UnsupportedImageFormat
    │   ├── ImageTruncated
    │   └── ImageTooLarge           decompression bombs and absurd pixel counts
    ├── ModelError
    │   ├── ModelMissing            weights are not on this computer and cannot be fetched
    │   └── ModelLoadFailed         weights are present but unusable (no safetensors, broken)
    ├── PerceptionError             captioning or OCR failed on a valid image
    ├── WriterError                 the language model failed
    │   ├── WriterTimeout           retryable (L1)
    │   ├── WriterUnavailable       retryable (L1): connection errors, 429, 5xx, cut streams
    │   ├── WriterAuthRefused       a remote server refused the API key (401, 403)
    │   ├── WriterModelNotFound     a remote server has no model of that name
    │   ├── WriterNotAnApi          the address answers, but not as an OpenAI-compatible API
    │   ├── WriterRequestRejected   a remote server turned the request down (other 4xx)
    │   └── WriterReasoningOnly     a remote model reasoned and wrote no reply
    ├── SettingsError               a value in the settings is out of range or of the wrong type
    └── SpeechError                 no voice could be started

Library errors are wrapped with ``raise ... from exc`` so the cause stays in the logs while the
user hears only ``message``.
"""

from __future__ import annotations

from lookaloud.core.i18n import tr


class LookaloudError(Exception):
    """Base of all errors a user can meet; ``message`` is a complete, actionable sentence."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class Cancelled(LookaloudError):
    """The user stopped the work; nothing should be shown or spoken for it."""

    code = "cancelled"

    def __init__(self, message: str = "Stopped.") -> None:
        super().__init__(message)


class ImageError(LookaloudError):
    code = "image_error"


class ImageNotFound(ImageError):
    code = "image_not_found"


class ImageIsDirectory(ImageError):
    code = "image_is_directory"


class ImageEmpty(ImageError):
    code = "image_empty"


class NotAnImage(ImageError):
    code = "not_an_image"


class UnsupportedImageFormat(ImageError):
    code = "unsupported_format"


class ImageTruncated(ImageError):
    code = "image_truncated"


class ImageTooLarge(ImageError):
    code = "image_too_large"


class NotARegularFile(ImageError):
    """A named pipe, socket or device: reading it could block forever or never end."""

    code = "not_a_regular_file"


class PhaseTimeout(LookaloudError):
    """One phase of describing an image took longer than its budget and was stopped."""

    code = "phase_timeout"


class BrokenLink(ImageError):
    """A symbolic link that points nowhere, or in a circle."""

    code = "broken_link"


class ModelError(LookaloudError):
    code = "model_error"


class ModelMissing(ModelError):
    code = "model_missing"


class ModelLoadFailed(ModelError):
    code = "model_load_failed"


class PerceptionError(LookaloudError):
    code = "perception_error"


class WriterError(LookaloudError):
    code = "writer_error"


class WriterTimeout(WriterError):
    code = "writer_timeout"


class WriterUnavailable(WriterError):
    """Connection errors, 429 and 5xx; ``retry_after`` carries a server's Retry-After in seconds."""

    code = "writer_unavailable"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WriterAuthRefused(WriterError):
    code = "writer_auth_refused"


class WriterModelNotFound(WriterError):
    code = "writer_model_not_found"


class WriterNotAnApi(WriterError):
    code = "writer_not_an_api"


class WriterRequestRejected(WriterError):
    code = "writer_request_rejected"


class WriterReasoningOnly(WriterError):
    code = "writer_reasoning_only"


class SettingsError(LookaloudError):
    code = "settings_error"


class SpeechError(LookaloudError):
    code = "speech_error"


def user_message(exc: BaseException) -> str:
    """The one sentence a user should hear for any exception, including unexpected ones."""
    if isinstance(exc, LookaloudError):
        return exc.message
    return tr(
        "Something unexpected went wrong inside Lookaloud ({name}); the details "
        "are in the log file.",
        name=type(exc).__name__,
    )
