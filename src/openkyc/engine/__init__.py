"""Verification engine: images in, typed evidence out.

Pure Python over images. Imports nothing from the web layer or the database, knows no result
codes (products turn evidence into Actions and ResultCodes), loads each model once per process and
runs offline on CPU with models that ship inside PyPI wheels.
"""
