"""Smile ID's V3 OpenAPI spec (vendored in ``spec/``) as the documentation of openkyc's V3 routes.

The V3 views read their multipart bodies themselves, so FastAPI knows nothing of their fields; the
official spec documents every one of them, their answers and examples. :func:`document_v3`
replaces the operations FastAPI generated for the V3 routes with the spec's own, so /docs, /redoc
and /openapi.json show V3 exactly as Smile ID publishes it (and the Postman collection and any
generated client agree with the SDKs). Only operations openkyc serves are taken: the schema never
documents a route that is not there. The spec's components are renamed ``V3.<name>`` so that they
never collide with the v1 models.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from importlib.resources import files
from typing import Any

import yaml

METHODS = ("get", "post", "put", "patch", "delete")
COMPONENT_PREFIX = "V3."
_REF = re.compile(r'"#/components/(\w+)/([^"]+)"')


@functools.cache
def official_spec() -> dict[str, Any]:
    """The vendored spec, parsed once (the caller must not change it: copy what it edits)."""
    text = files("openkyc.v3").joinpath("spec", "openapi.yaml").read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise ValueError("the vendored V3 spec is not an OpenAPI document")
    return loaded


def _shape(path: str) -> str:
    """A path with its parameters' names blanked: /v3/status/{jobId} and /v3/status/{job_id} agree."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _renamed(value: Any) -> Any:
    """``value`` with every component reference and security scheme name prefixed."""
    text = _REF.sub(
        lambda m: f'"#/components/{m.group(1)}/{COMPONENT_PREFIX}{m.group(2)}"', json.dumps(value)
    )
    renamed = json.loads(text)
    if isinstance(renamed, dict) and isinstance(renamed.get("security"), list):
        renamed["security"] = [
            {f"{COMPONENT_PREFIX}{name}": scopes for name, scopes in requirement.items()}
            for requirement in renamed["security"]
        ]
    return renamed


def document_v3(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (FastAPI's) with each served V3 operation replaced by the official spec's."""
    spec = official_spec()
    served = {
        (_shape(path), method): path
        for path, item in schema.get("paths", {}).items()
        if path.startswith("/v3/")
        for method in item
        if method in METHODS
    }
    used = False
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            ours = served.get((_shape(path), method))
            if method not in METHODS or ours is None:
                continue
            documented = _renamed(copy.deepcopy(operation))
            documented.setdefault("tags", ["V3"])
            documented["tags"] = [f"V3: {tag}" for tag in documented["tags"]]
            if ours != path:  # our route names a path parameter differently: the spec's path replaces ours
                schema["paths"][ours].pop(method, None)
                schema["paths"].setdefault(path, {})
                schema["paths"][path][method] = documented
                if not schema["paths"][ours]:
                    del schema["paths"][ours]
            else:
                schema["paths"][path][method] = documented
            used = True
    if used:
        components = schema.setdefault("components", {})
        for kind, entries in spec.get("components", {}).items():
            target = components.setdefault(kind, {})
            for name, entry in entries.items():
                target[f"{COMPONENT_PREFIX}{name}"] = _renamed(copy.deepcopy(entry))
    return schema
