"""The management API: partners automate their keys, enrolled users and callback settings,
authenticated with the header-signed KSig1 scheme (seed 003, api-reference §13)."""
