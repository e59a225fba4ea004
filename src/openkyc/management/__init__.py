"""The management API: partners automate their keys, enrolled users and callback settings,
authenticated with the header-signed KSig1 scheme (compatibility §13)."""
