"""openkyc: self-hostable identity verification, wire-compatible with the Smile ID API."""

__version__ = "0.1.0"
