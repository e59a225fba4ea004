"""Hosted-web tokens (POST /v1/token) and, later, verification links and the hosted capture page."""
