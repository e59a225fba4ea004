"""Smile ID's V3 API (``../shared/spec/smileid-v3/openapi.yaml``, vendored in ``spec/``): a second
front door on the same jobs, engine, products, storage, limits and callbacks as v1/v2.

Tokens (``token``, ``auth``), the multipart bodies (``forms``, ``fields``), the error shapes
(``errors``); one module per group of operations, each with its ``router``, gathered in
:data:`ROUTERS` for the app.
"""
