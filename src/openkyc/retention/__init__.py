"""Retention: images and PII of finished jobs purged after ``retention_days``, results kept."""
