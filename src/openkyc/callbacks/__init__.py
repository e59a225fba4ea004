"""Signed result callbacks: SSRF-safe delivery, retries with backoff, a delivery log per job."""
