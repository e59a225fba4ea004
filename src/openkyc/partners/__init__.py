"""Partners, their environments (sandbox/production) and API keys."""
