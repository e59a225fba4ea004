"""The live-server fixture of the end-to-end suite, for the KYB test with the official SDK."""

from tests.e2e.conftest import server as server
