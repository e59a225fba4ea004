"""Image intake (safe decoding) and image-quality evidence."""

from openkyc.engine.images.decode import DecodedImage, ImageLimits, decode_base64, load_image
from openkyc.engine.images.quality import QualityEvidence, QualityThresholds, assess_quality

__all__ = [
    "DecodedImage",
    "ImageLimits",
    "QualityEvidence",
    "QualityThresholds",
    "assess_quality",
    "decode_base64",
    "load_image",
]
