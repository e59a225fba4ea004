"""Every V3 operation's router, in the order the app includes them."""

from __future__ import annotations

from fastapi import APIRouter

from openkyc.v3 import address, aml, documents, fraud, kyc, links, selfie, services, status, token

ROUTERS: tuple[APIRouter, ...] = (
    token.router,
    services.router,
    fraud.router,
    aml.router,
    status.router,
    kyc.router,
    selfie.router,
    documents.router,
    address.router,
    links.router,
)
