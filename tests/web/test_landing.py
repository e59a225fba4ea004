"""GET / answers a person with a page of links and a client with a JSON index."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from openkyc import __version__
from openkyc.web.landing import wants_json


def test_a_browser_gets_a_page_linking_the_docs_and_health(client: TestClient) -> None:
    page = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    links = re.findall(r'href="([^"]+)"', page.text)
    assert {"/portal/", "/docs", "/redoc", "/health", "/openapi.json"} <= set(links)
    for link in links:  # no link to a page that does not exist (the portal's: its sign-in page)
        answer = client.get(link, follow_redirects=True)
        assert answer.status_code == 200, link
    assert client.get("/portal/", follow_redirects=True).url.path == "/portal/login"
    assert __version__ in page.text
    assert "openkyc portal add-user" in page.text
    assert "<script" not in page.text


def test_the_page_carries_the_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "https://" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_a_json_client_gets_an_index(client: TestClient) -> None:
    answer = client.get("/", headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["version"] == __version__
    assert body["links"] == {
        "portal": "/portal/",
        "docs": "/docs",
        "redoc": "/redoc",
        "openapi": "/openapi.json",
        "health": "/health",
    }


def test_links_follow_the_root_path(client: TestClient) -> None:
    with TestClient(client.app, root_path="/kyc") as behind_proxy:
        page = behind_proxy.get("/")
    assert 'href="/kyc/docs"' in page.text


def test_only_a_client_that_names_json_and_not_html_gets_json() -> None:
    assert wants_json("application/json")
    assert wants_json("application/json; charset=utf-8")
    assert not wants_json("")
    assert not wants_json("*/*")
    assert not wants_json("text/html, application/json")
