"""Typed errors the engine raises for input it cannot use.

Each carries a stable machine-readable ``code`` so callers (products, the CLI) can map it to a
partner-facing answer without parsing messages.
"""


class EngineError(Exception):
    """Base class for every error the engine raises on bad input."""

    code = "engine.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImageError(EngineError):
    """The bytes given are not a usable image."""

    code = "image.invalid"


class EmptyImage(ImageError):
    code = "image.empty"


class InvalidBase64(ImageError):
    code = "image.invalid_base64"


class UnsupportedImageFormat(ImageError):
    code = "image.unsupported_format"


class CorruptImage(ImageError):
    code = "image.corrupt"


class TruncatedImage(ImageError):
    code = "image.truncated"


class ImageTooLarge(ImageError):
    """Too many bytes, or too many pixels (a decompression bomb)."""

    code = "image.too_large"


class ImageTooSmall(ImageError):
    code = "image.too_small"


class ModelUnavailable(EngineError):
    """A model file that should ship inside an installed wheel is missing."""

    code = "engine.model_unavailable"
