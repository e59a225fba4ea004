"""Generators of test material (synthetic documents, presentation attacks) for tests, benchmarks and demos.

Shipped with the package, like ``numpy.testing``, so operators can reproduce the benchmarks.
"""
