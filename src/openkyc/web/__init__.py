"""HTTP endpoints that stand above the jobs layer: the synchronous look-up products (ID
verification, business verification, AML screening) each record a job, so their views sit here,
not in the domain packages whose look-ups they run (docs/architecture.md)."""
