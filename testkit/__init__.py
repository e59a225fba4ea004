"""Test kit: generators of test material (synthetic documents, presentation attacks) and the harness
(process deployments, an S3 server, a TCP cutter, a callback receiver) for tests, benchmarks and tools.

Not part of the installed package: it lives at the repository root and is imported from there
(pytest, ``python -m benchmarks.NAME``, ``python -m tools.NAME``), so the wheel ships none of it.
"""
